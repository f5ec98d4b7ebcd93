//! The affine quantities: nonaffine force fields Ξ, Born moduli C^B and the
//! residual stress σ (docs/theory.md Eqs. (16)–(19); paper Eq. C9).
//!
//! # Convention
//! The homogeneous deformation x → F x with F = 1 + ε(η) is applied to every
//! atom and to the cell, so every bond vector e becomes F e. ε is the
//! symmetric small-strain tensor built from the Voigt vector
//! η = (xx, yy, zz, yz, xz, xy) with engineering shears: ε_xx = η_xx, …,
//! ε_yz = ε_zy = η_yz / 2, …. Then, at η = 0,
//! - σ_a = (1/V) ∂U/∂η_a (Cauchy stress, tension positive; LAMMPS' pressure
//!   tensor is −σ at zero temperature),
//! - C^B_ab = (1/V) ∂²U/∂η_a∂η_b, so that C^B_11, C^B_44, … are the usual
//!   Voigt elastic constants,
//! - Ξ_{m,a} = ∂f_m/∂η_a = −∂²U/∂x_m∂η_a (paper Eq. C9 with κχ = a).
//!
//! Because F is linear in η, C^B is the full second derivative of U along the
//! linear strain. At a non-zero residual stress it therefore differs from
//! the Born term written with the Green–Lagrange strain E = (FᵀF − 1)/2
//! (the stress-fluctuation literature's C^Born) by a stress term:
//! C^B_ab = C^{Green}_ab + ½ σ : (E^a E^b + E^b E^a), with E^a = ∂ε/∂η_a.
//! At mechanical and box equilibrium (σ = 0) the two agree.
//!
//! With the model's notation ([`crate::model`]):
//! ```text
//! V σ_a      = ½ Σ_bonds ψ' (e·E^a e)/r
//! V C^B_ab   = ½ Σ_bonds (E^a e)·K(E^b e) + Σ_k F''_k τ_{k,a} τ_{k,b}
//! Ξ_{m,a}    = Σ_{bonds of m} K E^a e − Σ_k F''_k τ_{k,a} b_{k,m}
//! ```
//! (each pair appears twice among the bonds, hence ½; self-image bonds count
//! in σ and C^B but not in the first sum of Ξ, where their two ends cancel).

use crate::model::{dot, strain_dir, strain_quad, Model};
use nonaffine_core::units::GPA_PER_EV_PER_A3;
use rayon::prelude::*;

/// Ξ: 3N rows (atom m, axis α at row 3m+α), Voigt columns, eV/Å.
pub(crate) fn force_fields(model: &Model) -> Vec<[f64; 6]> {
    let per_atom: Vec<[[f64; 6]; 3]> = (0..model.n)
        .into_par_iter()
        .map(|m| {
            let mut xi = [[0.0; 6]; 3];
            for b in model.bonds_of(m) {
                if b.is_self_image(m) {
                    continue;
                }
                for a in 0..6 {
                    let v = b.stiffness_apply(strain_dir(a, b.e));
                    for alpha in 0..3 {
                        xi[alpha][a] += v[alpha];
                    }
                }
            }
            let (hosts, bms) = model.hosts_of(m);
            for (&k, bkm) in hosts.iter().zip(bms) {
                let f2 = model.f2[k];
                for a in 0..6 {
                    let s = f2 * model.tau[k][a];
                    for alpha in 0..3 {
                        xi[alpha][a] -= s * bkm[alpha];
                    }
                }
            }
            xi
        })
        .collect();
    per_atom.into_iter().flatten().collect()
}

