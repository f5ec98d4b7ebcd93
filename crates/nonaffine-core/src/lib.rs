//! Shared vocabulary of the nonaffine workspace.
//!
//! Every other crate speaks in these types: a periodic [`Structure`] in LAMMPS
//! `metal` units, the [`units`] that convert to reported quantities, the
//! [`Params`] a plugin or stage is configured with, the plugin traits
//! ([`Potential`], [`EamForm`], [`MemoryKernel`], [`SpectrumSolver`]) with their
//! [`Registry`], and the
//! [`Stage`] contract the workflow runner drives.
//!
//! Design decision: this crate knows nothing about YAML, LAMMPS or any concrete
//! plugin. Plugins implement the traits here; the registry is filled in one
//! place (the `nonaffine-registry` crate) and everything else looks plugins up by
//! name, so swapping `eam/fs` for `lj/cut` is one line of a workflow.

pub mod error;
pub mod outputs;
pub mod params;
pub mod plugin;
pub mod resources;
pub mod spectrum;
pub mod stage;
pub mod structure;
pub mod summary;
pub mod units;

pub use error::{CoreError, ParamError, PluginError};
pub use params::{ParamKind, ParamSpec, ParamValue, Params, PluginKind};
pub use plugin::{
    fit_values, lammps_word, EamForm, FitRole, FitScale, KernelParameter, MemoryKernel, PluginInfo,
    Potential, Provenance, Radial, Registry,
};
pub use spectrum::{
    DiagonalOperator, EigenvalueDensity, Modes, ModesKind, SolverError, SpectrumProblem,
    SpectrumResult, SpectrumSolver, SpectrumSolverFactory, SymmetricOperator,
};
pub use stage::{
    check_input_kinds, InputSpec, InputsError, NoProgress, Progress, Stage, StageContext,
    StageError, StageInput, CHECKPOINT_DIR_ENV,
};
pub use structure::{Cell, Species, Structure};
pub use summary::{Summary, SummaryValue};
