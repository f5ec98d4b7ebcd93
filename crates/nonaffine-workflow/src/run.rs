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

use crate::cache::{self, verify_outputs, FileRecord, InputRecord, KeyParts, StageRecord, Verify};
use crate::error::RunError;
use crate::executor::{absolute, Executor, ExternalJob, InProcess};
use crate::plan::{Job, Plan};
use crate::progress::Observer;
use crate::store::Store;
use crate::workflow::Workflow;
use crate::{report, yaml};
use nonaffine_core::params::nearest;
use nonaffine_core::{ParamValue, Params, Registry, Stage, StageContext, StageInput};
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
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
    /// How many jobs may run at once (independent branches); 0 or 1: one at a time.
    pub jobs: usize,
    /// Content-addressed store shared between run folders and workflows
    /// (`<store>/<key>/`); `None`: outputs are reused only within `out_dir`.
    pub store: Option<PathBuf>,
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
    /// The previous output's files differ from the sizes and SHA-256 its
    /// `stage.json` recorded; one line per damaged file.
    Damaged(Vec<String>),
    /// The previous `stage.json` predates output hashes, so its files cannot
    /// be verified: recomputed rather than trusted.
    Unverifiable,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NoPrevious => f.write_str("no previous output"),
            Reason::Forced => f.write_str("forced"),
            Reason::Changed(changes) => write!(f, "key changed: {}", changes.join("; ")),
            Reason::Unreadable(e) => write!(f, "previous stage.json unreadable ({e})"),
            Reason::Damaged(files) => write!(
                f,
                "previous output damaged, recomputed: {}",
                files.join("; ")
            ),
            Reason::Unverifiable => f.write_str(
                "previous stage.json has no output hashes (older nonaffine), so its files cannot be verified: recomputed",
            ),
        }
    }
}

