//! Hessian and affine quantities of a periodic structure (docs/theory.md §3;
//! paper Appendix C).
//!
//! [`HessianProducts`] is what the Hessian stage hands to the spectrum and
//! response stages, in memory or through its output folder:
//!
//! | file | content | unit |
//! |---|---|---|
//! | `structure.data` | the structure (LAMMPS data, with Masses) | Å, amu |
//! | `hessian.mtx` or `hessian.npz` | (not with [`compute_matrix_free`] / stage `matrix: false`) H = ∂²U/∂q∂q, atom order of the structure, row 3i+k = atom i, axis k: Matrix Market coordinate real symmetric (lower triangle), or scipy's `.npz` CSR layout with both triangles ([`npz`]; stage `matrix_format: npz`, `nonaffine hessian --matrix-format npz`) | eV/Å² |
//! | `xi.csv` | Ξ_{i,a} = ∂f_i/∂η_a: columns `atom,component,xx,yy,zz,yz,xz,xy` | eV/Å |
//! | `born.json` | C^B (6×6, Voigt xx yy zz yz xz xy), residual stress σ (tension positive), volume | GPa, GPa, Å³ |
//! | `relaxed.json` | relaxed C = C^B − (1/V) Ξᵀ H⁺ Ξ (6×6), when computed | GPa |
//!
//! How they are computed: [`compute`] (or [`AnalyticDerivatives`] piece by
//! piece) differentiates the potential's [`nonaffine_core::EamForm`]
//! analytically, using the second derivatives of the same cubic pieces the
//! potential plugin interpolates with, so H equals finite differences of the
//! forces (the project's and LAMMPS'). The conventions for strain, stress and
//! moduli are in [`affine`]; the Hessian's sparse assembly in [`assemble`]; the
//! relaxed moduli's conjugate gradient in [`relaxed`]. For glasses too large to
//! store H, [`MatrixFreeHessian`] ([`matrix_free`]) applies D = M^{-1/2} H M^{-1/2}
//! to vectors from the pair list, with memory linear in N; [`compute_matrix_free`]
//! (stage parameter `matrix: false`) gives Ξ, C^B, σ and the relaxed moduli
//! from it without ever storing H.
//!
//! A potential without an analytic form is refused ([`HessianError::NoForm`]).
//! The `hessian` workflow stage is [`HessianStage`] ([`stage`]).
//!
//! # Accuracy (what the tests show)
//! - H is exactly symmetric; Σ_j H_ij and Σ_i Ξ_i vanish to ~1e-15 of the
//!   largest entry.
//! - With a smooth potential, H, Ξ and C^B equal central differences of forces
//!   and energies to round-off (median |ΔH| ~1e-10 eV/Å², C^B to 1e-6).
//!   With LAMMPS' tables, whose second derivatives jump at every knot, the
//!   same holds for every entry whose difference does not straddle a knot.
//! - Against LAMMPS on a minimized Cu50Zr50 glass: the finite-difference
//!   Hessian of LAMMPS' forces to 2e-8 eV/Å² away from knots; the Born moduli
//!   against affine box strains to 1e-5 of the largest; the relaxed moduli
//!   against strain-and-minimize to 1e-5 (C11) and 1e-4 of the largest
//!   (Kob–Andersen, without knots: 1e-7).

// Index loops mirror the tensor formulas they implement (C_ab, Ξ_{m,a}, 3×3 blocks).
#![allow(clippy::needless_range_loop)]

pub mod affine;
pub mod assemble;
mod compute;
pub mod matrix_free;
pub mod model;
pub mod npz;
pub mod outputs;
pub mod products;
pub mod relaxed;
pub mod stage;

pub use assemble::AssemblyStats;
pub use compute::{
    compute, compute_matrix_free, compute_matrix_free_reporting, compute_reporting,
    compute_with_form, AnalyticDerivatives, HessianOptions, HessianReport, HessianRun, Timings,
};
pub use matrix_free::MatrixFreeHessian;
pub use products::{HessianError, HessianProducts, MatrixFormat, VOIGT};
pub use relaxed::{
    relaxed_moduli, relaxed_moduli_of, HessianOperator, PcgOptions, PcgReport, Relaxation,
};
pub use stage::{HessianStage, INFO};
