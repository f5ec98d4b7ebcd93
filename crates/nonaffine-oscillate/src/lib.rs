//! Mechanical spectroscopy by molecular dynamics: the complex modulus C*(ω)
//! of a glass measured in LAMMPS by an oscillating strain (stage `oscillate`).
//!
//! [`table`] is the output contract, `oscillate.csv`, read by the theory
//! comparison.

pub mod table;
