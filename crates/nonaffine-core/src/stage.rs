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

/// A kind of upstream stage whose outputs a stage reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputSpec {
    /// The upstream stage kind (`quench`, `hessian`, ...).
    pub kind: &'static str,
    /// Whether the stage cannot run without one (some stages relax this
    /// depending on their parameters, in [`Stage::check_inputs`]).
    pub required: bool,
    /// What the stage takes from it.
    pub doc: &'static str,
}

/// Why the kinds wired to a stage are wrong.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum InputsError {
    /// An input of a kind the stage does not read; `index` is its place in `inputs`.
    #[error(
        "a `{stage_kind}` stage does not read the output of a `{found}` stage; it reads {expected}"
    )]
    Unexpected {
        /// Index of the offending input in the stage's `inputs`.
        index: usize,
        /// The stage's own kind.
        stage_kind: String,
        /// The kind found.
        found: String,
        /// The kinds it reads, as text.
        expected: String,
    },
    /// A kind the stage needs is not among its inputs.
    #[error("{0}")]
    Missing(String),
}

/// The default check of [`Stage::check_inputs`]: every input is of a kind in
/// `specs` and every required kind is present.
pub fn check_input_kinds(
    stage_kind: &str,
    specs: &[InputSpec],
    kinds: &[&str],
) -> Result<(), InputsError> {
    for (index, found) in kinds.iter().enumerate() {
        if !specs.iter().any(|s| s.kind == *found) {
            let expected = if specs.is_empty() {
                "no upstream outputs (remove `inputs`)".to_string()
            } else {
                let names: Vec<String> = specs.iter().map(|s| format!("`{}`", s.kind)).collect();
                names.join(", ")
            };
            return Err(InputsError::Unexpected {
                index,
                stage_kind: stage_kind.to_string(),
                found: found.to_string(),
                expected,
            });
        }
    }
    for spec in specs.iter().filter(|s| s.required) {
        if !kinds.contains(&spec.kind) {
            return Err(InputsError::Missing(format!(
                "a `{stage_kind}` stage needs a `{}` stage in `inputs` ({})",
                spec.kind, spec.doc
            )));
        }
    }
    Ok(())
}

/// Environment variable naming a folder where a stage may keep checkpoints
/// that outlive its process and continue from them when run again (the
/// quench keeps LAMMPS restart files there). `nonaffine run-job` sets it to
/// a folder of its batch job that survives a requeue; unset (runs in the
/// runner's process), stages write no checkpoints.
pub const CHECKPOINT_DIR_ENV: &str = "NONAFFINE_CHECKPOINT_DIR";

/// A workflow stage.
pub trait Stage: Send + Sync {
    /// Name, version, doc and parameters.
    fn info(&self) -> PluginInfo;
    /// Runs the stage, writing into `ctx.out_dir`, and returns its summary.
    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError>;
    /// Checks the parameters without running (no files read, no upstream
    /// outputs): what `run` would refuse at once, so that `nonaffine validate`
    /// refuses it too. `registry` builds the plugins the parameters choose.
    /// Called once per sweep point; the default accepts all.
    fn check(&self, params: &Params, registry: &Registry) -> Result<(), StageError> {
        let _ = (params, registry);
        Ok(())
    }
    /// Parameters that change how the stage runs but not what it computes
    /// (e.g. how often it writes checkpoints): left out of its cache key, so
    /// that changing them reuses cached output. The default: none.
    fn unkeyed_params(&self) -> &'static [&'static str] {
        &[]
    }
    /// The upstream stage kinds this stage reads; `None` when it does not
    /// declare them (any wiring is accepted).
    fn inputs(&self) -> Option<&'static [InputSpec]> {
        None
    }
    /// Checks the kinds of the upstream stages wired to it, in `inputs`
    /// order, before anything runs. The default applies [`check_input_kinds`]
    /// to [`Stage::inputs`].
    fn check_inputs(&self, params: &Params, kinds: &[&str]) -> Result<(), InputsError> {
        let _ = params;
        match self.inputs() {
            Some(specs) => check_input_kinds(self.info().name, specs, kinds),
            None => Ok(()),
        }
    }
}
