//! Relaxed (static, nonaffine) elastic constants
//! C = C^B − (1/V) Ξᵀ H⁺ Ξ (docs/theory.md Eq. (21); the ω → 0 limit of the response).
//!
//! Minimizing U(x_affine + u, η) over the nonaffine displacement u at fixed
//! strain η, to second order about a force-free reference, gives
//! u_a = H⁺ Ξ_a per unit strain and lowers ∂²U/∂η_a∂η_b by Ξ_aᵀ H⁺ Ξ_b.
//!
//! H is singular: the three uniform translations are exact zero modes, and
//! every Ξ_a is orthogonal to them (Σ_m Ξ_{m,a} = 0). So H u = Ξ_a is solved
//! in the complement of the translations with a preconditioned conjugate
//! gradient: the right-hand side and every residual are projected onto the
//! complement, and the preconditioner is P M⁻¹ P with M the 3×3 diagonal
//! blocks of H (block Jacobi), which keeps the iteration symmetric and
//! positive on that subspace. No dense inverse is formed. The six systems
//! share each pass over H (one product with six vectors per iteration), each
//! with its own CG recurrence. H is any [`HessianOperator`]: the stored CSR
//! matrix, or the matrix-free pair list ([`crate::MatrixFreeHessian`], whose
//! diagonal blocks are exact in cells wider than twice the cutoff and an
//! approximation otherwise — that changes the iteration count, not the result).
//!
//! Accuracy: the iteration stops when ‖H u − Ξ_a‖ ≤ tol · ‖Ξ_a‖; the relaxation
//! term is then accurate to about tol · κ(H) relative, κ the condition number on
//! the complement. A negative curvature pᵀHp ≤ 0 means the structure is not at
//! a minimum (or has further zero modes, e.g. a rattler) and is an error.

use crate::HessianError;
use nalgebra::Matrix3;
use nalgebra_sparse::CsrMatrix;
use nonaffine_core::units::GPA_PER_EV_PER_A3;
use nonaffine_core::{NoProgress, Progress};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Settings of the conjugate-gradient solves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PcgOptions {
    /// Stop when ‖H u − Ξ_a‖ ≤ this × ‖Ξ_a‖.
    pub relative_tolerance: f64,
    /// Iteration limit; 0 means 20 × 3N + 100.
    pub max_iterations: usize,
}

impl Default for PcgOptions {
    fn default() -> Self {
        Self {
            relative_tolerance: 1e-10,
            max_iterations: 0,
        }
    }
}

/// How the six solves went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PcgReport {
    /// Iterations per Voigt component.
    pub iterations: [usize; 6],
    /// Final ‖H u − Ξ_a‖ / ‖Ξ_a‖ per component (recomputed from u, not the recurrence).
    pub relative_residuals: [f64; 6],
}

/// The relaxed moduli and what produced them.
#[derive(Clone, Debug)]
pub struct Relaxation {
    /// Relaxed C (6×6, Voigt, GPa).
    pub relaxed_gpa: [[f64; 6]; 6],
    /// Nonaffine displacement per unit strain u_a = H⁺ Ξ_a: 3N rows, Voigt columns, Å.
    pub displacements: Vec<[f64; 6]>,
    /// Solver statistics.
    pub report: PcgReport,
}

/// H as the relaxed moduli's conjugate gradient uses it: products with six
/// vectors at once, and the 3×3 diagonal blocks for the block-Jacobi
/// preconditioner. Implemented by the stored [`CsrMatrix`] and by the
/// matrix-free [`crate::MatrixFreeHessian`] (memory linear in N).
pub trait HessianOperator: Sync {
    /// Rows (and columns) 3N.
    fn rows(&self) -> usize;
    /// y = H x for six column vectors (3N rows each; x in Å, y in eV/Å).
    fn apply6(&self, x: &[[f64; 6]], y: &mut [[f64; 6]]);
    /// The 3×3 diagonal blocks H_mm, eV/Å². Only the preconditioner uses
    /// them: an approximation slows the iteration, not its result.
    fn diagonal_blocks(&self) -> Vec<Matrix3<f64>>;
    /// Largest |H_ij| or a bound of the same size, eV/Å² (scale of the
    /// round-off cut on Ξ).
    fn max_abs_entry(&self) -> f64;
}

