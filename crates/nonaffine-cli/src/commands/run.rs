//! `nonaffine run`: runs a workflow, reusing every cached stage output.

use anyhow::Context;
use indicatif::MultiProgress;
use nonaffine_core::Progress;
use nonaffine_slurm::{Slurm, SlurmOptions};
use nonaffine_workflow::{
    is_slurm_time, Bars, ExecutorSettings, InProcess, Observer, RunOptions, StageOutcome, Workflow,
};
use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Arguments of `nonaffine run`.
#[derive(clap::Args)]
pub struct Args {
    /// The workflow file (YAML).
    workflow: PathBuf,
    /// Run folder [default: runs/<workflow name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Rerun this stage and everything downstream even if cached (repeatable).
    #[arg(long = "force", value_name = "STAGE")]
    force: Vec<String>,
    /// Say for every stage why it ran or that it was fresh.
    #[arg(long)]
    explain: bool,
    /// Shared store of finished stage outputs, reused across run folders and
    /// workflows [default: `.store` beside the run folder, e.g. runs/.store].
    #[arg(long, value_name = "DIR", conflicts_with = "no_store")]
    store: Option<PathBuf>,
    /// Reuse outputs only from this run folder.
    #[arg(long)]
    no_store: bool,
    /// Run up to N independent jobs (sweep branches) at once in this process.
    #[arg(long, short = 'j', default_value_t = 1)]
    jobs: usize,
    /// Where jobs run: `local` (this process) or `slurm` (one batch job per
    /// job, but for the quick kernel and reference stages) [default: the
    /// workflow's `executor.kind`, else local].
    #[arg(long, value_parser = ["local", "slurm"])]
    executor: Option<String>,
    /// Slurm partition of the batch jobs.
    #[arg(long)]
    partition: Option<String>,
    /// Slurm account the batch jobs are charged to.
    #[arg(long)]
    account: Option<String>,
    /// Time limit of batch jobs, `KIND=LIMIT` for one stage kind
    /// (`quench=2-00:00:00`) or `LIMIT` for the others; Slurm's format (repeatable).
    #[arg(long = "time-limit", value_name = "[KIND=]LIMIT")]
    time_limit: Vec<String>,
    /// A further `sbatch` option, e.g. `--sbatch-option=--qos=long` (repeatable).
    #[arg(
        long = "sbatch-option",
        value_name = "OPTION",
        allow_hyphen_values = true
    )]
    sbatch_option: Vec<String>,
    /// Seconds between looks at waiting batch jobs [default: 2].
    #[arg(long)]
    poll_s: Option<f64>,
}

/// The workflow's `executor:` map with the command line's options over it.
fn executor_settings(args: &Args, workflow: &Workflow) -> anyhow::Result<ExecutorSettings> {
    let mut s = workflow.executor.clone();
    if let Some(k) = &args.executor {
        s.kind = Some(k.clone());
    }
    if args.partition.is_some() {
        s.partition.clone_from(&args.partition);
    }
    if args.account.is_some() {
        s.account.clone_from(&args.account);
    }
    for t in &args.time_limit {
        let (kind, limit) = match t.split_once('=') {
            Some((k, l)) => (k.to_string(), l.to_string()),
            None => ("default".to_string(), t.clone()),
        };
        anyhow::ensure!(
            is_slurm_time(&limit),
            "--time-limit {t}: `{limit}` is no Slurm time limit (minutes, or [D-]HH:MM:SS)"
        );
        s.time_limits.insert(kind, limit);
    }
    s.sbatch_options.extend(args.sbatch_option.iter().cloned());
    if let Some(p) = args.poll_s {
        anyhow::ensure!(p > 0.0, "--poll-s must be positive");
        s.poll_s = Some(p);
    }
    Ok(s)
}

/// Writes log lines above the progress bars instead of through them.
#[derive(Clone)]
struct AboveBars(MultiProgress);

impl Write for AboveBars {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.suspend(|| std::io::stderr().write_all(buf))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for AboveBars {
    type Writer = AboveBars;
    fn make_writer(&'a self) -> AboveBars {
        self.clone()
    }
}

/// Log lines on stderr, filtered by `NONAFFINE_LOG` (default `info`).
fn init_logging(bars: &Bars) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NONAFFINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(AboveBars(bars.multi().clone()))
        .try_init();
}

/// `.store` beside the run folder: runs under one parent share their outputs.
pub(crate) fn default_store(out_dir: &Path) -> PathBuf {
    match out_dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join(".store"),
        _ => PathBuf::from(".store"),
    }
}

/// Passes events on to `inner` and keeps the labels of the running jobs,
/// which an interruption names.
struct Tracking<'a> {
    inner: &'a Bars,
    running: Arc<Mutex<BTreeSet<String>>>,
}

