//! The Slurm executor: each job of a run that is worth a node becomes one
//! batch job (`sbatch`) whose script runs `nonaffine run-job` on exactly that
//! job of the plan, with the binary that planned the run.
//!
//! Layout, per job, beside the run's `stages/`:
//! ```text
//! <out>/slurm/<stage>/<branch>/job.sh       the batch script
//!                              job.json     Slurm job id, key, binary, version,
//!                                           the states seen, exit code
//!                              stdout, stderr   the job's own output
//!                              status.json  written by the job: running/done/failed/requeued
//!                              work/        the stage's folder while it runs
//!                              checkpoint/  a quench's LAMMPS restart files until it is done
//! ```
//! A job is submitted when its inputs are finished. The runner waits for it
//! by looking at its output folder and its `status.json` and, at most every
//! `poll` seconds for all jobs at once, `squeue --me -t all` (no `sacct`:
//! many sites and the test cluster have no accounting database); the final
//! state and exit code come from `scontrol show job`. A failed job's error
//! gives Slurm's state (TIMEOUT says the time limit killed it), the exit code,
//! the job's own error and the tail of its stderr. A rerun after the runner
//! died adopts a recorded job that is still pending or running instead of
//! submitting it again. [`Slurm::cancel_all`] runs `scancel` on every job the
//! runner submitted or adopted and has not seen end.
//!
//! Jobs of one stage (with the same number of tasks) that become ready
//! together, a sweep's branches or the frequencies of an oscillate stage, go
//! to Slurm as one job array (`sbatch --array=0-(k-1)`): the runner gathers
//! them for a moment ([`ARRAY_WINDOW`]), writes
//! `<out>/slurm/<stage>/array-<pid>-<n>.sh`, which runs task i's `job.sh` with its
//! output in the job's own folder, and records `A_i` (array A, task i) as
//! job i's id. Everything else (supervision, adoption, cancelling, requeue)
//! works on the task ids as on plain jobs.
//!
//! Long jobs survive the time limit: every batch job asks for SIGUSR1 before
//! its limit (`--signal=B:USR1@s`, see [`warning_s`]) and may be requeued
//! (`--requeue`, output appended). `run-job` passes the signal on to the
//! LAMMPS workers, which write a restart file at their next chunk boundary
//! into `checkpoint/` and stop; the job then requeues itself (`scontrol
//! requeue`) and, run again, continues from the checkpoint. The runner just
//! sees the job pending again (REQUEUED, PENDING) and keeps waiting. A job
//! that could not requeue fails; running the workflow again resubmits it,
//! and it continues from its checkpoint too.