impl HessianOperator for CsrMatrix<f64> {
    fn rows(&self) -> usize {
        self.nrows()
    }

    /// Rows in parallel.
    fn apply6(&self, x: &[[f64; 6]], y: &mut [[f64; 6]]) {
        let (offsets, cols, vals) = self.csr_data();
        y.par_iter_mut().enumerate().for_each(|(row, out)| {
            let mut acc = [0.0; 6];
            for k in offsets[row]..offsets[row + 1] {
                let (v, xr) = (vals[k], &x[cols[k]]);
                for a in 0..6 {
                    acc[a] += v * xr[a];
                }
            }
            *out = acc;
        });
    }

    fn diagonal_blocks(&self) -> Vec<Matrix3<f64>> {
        let atoms = self.nrows() / 3;
        (0..atoms)
            .into_par_iter()
            .map(|m| {
                let mut d = Matrix3::zeros();
                for alpha in 0..3 {
                    let row = self.row(3 * m + alpha);
                    for (&c, &v) in row.col_indices().iter().zip(row.values()) {
                        if c / 3 == m {
                            d[(alpha, c % 3)] = v;
                        }
                    }
                }
                d
            })
            .collect()
    }

    fn max_abs_entry(&self) -> f64 {
        self.values().iter().fold(0.0f64, |m, v| m.max(v.abs()))
    }
}

/// Removes the mean of each Cartesian component (projection onto the
/// complement of uniform translations) from the columns in `active`.
fn project(v: &mut [[f64; 6]], active: &[bool; 6]) {
    let atoms = v.len() / 3;
    if atoms == 0 {
        return;
    }
    let mut mean = [[0.0; 6]; 3];
    for (row, x) in v.iter().enumerate() {
        for a in 0..6 {
            mean[row % 3][a] += x[a];
        }
    }
    for (row, x) in v.iter_mut().enumerate() {
        for a in 0..6 {
            if active[a] {
                x[a] -= mean[row % 3][a] / atoms as f64;
            }
        }
    }
}

fn column_dot(x: &[[f64; 6]], y: &[[f64; 6]]) -> [f64; 6] {
    let mut s = [0.0; 6];
    for (a, b) in x.iter().zip(y) {
        for c in 0..6 {
            s[c] += a[c] * b[c];
        }
    }
    s
}

/// Inverses of the 3×3 diagonal blocks of H (block Jacobi); a block that is
/// not invertible (an atom without neighbours) falls back to the identity.
fn block_jacobi(h: &dyn HessianOperator) -> Vec<Matrix3<f64>> {
    h.diagonal_blocks()
        .into_par_iter()
        .map(|d| d.try_inverse().unwrap_or_else(Matrix3::identity))
        .collect()
}

/// Solves H u_a = Ξ_a (a = six Voigt components) in the complement of the
/// translations and returns C = C^B − (1/V) Ξᵀ u in GPa. A component whose
/// Ξ is round-off only (largest entry ≤ 1e-12 · max|H| · (V/N)^{1/3}) is taken
/// as exactly zero: it does not relax.
pub fn relaxed_moduli(
    hessian: &CsrMatrix<f64>,
    xi: &[[f64; 6]],
    born_gpa: &[[f64; 6]; 6],
    volume_a3: f64,
    options: &PcgOptions,
) -> Result<Relaxation, HessianError> {
    if hessian.ncols() != hessian.nrows() {
        return Err(HessianError::Invalid(format!(
            "relaxed moduli need a square Hessian; got {}×{}",
            hessian.nrows(),
            hessian.ncols()
        )));
    }
    relaxed_moduli_of(hessian, xi, born_gpa, volume_a3, options)
}

