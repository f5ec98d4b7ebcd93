//! Numerics shared by the stage crates, each in one place:
//!
//! - [`lm`]: Levenberg–Marquardt least squares for black-box models (the
//!   Kohlrausch fit of `nonaffine-reference`, the response calibration of
//!   `nonaffine-response`), with the step from an SVD of the scaled Jacobian,
//!   a convergence test that checks the optimum before reporting it, and the
//!   covariance at the optimum. Checked against the NIST StRD nonlinear
//!   regression sets (`tests/nist_strd.rs`).
//! - [`log_grid`]: log-spaced grids (frequencies, times).

pub mod grid;
pub mod lm;

pub use grid::log_grid;
pub use lm::{levenberg_marquardt, LmError, LmOptions, LmSolution, LmStatus, Steps};
