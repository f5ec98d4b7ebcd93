//! The mass-weighted Hessian D = M^{-1/2} H M^{-1/2} as a matrix-free operator:
//! D·v from a half pair list on the fly, for glasses too large to store H
//! (docs/theory.md §4, the `lanczos` solver; issue 5).
//!
//! With the notation of [`crate::model`] (u = M^{-1/2} v, pair (i, j) with
//! vector e = x_j − x_i, g_ij = ρ'_{i←j}(r)/r so that b_{i,j} = g_ij e), the
//! product H u of [`crate::assemble`]'s matrix is
//! ```text
//! (H u)_m = Σ_bonds(m→n) K_mn (u_m − u_n)                      (pair term, C12)
//!         + Σ_k F''_k b_{k,m} (Σ_n b_{k,n}·u_n)               (embedding, C6/C8)
//! ```
//! and is evaluated in two passes over the pairs:
//! 1. s_k = Σ_n b_{k,n}·u_n = ∇ρ̄_k·u: each pair adds g_ij d to s_i and g_ji d to
//!    s_j, d = e·(u_j − u_i) (b_{k,k} = −Σ_n b_{k,n} is what makes it a difference);
//! 2. with w_k = F''_k s_k, each pair adds t − c e to row i and −(t − c e) to
//!    row j, t = K (u_i − u_j), c = w_i g_ij + w_j g_ji.
//!
//! Memory: 64 bytes per pair (indices, e, the stiffness coefficients A, B of
//! K = A e⊗e + B 1 and g_ij, g_ji) plus a few doubles per atom — linear in N,
//! about 1/25 of the stored CSR matrix for a metallic glass (whose embedding
//! term couples atoms out to twice the cutoff). Each product also allocates
//! one 3N (and one N) accumulator per worker thread: the pairs are split into
//! contiguous chunks, one per thread, summed separately and added, so results
//! differ between thread counts only by round-off.
//!
//! The same pairs give Ξ (paper Eq. C9, [`crate::affine`]):
//! Ξ_{m,a} = Σ_bonds(m) K E^a e − Σ_k F''_k τ_{k,a} b_{k,m}, without the bond and
//! density-gradient lists of [`crate::AnalyticDerivatives`].
//!
//! Accuracy (tests): D·v equals the stored CSR matrix's product to ~1e-15
//! relative, and central differences of forces to the difference's own error.

use crate::model::{check_species, dot, strain_dir, strain_quad};
use crate::relaxed::HessianOperator;
use crate::HessianError;
use nalgebra::Matrix3;
use nonaffine_core::units::GPA_PER_EV_PER_A3;
use nonaffine_core::{EamForm, Potential, Structure, SymmetricOperator};
use nonaffine_forces::NeighborList;
use rayon::prelude::*;

/// One pair of the half list with what its products need (64 bytes).
#[derive(Clone, Copy, Debug)]
struct PairTerm {
    /// First atom.
    i: u32,
    /// Second atom (equal to `i` for a periodic self-image).
    j: u32,
    /// Vector from i to (the image of) j, Å.
    e: [f64; 3],
    /// K = a e⊗e + b 1: a = (ψ'' − ψ'/r)/r² (eV/Å⁴), b = ψ'/r (eV/Å²).
    a: f64,
    /// See `a`.
    b: f64,
    /// ρ'_{i←j}(r)/r, density per Å².
    g_ij: f64,
    /// ρ'_{j←i}(r)/r, density per Å².
    g_ji: f64,
}

impl PairTerm {
    /// K x, eV/Å² · x.
    #[inline]
    fn stiffness_apply(&self, x: [f64; 3]) -> [f64; 3] {
        let s = self.a * (self.e[0] * x[0] + self.e[1] * x[1] + self.e[2] * x[2]);
        [
            s * self.e[0] + self.b * x[0],
            s * self.e[1] + self.b * x[1],
            s * self.e[2] + self.b * x[2],
        ]
    }

    fn is_self_image(&self) -> bool {
        self.i == self.j
    }
}

/// D = M^{-1/2} H M^{-1/2} (eV/(Å²·amu)) of one structure, applied from its
/// pair list; see the module docs.
pub struct MatrixFreeHessian {
    n: usize,
    pairs: Vec<PairTerm>,
    /// F''(ρ̄_m), eV per density².
    f2: Vec<f64>,
    /// 1/sqrt(m) per atom, amu^{-1/2}.
    inv_sqrt_mass: Vec<f64>,
    embedding: bool,
}

