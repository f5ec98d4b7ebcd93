//! Runs a workflow's jobs in order, reusing every output whose key is unchanged.
//!
//! Layout of a run folder:
//! ```text
//! <out>/manifest.json            written at the end of each run
//! <out>/report.md                links every output file
//! <out>/stages/<stage>/<branch>/ one finished job: the stage's files,
//!                                summary.yaml, stage.json (written last)
//! ```
//! A job writes into `<branch>.tmp-<pid>-<n>` and the folder is renamed into
//! place only when the stage returned `Ok` and `stage.json` is written, so a
//! run killed at any moment leaves finished folders intact and `.tmp-`
//! folders that the next run deletes. A job is fresh when its folder's
//! `stage.json` holds the same key.

use crate::cache::{self, FileRecord, InputRecord, KeyParts, StageRecord};
use crate::error::RunError;
use crate::plan::Plan;
use crate::progress::Observer;
use crate::workflow::Workflow;
use crate::{report, yaml};
use nonaffine_core::params::nearest;
use nonaffine_core::{ParamValue, Registry, StageContext, StageInput};
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Version of this runner, recorded in every `stage.json` and the manifest.
pub const NONAFFINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How to run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Run folder.
    pub out_dir: PathBuf,
    /// Stages to rerun even when fresh (their descendants rerun too).
    pub force: Vec<String>,
}

/// Why a job ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// No finished output in the run folder.
    NoPrevious,
    /// The stage or one of its ancestors was named in `force`.
    Forced,
    /// The key changed; what changed, one item per line.
    Changed(Vec<String>),
    /// The previous `stage.json` could not be read.
    Unreadable(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NoPrevious => f.write_str("no previous output"),
            Reason::Forced => f.write_str("forced"),
            Reason::Changed(changes) => write!(f, "key changed: {}", changes.join("; ")),
            Reason::Unreadable(e) => write!(f, "previous stage.json unreadable ({e})"),
        }
    }
}

/// Whether a job ran or came from the cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Taken from the cache.
    Cached,
    /// Run, and why.
    Ran(Reason),
}

/// One job's result.
#[derive(Clone, Debug)]
pub struct StageOutcome {
    /// Stage name.
    pub stage: String,
    /// Branch label, empty when not swept.
    pub branch: String,
    /// Output folder relative to the run folder (`stages/glass/seed=1`).
    pub dir: PathBuf,
    /// Ran or cached.
    pub status: Status,
    /// The record in its `stage.json` (its `seconds` is the time of the run that made it).
    pub record: StageRecord,
}

impl StageOutcome {
    /// `stage` or `stage [branch]`.
    pub fn label(&self) -> String {
        job_label(&self.stage, &self.branch)
    }
}

fn job_label(stage: &str, branch: &str) -> String {
    if branch.is_empty() {
        stage.to_string()
    } else {
        format!("{stage} [{branch}]")
    }
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Workflow name.
    pub workflow: String,
    /// Run folder.
    pub out_dir: PathBuf,
    /// Every job in run order.
    pub outcomes: Vec<StageOutcome>,
    /// Wall time of the whole run in s.
    pub seconds: f64,
}

impl RunReport {
    /// Labels of the jobs that ran.
    pub fn ran(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .filter(|o| o.status != Status::Cached)
            .map(StageOutcome::label)
            .collect()
    }

    /// Labels of the jobs taken from the cache.
    pub fn cached(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .filter(|o| o.status == Status::Cached)
            .map(StageOutcome::label)
            .collect()
    }

    /// One line per job saying why it ran or that it was fresh.
    pub fn explain(&self) -> String {
        self.outcomes
            .iter()
            .map(|o| match &o.status {
                Status::Cached => format!("{}: fresh (key {})\n", o.label(), &o.record.key[..12]),
                Status::Ran(reason) => format!("{}: ran, {reason}\n", o.label()),
            })
            .collect()
    }
}

impl fmt::Display for RunReport {
    /// The end-of-run summary: what ran, what came from the cache, times.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .outcomes
            .iter()
            .map(|o| o.label().chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        writeln!(f, "{:<width$}  {:<6}  {:>9}", "stage", "status", "time (s)")?;
        for o in &self.outcomes {
            let (status, time) = match o.status {
                Status::Cached => ("cached", format!("({:.2})", o.record.seconds)),
                Status::Ran(_) => ("ran", format!("{:.2}", o.record.seconds)),
            };
            writeln!(f, "{:<width$}  {status:<6}  {time:>9}", o.label())?;
        }
        write!(
            f,
            "{} ran, {} from cache, {:.2} s in all; outputs in {}",
            self.ran().len(),
            self.cached().len(),
            self.seconds,
            self.out_dir.display()
        )
    }
}

