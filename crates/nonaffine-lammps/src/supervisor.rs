//! The parent side: starts a worker, feeds it a job, relays its events, and
//! turns a LAMMPS error, a crash or a kill into a typed [`LammpsError`].
//!
//! **No orphans.** Each worker (or its `mpirun`) runs in a process group of
//! its own, so [`stop_workers`] can end it with everything it started (the
//! parent's SIGINT/SIGTERM handler calls it). A parent killed with SIGKILL
//! runs no handler: for that case the worker's stdin is a pipe that only the
//! parent holds, and the worker exits when it reads end-of-file (see
//! [`crate::worker`]). A parent-death signal would not do: it fires when the
//! *thread* that spawned the worker ends, not the process.

use crate::protocol::{Event, Job, Snapshot, Step, EVENT_PREFIX};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use thiserror::Error;

/// Process groups of the workers running now (each the pid of its leader).
static LIVE: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Set by [`checkpoint_workers`]: checkpointed jobs started afterwards stop at once.
static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

/// Set when a job returned [`LammpsError::Stopped`].
static STOPPED: AtomicBool = AtomicBool::new(false);

/// Whether a job of this process stopped at a checkpoint on request (so
/// running it again continues rather than repeats it).
pub fn stopped_at_checkpoint() -> bool {
    STOPPED.load(Ordering::SeqCst)
}

/// Asks every worker this process runs to write a checkpoint at its next
/// chunk boundary and stop (SIGUSR1 to each worker's process group; under
/// `mpirun` every rank gets it and the ranks agree on the step). Workers
/// without checkpointing carry on; a checkpointed job started afterwards
/// returns [`LammpsError::Stopped`] without running. Returns how many groups
/// were signalled. For a batch job warned of its time limit.
pub fn checkpoint_workers() -> usize {
    STOP_REQUESTED.store(true, Ordering::SeqCst);
    let groups: Vec<u32> = match LIVE.lock() {
        Ok(live) => live.iter().copied().collect(),
        Err(poisoned) => poisoned.into_inner().iter().copied().collect(),
    };
    groups
        .iter()
        .filter(|&&g| {
            i32::try_from(g)
                .ok()
                .and_then(rustix::process::Pid::from_raw)
                .is_some_and(|pid| {
                    rustix::process::kill_process_group(pid, rustix::process::Signal::USR1).is_ok()
                })
        })
        .count()
}

/// Stops every worker this process started and is still waiting for: SIGTERM
/// to each worker's process group (the worker, or `mpirun` and its ranks),
/// then SIGKILL to the groups still alive after `grace`. Returns how many
/// groups were signalled. Their [`run_job`] calls then return
/// [`LammpsError::Crashed`] ("killed by signal 15").
pub fn stop_workers(grace: Duration) -> usize {
    let groups: Vec<u32> = match LIVE.lock() {
        Ok(live) => live.iter().copied().collect(),
        Err(poisoned) => poisoned.into_inner().iter().copied().collect(),
    };
    let signal = |pgid: u32, sig: rustix::process::Signal| {
        i32::try_from(pgid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
            .map(|pid| rustix::process::kill_process_group(pid, sig).is_ok())
            .unwrap_or(false)
    };
    let signalled = groups
        .iter()
        .filter(|&&g| signal(g, rustix::process::Signal::TERM))
        .count();
    // A group leaves LIVE when its run_job has reaped the worker.
    let t0 = Instant::now();
    while t0.elapsed() < grace {
        let waiting = match LIVE.lock() {
            Ok(live) => groups.iter().any(|g| live.contains(g)),
            Err(_) => true,
        };
        if !waiting {
            return signalled;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for &g in &groups {
        signal(g, rustix::process::Signal::KILL);
    }
    signalled
}

/// Removes a worker's group from [`LIVE`] when its `run_job` ends, however it ends.
struct Registered(u32);

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut live) = LIVE.lock() {
            live.remove(&self.0);
        }
    }
}

