//! The contract of spectrum solvers (docs/theory.md §4).
//!
//! A solver gets the mass-weighted Hessian D = M^{-1/2} H M^{-1/2} as a
//! [`SymmetricOperator`] (eV/(Å²·amu)) and the mass-weighted force fields
//! M^{-1/2} Ξ_a, and returns [`Modes`]: eigenvalues ω_p² with the projections
//! Ξ̂_{p,a} = φ_p · M^{-1/2} Ξ_a — exact eigenpairs (`dense`, `arpack`) or the
//! nodes and weights of a Gauss quadrature of the spectral measure (`lanczos`).
//! Either way [`Modes::resolvent_sum`] gives the response stage its sums
//! Σ_p Ξ̂_{p,a} Ξ̂_{p,b} / (ω_p² − z).
//!
//! The operator is a trait rather than a sparse-matrix type so this crate stays
//! free of linear-algebra dependencies and a matrix-free D·v (neighbour lists on
//! the fly) can be used by the methods that need only products.

use crate::error::PluginError;
use crate::params::Params;
use num_complex::Complex64;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A real symmetric linear operator y = A·x on ℝⁿ.
pub trait SymmetricOperator: Sync {
    /// n.
    fn dim(&self) -> usize;
    /// y = A·x (`x` and `y` have length n; `y` is overwritten).
    fn apply(&self, x: &[f64], y: &mut [f64]);
    /// Calls `f(row, col, value)` for every non-zero entry (both triangles).
    /// The default builds each column from one product with a unit vector
    /// (n products); sparse matrices override it.
    fn for_each_entry(&self, f: &mut dyn FnMut(usize, usize, f64)) {
        let n = self.dim();
        let mut e = vec![0.0; n];
        let mut col = vec![0.0; n];
        for j in 0..n {
            e[j] = 1.0;
            self.apply(&e, &mut col);
            e[j] = 0.0;
            for (i, v) in col.iter().enumerate() {
                if *v != 0.0 {
                    f(i, j, *v);
                }
            }
        }
    }
}

/// D = diag(d): a spectrum given in its own eigenbasis (benchmarks and tests
/// of solvers, where the eigenpairs must be known exactly).
#[derive(Clone, Debug, PartialEq)]
pub struct DiagonalOperator(pub Vec<f64>);

impl SymmetricOperator for DiagonalOperator {
    fn dim(&self) -> usize {
        self.0.len()
    }
    fn apply(&self, x: &[f64], y: &mut [f64]) {
        for ((y, x), d) in y.iter_mut().zip(x).zip(&self.0) {
            *y = d * x;
        }
    }
    fn for_each_entry(&self, f: &mut dyn FnMut(usize, usize, f64)) {
        for (i, d) in self.0.iter().enumerate() {
            if *d != 0.0 {
                f(i, i, *d);
            }
        }
    }
}

/// What a spectrum solver works on.
pub struct SpectrumProblem<'a> {
    /// D = M^{-1/2} H M^{-1/2}, eV/(Å²·amu), 3N×3N (row 3i+k = atom i, axis k).
    pub operator: &'a dyn SymmetricOperator,
    /// M^{-1/2} Ξ_a, eV/(Å·amu^{1/2}): 3N rows, Voigt columns xx yy zz yz xz xy.
    pub xi: &'a [[f64; 6]],
    /// Debye angular frequency ω_D in sqrt(eV/(Å²·amu)), when the caller knows
    /// it (the `debye` control spectrum needs it).
    pub debye_omega: Option<f64>,
}

impl SpectrumProblem<'_> {
    /// The order 3N of D, after checking that Ξ has one row per row of D and
    /// that the order is a multiple of 3; `solver` names the caller in the error.
    pub fn order(&self, solver: &str) -> Result<usize, SolverError> {
        let n = self.operator.dim();
        if self.xi.len() != n || !n.is_multiple_of(3) {
            return Err(SolverError::Invalid {
                solver: solver.into(),
                message: format!(
                    "operator has {n} rows but Ξ has {} (both must be 3N)",
                    self.xi.len()
                ),
            });
        }
        Ok(n)
    }
}

