//! The contract between a workflow stage and the runner.
//!
//! A stage reads its parameters and its upstream stages' output folders and
//! writes its own outputs into a fresh folder. The runner (which knows no
//! physics) decides when to run it, caches the folder by a hash of the inputs,
//! and moves it into place only when the stage returns `Ok`.

use crate::error::{ParamError, PluginError};
use crate::params::Params;
use crate::plugin::{PluginInfo, Registry};
use crate::summary::Summary;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// One finished upstream stage whose outputs this stage reads.
#[derive(Clone, Debug)]
pub struct StageInput {
    /// Name of the upstream stage in the workflow.
    pub stage: String,
    /// Kind of the upstream stage (`quench`, `kernel`, ...).
    pub kind: String,
    /// Sweep point label (`seed=2`), empty when not swept.
    pub branch: String,
    /// Its output folder.
    pub dir: PathBuf,
}

/// Receives progress of a long stage (the CLI draws a bar from it).
pub trait Progress: Send + Sync {
    /// Sets the amount of work to do (steps, items).
    fn set_total(&self, total: u64);
    /// Sets how much is done.
    fn set_position(&self, done: u64);
    /// A short status line ("T = 1200 K").
    fn message(&self, text: &str);
}

/// Progress sink that drops everything.
pub struct NoProgress;

impl Progress for NoProgress {
    fn set_total(&self, _: u64) {}
    fn set_position(&self, _: u64) {}
    fn message(&self, _: &str) {}
}

/// What a stage gets to run with.
pub struct StageContext<'a> {
    /// Its parameters (file paths already resolved).
    pub params: &'a Params,
    /// Upstream outputs.
    pub inputs: &'a [StageInput],
    /// Fresh folder to write outputs into.
    pub out_dir: &'a Path,
    /// Plugins, to build potentials and kernels by name.
    pub registry: &'a Registry,
    /// Progress sink.
    pub progress: &'a dyn Progress,
}

impl StageContext<'_> {
    /// Upstream inputs of the given kind.
    pub fn inputs_of_kind<'s>(
        &'s self,
        kind: &'s str,
    ) -> impl Iterator<Item = &'s StageInput> + 's {
        self.inputs.iter().filter(move |i| i.kind == kind)
    }
}

/// Why a stage failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StageError {
    /// A parameter is wrong.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// A plugin could not be found or built.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// An upstream stage this one needs is missing.
    #[error("stage needs the output of a `{0}` stage upstream; add one to `inputs`")]
    MissingInput(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The computation itself failed (LAMMPS error, non-convergence, ...).
    #[error("{0}")]
    Failed(String),
}

impl StageError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StageError::Io {
            path: path.into(),
            source,
        }
    }
}

/// A workflow stage.
pub trait Stage: Send + Sync {
    /// Name, version, doc and parameters.
    fn info(&self) -> PluginInfo;
    /// Runs the stage, writing into `ctx.out_dir`, and returns its summary.
    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError>;
    /// Checks the parameters without running (no files read, no upstream
    /// outputs): what `run` would refuse at once, so that `nonaffine validate`
    /// refuses it too. Called once per sweep point; the default accepts all.
    fn check(&self, params: &Params) -> Result<(), StageError> {
        let _ = params;
        Ok(())
    }
}