/// Sums per-pair contributions into an array of `len` doubles: the pairs are
/// split into one contiguous chunk per thread, each summed into its own
/// accumulator, and the accumulators added.
fn scatter<P, F>(pairs: &[P], len: usize, add: F) -> Vec<f64>
where
    P: Sync,
    F: Fn(&P, &mut [f64]) + Sync,
{
    let chunk = pairs.len().div_ceil(rayon::current_num_threads()).max(1);
    let partial: Vec<Vec<f64>> = pairs
        .par_chunks(chunk)
        .map(|ps| {
            let mut acc = vec![0.0; len];
            for p in ps {
                add(p, &mut acc);
            }
            acc
        })
        .collect();
    let mut parts = partial.into_iter();
    let Some(mut total) = parts.next() else {
        return vec![0.0; len];
    };
    for part in parts {
        total
            .par_iter_mut()
            .zip(part.par_iter())
            .for_each(|(t, p)| *t += p);
    }
    total
}

impl MatrixFreeHessian {
    /// Builds the pair list of `structure` (species indexed as `form`'s, see
    /// [`nonaffine_forces::align_species`]) and evaluates F', F'', φ', φ'',
    /// ρ', ρ'' once; masses from the structure.
    pub fn new(form: &dyn EamForm, structure: &Structure) -> Result<Self, HessianError> {
        let n = structure.len();
        check_species(form, structure)?;
        if u32::try_from(n).is_err() {
            return Err(HessianError::Invalid(format!(
                "{n} atoms: the matrix-free operator indexes atoms with 32 bits"
            )));
        }
        let list = NeighborList::build(structure, form.cutoff())?;
        let t = &structure.types;
        let embedding = form.has_embedding();

        // Host densities ρ̄ (each pair feeds both ends; a self-image pair is two bonds).
        let (f1, f2) = if embedding {
            let rho = scatter(list.pairs(), n, |p, rho| {
                rho[p.i] += form.density(t[p.i], t[p.j], p.r).value;
                rho[p.j] += form.density(t[p.j], t[p.i], p.r).value;
            });
            rho.iter()
                .zip(t)
                .map(|(r, &ty)| {
                    let f = form.embedding(ty, *r);
                    (f.d1, f.d2)
                })
                .unzip()
        } else {
            (vec![0.0; n], vec![0.0; n])
        };

        let pairs: Vec<PairTerm> = list
            .pairs()
            .par_iter()
            .filter_map(|p| {
                let (ti, tj) = (t[p.i], t[p.j]);
                let phi = form.pair(ti, tj, p.r);
                let (rho_ij, rho_ji) = if embedding {
                    (form.density(ti, tj, p.r), form.density(tj, ti, p.r))
                } else {
                    Default::default()
                };
                let inert = [phi.d1, phi.d2, rho_ij.d1, rho_ij.d2, rho_ji.d1, rho_ji.d2]
                    .iter()
                    .all(|x| *x == 0.0);
                if inert {
                    return None;
                }
                // ψ', ψ'' exactly as crate::model evaluates them (same sums, same order).
                let psi1 = phi.d1 + (f1[p.i] * rho_ij.d1 + f1[p.j] * rho_ji.d1);
                let psi2 = phi.d2 + (f1[p.i] * rho_ij.d2 + f1[p.j] * rho_ji.d2);
                let inv_r = 1.0 / p.r;
                let b = psi1 * inv_r;
                Some(PairTerm {
                    i: p.i as u32,
                    j: p.j as u32,
                    e: p.delta,
                    a: (psi2 - b) * inv_r * inv_r,
                    b,
                    g_ij: rho_ij.d1 / p.r,
                    g_ji: rho_ji.d1 / p.r,
                })
            })
            .collect();
        drop(list);
        Ok(Self {
            n,
            pairs,
            f2,
            inv_sqrt_mass: structure.masses().iter().map(|m| 1.0 / m.sqrt()).collect(),
            embedding,
        })
    }