/// [`relaxed_moduli`] with H given as any [`HessianOperator`] (for example
/// the matrix-free [`crate::MatrixFreeHessian`]); the same iteration.
pub fn relaxed_moduli_of(
    hessian: &dyn HessianOperator,
    xi: &[[f64; 6]],
    born_gpa: &[[f64; 6]; 6],
    volume_a3: f64,
    options: &PcgOptions,
) -> Result<Relaxation, HessianError> {
    relaxed_moduli_reporting(hessian, xi, born_gpa, volume_a3, options, &NoProgress)
}

/// [`relaxed_moduli_of`] telling `progress` (messages only) each iteration's
/// count of converged solves and largest relative residual.
pub(crate) fn relaxed_moduli_reporting(
    hessian: &dyn HessianOperator,
    xi: &[[f64; 6]],
    born_gpa: &[[f64; 6]; 6],
    volume_a3: f64,
    options: &PcgOptions,
    progress: &dyn Progress,
) -> Result<Relaxation, HessianError> {
    let dim = hessian.rows();
    if xi.len() != dim || !dim.is_multiple_of(3) {
        return Err(HessianError::Invalid(format!(
            "relaxed moduli need a 3N×3N Hessian and 3N rows of Ξ; got {dim}×{dim} and {}",
            xi.len()
        )));
    }
    let max_iterations = if options.max_iterations == 0 {
        20 * dim + 100
    } else {
        options.max_iterations
    };
    let all = [true; 6];
    let mut b = xi.to_vec();
    project(&mut b, &all);
    // A column that is round-off only (every atom a centre of inversion, as
    // in a perfect B2 or fcc crystal) is zero: nothing relaxes. Round-off of a
    // force field is ~1e-16 of max|H| times a bond length; the cut is 1e-12.
    let h_max = hessian.max_abs_entry();
    let spacing = (volume_a3 / (dim / 3).max(1) as f64).cbrt();
    for a in 0..6 {
        let largest = b.iter().fold(0.0f64, |m, x| m.max(x[a].abs()));
        if largest <= 1e-12 * h_max * spacing {
            b.iter_mut().for_each(|x| x[a] = 0.0);
        }
    }
    let b_norm = column_dot(&b, &b).map(f64::sqrt);
    let precond = block_jacobi(hessian);
    let apply_precond = |r: &[[f64; 6]], z: &mut [[f64; 6]], active: &[bool; 6]| {
        z.par_chunks_mut(3).enumerate().for_each(|(m, zm)| {
            let p = &precond[m];
            for (alpha, zrow) in zm.iter_mut().enumerate() {
                for a in 0..6 {
                    if active[a] {
                        zrow[a] = (0..3)
                            .map(|beta| p[(alpha, beta)] * r[3 * m + beta][a])
                            .sum();
                    }
                }
            }
        });
        project(z, active);
    };

    let mut x = vec![[0.0; 6]; dim];
    let mut r = b.clone();
    let mut z = vec![[0.0; 6]; dim];
    let mut q = vec![[0.0; 6]; dim];
    // A column is active until it converges (a zero right-hand side never starts).
    let mut active: [bool; 6] = std::array::from_fn(|a| b_norm[a] > 0.0);
    let mut iterations = [0usize; 6];
    apply_precond(&r, &mut z, &all);
    let mut p = z.clone();
    let mut rz = column_dot(&r, &z);
    let tol = options.relative_tolerance;
    let mut done = 0;
    while active.iter().any(|&a| a) {
        if done >= max_iterations {
            let res = column_dot(&r, &r);
            let worst = (0..6)
                .filter(|&a| active[a])
                .map(|a| res[a].sqrt() / b_norm[a])
                .fold(0.0, f64::max);
            return Err(HessianError::NotConverged(format!(
                "conjugate gradient for the relaxed moduli did not converge in {max_iterations} \
                 iterations (relative residual {worst:.2e}, asked {tol:.0e}); the Hessian is badly \
                 conditioned: is the structure minimized, without rattlers?"
            )));
        }
        done += 1;
        hessian.apply6(&p, &mut q);
        let pq = column_dot(&p, &q);
        let mut step = [0.0; 6];
        for a in 0..6 {
            if !active[a] {
                continue;
            }
            if pq[a] <= 0.0 {
                return Err(HessianError::NotMinimum(format!(
                    "the Hessian has negative or zero curvature pᵀHp = {:.3e} eV/Å² along a \
                     search direction of the {} solve: the structure is not at an energy \
                     minimum (or has zero modes besides the translations); minimize it first",
                    pq[a],
                    crate::VOIGT[a]
                )));
            }
            step[a] = rz[a] / pq[a];
            iterations[a] += 1;
        }
        for ((xi_, ri), (pi, qi)) in x.iter_mut().zip(r.iter_mut()).zip(p.iter().zip(&q)) {
            for a in 0..6 {
                xi_[a] += step[a] * pi[a];
                ri[a] -= step[a] * qi[a];
            }
        }
        project(&mut r, &active);
        let rr = column_dot(&r, &r);
        let mut worst = 0.0f64;
        for a in 0..6 {
            if active[a] {
                worst = worst.max(rr[a].sqrt() / b_norm[a]);
                if rr[a].sqrt() <= tol * b_norm[a] {
                    active[a] = false;
                }
            }
        }
        progress.message(&format!(
            "relaxed moduli: conjugate-gradient iteration {done}, {} of 6 solves left, \
             residual {worst:.1e} (to {tol:.0e})",
            active.iter().filter(|&&a| a).count()
        ));
        apply_precond(&r, &mut z, &active);
        let rz_new = column_dot(&r, &z);
        for (pi, zi) in p.iter_mut().zip(&z) {
            for a in 0..6 {
                if active[a] {
                    pi[a] = zi[a] + rz_new[a] / rz[a] * pi[a];
                }
            }
        }
        rz = rz_new;
    }
    project(&mut x, &all);

    // True residuals and the relaxation term.
    hessian.apply6(&x, &mut q);
    let mut res = [0.0; 6];
    for (qi, bi) in q.iter().zip(&b) {
        for a in 0..6 {
            res[a] += (qi[a] - bi[a]).powi(2);
        }
    }
    let relative_residuals: [f64; 6] = std::array::from_fn(|a| {
        if b_norm[a] > 0.0 {
            res[a].sqrt() / b_norm[a]
        } else {
            0.0
        }
    });
    let scale = GPA_PER_EV_PER_A3 / volume_a3;
    let mut relaxed_gpa = *born_gpa;
    for a in 0..6 {
        for c in 0..6 {
            let mut s = 0.0;
            for (xr, ur) in b.iter().zip(&x) {
                s += 0.5 * (xr[a] * ur[c] + xr[c] * ur[a]);
            }
            relaxed_gpa[a][c] -= s * scale;
        }
    }
    Ok(Relaxation {
        relaxed_gpa,
        displacements: x,
        report: PcgReport {
            iterations,
            relative_residuals,
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use nalgebra::{DMatrix, DVector};
    use nalgebra_sparse::CooMatrix;

    /// A random connected spring network: H = Σ_edges K_e (e_i − e_j)(e_i − e_j)ᵀ
    /// with random positive-definite 3×3 K_e. Positive semi-definite with
    /// exactly the three translations as zero modes.
    fn network(atoms: usize, seed: u64) -> (CsrMatrix<f64>, DMatrix<f64>) {
        let mut state = seed;
        let mut rand = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64) / ((1u64 << 53) as f64)
        };
        let mut dense = DMatrix::zeros(3 * atoms, 3 * atoms);
        let mut edges = Vec::new();
        for i in 1..atoms {
            edges.push(((rand() * i as f64) as usize, i));
        }
        for _ in 0..2 * atoms {
            let (i, j) = (
                (rand() * atoms as f64) as usize,
                (rand() * atoms as f64) as usize,
            );
            if i != j {
                edges.push((i, j));
            }
        }
        for (i, j) in edges {
            let a = Matrix3::from_fn(|_, _| rand() - 0.5);
            let k = a * a.transpose() + Matrix3::identity() * (0.1 + rand());
            for (p, q, s) in [(i, i, 1.0), (j, j, 1.0), (i, j, -1.0), (j, i, -1.0)] {
                for x in 0..3 {
                    for y in 0..3 {
                        dense[(3 * p + x, 3 * q + y)] += s * k[(x, y)];
                    }
                }
            }
        }
        let mut coo = CooMatrix::new(3 * atoms, 3 * atoms);
        for i in 0..3 * atoms {
            for j in 0..3 * atoms {
                if dense[(i, j)] != 0.0 {
                    coo.push(i, j, dense[(i, j)]);
                }
            }
        }
        (CsrMatrix::from(&coo), dense)
    }

    #[test]
    fn matches_a_dense_pseudo_inverse() {
        let atoms = 40;
        let (h, dense) = network(atoms, 7);
        // Ξ with columns summing to zero per axis (as translation invariance gives).
        let mut xi: Vec<[f64; 6]> = (0..3 * atoms)
            .map(|r| std::array::from_fn(|a| ((r * 7 + a * 13) % 17) as f64 - 8.0))
            .collect();
        project(&mut xi, &[true; 6]);
        let born = [[0.0; 6]; 6];
        let volume = 1.0;
        let got = relaxed_moduli(&h, &xi, &born, volume, &PcgOptions::default()).unwrap();
        // Pseudo-inverse from the eigen-decomposition, dropping the 3 zero modes.
        let eig = dense.clone().symmetric_eigen();
        let mut order: Vec<usize> = (0..3 * atoms).collect();
        order.sort_by(|&a, &b| eig.eigenvalues[a].total_cmp(&eig.eigenvalues[b]));
        assert!(eig.eigenvalues[order[2]].abs() < 1e-10 && eig.eigenvalues[order[3]] > 1e-3);
        let mut expect = [[0.0; 6]; 6];
        for &k in &order[3..] {
            let v = eig.eigenvectors.column(k);
            let lam = eig.eigenvalues[k];
            let proj: Vec<f64> = (0..6)
                .map(|a| (0..3 * atoms).map(|r| v[r] * xi[r][a]).sum())
                .collect();
            for a in 0..6 {
                for b in 0..6 {
                    expect[a][b] -= proj[a] * proj[b] / lam * GPA_PER_EV_PER_A3 / volume;
                }
            }
        }
        let scale = expect.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs()));
        for a in 0..6 {
            for b in 0..6 {
                let d = (got.relaxed_gpa[a][b] - expect[a][b]).abs();
                assert!(
                    d <= 1e-8 * scale,
                    "C[{a}][{b}]: {} vs {}",
                    got.relaxed_gpa[a][b],
                    expect[a][b]
                );
            }
            assert!(got.report.relative_residuals[a] <= 1e-10);
        }
        // The displacements solve H u = Ξ and carry no translation.
        let u = DVector::from_fn(3 * atoms, |r, _| got.displacements[r][0]);
        let b = DVector::from_fn(3 * atoms, |r, _| xi[r][0]);
        assert!((&dense * &u - &b).norm() <= 1e-9 * b.norm());
        for axis in 0..3 {
            let t: f64 = (0..atoms).map(|m| u[3 * m + axis]).sum();
            assert!(t.abs() < 1e-10 * u.norm());
        }
    }

    #[test]
    fn negative_curvature_is_reported() {
        let (h, _) = network(10, 3);
        let mut neg = h.clone();
        neg.values_mut().iter_mut().for_each(|v| *v = -*v);
        let mut xi: Vec<[f64; 6]> = (0..30).map(|r| [r as f64; 6]).collect();
        project(&mut xi, &[true; 6]);
        let e = relaxed_moduli(&neg, &xi, &[[0.0; 6]; 6], 1.0, &PcgOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("not at an energy minimum"), "{e}");
    }
}
