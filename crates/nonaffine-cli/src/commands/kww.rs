//! `nonaffine kww`: the one-sided Fourier transform of exp(−t^β) at given ω.

use anyhow::Context as _;

/// Arguments of `nonaffine kww`.
#[derive(clap::Args)]
pub struct Args {
    /// Stretching exponent β in [0.1, 2].
    #[arg(long)]
    beta: f64,
    /// Angular frequencies ω (rad per unit time of t), comma separated.
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        allow_hyphen_values = true
    )]
    omega: Vec<f64>,
}

#[derive(serde::Serialize)]
struct Row {
    omega: f64,
    cos: f64,
    sin: f64,
}

/// Prints `[{"omega":…,"cos":…,"sin":…},…]` with cos = ∫₀^∞ e^{−t^β} cos ωt dt and
/// sin = ∫₀^∞ e^{−t^β} sin ωt dt.
pub fn run(args: Args) -> anyhow::Result<()> {
    let rows = args
        .omega
        .iter()
        .map(|&omega| {
            let (cos, sin) = nonaffine_kww::kww(args.beta, omega)
                .with_context(|| format!("--beta {} --omega {omega}", args.beta))?;
            Ok(Row { omega, cos, sin })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    outln!("{}", serde_json::to_string(&rows)?);
    Ok(())
}
