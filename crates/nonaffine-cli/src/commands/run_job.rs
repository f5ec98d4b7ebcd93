//! `nonaffine run-job` (internal, hidden from help): executes exactly one job
//! of a workflow's plan in a run folder. Batch jobs of the Slurm executor run
//! it; it writes a status file the runner reads besides the scheduler's state.

use anyhow::Context;
use nonaffine_slurm::JobStatus;
use nonaffine_workflow::{Quiet, Workflow, NONAFFINE_VERSION};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
    /// Folder that survives a requeue, for the stage's checkpoints (LAMMPS
    /// restart files of a quench); it continues from them when run again.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
}

/// The signal Slurm sends before the time limit (`sbatch --signal=B:USR1@s`).
const WARNING: i32 = signal_hook::consts::SIGUSR1;

/// Handles SIGUSR1, the time-limit warning: the running LAMMPS workers that
/// keep checkpoints write one at their next chunk boundary and stop (others
/// carry on). Returns whether it came.
fn watch_warning() -> anyhow::Result<Arc<AtomicBool>> {
    let got = Arc::new(AtomicBool::new(false));
    let mut signals =
        signal_hook::iterator::Signals::new([WARNING]).context("installing the SIGUSR1 handler")?;
    let seen = Arc::clone(&got);
    std::thread::spawn(move || {
        for _ in signals.forever() {
            seen.store(true, Ordering::SeqCst);
            let n = nonaffine_lammps::checkpoint_workers();
            eprintln!(
                "SIGUSR1 (time limit near): asked {n} LAMMPS worker(s) to write a checkpoint and stop"
            );
        }
    });
    Ok(got)
}

/// Puts this batch job back into Slurm's queue (`scontrol requeue`).
fn requeue() -> anyhow::Result<String> {
    let id = std::env::var("SLURM_JOB_ID").context("SLURM_JOB_ID is not set: not a batch job")?;
    let out = std::process::Command::new("scontrol")
        .args(["requeue", &id])
        .output()
        .context("running scontrol")?;
    anyhow::ensure!(
        out.status.success(),
        "`scontrol requeue {id}` failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(id)
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

/// Runs the job, recording its outcome in the status file. Warned of the
/// time limit (SIGUSR1), a job that stopped at a checkpoint requeues itself.
pub fn run(args: Args) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NONAFFINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
    if let Some(dir) = &args.checkpoint {
        if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            eprintln!(
                "{} holds checkpoints of an earlier run of this job: the stage continues from them",
                dir.display()
            );
        }
        // Before any thread but the main one exists.
        std::env::set_var(nonaffine_core::CHECKPOINT_DIR_ENV, dir);
    }
    let warned = watch_warning()?;
    write_status(&args.status, "running", None)?;
    let result = execute(&args);
    let requeue_it = warned.load(Ordering::SeqCst) && nonaffine_lammps::stopped_at_checkpoint();
    match result {
        Ok(()) => {
            if let Some(dir) = &args.checkpoint {
                let _ = std::fs::remove_dir_all(dir);
            }
            write_status(&args.status, "done", None)
        }
        Err(e) if requeue_it => match requeue() {
            Ok(id) => {
                eprintln!(
                    "warned of the time limit: stopped at a checkpoint, Slurm job {id} requeued to continue from it"
                );
                write_status(&args.status, "requeued", None)
            }
            Err(why) => {
                let e = e.context(format!(
                    "warned of the time limit, the job stopped at a checkpoint but could not requeue itself ({why:#}); run the workflow again to continue from the checkpoint"
                ));
                write_status(&args.status, "failed", Some(format!("{e:#}")))?;
                Err(e)
            }
        },
        Err(e) => {
            write_status(&args.status, "failed", Some(format!("{e:#}")))?;
            Err(e)
        }
    }
}
