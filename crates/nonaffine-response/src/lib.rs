//! The dynamic response of a glass and its calibration against reference data
//! (docs/theory.md §6 and §8; paper Eqs. 4–7).
//!
//! - [`ModeSum`]: the resolvent sums R_ab(z) = Σ_p Ξ̂_{p,a} Ξ̂_{p,b} / (ω_p² − z)
//!   from any spectrum source. Implemented for [`nonaffine_core::Modes`]
//!   (dense eigenpairs, ARPACK's lowest modes — which leave out the stiff modes'
//!   share, so their C* lacks the high-frequency part of the relaxation — or the
//!   nodes and weights of a Lanczos quadrature).
//! - [`Affine`] + [`complex_moduli`]: C*_ab(ω) = C^B_ab − (1/V) R_ab(ω² − iω ν̃(ω))
//!   in GPa (`consistent` mode, docs/theory.md Eq. (46)), and [`Isotropic`] projections
//!   (uniaxial E = C11 as in the paper, Voigt-averaged K*, G*, and Young's
//!   9K*G*/(3K*+G*)). [`paper_moduli`] is the paper's Eqs. 6–7 with free
//!   rescaling constants E_A, A, B (`paper` mode).
//! - [`calibrate`]: Levenberg–Marquardt fit to reference E'(ω), E''(ω) on log
//!   moduli with several starts; [`debye_control`] builds the `debye` control
//!   spectrum (Debye-law D(ω) up to the spectrum stage's elastic ω_D, the
//!   glass's own Γ(ω): no boson-peak excess).
//!
//! Units: ω in rad per model time unit, the unit of sqrt(eV/(Å²·amu)) (1 model
//! time unit = 1/9.8227e13 s, [`nonaffine_core::units`]); ω_p² and z in
//! eV/(Å²·amu); Ξ̂ in eV/(Å·amu^{1/2}); moduli in GPa.

mod calibrate;
mod families;
mod modesum;
mod moduli;
pub mod predict;
mod predict_stage;
mod rows;
pub mod stage;

pub use calibrate::{
    calibrate, calibrate_from, Calibration, Estimate, FitMode, FreeParam, KernelBuilder,
    KernelModel, Regime, Target,
};
pub use modesum::{debye_control, second_moment_debye_omega, ModeSum};
pub use moduli::{
    complex_moduli, paper_moduli, resolvent_argument, uniaxial_modulus, Affine, Isotropic,
    PaperHeights,
};

pub use stage::{ResponseStage, INFO};

use thiserror::Error;

/// Why a response could not be computed or fitted.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// Inputs are inconsistent or out of range; the message says which and what to fix.
    #[error("{0}")]
    Invalid(String),
    /// The fit failed from every start.
    #[error("calibration failed: {0}")]
    Fit(String),
}