/// Removes the lock file when the run ends, however it ends.
struct Lock(PathBuf);

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn lock(out: &Path) -> Result<Lock, RunError> {
    let path = out.join(".lock");
    if let Ok(text) = std::fs::read_to_string(&path) {
        if let Ok(pid) = text.trim().parse::<u32>() {
            let alive = Path::new("/proc").join(pid.to_string()).exists();
            if alive && pid != std::process::id() {
                return Err(RunError::Locked { path, pid });
            }
        }
    }
    std::fs::write(&path, std::process::id().to_string()).map_err(|e| RunError::io(&path, e))?;
    Ok(Lock(path))
}

/// Deletes `.tmp-` folders left by interrupted runs.
fn remove_leftovers(stages_dir: &Path) -> Result<(), RunError> {
    let Ok(stages) = std::fs::read_dir(stages_dir) else {
        return Ok(());
    };
    for stage in stages.flatten() {
        let Ok(entries) = std::fs::read_dir(stage.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().contains(".tmp-") {
                let p = entry.path();
                tracing::info!("removing leftover of an interrupted run: {}", p.display());
                std::fs::remove_dir_all(&p).map_err(|e| RunError::io(&p, e))?;
            }
        }
    }
    Ok(())
}

/// Reads a finished job's record, if there is one.
pub(crate) fn read_record(dir: &Path) -> Option<Result<StageRecord, String>> {
    let text = std::fs::read_to_string(dir.join("stage.json")).ok()?;
    Some(serde_json::from_str(&text).map_err(|e| e.to_string()))
}

fn texts_in(v: &ParamValue, out: &mut Vec<String>) {
    match v {
        ParamValue::Text(t) => out.push(t.clone()),
        ParamValue::List(items) => items.iter().for_each(|i| texts_in(i, out)),
        ParamValue::Map(m) => m.values().for_each(|i| texts_in(i, out)),
        _ => {}
    }
}

