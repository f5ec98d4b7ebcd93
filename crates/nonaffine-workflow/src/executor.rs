//! Where a job runs: in the runner's own process (the default), or handed to
//! an [`Executor`] such as a batch scheduler.
//!
//! The runner plans, keys and caches every job itself; an executor only gets
//! the jobs of the stage kinds it [`takes`](Executor::takes), each once its
//! inputs are finished, and must see to it that the job's output folder is in
//! place when [`Executor::run`] returns `Ok`. An external job executes the one
//! job of the plan with [`crate::run_one`] (the CLI's `nonaffine run-job`), so
//! outputs, `stage.json` and keys are exactly those of an in-process run.
//! Executor settings never enter a cache key.

use crate::error::RunError;
use nonaffine_core::{Params, Progress};
use std::path::{Path, PathBuf};

/// One job of a plan, as an executor sees it.
#[derive(Clone, Debug)]
pub struct ExternalJob<'a> {
    /// Index of the job in [`crate::Plan::jobs`] (what [`crate::run_one`] takes).
    pub index: usize,
    /// `stage` or `stage [branch]`.
    pub label: &'a str,
    /// Stage name in the workflow.
    pub stage: &'a str,
    /// Stage kind (`quench`), for resources and time limits per kind.
    pub kind: &'a str,
    /// Folder name of the branch (`seed=1`, `_`).
    pub dir_name: &'a str,
    /// Cache key the job must produce.
    pub key: &'a str,
    /// The job's parameters (sweep values set), e.g. for `mpi_ranks`.
    pub params: &'a Params,
    /// Absolute run folder.
    pub out_dir: &'a Path,
    /// Absolute path of the job's final output folder.
    pub output: &'a Path,
    /// Absolute path of the workflow file the run was planned from.
    pub workflow_file: &'a Path,
}

/// Runs jobs somewhere other than the runner's threads.
pub trait Executor: Sync {
    /// Whether jobs of this stage kind go to the executor; the others run in
    /// the runner's process.
    fn takes(&self, kind: &str) -> bool;

    /// Called once before the first job is handed over (e.g. to check that
    /// the run folder is visible where the jobs run).
    fn check(&self, _out_dir: &Path) -> Result<(), RunError> {
        Ok(())
    }

    /// Runs `job` and returns when it ended: `Ok` only when its output folder
    /// ([`ExternalJob::output`]) is in place. `progress` shows its state.
    fn run(&self, job: &ExternalJob<'_>, progress: &dyn Progress) -> Result<(), RunError>;
}

/// Every job in the runner's own process (`--executor local`).
pub struct InProcess;

impl Executor for InProcess {
    fn takes(&self, _kind: &str) -> bool {
        false
    }
    fn run(&self, job: &ExternalJob<'_>, _progress: &dyn Progress) -> Result<(), RunError> {
        Err(RunError::Executor {
            job: job.label.to_string(),
            message: "the in-process executor takes no external job".into(),
        })
    }
}

/// The absolute form of `path` (joined to the current folder when relative),
/// without resolving links; what external jobs are given.
pub fn absolute(path: &Path) -> Result<PathBuf, RunError> {
    std::path::absolute(path).map_err(|e| RunError::io(path, e))
}
