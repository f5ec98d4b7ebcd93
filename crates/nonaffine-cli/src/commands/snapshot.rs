//! `nonaffine snapshot accept|check`: stage summaries as a stored reference.

use super::diff::{report, ToleranceArgs};
use nonaffine_workflow::diff::Summaries;
use std::path::PathBuf;

/// Arguments of `nonaffine snapshot`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Store the run's stage summaries in DIR/summaries.yaml as the reference.
    Accept {
        /// The run folder.
        run: PathBuf,
        /// The snapshot folder.
        dir: PathBuf,
    },
    /// Compare the run's stage summaries with the reference in DIR.
    Check {
        /// The run folder.
        run: PathBuf,
        /// The snapshot folder.
        dir: PathBuf,
        #[command(flatten)]
        tolerance: ToleranceArgs,
    },
}

/// Accepts or checks a snapshot.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Accept { run, dir } => {
            let path = Summaries::from_run(&run)?.write_snapshot(&dir)?;
            outln!("stored {}", path.display());
            Ok(())
        }
        Action::Check {
            run,
            dir,
            tolerance,
        } => report(
            &Summaries::from_snapshot(&dir)?,
            &Summaries::from_run(&run)?,
            &tolerance,
        ),
    }
}