impl Observer for Tracking<'_> {
    fn planned(&self, jobs: usize) {
        self.inner.planned(jobs);
    }
    fn started(&self, label: &str) -> Box<dyn Progress + '_> {
        if let Ok(mut r) = self.running.lock() {
            r.insert(label.to_string());
        }
        self.inner.started(label)
    }
    fn finished(&self, outcome: &StageOutcome) {
        if let Ok(mut r) = self.running.lock() {
            r.remove(&outcome.label());
        }
        self.inner.finished(outcome);
    }
}

/// Set when a signal arrived: the run's error is then the interruption's,
/// which the signal thread reports and exits with.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// On the first SIGINT or SIGTERM: stops the LAMMPS workers (and their
/// mpirun), removes this run's temporary folders and lock, says which jobs
/// were interrupted and how to resume, and exits with 128 + the signal
/// (130, 143). Finished jobs stay in the run folder and the store.
fn on_interrupt(
    options: &RunOptions,
    running: Arc<Mutex<BTreeSet<String>>>,
    slurm: Option<Arc<Slurm>>,
) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .context("cannot install the SIGINT/SIGTERM handler")?;
    let out_dir = options.out_dir.clone();
    let store = options.store.clone();
    let command: Vec<String> = std::env::args().collect();
    std::thread::spawn(move || {
        let Some(signal) = signals.forever().next() else {
            return;
        };
        INTERRUPTED.store(true, Ordering::SeqCst);
        let cancelled = slurm.map(|s| s.cancel_all()).unwrap_or_default();
        let stopped = nonaffine_lammps::stop_workers(Duration::from_secs(3));
        nonaffine_workflow::remove_own_temporaries(&out_dir, store.as_deref());
        let jobs: Vec<String> = running
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default();
        let name = if signal == SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        };
        if !cancelled.is_empty() {
            eprintln!(
                "\ncancelled {} Slurm job(s) with scancel: {}",
                cancelled.len(),
                cancelled
                    .iter()
                    .map(|(id, label)| format!("{id} ({label})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        eprintln!(
            "\ninterrupted by {name}: {}; {stopped} LAMMPS worker(s) stopped, temporary folders removed, finished jobs kept in {}.\nResume with the same command: {}",
            if jobs.is_empty() {
                "no job was running".to_string()
            } else {
                format!("stopped {}", jobs.join(", "))
            },
            out_dir.display(),
            command.join(" ")
        );
        std::process::exit(128 + signal);
    });
    Ok(())
}

/// Loads, validates and runs the workflow; prints the run summary.
pub fn run(args: Args) -> anyhow::Result<()> {
    let registry = nonaffine_registry::registry();
    let workflow = Workflow::load(&args.workflow, &registry).map_err(|e| anyhow::anyhow!("{e}"))?;
    let settings = executor_settings(&args, &workflow)?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(&workflow.name));
    let bars = Bars::new();
    init_logging(&bars);
    let store = if args.no_store {
        None
    } else {
        Some(args.store.unwrap_or_else(|| default_store(&out_dir)))
    };
    let options = RunOptions {
        out_dir,
        force: args.force.clone(),
        jobs: args.jobs,
        store,
    };
    let slurm = match settings.kind.as_deref() {
        Some("slurm") => {
            // The jobs run this very binary, so queued work does not change
            // when `nonaffine` is upgraded.
            let binary = std::env::current_exe()
                .context("cannot find the path of this nonaffine binary for the batch jobs")?;
            Some(Arc::new(Slurm::new(SlurmOptions::from_settings(
                &settings,
                binary,
                nonaffine_workflow::NONAFFINE_VERSION,
            ))))
        }
        _ => None,
    };
    let observer = Tracking {
        inner: &bars,
        running: Arc::new(Mutex::new(BTreeSet::new())),
    };
    on_interrupt(&options, observer.running.clone(), slurm.clone())?;
    let result = match &slurm {
        Some(s) => {
            nonaffine_workflow::run_with(&workflow, &registry, &options, &observer, s.as_ref())
        }
        None => nonaffine_workflow::run_with(&workflow, &registry, &options, &observer, &InProcess),
    };
    if INTERRUPTED.load(Ordering::SeqCst) {
        // The signal thread reports and exits; do not race it with an error.
        loop {
            std::thread::park();
        }
    }
    let report = result.with_context(|| format!("running workflow {}", args.workflow.display()))?;
    if args.explain {
        out!("{}", report.explain());
    }
    outln!("{report}");
    outln!("report: {}", report.out_dir.join("report.md").display());
    Ok(())
}