    /// [`MatrixFreeHessian::new`] for a structure whose species are matched to
    /// `potential`'s elements by name (masses from the potential, atom order
    /// kept), as [`crate::compute`] does. A potential without an analytic form
    /// is refused.
    pub fn from_potential(
        structure: &Structure,
        potential: &dyn Potential,
    ) -> Result<Self, HessianError> {
        let form = potential
            .form()
            .ok_or_else(|| HessianError::NoForm(potential.name().to_string()))?;
        let aligned = nonaffine_forces::align_species(structure, potential)?;
        Self::new(form, &aligned)
    }

    /// Atoms N.
    pub fn atoms(&self) -> usize {
        self.n
    }

    /// Interacting pairs stored (half list, periodic self-images included).
    pub fn pairs(&self) -> usize {
        self.pairs.len()
    }

    /// Bytes held (pair list and per-atom arrays), excluding the per-product
    /// accumulators (one 3N and one N array of doubles per thread).
    pub fn bytes(&self) -> usize {
        self.pairs.len() * std::mem::size_of::<PairTerm>()
            + (self.f2.len() + self.inv_sqrt_mass.len()) * std::mem::size_of::<f64>()
    }

    /// ∇ρ̄_k·u for every atom k (pass 1 of the module docs), density units.
    fn density_changes(&self, u: &[f64]) -> Vec<f64> {
        scatter(&self.pairs, self.n, |p, s| {
            let (i, j) = (p.i as usize, p.j as usize);
            let d = p.e[0] * (u[3 * j] - u[3 * i])
                + p.e[1] * (u[3 * j + 1] - u[3 * i + 1])
                + p.e[2] * (u[3 * j + 2] - u[3 * i + 2]);
            s[i] += p.g_ij * d;
            s[j] += p.g_ji * d;
        })
    }

    /// y = H u (eV/Å for u in Å), the unweighted Hessian's product.
    pub fn hessian_apply(&self, u: &[f64], y: &mut [f64]) {
        assert_eq!(u.len(), 3 * self.n, "u must have 3N entries");
        assert_eq!(y.len(), 3 * self.n, "y must have 3N entries");
        let w: Vec<f64> = if self.embedding {
            self.density_changes(u)
                .iter()
                .zip(&self.f2)
                .map(|(s, f2)| s * f2)
                .collect()
        } else {
            Vec::new()
        };
        let sum = scatter(&self.pairs, 3 * self.n, |p, acc| {
            if p.is_self_image() {
                return;
            }
            let (i, j) = (p.i as usize, p.j as usize);
            let du = [
                u[3 * i] - u[3 * j],
                u[3 * i + 1] - u[3 * j + 1],
                u[3 * i + 2] - u[3 * j + 2],
            ];
            let mut f = p.stiffness_apply(du);
            if self.embedding {
                let c = w[i] * p.g_ij + w[j] * p.g_ji;
                for k in 0..3 {
                    f[k] -= c * p.e[k];
                }
            }
            for k in 0..3 {
                acc[3 * i + k] += f[k];
                acc[3 * j + k] -= f[k];
            }
        });
        y.copy_from_slice(&sum);
    }

    /// The 3×3 diagonal blocks of H, eV/Å²:
    /// H_mm = Σ_bonds(m) K + Σ_k F''_k b_{k,m}⊗b_{k,m}.
    /// Exact when each neighbour appears once (cells wider than twice the
    /// cutoff); when several images of atom m neighbour k, b_{k,m} is their
    /// sum and the cross terms between images are left out here (the tests
    /// check the wide case). Used to scale the spectrum stage's zero-mode
    /// tolerance and as the block-Jacobi preconditioner of the relaxed
    /// moduli, where an approximation changes the iteration count, not the
    /// result.
    pub fn hessian_diagonal_blocks(&self) -> Vec<[[f64; 3]; 3]> {
        // b_{m,m} = −Σ_n g_mn e_mn.
        let own = if self.embedding {
            scatter(&self.pairs, 3 * self.n, |p, b| {
                if p.is_self_image() {
                    return;
                }
                let (i, j) = (p.i as usize, p.j as usize);
                for k in 0..3 {
                    b[3 * i + k] -= p.g_ij * p.e[k];
                    b[3 * j + k] += p.g_ji * p.e[k];
                }
            })
        } else {
            Vec::new()
        };
        let flat = scatter(&self.pairs, 9 * self.n, |p, d| {
            if p.is_self_image() {
                return;
            }
            let (i, j) = (p.i as usize, p.j as usize);
            for k in 0..3 {
                for l in 0..3 {
                    let kk = p.a * p.e[k] * p.e[l] + if k == l { p.b } else { 0.0 };
                    d[9 * i + 3 * k + l] += kk;
                    d[9 * j + 3 * k + l] += kk;
                    if self.embedding {
                        // b_{i,j} = g_ij e (F''_i), b_{j,i} = −g_ji e (F''_j).
                        d[9 * j + 3 * k + l] += self.f2[i] * (p.g_ij * p.e[k]) * (p.g_ij * p.e[l]);
                        d[9 * i + 3 * k + l] += self.f2[j] * (p.g_ji * p.e[k]) * (p.g_ji * p.e[l]);
                    }
                }
            }
        });
        flat.chunks_exact(9)
            .enumerate()
            .map(|(m, c)| {
                std::array::from_fn(|k| {
                    std::array::from_fn(|l| {
                        let mut v = c[3 * k + l];
                        if self.embedding {
                            v += self.f2[m] * own[3 * m + k] * own[3 * m + l];
                        }
                        v
                    })
                })
            })
            .collect()
    }

