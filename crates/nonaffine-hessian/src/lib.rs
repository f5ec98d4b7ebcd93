//! Hessian and affine quantities of a periodic structure (brief §3
//! "Hessian and affine quantities"; paper Appendix C).
//!
//! [`HessianProducts`] is what the Hessian stage hands to the spectrum and
//! response stages, in memory or through its output folder:
//!
//! | file | content | unit |
//! |---|---|---|
//! | `structure.data` | the structure (LAMMPS data, with Masses) | Å, amu |
//! | `hessian.mtx` | H = ∂²U/∂q∂q, Matrix Market coordinate real symmetric (lower triangle), atom order of the structure, row 3i+k = atom i, axis k | eV/Å² |
//! | `xi.csv` | Ξ_{i,a} = ∂f_i/∂η_a: columns `atom,component,xx,yy,zz,yz,xz,xy` | eV/Å |
//! | `born.json` | C^B (6×6, Voigt xx yy zz yz xz xy), residual stress σ (tension positive), volume | GPa, GPa, Å³ |
//! | `relaxed.json` | relaxed C = C^B − (1/V) Ξᵀ H⁺ Ξ (6×6), when computed | GPa |

pub mod products;

pub use products::{HessianError, HessianProducts, VOIGT};