/// "during job step 4 of 5 (run `cool`)", or "before the first job step".
fn describe_step(job: &Job, step: Option<usize>) -> String {
    let Some(index) = step else {
        return "before the first job step".to_string();
    };
    let what = match job.steps.get(index) {
        Some(Step::Commands(lines)) => match lines.first() {
            Some(first) => format!("commands from `{first}`"),
            None => "no commands".to_string(),
        },
        Some(Step::CreateAtoms(spec)) => format!("creating {} atoms", spec.types.len()),
        Some(Step::Run { label, steps, .. }) => format!("run `{label}`, {steps} MD steps"),
        Some(Step::Repeat { commands, .. }) => match commands.first() {
            Some(first) => format!("repeat of `{first}`"),
            None => "empty repeat".to_string(),
        },
        Some(Step::Snapshot { label, .. }) => format!("snapshot `{label}`"),
        Some(Step::Resumable { .. }) => "resumable mark".to_string(),
        None => "unknown step".to_string(),
    };
    format!(
        "during job step {} of {} ({what})",
        index + 1,
        job.steps.len()
    )
}

/// Name of the worker binary.
pub const WORKER_NAME: &str = "nonaffine-lammps-worker";
/// Environment variable that overrides where the worker binary is.
pub const WORKER_ENV: &str = "NONAFFINE_LAMMPS_WORKER";

/// Why a LAMMPS job failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LammpsError {
    /// The worker binary is not where we looked.
    #[error("LAMMPS worker `{WORKER_NAME}` not found (looked in: {}); build it with `cargo build -p nonaffine-lammps` or set {WORKER_ENV}", searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    WorkerNotFound {
        /// Places searched.
        searched: Vec<PathBuf>,
    },
    /// LAMMPS stopped with an ERROR. The message quotes the log's last lines
    /// rather than naming the log file: the file lives in the job's working
    /// folder, which a temporary folder or a failed workflow stage removes.
    #[error("LAMMPS error: {message}\n--- last lines of the LAMMPS log ---\n{}", tail.join("\n"))]
    Lammps {
        /// The `ERROR: ...` line(s) from LAMMPS.
        message: String,
        /// Last lines of the log.
        tail: Vec<String>,
        /// Log file (may be gone by the time the error is shown).
        log: PathBuf,
    },
    /// The worker died without a LAMMPS error (killed, crashed).
    #[error("LAMMPS worker ended unexpectedly ({status}) {during}\n--- stderr ---\n{stderr}\n--- last lines of the LAMMPS log ---\n{}", tail.join("\n"))]
    Crashed {
        /// Exit status description.
        status: String,
        /// Index (from 0) of the job step that was running, if known.
        step: Option<usize>,
        /// That step in words: "during job step 4 of 5 (run `cool`, 1000 MD
        /// steps)" or "before the first job step".
        during: String,
        /// Last lines of stderr.
        stderr: String,
        /// Last lines of the log.
        tail: Vec<String>,
    },
    /// Could not start the worker or write its job.
    #[error("cannot start LAMMPS worker {path}: {source}")]
    Spawn {
        /// What we tried to run.
        path: PathBuf,
        /// OS error.
        source: std::io::Error,
    },
    /// The worker sent something we do not understand.
    #[error("LAMMPS worker protocol error: {0}")]
    Protocol(String),
    /// The job stopped at a checkpoint because [`checkpoint_workers`] asked
    /// it to; running it again with the same checkpoint folder continues it.
    #[error("stopped on request at a checkpoint in {} ({})", dir.display(), timestep.map_or("before it started".to_string(), |t| format!("timestep {t}")))]
    Stopped {
        /// The checkpoint folder.
        dir: PathBuf,
        /// Timestep of the checkpoint; None when the job did not start.
        timestep: Option<u64>,
    },
}

/// Checkpoints of a job (see [`crate::Step::Resumable`]): LAMMPS restart
/// files and `checkpoint.json` in `dir`, with the job they belong to
/// (`job.json`). [`run_job`] continues from them when the job is the same,
/// and starts afresh (removing them) when it is not.
#[derive(Clone, Debug)]
pub struct Checkpointing {
    /// Folder of the checkpoints; it must survive the process (e.g. on the
    /// file system a requeued batch job sees).
    pub dir: PathBuf,
    /// MD steps between checkpoints (rounded up to the runs' chunks); 0:
    /// only when asked to stop ([`checkpoint_workers`]).
    pub every_steps: u64,
}

/// How to start workers.
#[derive(Clone, Debug, Default)]
pub struct WorkerConfig {
    /// Worker binary; found automatically when None (see [`find_worker`]).
    pub worker: Option<PathBuf>,
    /// Run under `mpirun -np K` when Some(K) with K > 1.
    pub mpi_ranks: Option<usize>,
    /// Folder for the job file and the LAMMPS log; a temporary one when None.
    pub workdir: Option<PathBuf>,
    /// Checkpoints to write and continue from; none when None.
    pub checkpoint: Option<Checkpointing>,
}

