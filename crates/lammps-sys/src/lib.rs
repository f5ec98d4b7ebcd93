//! Raw bindings to the LAMMPS C library API (`lammps/library.h`) of the
//! system's `liblammps` (Debian `liblammps-dev`).
//!
//! Only `nonaffine-lammps` uses this crate. Note that Debian's build has no
//! LAMMPS exceptions: an input error calls `exit()` in the calling process, so
//! call these functions from a disposable worker process.
#![allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    missing_docs
)]
#![allow(unsafe_code, clippy::all)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
