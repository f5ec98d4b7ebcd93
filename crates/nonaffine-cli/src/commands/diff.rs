//! `nonaffine diff`: compares two run folders stage by stage.

use nonaffine_workflow::diff::{compare, Summaries, Tolerances};
use std::path::{Path, PathBuf};

/// Arguments of `nonaffine diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The first (reference) run folder.
    run_a: PathBuf,
    /// The second run folder.
    run_b: PathBuf,
    #[command(flatten)]
    tolerance: ToleranceArgs,
}

/// Tolerance options shared by `diff` and `snapshot check`.
#[derive(clap::Args)]
pub struct ToleranceArgs {
    /// Default relative tolerance of every number [default: 0, any change counts].
    #[arg(long)]
    rtol: Option<f64>,
    /// YAML file with `rtol`, `atol` and per-field `fields: {stage.field: rtol}`.
    #[arg(long, value_name = "FILE.yaml")]
    tolerances: Option<PathBuf>,
}

impl ToleranceArgs {
    /// The tolerances asked for; `--rtol` overrides the file's default.
    pub fn load(&self) -> anyhow::Result<Tolerances> {
        let mut tol = match &self.tolerances {
            Some(path) => Tolerances::from_file(path)?,
            None => Tolerances::default(),
        };
        if let Some(r) = self.rtol {
            anyhow::ensure!(
                r >= 0.0 && r.is_finite(),
                "--rtol must be a finite number ≥ 0, got {r}"
            );
            tol.rtol = r;
        }
        Ok(tol)
    }
}

/// Prints the comparison and exits with code 1 when anything differs beyond
/// tolerance (for use in CI scripts).
pub fn report(a: &Summaries, b: &Summaries, tolerance: &ToleranceArgs) -> anyhow::Result<()> {
    let report = compare(a, b, &tolerance.load()?);
    outln!("{report}");
    if report.has_changes() {
        eprintln!("differences beyond tolerance");
        std::process::exit(1);
    }
    Ok(())
}

fn run_summaries(dir: &Path) -> anyhow::Result<Summaries> {
    Ok(Summaries::from_run(dir)?)
}

/// Compares the two runs.
pub fn run(args: Args) -> anyhow::Result<()> {
    report(
        &run_summaries(&args.run_a)?,
        &run_summaries(&args.run_b)?,
        &args.tolerance,
    )
}