/// Everything a finished job returned.
#[derive(Clone, Debug, Default)]
pub struct JobOutput {
    /// LAMMPS version, YYYYMMDD.
    pub version: i32,
    /// MPI ranks used.
    pub ranks: i32,
    /// Installed LAMMPS packages.
    pub packages: Vec<String>,
    /// Snapshots in the order taken.
    pub snapshots: Vec<Snapshot>,
    /// Path of the LAMMPS log (inside the workdir; gone with a temporary one).
    pub log: PathBuf,
}

impl JobOutput {
    /// The snapshot with this label.
    pub fn snapshot(&self, label: &str) -> Result<&Snapshot, LammpsError> {
        self.snapshots
            .iter()
            .find(|s| s.label == label)
            .ok_or_else(|| LammpsError::Protocol(format!("no snapshot labelled `{label}`")))
    }
}

/// Finds the worker: `$NONAFFINE_LAMMPS_WORKER`, then next to the current
/// executable and its parent (cargo's `deps/`), then `PATH`.
pub fn find_worker() -> Result<PathBuf, LammpsError> {
    let mut searched = Vec::new();
    if let Some(p) = std::env::var_os(WORKER_ENV) {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        searched.push(p);
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        if let Some(d) = exe.parent() {
            dirs.push(d.to_path_buf());
            if let Some(pp) = d.parent() {
                dirs.push(pp.to_path_buf());
            }
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    for d in dirs {
        let p = d.join(WORKER_NAME);
        if p.is_file() {
            return Ok(p);
        }
        searched.push(p);
    }
    Err(LammpsError::WorkerNotFound { searched })
}

/// Readies the checkpoint folder for the job `text` (its JSON): true when it
/// holds a checkpoint of this very job (`job.json` equal to `text`, and
/// `checkpoint.json` naming its [`crate::protocol::job_digest`]) to continue
/// from; otherwise it is emptied of checkpoints and given this job's `job.json`.
fn prepare_checkpoints(c: &Checkpointing, text: &str) -> Result<bool, LammpsError> {
    let io = |path: &Path, e: std::io::Error| LammpsError::Spawn {
        path: path.to_path_buf(),
        source: e,
    };
    std::fs::create_dir_all(&c.dir).map_err(|e| io(&c.dir, e))?;
    let job_file = c.dir.join("job.json");
    let same = std::fs::read_to_string(&job_file).is_ok_and(|t| t == text);
    let digest = crate::protocol::job_digest(text);
    let resume = same
        && std::fs::read_to_string(c.dir.join(crate::worker::CHECKPOINT_FILE))
            .ok()
            .and_then(|t| serde_json::from_str::<crate::protocol::Checkpoint>(&t).ok())
            .is_some_and(|k| k.job == digest);
    if STOP_REQUESTED.load(Ordering::SeqCst) {
        STOPPED.store(true, Ordering::SeqCst);
        return Err(LammpsError::Stopped {
            dir: c.dir.clone(),
            timestep: None,
        });
    }
    if !resume {
        for entry in std::fs::read_dir(&c.dir).map_err(|e| io(&c.dir, e))? {
            let path = entry.map_err(|e| io(&c.dir, e))?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.starts_with("restart.") || name.contains(crate::worker::CHECKPOINT_FILE) {
                std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
            }
        }
        std::fs::write(&job_file, text).map_err(|e| io(&job_file, e))?;
    }
    Ok(resume)
}

/// Runs `job` in a worker process, calling `on_event` for every event
/// (progress, snapshots) as it arrives.
pub fn run_job(
    config: &WorkerConfig,
    job: &Job,
    on_event: &mut dyn FnMut(&Event),
) -> Result<JobOutput, LammpsError> {
    let worker = match &config.worker {
        Some(w) => w.clone(),
        None => find_worker()?,
    };
    let tmp;
    let workdir: &Path = match &config.workdir {
        Some(d) => d,
        None => {
            tmp = tempfile::tempdir().map_err(|e| LammpsError::Spawn {
                path: worker.clone(),
                source: e,
            })?;
            tmp.path()
        }
    };
    std::fs::create_dir_all(workdir).map_err(|e| LammpsError::Spawn {
        path: workdir.into(),
        source: e,
    })?;
    let job_path = workdir.join("job.json");
    let log_path = workdir.join("log.lammps");
    let text = serde_json::to_string(job).map_err(|e| LammpsError::Protocol(e.to_string()))?;
    std::fs::write(&job_path, &text).map_err(|e| LammpsError::Spawn {
        path: job_path.clone(),
        source: e,
    })?;

    let resume = match &config.checkpoint {
        Some(c) => prepare_checkpoints(c, &text)?,
        None => false,
    };

    let mut cmd = match config.mpi_ranks {
        Some(k) if k > 1 => {
            let mut c = Command::new("mpirun");
            c.args([
                "--allow-run-as-root",
                "--oversubscribe",
                "-np",
                &k.to_string(),
            ])
            .arg(&worker);
            c
        }
        _ => Command::new(&worker),
    };
    cmd.arg("--job")
        .arg(&job_path)
        .arg("--log")
        .arg(&log_path)
        .arg(crate::worker::WATCH_STDIN_FLAG);
    if let Some(c) = &config.checkpoint {
        cmd.arg("--checkpoint")
            .arg(&c.dir)
            .arg("--checkpoint-every")
            .arg(c.every_steps.to_string());
        if resume {
            cmd.arg("--resume");
        }
    }
    // A group of its own (so `stop_workers` reaches mpirun's ranks too), and
    // a stdin pipe the worker watches for end-of-file.
    cmd.process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = {
        let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
        let child = cmd.spawn().map_err(|e| LammpsError::Spawn {
            path: worker.clone(),
            source: e,
        })?;
        live.insert(child.id());
        child
    };
    let _registered = Registered(child.id());
    // Held open until the worker has ended; dropped (closed) only then, or
    // by the kernel when this process dies.
    let lifeline = child.stdin.take();

    let stderr_thread = child.stderr.take().map(|mut e| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = e.read_to_string(&mut s);
            s
        })
    });
    let mut out = JobOutput {
        log: log_path.clone(),
        ..Default::default()
    };
    let mut done = false;
    let mut checkpointed = None;
    let mut step = None;
    let mut protocol_error = None;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let Some(json) = line.strip_prefix(EVENT_PREFIX) else {
                continue;
            };
            match serde_json::from_str::<Event>(json) {
                Ok(ev) => {
                    match &ev {
                        Event::Hello {
                            version,
                            ranks,
                            packages,
                            ..
                        } => {
                            out.version = *version;
                            out.ranks = *ranks;
                            out.packages = packages.clone();
                        }
                        Event::StepStarted { index } => step = Some(*index),
                        Event::Snapshot(s) => out.snapshots.push((**s).clone()),
                        Event::Done => done = true,
                        Event::Checkpointed { timestep, .. } => checkpointed = Some(*timestep),
                        Event::Progress { .. } | Event::Resumed { .. } => {}
                    }
                    on_event(&ev);
                }
                Err(e) => protocol_error = Some(format!("{e} in line `{json}`")),
            }
        }
    }
    let status = child.wait().map_err(|e| LammpsError::Spawn {
        path: worker.clone(),
        source: e,
    })?;
    drop(lifeline);
    let stderr = stderr_thread
        .and_then(|t| t.join().ok())
        .unwrap_or_default();
    if let Some(e) = protocol_error {
        return Err(LammpsError::Protocol(e));
    }
    if done && status.success() {
        return Ok(out);
    }
    if let Some(c) = &config.checkpoint {
        if status.code() == Some(crate::worker::CHECKPOINT_STOP_EXIT) {
            STOPPED.store(true, Ordering::SeqCst);
            return Err(LammpsError::Stopped {
                dir: c.dir.clone(),
                timestep: checkpointed,
            });
        }
    }
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    let tail: Vec<String> = lines[lines.len().saturating_sub(15)..]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("ERROR"))
        .collect();
    if !errors.is_empty() {
        return Err(LammpsError::Lammps {
            message: errors.join("\n"),
            tail,
            log: log_path,
        });
    }
    let mut stderr_tail: Vec<&str> = stderr.lines().collect();
    if stderr.contains("cannot read job") {
        stderr_tail.push("hint: the worker binary may be older than this program; rebuild it with `cargo build -p nonaffine-lammps` (or `cargo build --workspace --bins`)");
    }
    Err(LammpsError::Crashed {
        status: describe(&status),
        step,
        during: describe_step(job, step),
        stderr: stderr_tail[stderr_tail.len().saturating_sub(15)..].join("\n"),
        tail,
    })
}

fn describe(status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("killed by signal {sig}");
        }
    }
    match status.code() {
        Some(c) => format!("exit code {c}"),
        None => "unknown status".into(),
    }
}
