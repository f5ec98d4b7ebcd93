//! `nonaffine kohlrausch`: E'(ω), E''(ω) of a Kohlrausch relaxation (paper Eqs. 8–9).

use anyhow::Context as _;
use nonaffine_reference::Kohlrausch;

/// Arguments of `nonaffine kohlrausch`.
#[derive(clap::Args)]
pub struct Args {
    /// Stretching exponent β in [0.1, 2].
    #[arg(long)]
    beta: f64,
    /// Relaxation time τ (ω is in rad per τ's unit).
    #[arg(long)]
    tau: f64,
    /// Angular frequencies ω in rad per τ's time unit, comma separated.
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        allow_hyphen_values = true
    )]
    omega: Vec<f64>,
    /// σ0/ε0, the relaxing modulus (output unit).
    #[arg(long, default_value_t = 1.0)]
    sigma0_over_eps0: f64,
    /// σ∞/ε0, the relaxed modulus (same unit).
    #[arg(long, default_value_t = 0.0)]
    sigma_inf_over_eps0: f64,
}

#[derive(serde::Serialize)]
struct Row {
    omega: f64,
    storage: f64,
    loss: f64,
}

/// Prints `[{"omega":…,"storage":…,"loss":…},…]`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let model = Kohlrausch::new(
        args.sigma0_over_eps0,
        args.tau,
        "",
        args.beta,
        args.sigma_inf_over_eps0,
    )
    .context("Kohlrausch parameters")?;
    let rows = args
        .omega
        .iter()
        .map(|&omega| {
            let (storage, loss) = model
                .moduli(omega)
                .with_context(|| format!("--omega {omega}"))?;
            Ok(Row {
                omega,
                storage,
                loss,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    outln!("{}", serde_json::to_string(&rows)?);
    Ok(())
}
