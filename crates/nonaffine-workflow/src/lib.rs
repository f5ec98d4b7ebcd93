//! Runs YAML workflows of nonaffine stages, caching every output by a hash of
//! what made it.
//!
//! The runner knows no physics: it looks stages up by kind name in
//! [`nonaffine_core::Registry::stages`] and drives them through the
//! [`nonaffine_core::Stage`] trait. Nothing here names a potential, a kernel or
//! a quantity.
//!
//! # Workflow format
//!
//! ```yaml
//! name: quick                  # names the default run folder runs/quick
//! description: one line
//! stages:
//!   glass:                     # stage name: unique, letters, digits, _ or -
//!     stage: quench            # stage kind, looked up in the registry
//!     sweep:                   # optional: one branch per value (cartesian
//!       seed: [1, 2]           #   product over several keys); label "seed=1"
//!     params:
//!       n_atoms: 500
//!       cooling_rate_k_per_ps: 10.0
//!       potential: { plugin: eam/fs, file: ../vendor/potentials/CuZr_mm.eam.fs, elements: [Cu, Zr] }
//!   kernel:
//!     stage: kernel
//!     params: { plugin: stretched-exp, nu0: 0.137, b: 0.72, r: 1.2e-6 }
//!   response:
//!     stage: response
//!     inputs: [glass, kernel]  # upstream stages, in the order the stage gets them
//!     gather: false            # or true, or a list of swept keys like [seed]
//! ```
//!
//! Each stage receives its `params` as [`nonaffine_core::Params`] with origin
//! `stages.<name>.params`, with the swept values set.
//!
//! **Sweeps and branches.** A swept stage runs once per sweep point. A stage
//! downstream of swept stages runs once per upstream branch, and its branch
//! label carries the upstream labels (`seed=1`); two inputs descended from the
//! same swept stage stay paired, independent sweeps multiply. `gather: true`
//! runs the stage once with every upstream branch as an input; `gather: [seed]`
//! gathers over `seed` only and follows the other swept keys. When two stages
//! sweep the same key, labels qualify it as `stage.key=value`.
//!
//! **Path rule.** A text value (at any depth) whose key is `file` or ends in
//! `_file` or `_path`, or whose parameter is declared as a path, names a file.
//! It is resolved relative to the workflow file's folder, must exist, and
//! reaches the stage as an absolute path. Its *content* hash (SHA-256) enters
//! the cache key, never the path: moving a file changes nothing, editing it
//! reruns what used it.
//!
//! **Plugins.** Every plugin is chosen the same way: a map with a `plugin: NAME`
//! key and that plugin's own parameters beside it — the stage's own `params`
//! (`kernel`), or a parameter declared [`nonaffine_core::ParamKind::Plugin`]
//! (`potential: { plugin: eam/fs, file: ... }`,
//! `solver: { plugin: lanczos, steps: 60 }`). Validation checks the name
//! against the parameter's catalog and the keys and value kinds against the
//! plugin's parameters (`stages.<stage>.params.solver.<key>`, with the nearest
//! valid name); the plugin's name and version enter the cache key. The old
//! text form `solver: NAME` is read as `solver: { plugin: NAME }` (same
//! parameters, same key) with a deprecation warning in [`Workflow::warnings`],
//! which `validate` and `run` print and the run report records.
//!
//! **Units.** Keys carry their units (`cooling_rate_k_per_ps`). A key with
//! another unit suffix (`cooling_rate_k_per_s`) is an error that names the key
//! expected, and `"10 K/ps"` where a number is expected is an error: no unit is
//! ever converted silently.
//!
//! # Validation
//!
//! [`Workflow::load`] reports every problem it finds, each with the file, line
//! and column of the offending key and the nearest valid name: YAML syntax,
//! unknown keys, stage kinds, plugins, inputs, cycles, sweeps of unknown keys,
//! wrong unit suffixes, wrong value kinds, missing required parameters, missing
//! files. `tests/broken/` holds a corpus of broken workflows with the exact
//! message each gives.
//!
//! # Cache
//!
//! A job's key is the SHA-256 of the canonical JSON of its stage kind and
//! version, its parameters (sorted keys, 1 and 1.0 alike, paths replaced by
//! content hashes), the versions of the plugins named, its sweep values and
//! its upstream keys in input order ([`KeyParts`]). Outputs live in
//! `<out>/stages/<stage>/<branch or _>/` with `summary.yaml` and `stage.json`;
//! see [`run()`] for how interruption is survived. A second run recomputes
//! nothing; a changed parameter reruns its stage and what lies downstream;
//! [`RunOptions::force`] reruns named stages and their descendants; the
//! [`RunReport::explain`] text says why each job ran, from the previous
//! `stage.json`.
//!
//! **For stage authors.** `StageContext::out_dir` is a temporary folder that
//! is renamed once the stage returns: refer to your own files by relative
//! paths only. `StageInput::dir` is the upstream's final folder. A
//! `provenance.json` written into the output folder (program versions, file
//! headers) is copied into the run's manifest. Independent jobs may run at the
//! same time ([`RunOptions::jobs`]), each in its own folder.
//!
//! # Outputs of a run
//!
//! `<out>/manifest.json` ([`Manifest`]): versions, parameters, keys, timings
//! and each stage's own `provenance.json`. `<out>/report.md`: a table of jobs
//! and, per job, its summary and links to every file (figures inline). Both
//! list the jobs of the last run only; folders of stages or branches since
//! removed from the workflow stay under `stages/` until deleted by hand.
//!
//! # Comparing runs
//!
//! [`diff`] compares the `summary.yaml` of two runs (or a run and a stored
//! snapshot) job by job with relative tolerances.

mod cache;
pub mod diff;
mod error;
mod executor;
mod lock;
mod node;
mod plan;
mod progress;
mod report;
mod run;
mod store;
mod verify;
mod workflow;
pub mod yaml;

pub use cache::{
    verify_outputs, FileRecord, InputRecord, KeyParts, OutputFile, StageRecord, Verify,
};
pub use error::{Diagnostic, RunError, WorkflowError};
pub use executor::{absolute, Executor, ExternalJob, InProcess};
pub use plan::{Job, Plan};
pub use progress::{Bars, Observer, Quiet};
pub use report::{read_manifest, Manifest, ManifestStage, ManifestWorkflow};
pub use run::{
    run, run_one, run_with, Reason, RunOptions, RunReport, StageOutcome, Status, NONAFFINE_VERSION,
};
pub use verify::{remove_own_temporaries, verify_run, VerifyReport};
pub use workflow::{
    is_path_key, is_slurm_time, ExecutorSettings, FileRef, Gather, StageDecl, Workflow,
};