/// Whether a job ran or came from the cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Taken from the cache.
    Cached,
    /// Not in the run folder, but linked from the shared store (made by
    /// another run or workflow with the same key).
    Stored,
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
            .filter(|o| matches!(o.status, Status::Ran(_)))
            .map(StageOutcome::label)
            .collect()
    }

    /// Labels of the jobs taken from the cache.
    pub fn cached(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .filter(|o| !matches!(o.status, Status::Ran(_)))
            .map(StageOutcome::label)
            .collect()
    }

    /// One line per job saying why it ran or that it was fresh.
    pub fn explain(&self) -> String {
        self.outcomes
            .iter()
            .map(|o| match &o.status {
                Status::Cached => format!("{}: fresh (key {})\n", o.label(), &o.record.key[..12]),
                Status::Stored => format!(
                    "{}: from the store (key {})\n",
                    o.label(),
                    &o.record.key[..12]
                ),
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
                Status::Stored => ("stored", format!("({:.2})", o.record.seconds)),
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

/// Deletes `.tmp-` folders (and half-written manifest or report files) left
/// by interrupted runs.
fn remove_leftovers(out: &Path, stages_dir: &Path) -> Result<(), RunError> {
    for entry in std::fs::read_dir(out)
        .map_err(|e| RunError::io(out, e))?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.contains(".tmp-") && entry.path().is_file() {
            let p = entry.path();
            std::fs::remove_file(&p).map_err(|e| RunError::io(&p, e))?;
        }
    }
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

/// One job prepared for running: what the stage gets and what its key is made of.
struct Prepared<'w> {
    name: String,
    branch: String,
    label: String,
    stage: &'w dyn Stage,
    params: Params,
    parts: KeyParts,
    key: String,
    rel_dir: PathBuf,
    decision: Decision,
}

enum Decision {
    Fresh(Box<StageRecord>),
    /// In the shared store under the same key: the entry's record.
    Stored(Box<StageRecord>),
    Run(Reason),
}

/// Shared state of the workers running jobs.
struct Board {
    /// Finished record per job (cached ones from the start).
    records: Vec<Option<StageRecord>>,
    /// Jobs taken by a worker.
    taken: Vec<bool>,
    /// First error; once set, no new job starts.
    error: Option<RunError>,
}

/// Runs `workflow` into `options.out_dir`, reporting to `observer`, every
/// job in this process.
///
/// Keys are computed for every job first (a key depends on upstream keys,
/// not outputs); jobs whose folder holds the same key are reused, the others
/// run as soon as their inputs are finished, up to `options.jobs` at a time.
pub fn run(
    workflow: &Workflow,
    registry: &Registry,
    options: &RunOptions,
    observer: &dyn Observer,
) -> Result<RunReport, RunError> {
    run_with(workflow, registry, options, observer, &InProcess)
}

/// [`run()`], with the jobs of the stage kinds `executor` takes handed to it
/// as soon as their inputs are finished (all at once: each waits in a thread
/// of its own); the other jobs run here, up to `options.jobs` at a time.
pub fn run_with(
    workflow: &Workflow,
    registry: &Registry,
    options: &RunOptions,
    observer: &dyn Observer,
    executor: &dyn Executor,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let out = &options.out_dir;
    let stages_dir = out.join("stages");
    std::fs::create_dir_all(&stages_dir).map_err(|e| RunError::io(&stages_dir, e))?;
    let _lock = crate::lock::acquire(out)?;
    remove_leftovers(out, &stages_dir)?;

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
    let mut folders = std::collections::HashMap::with_capacity(plan.jobs.len());
    for a in &plan.jobs {
        if let Some(b) = folders.insert((a.stage, a.dir_name.as_str()), a) {
            return Err(RunError::SharedFolder {
                stage: workflow.stages[a.stage].name.clone(),
                first: b.branch.clone(),
                second: a.branch.clone(),
                folder: a.dir_name.clone(),
            });
        }
    }
    observer.planned(plan.jobs.len());
    for w in &workflow.warnings {
        tracing::warn!("{w}");
    }
    tracing::info!(
        "workflow `{}`: {} jobs into {}",
        workflow.name,
        plan.jobs.len(),
        out.display()
    );

    let store = options.store.as_ref().map(Store::new);
    if let Some(store) = &store {
        store.remove_leftovers();
    }
    let counter = AtomicUsize::new(0);
    let mut prepared: Vec<Prepared<'_>> = Vec::new();
    for job in &plan.jobs {
        let p = prepare(
            workflow,
            registry,
            job,
            &prepared,
            &forced,
            out,
            store.as_ref(),
        )?;
        prepared.push(p);
    }

    let mut records = Vec::with_capacity(prepared.len());
    for (p, job) in prepared.iter().zip(&plan.jobs) {
        let record = match &p.decision {
            Decision::Fresh(record) => {
                tracing::info!("{}: fresh, from cache", p.label);
                if let Some(store) = &store {
                    store.put(&p.key, &out.join(&p.rel_dir), &counter)?;
                }
                observer.finished(&outcome(
                    workflow,
                    job,
                    p,
                    Status::Cached,
                    record.as_ref().clone(),
                ));
                Some(record.as_ref().clone())
            }
            Decision::Stored(stored) => {
                let Some(store) = &store else {
                    return Err(RunError::Corrupt {
                        path: out.join(&p.rel_dir),
                        message: "planned from a store that is not open".into(),
                    });
                };
                let dir = out.join(&p.rel_dir);
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let tmp =
                    dir.with_file_name(format!("{}.tmp-{}-{n}", job.dir_name, std::process::id()));
                let record = store.fetch(stored.as_ref().clone(), &tmp, &p.name, &p.branch)?;
                replace_dir(&tmp, &dir, &counter)?;
                tracing::info!("{}: same key in the store, linked", p.label);
                observer.finished(&outcome(workflow, job, p, Status::Stored, record.clone()));
                Some(record)
            }
            Decision::Run(_) => None,
        };
        records.push(record);
    }
    let board = Mutex::new(Board {
        taken: records.iter().map(Option::is_some).collect(),
        records,
        error: None,
    });
    let to_run = prepared
        .iter()
        .filter(|p| matches!(p.decision, Decision::Run(_)))
        .count();
    let external: Vec<bool> = prepared
        .iter()
        .map(|p| matches!(p.decision, Decision::Run(_)) && executor.takes(&p.parts.kind))
        .collect();
    let to_run_external = external.iter().filter(|e| **e).count();
    let (abs_out, abs_workflow) = if to_run_external > 0 {
        let abs_out = absolute(out)?;
        executor.check(&abs_out)?;
        (abs_out, absolute(&workflow.file)?)
    } else {
        (out.clone(), workflow.file.clone())
    };
    // In-process jobs at once: at most `options.jobs`, whatever the number of
    // threads waiting for external jobs.
    let slots = Mutex::new(options.jobs.max(1));
    let freed = Condvar::new();
    let wake = Condvar::new();
    let worker = || loop {
        let j = {
            let Ok(mut b) = board.lock() else { return };
            loop {
                if b.error.is_some() {
                    return;
                }
                let ready = (0..plan.jobs.len()).find(|&j| {
                    !b.taken[j]
                        && plan.jobs[j]
                            .inputs
                            .iter()
                            .flatten()
                            .all(|&u| b.records[u].is_some())
                });
                match ready {
                    Some(j) => {
                        b.taken[j] = true;
                        break j;
                    }
                    None if b.taken.iter().all(|t| *t) => return,
                    None => match wake.wait(b) {
                        Ok(guard) => b = guard,
                        Err(_) => return,
                    },
                }
            }
        };
        let inputs: Vec<StageInput> = {
            let Ok(b) = board.lock() else { return };
            plan.jobs[j]
                .inputs
                .iter()
                .flatten()
                .filter_map(|&u| {
                    b.records[u].as_ref().map(|r| StageInput {
                        stage: r.stage.clone(),
                        kind: r.parts.kind.clone(),
                        branch: r.branch.clone(),
                        dir: out.join(&prepared[u].rel_dir),
                    })
                })
                .collect()
        };
        let damaged: Vec<String> = {
            let Ok(b) = board.lock() else { return };
            plan.jobs[j]
                .inputs
                .iter()
                .flatten()
                .flat_map(
                    |&u| match b.records[u].as_ref().and_then(|r| r.outputs.as_ref()) {
                        Some(outputs) => {
                            verify_outputs(&out.join(&prepared[u].rel_dir), outputs, Verify::Fast)
                        }
                        None => Vec::new(),
                    },
                )
                .collect()
        };
        let result = if !damaged.is_empty() {
            Err(RunError::DamagedInput {
                job: prepared[j].label.clone(),
                problems: damaged,
            })
        } else if external[j] {
            let p = &prepared[j];
            let job = &plan.jobs[j];
            let output = abs_out.join(&p.rel_dir);
            let ext = ExternalJob {
                index: j,
                label: &p.label,
                stage: &p.name,
                kind: &p.parts.kind,
                dir_name: &job.dir_name,
                key: &p.key,
                params: &p.params,
                out_dir: &abs_out,
                output: &output,
                workflow_file: &abs_workflow,
            };
            run_external(
                workflow,
                job,
                p,
                &ext,
                executor,
                observer,
                &counter,
                store.as_ref(),
            )
        } else {
            {
                let Ok(mut free) = slots.lock() else { return };
                while *free == 0 {
                    free = match freed.wait(free) {
                        Ok(g) => g,
                        Err(_) => return,
                    };
                }
                *free -= 1;
            }
            let dir = out.join(&prepared[j].rel_dir);
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.with_file_name(format!(
                "{}.tmp-{}-{n}",
                plan.jobs[j].dir_name,
                std::process::id()
            ));
            let result = execute(
                workflow,
                registry,
                &plan.jobs[j],
                &prepared[j],
                &inputs,
                out,
                &tmp,
                observer,
                &counter,
                store.as_ref(),
            );
            if let Ok(mut free) = slots.lock() {
                *free += 1;
            }
            freed.notify_one();
            result
        };
        let Ok(mut b) = board.lock() else { return };
        match result {
            Ok(record) => b.records[j] = Some(record),
            Err(e) => {
                if b.error.is_none() {
                    b.error = Some(e);
                }
            }
        }
        wake.notify_all();
    };
    let workers = if to_run_external > 0 {
        to_run
    } else {
        options.jobs.max(1).min(to_run)
    };
    if workers > 0 {
        std::thread::scope(|scope| {
            for _ in 1..workers {
                scope.spawn(worker);
            }
            worker();
        });
    }
    let board = board.into_inner().map_err(|_| RunError::Corrupt {
        path: out.clone(),
        message: "a stage panicked; rerun to redo it".to_string(),
    })?;
    if let Some(e) = board.error {
        return Err(e);
    }

    let mut outcomes = Vec::new();
    for ((p, job), record) in prepared.iter().zip(&plan.jobs).zip(board.records) {
        let Some(record) = record else {
            return Err(RunError::Corrupt {
                path: out.join(&p.rel_dir),
                message: "job did not run".into(),
            });
        };
        let status = match &p.decision {
            Decision::Fresh(_) => Status::Cached,
            Decision::Stored(_) => Status::Stored,
            Decision::Run(reason) => Status::Ran(reason.clone()),
        };
        outcomes.push(outcome(workflow, job, p, status, record));
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

fn outcome(
    workflow: &Workflow,
    job: &Job,
    p: &Prepared<'_>,
    status: Status,
    record: StageRecord,
) -> StageOutcome {
    StageOutcome {
        stage: workflow.stages[job.stage].name.clone(),
        branch: job.branch.clone(),
        dir: p.rel_dir.clone(),
        status,
        record,
    }
}

/// Parameters, key and fresh-or-run decision of one job; `done` holds the
/// jobs before it in plan order (all its inputs among them).
fn prepare<'w>(
    workflow: &Workflow,
    registry: &'w Registry,
    job: &Job,
    done: &[Prepared<'_>],
    forced: &[usize],
    out: &Path,
    store: Option<&Store>,
) -> Result<Prepared<'w>, RunError> {
    let decl = &workflow.stages[job.stage];
    let stage = registry.stage(&decl.kind).map_err(|e| RunError::Stage {
        stage: decl.name.clone(),
        branch: job.branch.clone(),
        error: Box::new(e.into()),
    })?;
    let mut params = decl.params.clone();
    for (k, v) in &job.sweep {
        params.set(k, v.clone());
    }
    let inputs: Vec<Vec<InputRecord>> = job
        .inputs
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|&j| {
                    let u = &done[j];
                    InputRecord {
                        stage: u.name.clone(),
                        branch: u.branch.clone(),
                        key: u.key.clone(),
                    }
                })
                .collect()
        })
        .collect();
    // What changes how the stage runs, not what it computes, is not keyed.
    let unkeyed = stage.unkeyed_params();
    let mut keyed = params.clone();
    for k in unkeyed {
        keyed.remove(k);
    }
    let parts = KeyParts {
        kind: decl.kind.clone(),
        version: stage.info().version.to_string(),
        params: cache::canonical_params(&keyed, &decl.files),
        plugins: cache::plugin_versions(&keyed, registry),
        sweep: Value::Object(
            job.sweep
                .iter()
                .filter(|(k, _)| !unkeyed.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), cache::canonical_param(v, &decl.files)))
                .collect(),
        ),
        inputs,
    };
    let key = parts.key();
    let rel_dir = Path::new("stages").join(&decl.name).join(&job.dir_name);
    let label = job_label(&decl.name, &job.branch);
    let decision = match read_record(&out.join(&rel_dir)) {
        None => Decision::Run(Reason::NoPrevious),
        Some(Err(e)) => Decision::Run(Reason::Unreadable(e)),
        Some(Ok(_)) if forced.contains(&job.stage) => Decision::Run(Reason::Forced),
        Some(Ok(old)) if old.key == key => match &old.outputs {
            None => {
                tracing::warn!("{label}: {}", Reason::Unverifiable);
                Decision::Run(Reason::Unverifiable)
            }
            Some(outputs) => {
                let damaged = verify_outputs(&out.join(&rel_dir), outputs, Verify::Fast);
                if damaged.is_empty() {
                    Decision::Fresh(Box::new(old))
                } else {
                    tracing::warn!(
                        "{label}: cached output damaged, not reused: {}; it is taken from the store if intact there, else recomputed (`--force {}` recomputes a stage whatever its files say)",
                        damaged.join("; "),
                        decl.name
                    );
                    Decision::Run(Reason::Damaged(damaged))
                }
            }
        },
        Some(Ok(old)) => Decision::Run(Reason::Changed(parts.changes_from(&old.parts))),
    };
    let decision = match decision {
        Decision::Run(reason) if !forced.contains(&job.stage) => {
            match store.and_then(|s| s.lookup(&key)) {
                Some(record) => Decision::Stored(Box::new(record)),
                None => Decision::Run(reason),
            }
        }
        d => d,
    };
    Ok(Prepared {
        name: decl.name.clone(),
        branch: job.branch.clone(),
        label,
        stage,
        params,
        parts,
        key,
        rel_dir,
        decision,
    })
}