use nonaffine_core::Progress;
use nonaffine_workflow::{Executor, ExecutorSettings, ExternalJob, RunError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Stage kinds that run in the runner's process unless told otherwise:
/// seconds of work, not worth a queue.
pub const DEFAULT_LOCAL_STAGES: &[&str] = &["kernel", "reference"];

/// Default interval between looks at a waiting job, in s.
pub const DEFAULT_POLL_S: f64 = 2.0;

/// Lines of a failed job's stderr quoted in the run's error.
const STDERR_TAIL_LINES: usize = 15;

/// Consecutive failed `squeue` calls after which the run stops.
const MAX_QUERY_FAILURES: u32 = 10;

/// How long the first ready job of a stage waits for its siblings before
/// they are submitted together as one job array.
pub const ARRAY_WINDOW: Duration = Duration::from_millis(250);

/// What the batch jobs ask Slurm for and run.
#[derive(Clone, Debug)]
pub struct SlurmOptions {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--account`.
    pub account: Option<String>,
    /// `--time` per stage kind; `default` for the others; none: the partition's.
    pub time_limits: BTreeMap<String, String>,
    /// Further `sbatch` arguments, passed as given.
    pub sbatch_options: Vec<String>,
    /// Stage kinds run in the runner's process.
    pub local_stages: Vec<String>,
    /// Interval between looks at waiting jobs.
    pub poll: Duration,
    /// Absolute path of the `nonaffine` binary the jobs run (the one that
    /// planned the run, so an upgrade does not change queued work).
    pub binary: PathBuf,
    /// Its version; a job run by another version refuses to start.
    pub version: String,
}

impl SlurmOptions {
    /// Options from a workflow's `executor:` map (defaults where unset).
    pub fn from_settings(settings: &ExecutorSettings, binary: PathBuf, version: &str) -> Self {
        Self {
            partition: settings.partition.clone(),
            account: settings.account.clone(),
            time_limits: settings.time_limits.clone(),
            sbatch_options: settings.sbatch_options.clone(),
            local_stages: settings
                .local_stages
                .clone()
                .unwrap_or_else(|| DEFAULT_LOCAL_STAGES.iter().map(|s| s.to_string()).collect()),
            poll: Duration::from_secs_f64(settings.poll_s.unwrap_or(DEFAULT_POLL_S)),
            binary,
            version: version.to_string(),
        }
    }

    /// The time limit for jobs of `kind`, if any.
    pub fn time_limit(&self, kind: &str) -> Option<&str> {
        self.time_limits
            .get(kind)
            .or_else(|| self.time_limits.get("default"))
            .map(String::as_str)
    }
}

/// One state change of a batch job as the runner saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    /// Slurm's job state (`PENDING`, `RUNNING`, `COMPLETED`, `TIMEOUT`, ...).
    pub state: String,
    /// When, in s since the Unix epoch.
    pub at_s: f64,
}

/// `job.json`: a job's batch job as recorded in the run folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Slurm job id.
    pub job_id: String,
    /// `stage [branch]`.
    pub label: String,
    /// Cache key the job produces.
    pub key: String,
    /// The `nonaffine` binary the job runs.
    pub binary: PathBuf,
    /// Its version.
    pub nonaffine_version: String,
    /// Every state the runner saw, first to last.
    pub states: Vec<Seen>,
    /// Slurm's `ExitCode` (`code:signal`) once the job ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<String>,
}

impl JobRecord {
    /// The last state seen.
    pub fn state(&self) -> &str {
        self.states.last().map_or("", |s| s.state.as_str())
    }
}

/// `status.json`, written by the job itself (`nonaffine run-job --status`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobStatus {
    /// `running`, `done` or `failed`.
    pub state: String,
    /// Host the job ran on.
    pub host: String,
    /// The job's error when failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Whether Slurm may still run (or is running) a job in this state.
fn is_active(state: &str) -> bool {
    matches!(
        state,
        "PENDING"
            | "CONFIGURING"
            | "RUNNING"
            | "COMPLETING"
            | "SUSPENDED"
            | "REQUEUED"
            | "REQUEUE_FED"
            | "REQUEUE_HOLD"
            | "RESIZING"
            | "SIGNALING"
            | "STAGE_OUT"
            | "STOPPED"
            | "RESV_DEL_HOLD"
    )
}

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The last `n` lines of a text file, or why it cannot be read.
fn tail(path: &Path, n: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        }
        Err(e) => format!("({}: {e})", path.display()),
    }
}

/// Minutes of a Slurm time limit (`minutes`, `minutes:seconds`,
/// `hours:minutes:seconds`, `days-hours[:minutes[:seconds]]`), or None when
/// it is not one (e.g. `UNLIMITED`).
fn slurm_minutes(limit: &str) -> Option<f64> {
    let (days, rest) = match limit.split_once('-') {
        Some((d, r)) => (d.parse::<f64>().ok()?, r),
        None => (0.0, limit),
    };
    let parts: Vec<f64> = rest
        .split(':')
        .map(|p| p.parse::<f64>().ok())
        .collect::<Option<_>>()?;
    let minutes = match (limit.contains('-'), parts.as_slice()) {
        (false, [m]) => *m,
        (false, [m, s]) => m + s / 60.0,
        (_, [h, m, s]) => 60.0 * h + m + s / 60.0,
        (true, [h]) => 60.0 * h,
        (true, [h, m]) => 60.0 * h + m,
        _ => return None,
    };
    Some(days * 1440.0 + minutes)
}

/// Seconds before the time limit at which a batch job is warned (SIGUSR1)
/// to write a checkpoint and requeue itself: a tenth of the limit, between 1
/// and 10 minutes; 5 minutes when the limit is the partition's (unknown
/// here). Slurm may send it up to a minute early.
fn warning_s(limit_minutes: Option<f64>) -> u32 {
    match limit_minutes {
        Some(m) => (m * 6.0).clamp(60.0, 600.0) as u32,
        None => 300,
    }
}

/// `'text'` for a POSIX shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Runs a Slurm command; stdout, or an error naming the command and its stderr.
fn slurm_command(program: &str, args: &[String]) -> Result<String, String> {
    let out = Command::new(program).args(args).output().map_err(|e| {
        format!("cannot run `{program}`: {e} (is Slurm's client installed and on PATH?)")
    })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`{program} {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// `Key=Value` fields of one `scontrol show job -o` line.
fn scontrol_fields(line: &str) -> HashMap<String, String> {
    line.split_whitespace()
        .filter_map(|f| f.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The file system type of the mount holding `path` (from /proc/mounts).
fn filesystem_type(path: &Path) -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    let path = path.canonicalize().ok()?;
    mounts
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 3).then(|| (f[1].replace("\\040", " "), f[2].to_string()))
        })
        .filter(|(mount, _)| path.starts_with(mount))
        .max_by_key(|(mount, _)| mount.len())
        .map(|(_, kind)| kind)
}

/// File systems that other machines can mount.
fn is_shared_fs(kind: &str) -> bool {
    matches!(
        kind,
        "nfs"
            | "nfs4"
            | "lustre"
            | "gpfs"
            | "beegfs"
            | "cephfs"
            | "ceph"
            | "cifs"
            | "smb3"
            | "panfs"
            | "wekafs"
            | "fuse.glusterfs"
            | "glusterfs"
            | "fuse.sshfs"
            | "afs"
            | "9p"
    ) || kind.starts_with("fuse.")
}

/// Latest `squeue` answer, shared by every waiting job.
#[derive(Default)]
struct Queue {
    at: Option<Instant>,
    states: HashMap<String, String>,
    failures: u32,
}

/// The Slurm executor (see the crate docs).
pub struct Slurm {
    options: SlurmOptions,
    /// Job id → label of the jobs submitted or adopted and not seen to end.
    active: Mutex<BTreeMap<String, String>>,
    queue: Mutex<Queue>,
    /// Jobs being gathered into an array, by stage and task count.
    gathering: Mutex<HashMap<String, Arc<Gathering>>>,
    /// Arrays written so far (names their scripts).
    arrays: AtomicUsize,
}

/// A job's batch script and what it is submitted with.
struct Batch {
    label: String,
    /// The job's folder under `<out>/slurm`.
    dir: PathBuf,
    script: PathBuf,
    /// sbatch options shared by the jobs of its stage (not where the
    /// output goes, nor the job's name).
    options: Vec<String>,
}

/// Jobs submitted together, and what sbatch answered (the job or array id).
#[derive(Default)]
struct Gathering {
    state: Mutex<Members>,
    submitted: Condvar,
}

/// The jobs of a [`Gathering`] and, once submitted, sbatch's answer.
#[derive(Default)]
struct Members {
    batches: Vec<Batch>,
    answer: Option<Result<String, String>>,
}

impl Slurm {
    /// An executor with these options.
    pub fn new(options: SlurmOptions) -> Self {
        Self {
            options,
            active: Mutex::new(BTreeMap::new()),
            queue: Mutex::new(Queue::default()),
            gathering: Mutex::new(HashMap::new()),
            arrays: AtomicUsize::new(0),
        }
    }

    /// The options in use.
    pub fn options(&self) -> &SlurmOptions {
        &self.options
    }

    /// `scancel`s every job submitted or adopted by this runner that it has
    /// not seen end; returns (job id, label) of each. Errors are logged.
    pub fn cancel_all(&self) -> Vec<(String, String)> {
        let jobs: Vec<(String, String)> = match self.active.lock() {
            Ok(mut a) => std::mem::take(&mut *a).into_iter().collect(),
            Err(_) => Vec::new(),
        };
        if !jobs.is_empty() {
            let ids: Vec<String> = jobs.iter().map(|(id, _)| id.clone()).collect();
            if let Err(e) = slurm_command("scancel", &ids) {
                tracing::error!("{e}");
            }
        }
        jobs
    }

    fn set_active(&self, id: &str, label: Option<&str>) {
        if let Ok(mut a) = self.active.lock() {
            match label {
                Some(l) => {
                    a.insert(id.to_string(), l.to_string());
                }
                None => {
                    a.remove(id);
                }
            }
        }
    }

    /// Slurm's state of job `id` from `squeue` (refreshed when older than
    /// the poll interval, or `fresh`); None when squeue no longer lists it.
    fn queue_state(&self, id: &str, fresh: bool) -> Result<Option<String>, String> {
        let Ok(mut q) = self.queue.lock() else {
            return Err("squeue cache poisoned".into());
        };
        let stale = q.at.is_none_or_elapsed(self.options.poll.mul_f64(0.9)) || fresh;
        if stale {
            // -r: one line per array task (`A_i`), pending ones too.
            let args: Vec<String> = ["-h", "-r", "--me", "-t", "all", "-o", "%i|%T"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            match slurm_command("squeue", &args) {
                Ok(text) => {
                    q.states = text
                        .lines()
                        .filter_map(|l| l.split_once('|'))
                        .map(|(i, s)| (i.trim().to_string(), s.trim().to_string()))
                        .collect();
                    q.at = Some(Instant::now());
                    q.failures = 0;
                }
                Err(e) => {
                    q.failures += 1;
                    if q.failures >= MAX_QUERY_FAILURES {
                        return Err(e);
                    }
                    tracing::warn!("{e} (retrying)");
                }
            }
        }
        Ok(q.states.get(id).cloned())
    }

    /// `JobState`, `ExitCode` and `Reason` from `scontrol show job`, or None
    /// when Slurm forgot the job (ended more than MinJobAge ago).
    fn final_state(&self, id: &str) -> Option<HashMap<String, String>> {
        let args = vec!["show".to_string(), "job".into(), "-o".into(), id.into()];
        let text = slurm_command("scontrol", &args).ok()?;
        let fields = scontrol_fields(text.lines().next()?);
        fields.contains_key("JobState").then_some(fields)
    }

    /// Writes `job.sh` for `job` in its folder `dir` and the sbatch options
    /// of its stage.
    fn prepare(&self, job: &ExternalJob<'_>, dir: &Path, ranks: u64) -> Result<Batch, RunError> {
        for stale in ["status.json", "stdout", "stderr"] {
            let _ = std::fs::remove_file(dir.join(stale));
        }
        let time_limit = self.options.time_limit(job.kind);
        // Warned before its time limit, a job that checkpoints (a quench)
        // writes a restart file and requeues itself (`--requeue`), its
        // output appended to that of its earlier runs.
        let mut options: Vec<String> = vec![
            format!("--chdir={}", job.out_dir.display()),
            format!("--ntasks={ranks}"),
            "--requeue".into(),
            "--open-mode=append".into(),
            format!(
                "--signal=B:USR1@{}",
                warning_s(time_limit.and_then(slurm_minutes))
            ),
        ];
        if let Some(t) = time_limit {
            options.push(format!("--time={t}"));
        }
        if let Some(p) = &self.options.partition {
            options.push(format!("--partition={p}"));
        }
        if let Some(a) = &self.options.account {
            options.push(format!("--account={a}"));
        }
        options.extend(self.options.sbatch_options.iter().cloned());
        let script = format!(
            "#!/bin/sh\n# `{label}` of the nonaffine run in {out}\n# (written by nonaffine {version}; runs exactly this job of the plan)\n# sbatch {sbatch}\nexec {bin} run-job {wf} --out {out_q} --job {index} --key {key} --version {version_q} --work {work} --status {status} --checkpoint {checkpoint}\n",
            label = job.label,
            out = job.out_dir.display(),
            version = self.options.version,
            sbatch = options.join(" "),
            bin = quote(&self.options.binary.to_string_lossy()),
            wf = quote(&job.workflow_file.to_string_lossy()),
            out_q = quote(&job.out_dir.to_string_lossy()),
            index = job.index,
            key = job.key,
            version_q = quote(&self.options.version),
            work = quote(&dir.join("work").to_string_lossy()),
            status = quote(&dir.join("status.json").to_string_lossy()),
            checkpoint = quote(&dir.join("checkpoint").to_string_lossy()),
        );
        let script_path = dir.join("job.sh");
        std::fs::write(&script_path, script).map_err(|e| RunError::Io {
            path: script_path.clone(),
            error: e,
        })?;
        Ok(Batch {
            label: job.label.to_string(),
            dir: dir.to_path_buf(),
            script: script_path,
            options,
        })
    }

    /// Submits `job`, together with the jobs of its stage that are ready
    /// within [`ARRAY_WINDOW`] of the first (one array), and returns its
    /// record: job id `A` alone, `A_i` as task i of array A.
    fn submit(&self, job: &ExternalJob<'_>, dir: &Path) -> Result<JobRecord, RunError> {
        let err = |message: String| RunError::Executor {
            job: job.label.to_string(),
            message,
        };
        let ranks = job.params.count_or("mpi_ranks", 1).unwrap_or(1).max(1);
        let batch = self.prepare(job, dir, ranks)?;
        let group = format!("{}|{ranks}", job.stage);
        let poisoned = || err("the executor's job list is poisoned".into());
        let (gathering, task, first) = {
            let mut open = self.gathering.lock().map_err(|_| poisoned())?;
            match open.get(&group) {
                Some(g) => {
                    let mut state = g.state.lock().map_err(|_| poisoned())?;
                    state.batches.push(batch);
                    (g.clone(), state.batches.len() - 1, false)
                }
                None => {
                    let g = Arc::new(Gathering::default());
                    g.state.lock().map_err(|_| poisoned())?.batches.push(batch);
                    open.insert(group.clone(), g.clone());
                    (g, 0, true)
                }
            }
        };
        if first {
            std::thread::sleep(ARRAY_WINDOW);
            // Closed: a job of the stage ready from now on starts a new one.
            self.gathering
                .lock()
                .map_err(|_| poisoned())?
                .remove(&group);
            let mut state = gathering.state.lock().map_err(|_| poisoned())?;
            let answer = self.sbatch(job.stage, &state.batches);
            state.answer = Some(answer);
            gathering.submitted.notify_all();
        }
        let mut state = gathering.state.lock().map_err(|_| poisoned())?;
        while state.answer.is_none() {
            state = gathering.submitted.wait(state).map_err(|_| poisoned())?;
        }
        let id = match &state.answer {
            Some(Ok(id)) if state.batches.len() == 1 => id.clone(),
            Some(Ok(array)) => format!("{array}_{task}"),
            Some(Err(e)) => return Err(err(e.clone())),
            None => return Err(poisoned()),
        };
        if state.batches.len() == 1 {
            tracing::info!("{}: submitted as Slurm job {id}", job.label);
        } else {
            tracing::info!(
                "{}: submitted as Slurm job {id} (task {task} of an array of {})",
                job.label,
                state.batches.len()
            );
        }
        Ok(JobRecord {
            job_id: id,
            label: job.label.to_string(),
            key: job.key.to_string(),
            binary: self.options.binary.clone(),
            nonaffine_version: self.options.version.clone(),
            states: vec![Seen {
                state: "SUBMITTED".into(),
                at_s: now_s(),
            }],
            exit_code: None,
        })
    }

    /// `sbatch` for the jobs `batches` of stage `stage`: the one job's
    /// script, or an array whose task i runs job i's. The job or array id.
    fn sbatch(&self, stage: &str, batches: &[Batch]) -> Result<String, String> {
        let [first, ..] = batches else {
            return Err("nothing to submit".into());
        };
        let mut args = vec!["--parsable".to_string()];
        if let [one] = batches {
            args.extend([
                format!("--job-name=nonaffine:{}", one.label.replace(' ', "")),
                format!("--output={}", one.dir.join("stdout").display()),
                format!("--error={}", one.dir.join("stderr").display()),
            ]);
            args.extend(one.options.iter().cloned());
            args.push(one.script.to_string_lossy().into_owned());
        } else {
            let stage_dir = first.dir.parent().unwrap_or(&first.dir);
            let n = self.arrays.fetch_add(1, Ordering::Relaxed);
            let name = format!("array-{}-{n}", std::process::id());
            let mut script = format!(
                "#!/bin/sh\n# {} jobs of stage `{stage}`, one per array task: each runs its job.sh, output in its folder\ncase \"$SLURM_ARRAY_TASK_ID\" in\n",
                batches.len()
            );
            for (i, b) in batches.iter().enumerate() {
                script.push_str(&format!(
                    "{i}) exec sh {} >>{} 2>>{} ;;  # {}\n",
                    quote(&b.script.to_string_lossy()),
                    quote(&b.dir.join("stdout").to_string_lossy()),
                    quote(&b.dir.join("stderr").to_string_lossy()),
                    b.label
                ));
            }
            script.push_str(
                "*) echo \"no job for array task $SLURM_ARRAY_TASK_ID\" >&2; exit 1 ;;\nesac\n",
            );
            let path = stage_dir.join(format!("{name}.sh"));
            std::fs::write(&path, script).map_err(|e| format!("{}: {e}", path.display()))?;
            args.extend([
                format!("--array=0-{}", batches.len() - 1),
                format!("--job-name=nonaffine:{stage}"),
                // Slurm's own messages; each job's output goes to its folder.
                format!(
                    "--output={}",
                    stage_dir.join(format!("{name}-%a.out")).display()
                ),
            ]);
            args.extend(first.options.iter().cloned());
            args.push(path.to_string_lossy().into_owned());
        }
        let text = slurm_command("sbatch", &args)?;
        let id = text
            .trim()
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("sbatch answered `{}`, not a job id", text.trim()));
        }
        Ok(id)
    }

    /// The error of a job that ended without its output.
    fn failure(
        &self,
        job: &ExternalJob<'_>,
        dir: &Path,
        record: &JobRecord,
        fields: Option<&HashMap<String, String>>,
    ) -> RunError {
        let state = record.state();
        let mut message = format!("Slurm job {} ended {state}", record.job_id);
        if let Some(code) = &record.exit_code {
            message.push_str(&format!(", exit code {code}"));
        }
        if let Some(reason) = fields
            .and_then(|f| f.get("Reason"))
            .filter(|r| *r != "None")
        {
            message.push_str(&format!(", reason {reason}"));
        }
        match state {
            "TIMEOUT" => message.push_str(&format!(
                ": killed at its time limit ({}); give `{}` jobs more time with `--time-limit {}=...` or `executor: {{ time_limit: {{ {}: ... }} }}`",
                fields
                    .and_then(|f| f.get("TimeLimit"))
                    .map_or("the partition's", String::as_str),
                job.kind,
                job.kind,
                job.kind
            )),
            "CANCELLED" => message.push_str(": cancelled (scancel, or by an administrator)"),
            "OUT_OF_MEMORY" => message.push_str(": out of memory; ask for more with `--sbatch-option=--mem=...`"),
            "NODE_FAIL" => message.push_str(": its node failed; run again to resubmit it"),
            _ => {}
        }
        if fields.is_none() {
            message.push_str(" (Slurm no longer knows the job)");
        }
        let status: Option<JobStatus> = std::fs::read_to_string(dir.join("status.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        match &status {
            Some(JobStatus {
                error: Some(e),
                host,
                ..
            }) => {
                message.push_str(&format!("\nits error (on {host}): {e}"));
            }
            Some(_) => {}
            None if !dir.join("stdout").exists() && !dir.join("stderr").exists() => {
                message.push_str(&format!(
                    "\nthe job wrote nothing into {}: is the run folder on a file system its node sees?",
                    dir.display()
                ));
            }
            None => {}
        }
        message.push_str(&format!(
            "\nlast lines of {}:\n{}",
            dir.join("stderr").display(),
            tail(&dir.join("stderr"), STDERR_TAIL_LINES)
        ));
        RunError::Executor {
            job: job.label.to_string(),
            message,
        }
    }
}

/// `Option<Instant>` older than a duration (or unset).
trait Elapsed {
    fn is_none_or_elapsed(&self, d: Duration) -> bool;
}

impl Elapsed for Option<Instant> {
    fn is_none_or_elapsed(&self, d: Duration) -> bool {
        self.is_none_or(|t| t.elapsed() >= d)
    }
}

/// The job's folder under `<out>/slurm/`.
pub fn job_dir(out_dir: &Path, stage: &str, dir_name: &str) -> PathBuf {
    out_dir.join("slurm").join(stage).join(dir_name)
}

/// Reads `job.json`, if there is one.
pub fn read_job_record(dir: &Path) -> Option<JobRecord> {
    let text = std::fs::read_to_string(dir.join("job.json")).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_job_record(dir: &Path, record: &JobRecord) -> Result<(), RunError> {
    let path = dir.join("job.json");
    let tmp = dir.join(".job.json.tmp");
    let text = serde_json::to_string_pretty(record).map_err(|e| RunError::Corrupt {
        path: path.clone(),
        message: e.to_string(),
    })?;
    std::fs::write(&tmp, text).map_err(|e| RunError::Io {
        path: tmp.clone(),
        error: e,
    })?;
    std::fs::rename(&tmp, &path).map_err(|e| RunError::Io { path, error: e })
}

/// Whether the job's output folder holds a `stage.json` with `key`.
fn output_in_place(output: &Path, key: &str) -> bool {
    #[derive(Deserialize)]
    struct Key {
        key: String,
    }
    std::fs::read_to_string(output.join("stage.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Key>(&t).ok())
        .is_some_and(|k| k.key == key)
}

impl Executor for Slurm {
    fn takes(&self, kind: &str) -> bool {
        !self.options.local_stages.iter().any(|k| k == kind)
    }

    fn check(&self, out_dir: &Path) -> Result<(), RunError> {
        let err = |message: String| RunError::Executor {
            job: "slurm".into(),
            message,
        };
        let nodes = slurm_command(
            "sinfo",
            &["-h".into(), "-N".into(), "-o".into(), "%N".into()],
        )
        .map_err(|e| {
            err(format!(
                "{e}; is this a Slurm login node with SLURM_CONF set?"
            ))
        })?;
        let mut nodes: Vec<String> = nodes.lines().map(|l| l.trim().to_string()).collect();
        nodes.sort();
        nodes.dedup();
        let host = slurm_command("hostname", &["-s".into()]).unwrap_or_default();
        let host = host.trim();
        let others: Vec<&String> = nodes.iter().filter(|n| n.as_str() != host).collect();
        match filesystem_type(out_dir) {
            Some(kind) if is_shared_fs(&kind) => tracing::info!(
                "run folder {} is on {kind}, a network file system: the nodes must mount it at the same path",
                out_dir.display()
            ),
            Some(kind) if others.is_empty() => tracing::info!(
                "run folder {} is on a local {kind} file system; fine here, the only Slurm node is this host ({host})",
                out_dir.display()
            ),
            Some(kind) => tracing::warn!(
                "run folder {} is on a local {kind} file system of {host}; Slurm nodes {} cannot see it unless it is exported to them at the same path: put --out (and --store) on the cluster's shared file system",
                out_dir.display(),
                others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
            None => tracing::warn!(
                "cannot tell the file system of {}: make sure every Slurm node sees it at the same path",
                out_dir.display()
            ),
        }
        Ok(())
    }

    fn run(&self, job: &ExternalJob<'_>, progress: &dyn Progress) -> Result<(), RunError> {
        let dir = job_dir(job.out_dir, job.stage, job.dir_name);
        std::fs::create_dir_all(&dir).map_err(|e| RunError::Io {
            path: dir.clone(),
            error: e,
        })?;
        let previous = read_job_record(&dir).filter(|r| r.key == job.key);
        let adopted = match previous {
            Some(r) => match self.queue_state(&r.job_id, true) {
                Ok(Some(state)) if is_active(&state) => {
                    tracing::info!(
                        "{}: already submitted as Slurm job {} ({state}): waiting for it, not resubmitted",
                        job.label,
                        r.job_id
                    );
                    Some(r)
                }
                Ok(state) => {
                    tracing::info!(
                        "{}: Slurm job {} ended {} without its output: submitted again",
                        job.label,
                        r.job_id,
                        state.unwrap_or_else(|| "(no longer known)".into())
                    );
                    None
                }
                Err(e) => {
                    return Err(RunError::Executor {
                        job: job.label.to_string(),
                        message: e,
                    })
                }
            },
            None => None,
        };
        let mut record = match adopted {
            Some(r) => r,
            None => {
                let r = self.submit(job, &dir)?;
                write_job_record(&dir, &r)?;
                r
            }
        };
        self.set_active(&record.job_id, Some(job.label));
        progress.message(&format!("Slurm job {} {}", record.job_id, record.state()));
        loop {
            std::thread::sleep(self.options.poll);
            let done = output_in_place(job.output, job.key);
            let state = match self.queue_state(&record.job_id, false) {
                Ok(s) => s,
                Err(e) => {
                    self.set_active(&record.job_id, None);
                    return Err(RunError::Executor {
                        job: job.label.to_string(),
                        message: format!("lost track of Slurm job {}: {e}", record.job_id),
                    });
                }
            };
            if let Some(s) = &state {
                if s != record.state() {
                    record.states.push(Seen {
                        state: s.clone(),
                        at_s: now_s(),
                    });
                    write_job_record(&dir, &record)?;
                    progress.message(&format!("Slurm job {} {s}", record.job_id));
                }
            }
            let ended = !state.as_deref().is_some_and(is_active);
            if !(done || ended) {
                continue;
            }
            // Ended (or its output is in place): the final word is scontrol's.
            let fields = self.final_state(&record.job_id);
            if let Some(f) = &fields {
                let s = f.get("JobState").cloned().unwrap_or_default();
                if done && is_active(&s) {
                    // Output renamed into place, process still exiting: fine.
                    record.states.push(Seen {
                        state: "OUTPUT_IN_PLACE".into(),
                        at_s: now_s(),
                    });
                } else if s != record.state() {
                    record.states.push(Seen {
                        state: s,
                        at_s: now_s(),
                    });
                }
                record.exit_code = f.get("ExitCode").cloned();
            }
            write_job_record(&dir, &record)?;
            self.set_active(&record.job_id, None);
            if done || output_in_place(job.output, job.key) {
                return Ok(());
            }
            return Err(self.failure(job, &dir, &record, fields.as_ref()));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scontrol_lines_split_into_fields() {
        let f = scontrol_fields(
            "JobId=7 JobName=x JobState=TIMEOUT Reason=TimeLimit ExitCode=0:15 TimeLimit=00:01:00",
        );
        assert_eq!(f["JobState"], "TIMEOUT");
        assert_eq!(f["ExitCode"], "0:15");
        assert_eq!(f["TimeLimit"], "00:01:00");
    }

    #[test]
    fn shell_quoting_survives_quotes_and_spaces() {
        let q = quote("/a b/it's");
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {q}"))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "/a b/it's");
    }

    #[test]
    fn time_limits_fall_back_to_default() {
        let mut s = ExecutorSettings::default();
        s.time_limits.insert("quench".into(), "2-00:00:00".into());
        s.time_limits.insert("default".into(), "30".into());
        let o = SlurmOptions::from_settings(&s, PathBuf::from("/bin/true"), "0");
        assert_eq!(o.time_limit("quench"), Some("2-00:00:00"));
        assert_eq!(o.time_limit("hessian"), Some("30"));
        assert!(!Slurm::new(o.clone()).takes("kernel"));
        assert!(Slurm::new(o).takes("quench"));
    }

    #[test]
    fn slurm_time_limits_read_as_minutes() {
        for (limit, minutes) in [
            ("30", 30.0),
            ("30:30", 30.5),
            ("2:00:00", 120.0),
            ("7-00:00:00", 7.0 * 1440.0),
            ("1-12", 1440.0 + 720.0),
            ("1-0:30", 1470.0),
        ] {
            assert_eq!(slurm_minutes(limit), Some(minutes), "{limit}");
        }
        assert_eq!(slurm_minutes("UNLIMITED"), None);
        assert_eq!(warning_s(Some(7.0 * 1440.0)), 600);
        assert_eq!(warning_s(Some(2.0)), 60);
        assert_eq!(warning_s(None), 300);
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("err");
        std::fs::write(&p, "a\nb\nc\nd\n").unwrap();
        assert_eq!(tail(&p, 2), "c\nd");
        assert!(tail(&dir.path().join("none"), 2).contains("none"));
    }

    #[test]
    fn the_run_folder_file_system_is_found() {
        let dir = tempfile::tempdir().unwrap();
        assert!(filesystem_type(dir.path()).is_some());
        assert!(is_shared_fs("nfs4") && !is_shared_fs("ext4"));
    }
}