/// (C^B in GPa, σ in GPa) for a cell of `volume_a3`.
pub(crate) fn born_and_stress(model: &Model, volume_a3: f64) -> ([[f64; 6]; 6], [f64; 6]) {
    let zero = || ([[0.0f64; 6]; 6], [0.0f64; 6]);
    // Per-atom terms summed in atom order, so the result does not depend on
    // the number of threads.
    let per_atom: Vec<([[f64; 6]; 6], [f64; 6])> = (0..model.n)
        .into_par_iter()
        .map(|m| {
            let mut acc = zero();
            for bond in model.bonds_of(m) {
                let dirs: [[f64; 3]; 6] = std::array::from_fn(|a| strain_dir(a, bond.e));
                for a in 0..6 {
                    let k_a = bond.stiffness_apply(dirs[a]);
                    for b in a..6 {
                        acc.0[a][b] += 0.5 * dot(k_a, dirs[b]);
                    }
                    acc.1[a] += 0.5 * bond.psi1 * strain_quad(a, bond.e) / bond.r;
                }
            }
            if model.embedding {
                let (f2, tau) = (model.f2[m], model.tau[m]);
                for a in 0..6 {
                    for b in a..6 {
                        acc.0[a][b] += f2 * tau[a] * tau[b];
                    }
                }
            }
            acc
        })
        .collect();
    let (mut c, mut s) = zero();
    for (ca, sa) in per_atom {
        for a in 0..6 {
            for b in a..6 {
                c[a][b] += ca[a][b];
            }
            s[a] += sa[a];
        }
    }
    let scale = GPA_PER_EV_PER_A3 / volume_a3;
    (symmetric_gpa(&c, scale), s.map(|x| x * scale))
}

/// The symmetric 6×6 matrix, GPa, of the upper triangle `upper` (eV), times
/// `scale` = GPa per eV/Å³ over the volume.
pub(crate) fn symmetric_gpa(upper: &[[f64; 6]; 6], scale: f64) -> [[f64; 6]; 6] {
    let mut m = [[0.0; 6]; 6];
    for a in 0..6 {
        for b in a..6 {
            m[a][b] = upper[a][b] * scale;
            m[b][a] = m[a][b];
        }
    }
    m
}

/// Voigt (i, j) index pairs.
const PAIRS: [(usize, usize); 6] = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)];

/// What a stress–strain measurement in LAMMPS gives for moduli `c_gpa`
/// (C^B or the relaxed C, this module's convention) at residual stress
/// `stress_gpa`: M_ba = dσ_b/dh, σ the Cauchy stress (−pressure tensor) in the
/// deformed box, when the box (and atoms, `change_box … remap`) is deformed by
/// the upper-triangular F = 1 + h G^a that LAMMPS' restricted triclinic boxes
/// allow: G = ê_i ê_i for a normal component, ê_y ê_z (y += h z) for yz,
/// ê_x ê_z for xz, ê_x ê_y for xy.
///
/// From σ = J⁻¹ (∂W/∂F) Fᵀ, rotation invariance of W, and
/// C_ab = C^{Green}_ab + tr(E^a E^b σ):
/// M_ba = C_ba − tr(E^b E^a σ) − tr(G^a) σ_b + (G^a σ + σ G^aᵀ)_b.
/// At σ = 0 it is C itself; the difference is linear in σ (GPa), so it matters
/// for stressed structures only.
pub fn lammps_stress_derivative(c_gpa: &[[f64; 6]; 6], stress_gpa: &[f64; 6]) -> [[f64; 6]; 6] {
    let mut sigma = [[0.0; 3]; 3];
    for (b, &(i, j)) in PAIRS.iter().enumerate() {
        sigma[i][j] = stress_gpa[b];
        sigma[j][i] = stress_gpa[b];
    }
    let e = |a: usize| -> [[f64; 3]; 3] {
        let (i, j) = PAIRS[a];
        let mut m = [[0.0; 3]; 3];
        let w = if i == j { 1.0 } else { 0.5 };
        m[i][j] = w;
        m[j][i] = w;
        m
    };
    let mul = |x: &[[f64; 3]; 3], y: &[[f64; 3]; 3]| -> [[f64; 3]; 3] {
        std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| x[i][k] * y[k][j]).sum()))
    };
    let mut out = [[0.0; 6]; 6];
    for a in 0..6 {
        let (p, q) = PAIRS[a];
        let mut g = [[0.0; 3]; 3];
        g[p][q] = 1.0;
        let trace_g = g[0][0] + g[1][1] + g[2][2];
        let gs = mul(&g, &sigma);
        for (b, &(i, j)) in PAIRS.iter().enumerate() {
            let ebea_s = mul(&mul(&e(b), &e(a)), &sigma);
            let trace = ebea_s[0][0] + ebea_s[1][1] + ebea_s[2][2];
            out[b][a] = c_gpa[b][a] - trace - trace_g * stress_gpa[b] + gs[i][j] + gs[j][i];
        }
    }
    out
}