/// Runs one job into the new folder `tmp` and moves it into place.
#[allow(clippy::too_many_arguments)]
fn execute(
    workflow: &Workflow,
    registry: &Registry,
    job: &Job,
    p: &Prepared<'_>,
    inputs: &[StageInput],
    out: &Path,
    tmp: &Path,
    observer: &dyn Observer,
    counter: &AtomicUsize,
    store: Option<&Store>,
) -> Result<StageRecord, RunError> {
    let decl = &workflow.stages[job.stage];
    let reason = match &p.decision {
        Decision::Run(r) => r.clone(),
        Decision::Fresh(_) | Decision::Stored(_) => Reason::NoPrevious,
    };
    tracing::info!("{}: running ({reason})", p.label);
    let dir = out.join(&p.rel_dir);
    std::fs::create_dir_all(tmp).map_err(|e| RunError::io(tmp, e))?;
    let t0 = Instant::now();
    let result = {
        let progress = observer.started(&p.label);
        let ctx = StageContext {
            params: &p.params,
            inputs,
            out_dir: tmp,
            registry,
            progress: progress.as_ref(),
        };
        p.stage.run(&ctx)
    };
    let summary = match result {
        Ok(s) => s,
        Err(source) => {
            let _ = std::fs::remove_dir_all(tmp);
            tracing::error!("{}: failed: {source}", p.label);
            return Err(RunError::Stage {
                stage: decl.name.clone(),
                branch: job.branch.clone(),
                error: Box::new(source),
            });
        }
    };
    let seconds = t0.elapsed().as_secs_f64();
    let mut mentioned = Vec::new();
    texts_in(&ParamValue::Map(p.params.values().clone()), &mut mentioned);
    let record = StageRecord {
        key: p.key.clone(),
        stage: decl.name.clone(),
        branch: job.branch.clone(),
        parts: p.parts.clone(),
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
        outputs: None,
    };
    let summary_text = yaml::to_string(&summary).map_err(|e| RunError::Corrupt {
        path: tmp.join("summary.yaml"),
        message: format!("cannot write the summary: {e}"),
    })?;
    write(&tmp.join("summary.yaml"), summary_text.as_bytes())?;
    let mut record = record;
    record.outputs = Some(cache::record_outputs(tmp).map_err(|e| RunError::io(tmp, e))?);
    let record_text = serde_json::to_string_pretty(&record).map_err(|e| RunError::Corrupt {
        path: tmp.join("stage.json"),
        message: e.to_string(),
    })?;
    write(&tmp.join("stage.json"), record_text.as_bytes())?;
    replace_dir(tmp, &dir, counter)?;
    if let Some(store) = store {
        store.put(&p.key, &dir, counter)?;
    }
    tracing::info!("{}: done in {seconds:.2} s", p.label);
    observer.finished(&outcome(
        workflow,
        job,
        p,
        Status::Ran(reason),
        record.clone(),
    ));
    Ok(record)
}

