//! The spectrum of a glass (docs/theory.md §4; paper Fig. 2): the `spectrum`
//! stage and the analysis it runs on any solver's output.
//!
//! The solvers themselves are plugins (`dense`, `arpack`, `lanczos`, `debye`)
//! implementing [`nonaffine_core::SpectrumSolver`]; this crate finds them by
//! name through the registry and never names their types. It knows the
//! Hessian stage's files ([`nonaffine_hessian::HessianProducts`]) and writes the
//! files the response stage reads ([`modes_file`]).
//!
//! - [`operator`]: D = M^{-1/2} H M^{-1/2} as a [`nonaffine_core::SymmetricOperator`].
//! - [`analysis`]: mode census (zero/negative), VDOS, Γ(ν), boson peak, Debye
//!   model, relaxed moduli from modes, sample averages.
//! - [`modes_file`]: `modes.csv` (ω_p², Ξ̂_{p,a}) writer and reader.
//! - [`stage`]: the `spectrum` stage.
// Index loops mirror the tensor formulas they implement (C_ab, Ξ_{i,a}).
#![allow(clippy::needless_range_loop)]

pub mod analysis;
pub mod modes_file;
pub mod operator;
pub mod outputs;
pub mod stage;

pub use operator::CsrOperator;
pub use stage::{SpectrumStage, INFO};
