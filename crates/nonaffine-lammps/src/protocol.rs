//! What the parent sends the worker (a [`Job`] file) and what the worker sends
//! back (one [`Event`] per stdout line, behind [`EVENT_PREFIX`]).

use crate::engine::BoxInfo;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Prefix of every event line, so stray output from MPI or LAMMPS is ignored.
pub const EVENT_PREFIX: &str = "@@nonaffine ";

/// A job: steps executed in order by one LAMMPS instance.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Job {
    /// The steps.
    pub steps: Vec<Step>,
}

/// Atoms to create at exact positions (instead of a data file).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AtomsSpec {
    /// Box.
    pub cell: BoxInfo,
    /// Per-type masses in amu (type 1 first).
    pub masses: Vec<f64>,
    /// Type of each atom (1-based).
    pub types: Vec<i32>,
    /// Positions, 3 per atom, Å, inside the box.
    pub positions: Vec<f64>,
    /// Image flags, 3 per atom.
    pub images: Vec<i32>,
}

/// One step of a job.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// LAMMPS input lines, in order.
    Commands(Vec<String>),
    /// Defines a (restricted triclinic) box and creates atoms at exact positions.
    /// Must follow `units`, `atom_style`, `atom_modify map array` and `boundary`.
    CreateAtoms(AtomsSpec),
    /// `run steps`, in chunks, reporting progress and `thermo` keywords after
    /// each chunk. Fixes that ramp (e.g. `fix npt` temperatures) see one run
    /// of `steps` steps (LAMMPS `start`/`stop`).
    Run {
        /// Label shown in progress.
        label: String,
        /// Total steps.
        steps: u64,
        /// Steps per chunk (progress granularity).
        chunk: u64,
        /// Thermo keywords reported with progress (must be in `thermo_style`).
        thermo: Vec<String>,
    },
    /// Gathers the configuration and the named per-atom and global quantities.
    Snapshot {
        /// Label returned with it.
        label: String,
        /// Per-atom quantities (`f`, `v`, `c_ID`) and their widths.
        per_atom: Vec<(String, usize)>,
        /// Global compute vectors (`ID`) and their lengths.
        compute_vectors: Vec<(String, usize)>,
        /// Thermo keywords (must be in `thermo_style` and current).
        thermo: Vec<String>,
    },
}

/// A configuration gathered from LAMMPS, atoms ordered by ID.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// Label of the step that took it.
    pub label: String,
    /// Timestep.
    pub step: u64,
    /// Box.
    pub cell: BoxInfo,
    /// Per-type masses in amu (type 1 first).
    pub masses: Vec<f64>,
    /// Type of each atom (1-based).
    pub types: Vec<i32>,
    /// Positions, Å.
    pub positions: Vec<[f64; 3]>,
    /// Image flags.
    pub images: Vec<[i32; 3]>,
    /// Requested per-atom quantities, flattened per atom.
    pub per_atom: BTreeMap<String, Vec<f64>>,
    /// Requested global compute vectors.
    pub compute_vectors: BTreeMap<String, Vec<f64>>,
    /// Requested thermo values.
    pub thermo: BTreeMap<String, f64>,
}

/// A message from the worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// LAMMPS is open.
    Hello {
        /// Worker process id (rank 0).
        pid: u32,
        /// LAMMPS version, YYYYMMDD.
        version: i32,
        /// MPI ranks.
        ranks: i32,
        /// Whether LAMMPS was built with exceptions.
        exceptions: bool,
        /// Installed packages.
        packages: Vec<String>,
    },
    /// A step of the job started.
    StepStarted {
        /// Index of the step.
        index: usize,
    },
    /// Progress of a `Run` step.
    Progress {
        /// Label of the run.
        label: String,
        /// Steps done.
        done: u64,
        /// Steps in total.
        total: u64,
        /// Requested thermo values.
        thermo: BTreeMap<String, f64>,
    },
    /// A gathered configuration.
    Snapshot(Box<Snapshot>),
    /// The job finished.
    Done,
}