/// Hands one job to `executor`, then takes its record from the output
/// folder the external job wrote (and adds it to the store).
#[allow(clippy::too_many_arguments)]
fn run_external(
    workflow: &Workflow,
    job: &Job,
    p: &Prepared<'_>,
    ext: &ExternalJob<'_>,
    executor: &dyn Executor,
    observer: &dyn Observer,
    counter: &AtomicUsize,
    store: Option<&Store>,
) -> Result<StageRecord, RunError> {
    let reason = match &p.decision {
        Decision::Run(r) => r.clone(),
        Decision::Fresh(_) | Decision::Stored(_) => Reason::NoPrevious,
    };
    tracing::info!("{}: handed to the executor ({reason})", p.label);
    {
        let progress = observer.started(&p.label);
        executor.run(ext, progress.as_ref())?;
    }
    let missing = |what: String| RunError::Executor {
        job: p.label.clone(),
        message: what,
    };
    let record = match read_record(ext.output) {
        Some(Ok(r)) if r.key == p.key => r,
        Some(Ok(r)) => {
            return Err(missing(format!(
                "the job ended, but {} holds key {} instead of the planned {}",
                ext.output.join("stage.json").display(),
                &r.key[..12.min(r.key.len())],
                &p.key[..12]
            )))
        }
        Some(Err(e)) => {
            return Err(RunError::Corrupt {
                path: ext.output.join("stage.json"),
                message: e,
            })
        }
        None => {
            return Err(missing(format!(
                "the job ended without writing {}",
                ext.output.join("stage.json").display()
            )))
        }
    };
    if let Some(store) = store {
        store.put(&p.key, ext.output, counter)?;
    }
    tracing::info!("{}: done in {:.2} s", p.label, record.seconds);
    observer.finished(&outcome(
        workflow,
        job,
        p,
        Status::Ran(reason),
        record.clone(),
    ));
    Ok(record)
}

