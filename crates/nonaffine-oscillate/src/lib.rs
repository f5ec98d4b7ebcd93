//! Mechanical spectroscopy by molecular dynamics: the complex modulus C*(ω)
//! of a glass measured in LAMMPS by an oscillating strain (stage `oscillate`;
//! protocol and fit: docs/theory.md §9, Eqs. (56)–(59)).
//!
//! [`table`] is the output contract, `oscillate.csv`, read by the theory
//! comparison.

pub mod plot;
pub mod protocol;
pub mod run;
pub mod stage;
pub mod table;

pub use protocol::{Drive, Plan, Thermostat, PARAMS};
pub use run::{analyse, measure, point_job, Fit, OscillateError};
pub use stage::{OscillateStage, INFO};
