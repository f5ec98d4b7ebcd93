//! The `dense` spectrum solver (brief §3 "Spectrum"): every eigenpair of the
//! mass-weighted Hessian D by LAPACK's divide-and-conquer `dsyevd` on OpenBLAS
//! (crate `nonaffine-lapack`).
//!
//! Memory: D is copied once into a dense column-major n×n matrix (n = 3N) that
//! `dsyevd` overwrites with the eigenvectors; with its workspace the peak is
//! about 3n² doubles (N = 8192: 14.5 GB). The eigenvectors are reduced to what
//! later stages need — Ξ̂_{p,a} = φ_p · M^{-1/2}Ξ_a and the participation ratio —
//! and dropped.
//!
//! Checks (always run, returned as diagnostics): the largest residual
//! ‖Dφ_p − λ_p φ_p‖ / ‖D‖ over all modes (n products with D) and the largest
//! |φ_p·φ_q − δ_pq| of up to 16 evenly spaced modes against all modes.

use nonaffine_core::spectrum::{participation_ratio, project};
use nonaffine_core::{
    Modes, ModesKind, ParamKind, ParamSpec, Params, PluginError, PluginInfo, SolverError,
    SpectrumProblem, SpectrumResult, SpectrumSolver,
};

/// Registry entry.
pub const INFO: PluginInfo = PluginInfo {
    name: "dense",
    version: "1",
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
        let eigenvalues = nonaffine_lapack::symmetric_eigen_in_place(n, &mut a, true)
            .map_err(|e| fail(e.to_string()))?;

        let mut projections = Vec::with_capacity(n);
        let mut participation = Vec::with_capacity(n);
        let mut max_residual: f64 = 0.0;
        let mut dphi = vec![0.0; n];
        for (p, lambda) in eigenvalues.iter().enumerate() {
            let phi = &a[p * n..(p + 1) * n];
            projections.push(project(phi, problem.xi));
            participation.push(participation_ratio(phi));
            op.apply(phi, &mut dphi);
            let r2: f64 = dphi
                .iter()
                .zip(phi)
                .map(|(d, f)| (d - lambda * f).powi(2))
                .sum();
            max_residual = max_residual.max(r2.sqrt());
        }
        let orthogonality = orthogonality_error(&a, n, 16);
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
                ("orthogonality_error".into(), orthogonality),
                ("frobenius_norm".into(), norm),
                (
                    "blas_threads".into(),
                    nonaffine_lapack::blas_threads() as f64,
                ),
            ],
        })
    }
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