/// How the entries of [`Modes`] relate to the true eigenpairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModesKind {
    /// Every eigenpair of D (dense diagonalization).
    Complete,
    /// The lowest eigenpairs only (the boson-peak window).
    Lowest,
    /// Nodes and weights of a Gauss quadrature of the spectral measures of Ξ̂
    /// (Ritz values of a block Krylov space): sums of smooth functions are
    /// accurate, individual nodes are not eigenvalues.
    Quadrature,
    /// A model spectrum (Debye control), not computed from D.
    Model,
}

/// Eigenvalues of D with the force-field projections (or quadrature nodes).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Modes {
    /// ω_p², eV/(Å²·amu), ascending.
    pub eigenvalues: Vec<f64>,
    /// Ξ̂_{p,a} = φ_p · M^{-1/2} Ξ_a, eV/(Å·amu^{1/2}), one row per eigenvalue.
    pub projections: Vec<[f64; 6]>,
    /// Participation ratio of each mode, (Σ_i |φ_{p,i}|²)² / (N Σ_i |φ_{p,i}|⁴)
    /// over atoms i (1 = extended, 1/N = one atom); empty when not known.
    pub participation: Vec<f64>,
    /// What the entries are.
    pub kind: Option<ModesKind>,
}

impl Modes {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.eigenvalues.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.eigenvalues.is_empty()
    }

    /// R_ab(z) = Σ_p Ξ̂_{p,a} Ξ̂_{p,b} / (ω_p² − z) (docs/theory.md Eq. (43)), units
    /// of Ξ̂² / (eV/(Å²·amu)) = eV; z in eV/(Å²·amu). Entries whose eigenvalue is
    /// not above `floor` (zero and negative modes) are skipped.
    pub fn resolvent_sum(&self, z: Complex64, floor: f64) -> [[Complex64; 6]; 6] {
        let mut r = [[Complex64::new(0.0, 0.0); 6]; 6];
        for (lambda, x) in self.eigenvalues.iter().zip(&self.projections) {
            if *lambda <= floor {
                continue;
            }
            let g = 1.0 / (Complex64::new(*lambda, 0.0) - z);
            for (row, xa) in r.iter_mut().zip(x) {
                for (v, xb) in row.iter_mut().zip(x) {
                    *v += g * (xa * xb);
                }
            }
        }
        r
    }
}

/// Ξ̂_a = φ · M^{-1/2}Ξ_a for one mode φ (3N components) and the mass-weighted
/// force fields `xi` (3N rows).
pub fn project(phi: &[f64], xi: &[[f64; 6]]) -> [f64; 6] {
    let mut x = [0.0; 6];
    for (f, row) in phi.iter().zip(xi) {
        for (xa, r) in x.iter_mut().zip(row) {
            *xa += f * r;
        }
    }
    x
}

/// ω_p² (eV/(Å²·amu)) of `count` modes distributed by the Debye law
/// D(ω) = 3ω²/ω_D³ on [0, ω_D], at the quantiles ω_p = ω_D ((p + ½)/count)^{1/3},
/// p = 0 … count − 1 (ascending): the frequencies of a Debye control spectrum
/// (paper §IV), `omega_d` in sqrt(eV/(Å²·amu)).
pub fn debye_law_eigenvalues(omega_d: f64, count: usize) -> Vec<f64> {
    (0..count)
        .map(|p| omega_d * omega_d * ((p as f64 + 0.5) / count as f64).powf(2.0 / 3.0))
        .collect()
}