/// Runs `workflow` into `options.out_dir`, reporting to `observer`.
pub fn run(
    workflow: &Workflow,
    registry: &Registry,
    options: &RunOptions,
    observer: &dyn Observer,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let out = &options.out_dir;
    let stages_dir = out.join("stages");
    std::fs::create_dir_all(&stages_dir).map_err(|e| RunError::io(&stages_dir, e))?;
    let _lock = lock(out)?;
    remove_leftovers(&stages_dir)?;

    let names = workflow.stage_names();
    let mut forced_roots = Vec::new();
    for f in &options.force {
        match workflow.index_of(f) {
            Some(i) => forced_roots.push(i),
            None => {
                return Err(RunError::UnknownForce {
                    name: f.clone(),
                    suggestion: nearest(f, &names).map(str::to_string),
                    known: names.iter().map(|s| s.to_string()).collect(),
                })
            }
        }
    }
    let forced = Plan::descendants(workflow, &forced_roots);
    let plan = Plan::new(workflow);
    observer.planned(plan.jobs.len());
    tracing::info!(
        "workflow `{}`: {} jobs into {}",
        workflow.name,
        plan.jobs.len(),
        out.display()
    );

    let mut outcomes: Vec<StageOutcome> = Vec::new();
    let mut tmp_count = 0usize;
    for job in &plan.jobs {
        let decl = &workflow.stages[job.stage];
        let stage = registry.stage(&decl.kind).map_err(|e| RunError::Stage {
            stage: decl.name.clone(),
            branch: job.branch.clone(),
            source: Box::new(e.into()),
        })?;
        let info = stage.info();
        let mut params = decl.params.clone();
        for (k, v) in &job.sweep {
            params.set(k, v.clone());
        }
        let inputs_rec: Vec<Vec<InputRecord>> = job
            .inputs
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|&j| InputRecord {
                        stage: outcomes[j].stage.clone(),
                        branch: outcomes[j].branch.clone(),
                        key: outcomes[j].record.key.clone(),
                    })
                    .collect()
            })
            .collect();
        let parts = KeyParts {
            kind: decl.kind.clone(),
            version: info.version.to_string(),
            params: cache::canonical_params(&params, &decl.files),
            plugins: cache::plugin_versions(&params, registry),
            sweep: Value::Object(
                job.sweep
                    .iter()
                    .map(|(k, v)| (k.clone(), cache::canonical_param(v, &decl.files)))
                    .collect(),
            ),
            inputs: inputs_rec,
        };
        let key = parts.key();
        let rel_dir = Path::new("stages").join(&decl.name).join(&job.dir_name);
        let dir = out.join(&rel_dir);
        let label = job_label(&decl.name, &job.branch);

        let reason = match read_record(&dir) {
            None => Reason::NoPrevious,
            Some(Err(e)) => Reason::Unreadable(e),
            Some(Ok(_)) if forced.contains(&job.stage) => Reason::Forced,
            Some(Ok(old)) if old.key == key => {
                tracing::info!("{label}: fresh, from cache");
                let outcome = StageOutcome {
                    stage: decl.name.clone(),
                    branch: job.branch.clone(),
                    dir: rel_dir,
                    status: Status::Cached,
                    record: old,
                };
                observer.finished(&outcome);
                outcomes.push(outcome);
                continue;
            }
            Some(Ok(old)) => Reason::Changed(parts.changes_from(&old.parts)),
        };
        tracing::info!("{label}: running ({reason})");

        let tmp = dir.with_file_name(format!(
            "{}.tmp-{}-{tmp_count}",
            job.dir_name,
            std::process::id()
        ));
        tmp_count += 1;
        std::fs::create_dir_all(&tmp).map_err(|e| RunError::io(&tmp, e))?;
        let stage_inputs: Vec<StageInput> = job
            .inputs
            .iter()
            .flatten()
            .map(|&j| StageInput {
                stage: outcomes[j].stage.clone(),
                kind: workflow.stages[plan.jobs[j].stage].kind.clone(),
                branch: outcomes[j].branch.clone(),
                dir: out.join(&outcomes[j].dir),
            })
            .collect();
        let t0 = Instant::now();
        let result = {
            let progress = observer.started(&label);
            let ctx = StageContext {
                params: &params,
                inputs: &stage_inputs,
                out_dir: &tmp,
                registry,
                progress: progress.as_ref(),
            };
            stage.run(&ctx)
        };
        let summary = match result {
            Ok(s) => s,
            Err(source) => {
                let _ = std::fs::remove_dir_all(&tmp);
                tracing::error!("{label}: failed: {source}");
                return Err(RunError::Stage {
                    stage: decl.name.clone(),
                    branch: job.branch.clone(),
                    source: Box::new(source),
                });
            }
        };
        let seconds = t0.elapsed().as_secs_f64();

        let mut mentioned = Vec::new();
        texts_in(&ParamValue::Map(params.values().clone()), &mut mentioned);
        let record = StageRecord {
            key,
            stage: decl.name.clone(),
            branch: job.branch.clone(),
            parts,
            files: decl
                .files
                .iter()
                .filter(|f| {
                    mentioned
                        .iter()
                        .any(|t| f.resolved.as_os_str() == t.as_str())
                })
                .map(|f| FileRecord {
                    param: f.param.clone(),
                    path: f.written.clone(),
                    sha256: f.sha256.clone(),
                })
                .collect(),
            seconds,
            nonaffine_version: NONAFFINE_VERSION.to_string(),
        };
        let summary_text = yaml::to_string(&summary).map_err(|e| RunError::Corrupt {
            path: tmp.join("summary.yaml"),
            message: format!("cannot write the summary: {e}"),
        })?;
        write(&tmp.join("summary.yaml"), summary_text.as_bytes())?;
        let record_text = serde_json::to_string_pretty(&record).map_err(|e| RunError::Corrupt {
            path: tmp.join("stage.json"),
            message: e.to_string(),
        })?;
        write(&tmp.join("stage.json"), record_text.as_bytes())?;
        replace_dir(&tmp, &dir, &mut tmp_count)?;
        tracing::info!("{label}: done in {seconds:.2} s");

        let outcome = StageOutcome {
            stage: decl.name.clone(),
            branch: job.branch.clone(),
            dir: rel_dir,
            status: Status::Ran(reason),
            record,
        };
        observer.finished(&outcome);
        outcomes.push(outcome);
    }

    let report = RunReport {
        workflow: workflow.name.clone(),
        out_dir: out.clone(),
        outcomes,
        seconds: started.elapsed().as_secs_f64(),
    };
    report::write_manifest(workflow, &report)?;
    report::write_markdown(workflow, &report)?;
    Ok(report)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    std::fs::write(path, bytes).map_err(|e| RunError::io(path, e))
}

/// Moves a finished `tmp` folder to `dir`, replacing an older output. The old
/// folder is first renamed to a `.tmp-` name, so that if the process dies in
/// between, the next run sees no output (and reruns) rather than a mix.
fn replace_dir(tmp: &Path, dir: &Path, count: &mut usize) -> Result<(), RunError> {
    if dir.exists() {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let old = dir.with_file_name(format!("{name}.tmp-{}-{count}-old", std::process::id()));
        *count += 1;
        std::fs::rename(dir, &old).map_err(|e| RunError::io(dir, e))?;
        std::fs::rename(tmp, dir).map_err(|e| RunError::io(tmp, e))?;
        std::fs::remove_dir_all(&old).map_err(|e| RunError::io(&old, e))?;
    } else {
        std::fs::rename(tmp, dir).map_err(|e| RunError::io(tmp, e))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).map_err(|e| RunError::io(path, e))
}