/// Executes exactly job `index` of `workflow`'s plan in `out_dir`: what an
/// external job (`nonaffine run-job`) runs. The stage writes into `work` (a
/// fresh folder; what a killed earlier attempt left there is removed) and
/// the result is moved into place as in [`run()`]. `key` is the key the
/// runner planned: a different key now (the workflow or a file it names
/// changed since) is an error, and a job whose output with that key is
/// already in place returns it without recomputing (a requeued job is
/// idempotent). Takes no lock: the runner that submitted it holds the run
/// folder's.
pub fn run_one(
    workflow: &Workflow,
    registry: &Registry,
    out_dir: &Path,
    index: usize,
    key: &str,
    work: &Path,
    observer: &dyn Observer,
) -> Result<StageRecord, RunError> {
    let plan = Plan::new(workflow);
    let Some(job) = plan.jobs.get(index) else {
        return Err(RunError::Executor {
            job: format!("job {index}"),
            message: format!(
                "the plan of {} has {} jobs; was the workflow changed since the run was planned?",
                workflow.file.display(),
                plan.jobs.len()
            ),
        });
    };
    let mut prepared: Vec<Prepared<'_>> = Vec::new();
    for j in &plan.jobs[..=index] {
        let p = prepare(workflow, registry, j, &prepared, &[], out_dir, None)?;
        prepared.push(p);
    }
    let p = &prepared[index];
    if p.key != key {
        return Err(RunError::Executor {
            job: p.label.clone(),
            message: format!(
                "the run was planned with key {}, the workflow now gives {}: {} or a file it names changed since; run `nonaffine run` again",
                &key[..12.min(key.len())],
                &p.key[..12],
                workflow.file.display()
            ),
        });
    }
    if let Decision::Fresh(record) = &p.decision {
        tracing::info!("{}: already in place, nothing to do", p.label);
        return Ok(record.as_ref().clone());
    }
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    for &u in job.inputs.iter().flatten() {
        let q = &prepared[u];
        let dir = out_dir.join(&q.rel_dir);
        match &q.decision {
            Decision::Fresh(r) => inputs.push(StageInput {
                stage: r.stage.clone(),
                kind: r.parts.kind.clone(),
                branch: r.branch.clone(),
                dir,
            }),
            _ => problems.push(format!(
                "{}: no finished output in {}",
                q.label,
                dir.display()
            )),
        }
    }
    if !problems.is_empty() {
        return Err(RunError::DamagedInput {
            job: p.label.clone(),
            problems,
        });
    }
    if work.exists() {
        std::fs::remove_dir_all(work).map_err(|e| RunError::io(work, e))?;
    }
    let stage_dir = out_dir.join("stages").join(&p.name);
    std::fs::create_dir_all(&stage_dir).map_err(|e| RunError::io(&stage_dir, e))?;
    let counter = AtomicUsize::new(0);
    execute(
        workflow, registry, job, p, &inputs, out_dir, work, observer, &counter, None,
    )
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    std::fs::write(path, bytes).map_err(|e| RunError::io(path, e))
}

/// Moves a finished `tmp` folder to `dir`, replacing an older output. The old
/// folder is first renamed to a `.tmp-` name, so that if the process dies in
/// between, the next run sees no output (and reruns) rather than a mix.
fn replace_dir(tmp: &Path, dir: &Path, counter: &AtomicUsize) -> Result<(), RunError> {
    if dir.exists() {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let old = dir.with_file_name(format!("{name}.tmp-{}-{n}-old", std::process::id()));
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