/// Participation ratio (Σ_i |φ_i|²)² / (N Σ_i |φ_i|⁴) over the N atoms of a
/// 3N-component mode: 1 when every atom moves equally, 1/N when one atom moves.
pub fn participation_ratio(phi: &[f64]) -> f64 {
    let (mut s2, mut s4) = (0.0, 0.0);
    for atom in phi.chunks_exact(3) {
        let w = atom[0] * atom[0] + atom[1] * atom[1] + atom[2] * atom[2];
        s2 += w;
        s4 += w * w;
    }
    if s4 == 0.0 {
        return 0.0;
    }
    s2 * s2 / ((phi.len() / 3) as f64 * s4)
}

/// A smoothed density of eigenvalues of D (kernel polynomial method), over
/// all n eigenvalues including zero modes, normalised to n. The grid is
/// uniform in ω = sqrt(λ) from 0 to the top of the spectrum.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EigenvalueDensity {
    /// λ grid, eV/(Å²·amu).
    pub lambda: Vec<f64>,
    /// Number of eigenvalues per unit λ at each grid point (integrates to n).
    pub density: Vec<f64>,
    /// Half-width of the smoothing kernel at the centre of the spectrum, eV/(Å²·amu).
    pub resolution: f64,
    /// Relative statistical error of `density` at its mean level n/(λ range)
    /// (a stochastic trace estimate's; 0 for an exact density).
    pub relative_error: f64,
    /// Smoothed density of three zero modes (translations) on the same grid,
    /// to subtract for a VDOS over non-zero modes.
    pub zero_mode_density: Vec<f64>,
    /// Σ_p Ξ̂_{p,a}² δ(λ − λ_p) smoothed with the same kernel on the same grid
    /// (eV²/(Å²·amu) per eV/(Å²·amu)); divided by `density` it is Γ_a(λ).
    pub projected: Vec<[f64; 6]>,
}

/// What a solver returns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpectrumResult {
    /// Eigenpairs or quadrature nodes with projections.
    pub modes: Modes,
    /// Eigenvalue density, when the solver estimates it without all eigenvalues.
    pub density: Option<EigenvalueDensity>,
    /// Lowest eigenvalue of D as the solver saw it (eV/(Å²·amu)), when it is
    /// not the first entry of `modes` (quadrature solvers).
    pub lowest_eigenvalue: Option<f64>,
    /// Solver diagnostics (name, value): residuals, iterations, sizes.
    pub diagnostics: Vec<(String, f64)>,
}

/// Why a solver failed.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum SolverError {
    /// The numerical method failed; `message` says why and what to change.
    #[error("spectrum solver `{solver}`: {message}")]
    Failed {
        /// Solver name.
        solver: String,
        /// What went wrong.
        message: String,
    },
    /// The problem is inconsistent (Ξ rows ≠ operator size, ...).
    #[error("spectrum solver `{solver}`: {message}")]
    Invalid {
        /// Solver name.
        solver: String,
        /// What is inconsistent.
        message: String,
    },
}