    /// The diagonal of D, eV/(Å²·amu): the diagonals of
    /// [`MatrixFreeHessian::hessian_diagonal_blocks`] over the masses (exact
    /// in cells wider than twice the cutoff, see there).
    pub fn diagonal(&self) -> Vec<f64> {
        self.hessian_diagonal_blocks()
            .iter()
            .enumerate()
            .flat_map(|(m, block)| {
                let w = self.inv_sqrt_mass[m] * self.inv_sqrt_mass[m];
                (0..3).map(move |k| block[k][k] * w)
            })
            .collect()
    }

    /// Largest |D_ii|, eV/(Å²·amu) (scale of the zero-mode tolerance).
    pub fn max_diagonal(&self) -> f64 {
        self.diagonal().iter().fold(0.0, |m, d| m.max(d.abs()))
    }

    /// τ_{k,a} = ∂ρ̄_k/∂η_a = Σ_bonds(k) ρ'_{k←n} (e·E^a e)/r (self-images
    /// count), 6 per atom; empty without an embedding term.
    fn density_strain_derivatives(&self) -> Vec<f64> {
        if !self.embedding {
            return Vec::new();
        }
        scatter(&self.pairs, 6 * self.n, |p, tau| {
            let (i, j) = (p.i as usize, p.j as usize);
            for a in 0..6 {
                let q = strain_quad(a, p.e);
                tau[6 * i + a] += p.g_ij * q;
                tau[6 * j + a] += p.g_ji * q;
            }
        })
    }

    /// Born moduli C^B and residual stress σ, GPa, Voigt, for a cell of
    /// `volume_a3` Å³ (the formulas of [`crate::affine`], summed over the half
    /// pair list: each pair is two bonds, a self-image pair included):
    /// V σ_a = Σ_pairs ψ' (e·E^a e)/r, V C^B_ab = Σ_pairs (E^a e)·K(E^b e) + Σ_k F''_k τ_{k,a} τ_{k,b}.
    pub fn born_and_stress_gpa(&self, volume_a3: f64) -> ([[f64; 6]; 6], [f64; 6]) {
        let sums = scatter(&self.pairs, 42, |p, acc| {
            let dirs: [[f64; 3]; 6] = std::array::from_fn(|a| strain_dir(a, p.e));
            for a in 0..6 {
                let k_a = p.stiffness_apply(dirs[a]);
                for b in a..6 {
                    acc[6 * a + b] += dot(k_a, dirs[b]);
                }
                // ψ'/r = b.
                acc[36 + a] += p.b * strain_quad(a, p.e);
            }
        });
        let mut c = [[0.0; 6]; 6];
        for a in 0..6 {
            for b in a..6 {
                c[a][b] = sums[6 * a + b];
            }
        }
        if self.embedding {
            let tau = self.density_strain_derivatives();
            for (t, f2) in tau.chunks_exact(6).zip(&self.f2) {
                for a in 0..6 {
                    for b in a..6 {
                        c[a][b] += f2 * t[a] * t[b];
                    }
                }
            }
        }
        let scale = GPA_PER_EV_PER_A3 / volume_a3;
        (
            crate::affine::symmetric_gpa(&c, scale),
            std::array::from_fn(|a| sums[36 + a] * scale),
        )
    }

