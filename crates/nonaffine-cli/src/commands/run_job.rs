//! `nonaffine run-job` (internal, hidden from help): executes exactly one job
//! of a workflow's plan in a run folder. Batch jobs of the Slurm executor run
//! it; it writes a status file the runner reads besides the scheduler's state.

use anyhow::Context;
use nonaffine_slurm::JobStatus;
use nonaffine_workflow::{Quiet, Workflow, NONAFFINE_VERSION};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Arguments of `nonaffine run-job`.
#[derive(clap::Args)]
pub struct Args {
    /// The workflow file the run was planned from.
    workflow: PathBuf,
    /// The run folder.
    #[arg(long)]
    out: PathBuf,
    /// Index of the job in the plan.
    #[arg(long)]
    job: usize,
    /// The cache key the runner planned for it.
    #[arg(long)]
    key: String,
    /// The nonaffine version that planned the run; another version refuses.
    #[arg(long)]
    version: String,
    /// Folder the stage writes into before its output is moved into place.
    #[arg(long)]
    work: PathBuf,
    /// Status file: running, then done or failed with the error.
    #[arg(long)]
    status: PathBuf,
}

fn write_status(path: &Path, state: &str, error: Option<String>) -> anyhow::Result<()> {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let status = JobStatus {
        state: state.to_string(),
        host,
        error,
    };
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&status)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

fn execute(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.version == NONAFFINE_VERSION,
        "this is nonaffine {NONAFFINE_VERSION}, the run was planned by {}: run the binary that planned it",
        args.version
    );
    let registry = nonaffine_registry::registry();
    let workflow = Workflow::load(&args.workflow, &registry).map_err(|e| anyhow::anyhow!("{e}"))?;
    let record = nonaffine_workflow::run_one(
        &workflow, &registry, &args.out, args.job, &args.key, &args.work, &Quiet,
    )?;
    eprintln!(
        "{} [{}]: done in {:.2} s",
        record.stage, record.branch, record.seconds
    );
    Ok(())
}

/// Runs the job, recording its outcome in the status file.
pub fn run(args: Args) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NONAFFINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
    write_status(&args.status, "running", None)?;
    match execute(&args) {
        Ok(()) => write_status(&args.status, "done", None),
        Err(e) => {
            write_status(&args.status, "failed", Some(format!("{e:#}")))?;
            Err(e)
        }
    }
}