/// A spectrum solver plugin (`dense`, `arpack`, `lanczos`, `debye`).
pub trait SpectrumSolver: Send + Sync {
    /// Plugin name.
    fn name(&self) -> &str;
    /// Checks, before D is read or built, that a problem of order `n` (= 3N)
    /// fits this solver's size and memory limits; an error names the need, what
    /// the machine has and the alternatives. `Ok(Some(note))`: a check could not
    /// be made (the note says which, for the stage's warnings). Default: no limits.
    fn check_order(&self, n: usize) -> Result<Option<String>, SolverError> {
        let _ = n;
        Ok(None)
    }
    /// Solves the problem.
    fn solve(&self, problem: &SpectrumProblem<'_>) -> Result<SpectrumResult, SolverError>;
    /// Solves the problem, reporting the iterations of a long solve to
    /// `progress` (total and position in the solver's own units, e.g. D·v
    /// products, and a status line). Default: [`Self::solve`], no reports.
    fn solve_with_progress(
        &self,
        problem: &SpectrumProblem<'_>,
        progress: &dyn crate::Progress,
    ) -> Result<SpectrumResult, SolverError> {
        let _ = progress;
        self.solve(problem)
    }
}

/// Builds a spectrum solver from parameters.
pub type SpectrumSolverFactory = fn(&Params) -> Result<Box<dyn SpectrumSolver>, PluginError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_3n_and_must_match_the_rows_of_xi() {
        let op = DiagonalOperator(vec![1.0; 6]);
        let xi = [[0.0; 6]; 6];
        let ok = SpectrumProblem {
            operator: &op,
            xi: &xi,
            debye_omega: None,
        };
        assert_eq!(ok.order("dense").ok(), Some(6));
        let short = SpectrumProblem {
            operator: &op,
            xi: &xi[..5],
            debye_omega: None,
        };
        let e = short.order("dense").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("spectrum solver `dense`: operator has 6 rows but Ξ has 5 (both must be 3N)")
        );
        let odd = DiagonalOperator(vec![1.0; 4]);
        let not_3n = SpectrumProblem {
            operator: &odd,
            xi: &xi[..4],
            debye_omega: None,
        };
        assert!(not_3n.order("arpack").is_err());
    }

    /// Only products: the trait's default `for_each_entry`.
    struct ProductsOnly(DiagonalOperator);
    impl SymmetricOperator for ProductsOnly {
        fn dim(&self) -> usize {
            self.0.dim()
        }
        fn apply(&self, x: &[f64], y: &mut [f64]) {
            self.0.apply(x, y)
        }
    }

    #[test]
    fn default_entries_come_from_products() {
        let d = DiagonalOperator(vec![1.0, 0.0, 3.0]);
        let mut seen = Vec::new();
        ProductsOnly(d.clone()).for_each_entry(&mut |i, j, v| seen.push((i, j, v)));
        assert_eq!(seen, vec![(0, 0, 1.0), (2, 2, 3.0)]);
        let mut direct = Vec::new();
        d.for_each_entry(&mut |i, j, v| direct.push((i, j, v)));
        assert_eq!(direct, seen);
    }

    #[test]
    fn debye_law_quantiles_follow_the_cumulative_count() {
        // N(ω) = count (ω/ω_D)³: mode p sits where N = p + ½.
        let (wd, m) = (2.0, 1000);
        let l = debye_law_eigenvalues(wd, m);
        assert_eq!(l.len(), m);
        for (p, lp) in l.iter().enumerate() {
            let n = m as f64 * (lp.sqrt() / wd).powi(3);
            assert!((n - (p as f64 + 0.5)).abs() < 1e-9, "p = {p}: N = {n}");
        }
        assert!(l.windows(2).all(|w| w[0] < w[1]) && l[m - 1] < wd * wd);
    }

    #[test]
    fn participation_ratio_limits() {
        // One atom of four moves: 1/N.
        let mut phi = vec![0.0; 12];
        phi[4] = 1.0;
        assert!((participation_ratio(&phi) - 0.25).abs() < 1e-15);
        // Every atom moves equally: 1.
        assert!((participation_ratio(&[0.5; 12]) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn resolvent_sum_of_two_modes() {
        let m = Modes {
            eigenvalues: vec![0.0, 1.0, 4.0],
            projections: vec![[9.0; 6], [1.0, 2.0, 0.0, 0.0, 0.0, 0.0], [3.0; 6]],
            participation: vec![],
            kind: Some(ModesKind::Complete),
        };
        let z = Complex64::new(2.0, 1.0);
        let r = m.resolvent_sum(z, 1e-12);
        // Zero mode skipped; 1·2/(1−z) + 3·3/(4−z).
        let want = 2.0 / (Complex64::new(1.0, 0.0) - z) + 9.0 / (Complex64::new(4.0, 0.0) - z);
        assert!((r[0][1] - want).norm() < 1e-15);
        assert_eq!(r[1][0], r[0][1]);
    }
}