    /// Forces f = −∂U/∂x, eV/Å: each pair pushes ψ'/r e on i and the opposite on j.
    pub fn forces(&self) -> Vec<[f64; 3]> {
        let flat = scatter(&self.pairs, 3 * self.n, |p, f| {
            if p.is_self_image() {
                return;
            }
            let (i, j) = (p.i as usize, p.j as usize);
            for k in 0..3 {
                f[3 * i + k] += p.b * p.e[k];
                f[3 * j + k] -= p.b * p.e[k];
            }
        });
        flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
    }

    /// Ξ_{m,a} = ∂f_m/∂η_a: 3N rows (atom m, axis α at 3m+α), Voigt columns, eV/Å.
    pub fn force_fields(&self) -> Vec<[f64; 6]> {
        let tau = self.density_strain_derivatives();
        let flat = scatter(&self.pairs, 18 * self.n, |p, xi| {
            if p.is_self_image() {
                return;
            }
            let (i, j) = (p.i as usize, p.j as usize);
            for a in 0..6 {
                let mut f = p.stiffness_apply(strain_dir(a, p.e));
                if self.embedding {
                    let c =
                        self.f2[i] * tau[6 * i + a] * p.g_ij + self.f2[j] * tau[6 * j + a] * p.g_ji;
                    for k in 0..3 {
                        f[k] += c * p.e[k];
                    }
                }
                for k in 0..3 {
                    xi[18 * i + 6 * k + a] += f[k];
                    xi[18 * j + 6 * k + a] -= f[k];
                }
            }
        });
        flat.chunks_exact(6)
            .map(|c| std::array::from_fn(|a| c[a]))
            .collect()
    }

    /// M^{-1/2} Ξ, eV/(Å·amu^{1/2}) (what the spectrum solvers project on).
    pub fn force_fields_mass_weighted(&self) -> Vec<[f64; 6]> {
        let mut xi = self.force_fields();
        for (row, x) in xi.iter_mut().enumerate() {
            let w = self.inv_sqrt_mass[row / 3];
            x.iter_mut().for_each(|v| *v *= w);
        }
        xi
    }
}

impl HessianOperator for MatrixFreeHessian {
    fn rows(&self) -> usize {
        3 * self.n
    }

    /// Six passes of [`MatrixFreeHessian::hessian_apply`], one per column.
    fn apply6(&self, x: &[[f64; 6]], y: &mut [[f64; 6]]) {
        let mut u = vec![0.0; 3 * self.n];
        let mut hu = vec![0.0; 3 * self.n];
        for a in 0..6 {
            u.iter_mut().zip(x).for_each(|(u, x)| *u = x[a]);
            self.hessian_apply(&u, &mut hu);
            y.iter_mut().zip(&hu).for_each(|(y, v)| y[a] = *v);
        }
    }

    /// [`MatrixFreeHessian::hessian_diagonal_blocks`] (exact in wide cells).
    fn diagonal_blocks(&self) -> Vec<Matrix3<f64>> {
        self.hessian_diagonal_blocks()
            .iter()
            .map(|b| Matrix3::from_fn(|k, l| b[k][l]))
            .collect()
    }

    /// Largest diagonal entry of the blocks: for a positive semi-definite H,
    /// |H_ij| ≤ max_i H_ii.
    fn max_abs_entry(&self) -> f64 {
        self.hessian_diagonal_blocks()
            .iter()
            .flat_map(|b| (0..3).map(move |k| b[k][k].abs()))
            .fold(0.0, f64::max)
    }
}

impl SymmetricOperator for MatrixFreeHessian {
    fn dim(&self) -> usize {
        3 * self.n
    }

    /// y = D x = M^{-1/2} H M^{-1/2} x.
    fn apply(&self, x: &[f64], y: &mut [f64]) {
        let u: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(row, v)| v * self.inv_sqrt_mass[row / 3])
            .collect();
        self.hessian_apply(&u, y);
        for (row, v) in y.iter_mut().enumerate() {
            *v *= self.inv_sqrt_mass[row / 3];
        }
    }
}
