//! The `dense` spectrum solver (docs/theory.md §4): every eigenpair of the
//! mass-weighted Hessian D by LAPACK's divide-and-conquer `dsyevd` on OpenBLAS
//! (crate `nonaffine-lapack`).
//!
//! Memory: D is copied once into a dense column-major n×n matrix (n = 3N) that
//! `dsyevd` overwrites with the eigenvectors; with its workspace the peak is
//! about 3n² doubles (N = 8192: 14.5 GB). The eigenvectors are reduced to what
//! later stages need — Ξ̂_{p,a} = φ_p · M^{-1/2}Ξ_a and the participation ratio —
//! and dropped.
//!
//! Checks (always run, returned as diagnostics, each O(n²) so that they stay
//! small beside dsyevd's O(n³)): `max_residual_relative`, the largest
//! ‖Dφ_p − λ_p φ_p‖ / max|λ| over the lowest 32 and 32 evenly spaced modes;
//! `rms_residual_relative`, the root mean square of that residual over all n
//! modes, estimated from four random ±1 probes X as ‖(DΦ − ΦΛ)X‖_F² / 4 =
//! ‖DΦ − ΦΛ‖_F² in expectation; and `orthogonality_error`, the largest
//! |φ_p·φ_q − δ_pq| of up to 16 evenly spaced modes against all modes. (An
//! exact residual of every mode costs n products with D: for a glass, whose
//! D has ~1900 entries per row, that took ten times longer than dsyevd at
//! 3N = 1200.) `eigensolver_s` and `products_and_checks_s` (Ξ̂, participation ratios and
//! these checks) say where the time went.

use nonaffine_core::spectrum::{participation_ratio, project};
use nonaffine_core::{
    Modes, ModesKind, ParamKind, ParamSpec, Params, PluginError, PluginInfo, SolverError,
    SpectrumProblem, SpectrumResult, SpectrumSolver, SymmetricOperator,
};

/// Registry entry.
pub const INFO: PluginInfo = PluginInfo {
    name: "dense",
    version: "2",
    doc: "Every eigenpair of the mass-weighted Hessian by LAPACK dsyevd (divide and conquer, \
          OpenBLAS), in place: about 3·(3N)² doubles of memory (N = 8192 atoms: 14.5 GB). \
          Exact reference for the other solvers.",
    params: PARAMS,
};

const PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "threads",
    kind: ParamKind::Integer,
    unit: "",
    default: Some("0"),
    doc: "OpenBLAS threads (0 keeps OpenBLAS' own choice, normally one per core)",
}];

/// Builds the solver.
pub fn build(params: &Params) -> Result<Box<dyn SpectrumSolver>, PluginError> {
    Ok(Box::new(DenseSolver {
        threads: params.count_or("threads", 0)? as usize,
    }))
}

/// Dense diagonalization by `dsyevd`.
#[derive(Clone, Copy, Debug, Default)]
pub struct DenseSolver {
    /// OpenBLAS threads; 0 leaves OpenBLAS' setting alone.
    pub threads: usize,
}

impl SpectrumSolver for DenseSolver {
    fn name(&self) -> &str {
        INFO.name
    }

    fn solve(&self, problem: &SpectrumProblem<'_>) -> Result<SpectrumResult, SolverError> {
        let op = problem.operator;
        let n = problem.order(INFO.name)?;
        let fail = |message: String| SolverError::Failed {
            solver: INFO.name.into(),
            message,
        };
        if self.threads > 0 {
            nonaffine_lapack::set_blas_threads(self.threads);
        }
        let mut a: Vec<f64> = Vec::new();
        a.try_reserve_exact(n * n).map_err(|_| {
            fail(format!(
                "cannot allocate the {:.1} GiB dense matrix for 3N = {n}; use the arpack or lanczos solver",
                (n * n * 8) as f64 / (1u64 << 30) as f64
            ))
        })?;
        a.resize(n * n, 0.0);
        op.for_each_entry(&mut |i, j, v| a[j * n + i] = v);
        let norm = frobenius(&a);
        let clock = std::time::Instant::now();
        let eigenvalues = nonaffine_lapack::symmetric_eigen_in_place(n, &mut a, true)
            .map_err(|e| fail(e.to_string()))?;
        let eigensolver_s = clock.elapsed().as_secs_f64();

        let clock = std::time::Instant::now();
        let mut projections = Vec::with_capacity(n);
        let mut participation = Vec::with_capacity(n);
        for p in 0..n {
            let phi = &a[p * n..(p + 1) * n];
            projections.push(project(phi, problem.xi));
            participation.push(participation_ratio(phi));
        }
        let (max_residual, rms_residual) = residuals(op, &a, &eigenvalues);
        let orthogonality = orthogonality_error(&a, n, 16);
        let checks_s = clock.elapsed().as_secs_f64();
        let scale = eigenvalues
            .iter()
            .fold(0.0_f64, |m, l| m.max(l.abs()))
            .max(f64::MIN_POSITIVE);
        Ok(SpectrumResult {
            modes: Modes {
                eigenvalues,
                projections,
                participation,
                kind: Some(ModesKind::Complete),
            },
            density: None,
            lowest_eigenvalue: None,
            diagnostics: vec![
                ("max_residual_relative".into(), max_residual / scale),
                ("rms_residual_relative".into(), rms_residual / scale),
                ("orthogonality_error".into(), orthogonality),
                ("frobenius_norm".into(), norm),
                (
                    "blas_threads".into(),
                    nonaffine_lapack::blas_threads() as f64,
                ),
                ("eigensolver_s".into(), eigensolver_s),
                ("products_and_checks_s".into(), checks_s),
            ],
        })
    }
}

