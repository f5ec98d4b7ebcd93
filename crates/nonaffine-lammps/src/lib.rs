//! LAMMPS for nonaffine, in a supervised worker process.
//!
//! Debian's liblammps is built without exceptions: any LAMMPS input error
//! calls `exit()`. So LAMMPS never runs in the caller's process. The caller
//! builds a [`Job`] (input lines, exact-position atom creation, chunked runs
//! with progress, snapshots) and [`run_job`] executes it in the
//! `nonaffine-lammps-worker` binary, relaying [`Event`]s; a LAMMPS ERROR, a
//! crash or a kill comes back as a [`LammpsError`] quoting LAMMPS' message and
//! the end of its log, and the caller keeps running.
//!
//! The worker can run under `mpirun -np K` ([`WorkerConfig::mpi_ranks`]):
//! every rank reads the same job file and rank 0 reports.
//!
//! This crate is the only user of `lammps-sys`; `unsafe` lives in [`engine`].

pub mod convert;
pub mod engine;
pub mod evaluate;
pub mod protocol;
pub mod supervisor;
pub mod worker;

pub use convert::{atoms_spec, structure_of, NKTV2P_METAL};
pub use evaluate::{evaluate, evaluate_with, preamble, Evaluation};
pub use protocol::{job_digest, AtomsSpec, Checkpoint, Event, Job, Snapshot, Step};
pub use supervisor::{
    checkpoint_workers, find_worker, run_job, stop_workers, stopped_at_checkpoint, Checkpointing,
    JobOutput, LammpsError, WorkerConfig,
};
