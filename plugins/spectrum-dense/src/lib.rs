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
          Refused before the Hessian is read when that exceeds the available memory or LAPACK's \
          32-bit workspace (3N > 32766). Exact reference for the other solvers.",
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

    fn check_order(&self, n: usize) -> Result<Option<String>, SolverError> {
        limits(n, nonaffine_core::resources::available_memory_bytes()).map_err(|message| {
            SolverError::Failed {
                solver: INFO.name.into(),
                message,
            }
        })
    }

    fn solve(&self, problem: &SpectrumProblem<'_>) -> Result<SpectrumResult, SolverError> {
        let op = problem.operator;
        let n = problem.order(INFO.name)?;
        self.check_order(n)?;
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

/// What to use instead when the dense solver cannot run.
const ALTERNATIVES: &str = "use `solver: { plugin: lanczos }` or `solver: { plugin: arpack }` \
    (CLI: --solver lanczos), with `operator: matrix-free` for memory linear in N; a Hessian \
    stage need not store the matrix at all (`nonaffine hessian --no-matrix`, or `matrix: false`)";

/// The dense solver's limits for order n = 3N, before anything is allocated:
/// LAPACK's 32-bit workspace (`nonaffine_lapack::check_dsyevd_size`: lwork =
/// 1 + 6n + 2n² ≤ 2³¹ − 1) and the peak memory, about 3n² doubles
/// (`nonaffine_lapack::dsyevd_bytes`), against `available` bytes (MemAvailable;
/// when unknown, the memory check is skipped and the returned note says so).
fn limits(n: usize, available: Result<u64, String>) -> Result<Option<String>, String> {
    let need = nonaffine_lapack::dsyevd_bytes(n);
    let need_gib = nonaffine_core::resources::gib(need);
    let have = match &available {
        Ok(bytes) => format!(
            "this machine has {:.1} GiB available (MemAvailable)",
            nonaffine_core::resources::gib(*bytes as f64)
        ),
        Err(why) => format!("available memory unknown ({why})"),
    };
    if let Err(e) = nonaffine_lapack::check_dsyevd_size(n, true) {
        return Err(format!(
            "3N = {n} is too large for the dense solver: it needs {need_gib:.1} GiB \
             (about 3·(3N)² doubles: the matrix, its eigenvectors in place and dsyevd's \
             workspace) and {e}; {have}. Instead, {ALTERNATIVES}"
        ));
    }
    match available {
        Ok(bytes) if need > bytes as f64 => Err(format!(
            "3N = {n} needs {need_gib:.1} GiB for the dense solver (about 3·(3N)² doubles: the \
             matrix, its eigenvectors in place and dsyevd's workspace), more than the {:.1} GiB \
             this machine has available (MemAvailable). Instead, {ALTERNATIVES}",
            nonaffine_core::resources::gib(bytes as f64)
        )),
        Ok(_) => Ok(None),
        Err(why) => Ok(Some(format!(
            "dense solver: memory not checked ({why}); 3N = {n} needs {need_gib:.1} GiB"
        ))),
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

    /// The limits, with the machine's memory given: 3N = 40 500 (a 13 500-atom
    /// glass) is beyond LAPACK's 32-bit workspace whatever the memory; 3N =
    /// 30 000 fits LAPACK but needs 20.1 GiB (3·30 000²·8 bytes); unknown memory
    /// skips the memory check with a note.
    #[test]
    fn limits_refuse_before_allocating() {
        let gib = 1u64 << 30;
        let e = limits(40_500, Ok(64 * gib)).unwrap_err();
        assert!(
            e.contains("3N = 40500 is too large")
                && e.contains("needs 36.7 GiB")
                && e.contains("32-bit")
                && e.contains("64.0 GiB available")
                && e.contains("plugin: lanczos")
                && e.contains("plugin: arpack")
                && e.contains("operator: matrix-free")
                && e.contains("--no-matrix"),
            "{e}"
        );
        let e = limits(30_000, Ok(16 * gib)).unwrap_err();
        assert!(
            e.contains("needs 20.1 GiB") && e.contains("more than the 16.0 GiB"),
            "{e}"
        );
        assert_eq!(limits(30_000, Ok(24 * gib)), Ok(None));
        let note = limits(30_000, Err("cannot read /proc/meminfo: gone".into()))
            .unwrap()
            .unwrap();
        assert!(
            note.contains("memory not checked (cannot read /proc/meminfo"),
            "{note}"
        );
        let e = limits(40_500, Err("no meminfo".into())).unwrap_err();
        assert!(e.contains("available memory unknown (no meminfo)"), "{e}");
    }

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