/// (largest ‖Dφ_p − λ_p φ_p‖ over the lowest 32 and 32 evenly spaced modes,
/// root mean square of it over all modes estimated by four random ±1
/// probes) for the column-major eigenvectors `v` (n×n).
fn residuals(op: &dyn SymmetricOperator, v: &[f64], eigenvalues: &[f64]) -> (f64, f64) {
    let n = eigenvalues.len();
    let mut dphi = vec![0.0; n];
    let residual = |phi: &[f64], lambda: f64, dphi: &mut [f64]| {
        op.apply(phi, dphi);
        dphi.iter()
            .zip(phi)
            .map(|(d, f)| (d - lambda * f).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let step = (n / 32).max(1);
    let sampled = (0..n.min(32)).chain((0..n).step_by(step));
    let max = sampled
        .map(|p| residual(&v[p * n..(p + 1) * n], eigenvalues[p], &mut dphi))
        .fold(0.0_f64, f64::max);
    // Y = Φ X and Z = Φ Λ X in one pass over Φ; then R X = D Y − Z.
    const PROBES: usize = 4;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut sign = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if state & 1 == 0 {
            1.0
        } else {
            -1.0
        }
    };
    let x: Vec<[f64; PROBES]> = (0..n).map(|_| std::array::from_fn(|_| sign())).collect();
    let mut y = vec![vec![0.0; n]; PROBES];
    let mut z = vec![vec![0.0; n]; PROBES];
    for (p, (xp, lambda)) in x.iter().zip(eigenvalues).enumerate() {
        let phi = &v[p * n..(p + 1) * n];
        for j in 0..PROBES {
            let (c, cl) = (xp[j], xp[j] * lambda);
            for ((yk, zk), f) in y[j].iter_mut().zip(z[j].iter_mut()).zip(phi) {
                *yk += c * f;
                *zk += cl * f;
            }
        }
    }
    let mut sum = 0.0;
    for (yj, zj) in y.iter().zip(&z) {
        op.apply(yj, &mut dphi);
        sum += dphi
            .iter()
            .zip(zj)
            .map(|(d, z)| (d - z).powi(2))
            .sum::<f64>();
    }
    let rms = (sum / (PROBES * n.max(1)) as f64).sqrt();
    (max, rms)
}

fn frobenius(a: &[f64]) -> f64 {
    a.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Largest |φ_p·φ_q − δ_pq| for up to `samples` evenly spaced p against every q
/// (column-major eigenvector matrix `v`, n×n).
fn orthogonality_error(v: &[f64], n: usize, samples: usize) -> f64 {
    let step = (n / samples.max(1)).max(1);
    let mut worst: f64 = 0.0;
    for p in (0..n).step_by(step) {
        let vp = &v[p * n..(p + 1) * n];
        for q in 0..n {
            let vq = &v[q * n..(q + 1) * n];
            let dot: f64 = vp.iter().zip(vq).map(|(x, y)| x * y).sum();
            let target = if p == q { 1.0 } else { 0.0 };
            worst = worst.max((dot - target).abs());
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;
    use nonaffine_core::DiagonalOperator;

    /// The checks are exact on exact eigenpairs and see a wrong one: with
    /// eigenvalues 3 and 8 exchanged, those two modes have residual 5, and
    /// (the residual columns being orthogonal) every ±1 probe gives the exact
    /// ‖R‖_F² = 2·5².
    #[test]
    fn residual_checks_see_a_wrong_eigenpair() {
        let n = 12;
        let d: Vec<f64> = (1..=n).map(|k| k as f64).collect();
        let op = DiagonalOperator(d.clone());
        let mut v = vec![0.0; n * n];
        for p in 0..n {
            v[p * n + p] = 1.0;
        }
        let (max, rms) = residuals(&op, &v, &d);
        assert!(max == 0.0 && rms == 0.0, "{max} {rms}");
        let mut wrong = d.clone();
        wrong.swap(2, 7);
        let (max, rms) = residuals(&op, &v, &wrong);
        assert!((max - 5.0).abs() < 1e-12, "{max}");
        let want = (2.0 * 25.0 / n as f64).sqrt();
        assert!((rms - want).abs() < 1e-12, "{rms} vs {want}");
    }
}
