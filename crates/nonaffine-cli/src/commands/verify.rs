//! `nonaffine verify`: hashes every output of a run folder and its store.

use std::path::PathBuf;

/// Arguments of `nonaffine verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The run folder (e.g. runs/quick).
    run: PathBuf,
    /// The shared store [default: `.store` beside the run folder].
    #[arg(long, value_name = "DIR", conflicts_with = "no_store")]
    store: Option<PathBuf>,
    /// Check the run folder only.
    #[arg(long)]
    no_store: bool,
}

/// Checks every file against its recorded size and SHA-256; an error naming
/// every damaged file when any is.
pub fn run(args: Args) -> anyhow::Result<()> {
    let store = if args.no_store {
        None
    } else {
        Some(
            args.store
                .unwrap_or_else(|| super::run::default_store(&args.run)),
        )
    };
    let report = nonaffine_workflow::verify_run(&args.run, store.as_deref())?;
    if report.problems.is_empty() {
        super::out::line(&format!(
            "ok: {} files in {} job folders match their recorded SHA-256",
            report.files, report.folders
        ))?;
        return Ok(());
    }
    anyhow::bail!(
        "{} damaged:\n{}\nThe next `nonaffine run` of this folder restores or recomputes these jobs (`--force STAGE` recomputes a stage in any case)",
        report.problems.len(),
        report.problems.join("\n")
    )
}
