//! The quench stage (the paper's Section III protocol): from a random alloy to minimized
//! glass structures at the requested temperatures, through LAMMPS.
//!
//! Protocol: random positions at a chosen volume per atom, a short
//! minimization to remove overlaps, NPT at zero pressure at the melt
//! temperature, then a linear temperature ramp (one `fix npt` ramp, cut into
//! runs at the capture temperatures without restarting it). Each captured
//! configuration is minimized to its inherent structure: box and atoms
//! together (`fix box/relax tri 0`, every stress component), then atoms at
//! fixed box, repeated. A fast default cooling rate is far from the paper's
//! 1e10 K/s (0.01 K/ps): the workflows say which rate they use.

pub mod outputs;
pub mod protocol;
pub mod run;
pub mod stage;

pub use protocol::{max_timestep_ps, QuenchProtocol, PARAMS};
pub use run::{md_job, min_job, quench, Capture, CaptureMeta, QuenchError, QuenchRun};
pub use stage::{summary, write_outputs, QuenchStage, INFO};
