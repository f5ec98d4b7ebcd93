//! `nonaffine kernel`: ν̃(ω) = ν1 − iν2 of a memory-kernel plugin at given ω.

use anyhow::Context as _;
use nonaffine_core::Params;

/// Arguments of `nonaffine kernel`.
#[derive(clap::Args)]
pub struct Args {
    /// Kernel plugin name (`markovian`, `exponential`, `stretched-exp`, `tabulated`).
    #[arg(long)]
    plugin: String,
    /// The plugin's parameters as `key=value,key=value` (see `nonaffine plugins`).
    #[arg(long, default_value = "")]
    param: String,
    /// Angular frequencies ω in rad per the kernel's time unit, comma separated.
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
    nu1: f64,
    nu2: f64,
}

/// Prints `[{"omega":…,"nu1":…,"nu2":…},…]` (units 1/time for ν1, ν2).
pub fn run(args: Args) -> anyhow::Result<()> {
    let params = Params::from_pairs("--param", &args.param)?;
    let registry = nonaffine_registry::registry();
    let kernel = registry
        .kernel(&args.plugin, &params)
        .with_context(|| format!("building kernel `{}`", args.plugin))?;
    let rows: Vec<Row> = args
        .omega
        .iter()
        .map(|&omega| {
            let z = kernel.nu_freq(omega);
            Row {
                omega,
                nu1: z.re,
                nu2: -z.im,
            }
        })
        .collect();
    outln!("{}", serde_json::to_string(&rows)?);
    Ok(())
}
