//! The `arpack` spectrum solver (docs/theory.md §4): the lowest k eigenpairs
//! of D = M^{-1/2} H M^{-1/2} — the boson-peak window — by ARPACK
//! (crate `nonaffine-arpack`), with the same products as the dense solver
//! (Ξ̂_{p,a}, participation ratios) for those modes.
//!
//! Two modes (parameter `mode`):
//! - `shift-invert`: ARPACK iterates with (D − σ)^{-1}, σ = −`shift`·max|D_ii|
//!   slightly below zero so D − σ is positive definite. Each product is, with
//!   `inner: cholesky` (default), two triangular solves with faer's sparse
//!   Cholesky factor of D − σ (AMD order, supernodal; [`cholesky`]), or, with
//!   `inner: cg`, a Jacobi-preconditioned conjugate-gradient solve to
//!   `inner_tolerance` (only D·v products: no entries stored). Few outer
//!   iterations; the factor's fill, or the CG length (∝ λ_max/|σ|), is the price.
//! - `regular` (default): ARPACK's smallest-algebraic Lanczos on D itself, no
//!   inner solves; each product uses D's upper triangle without its stored
//!   zeros (`CompactCsr`). Chosen by the benchmark (`cargo bench -p
//!   spectrum-arpack`, lowest 50–200 modes of Cu50Zr50 glasses against scipy's
//!   `eigsh` and dense; figures in the README): as fast as shift-invert at
//!   N = 2000, faster for 50 modes; shift-invert wins from 200 modes at
//!   N = 8192, where the nearly dense factor costs less than regular's restarts.
//!
//! Diagnostics: largest ‖Dφ − λφ‖/max|λ| of the returned modes, restarts,
//! products with OP, total D·v products (CG) or solves (Cholesky) and the
//! factor's non-zeros.

pub mod cholesky;

use nonaffine_arpack::{eigenpairs, Mode, Options};
use nonaffine_core::spectrum::{participation_ratio, project};
use nonaffine_core::{
    Modes, ModesKind, ParamError, ParamKind, ParamSpec, Params, PluginError, PluginInfo,
    SolverError, SpectrumProblem, SpectrumResult, SpectrumSolver, SymmetricOperator,
};
use std::cell::Cell;

/// Registry entry.
pub const INFO: PluginInfo = PluginInfo {
    name: "arpack",
    version: "2",
    doc: "The lowest `modes` eigenpairs of the mass-weighted Hessian (the boson-peak window) by \
          ARPACK: regular smallest-algebraic Lanczos (default), or shift-invert about a small \
          negative shift with a sparse Cholesky factor (default) or conjugate-gradient inner \
          solves. Memory ~ (ncv + modes)·3N doubles, plus the factor in shift-invert.",
    params: PARAMS,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "modes",
        kind: ParamKind::Integer,
        unit: "",
        default: Some("100"),
        doc: "number of lowest eigenpairs (including the 3 zero modes)",
    },
    ParamSpec {
        name: "mode",
        kind: ParamKind::Text,
        unit: "",
        default: Some("regular"),
        doc: "regular (Lanczos on D; as fast or faster up to 100 modes in the benchmark) or shift-invert (about σ < 0; faster for 200 modes at N = 8192)",
    },
    ParamSpec {
        name: "inner",
        kind: ParamKind::Text,
        unit: "",
        default: Some("cholesky"),
        doc: "shift-invert: cholesky (sparse supernodal factor of D − σ, AMD order) or cg (conjugate gradients, matrix-free)",
    },
    ParamSpec {
        name: "shift",
        kind: ParamKind::Number,
        unit: "",
        default: Some("1e-4"),
        doc: "shift-invert: σ = −shift·max|D_ii| (small and positive: just below the zero modes)",
    },
    ParamSpec {
        name: "ncv",
        kind: ParamKind::Integer,
        unit: "",
        default: Some("0"),
        doc: "Lanczos basis size (0: max(2·modes + 1, 20))",
    },
    ParamSpec {
        name: "tolerance",
        kind: ParamKind::Number,
        unit: "",
        default: Some("0"),
        doc: "ARPACK's relative accuracy of the eigenvalues (0: machine precision)",
    },
    ParamSpec {
        name: "inner_tolerance",
        kind: ParamKind::Number,
        unit: "",
        default: Some("1e-13"),
        doc: "shift-invert with inner: cg: relative residual of each conjugate-gradient solve",
    },
];

/// Builds the solver.
pub fn build(params: &Params) -> Result<Box<dyn SpectrumSolver>, PluginError> {
    let shift_invert = match params.text_or("mode", "regular")? {
        "shift-invert" => true,
        "regular" => false,
        other => {
            return Err(ParamError::new(
                params.path("mode"),
                format!("`{other}` is not one of: shift-invert, regular"),
            )
            .into())
        }
    };
    let inner = match params.text_or("inner", "cholesky")? {
        "cholesky" => Inner::Cholesky,
        "cg" => Inner::ConjugateGradient,
        other => {
            return Err(ParamError::new(
                params.path("inner"),
                format!("`{other}` is not one of: cholesky, cg"),
            )
            .into())
        }
    };
    let modes = params.count_or("modes", 100)? as usize;
    if modes == 0 {
        return Err(ParamError::new(params.path("modes"), "need at least one mode").into());
    }
    Ok(Box::new(ArpackSolver {
        modes,
        shift_invert,
        inner,
        shift: params.positive_or("shift", 1e-4)?,
        ncv: params.count_or("ncv", 0)? as usize,
        tolerance: params.number_or("tolerance", 0.0)?.max(0.0),
        inner_tolerance: params.positive_or("inner_tolerance", 1e-13)?,
    }))
}

/// The inner solve of shift-invert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inner {
    /// Sparse Cholesky factor of D − σ ([`cholesky::ShiftedCholesky`]).
    Cholesky,
    /// Jacobi-preconditioned conjugate gradients (D·v products only).
    ConjugateGradient,
}

/// Lowest eigenpairs by ARPACK.
#[derive(Clone, Debug)]
pub struct ArpackSolver {
    /// Eigenpairs wanted.
    pub modes: usize,
    /// Shift-invert (true) or regular mode.
    pub shift_invert: bool,
    /// How shift-invert applies (D − σ)^{-1}.
    pub inner: Inner,
    /// σ = −shift·max|D_ii|.
    pub shift: f64,
    /// Lanczos basis size (0: automatic).
    pub ncv: usize,
    /// ARPACK tolerance (0: machine precision).
    pub tolerance: f64,
    /// Relative residual of the inner CG solves.
    pub inner_tolerance: f64,
}

impl SpectrumSolver for ArpackSolver {
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
        if self.modes >= n {
            return Err(fail(format!(
                "modes = {} must be below 3N = {n}; use the dense solver for every mode",
                self.modes
            )));
        }
        let mut diag = vec![0.0; n];
        op.for_each_entry(&mut |i, j, v| {
            if i == j {
                diag[i] = v;
            }
        });
        let scale = diag.iter().fold(0.0_f64, |m, d| m.max(d.abs()));
        let options = Options {
            nev: self.modes,
            ncv: self.ncv,
            tol: self.tolerance,
            ..Options::default()
        };
        let products = Cell::new(0usize);
        let cg_failure: Cell<Option<String>> = Cell::new(None);
        let mut factor_nonzeros = 0usize;
        let pairs = if self.shift_invert && self.inner == Inner::Cholesky {
            let sigma = -self.shift * scale;
            let mut factor =
                cholesky::ShiftedCholesky::new(op, sigma).map_err(|e| fail(e.to_string()))?;
            factor_nonzeros = factor.factor_nonzeros();
            eigenpairs(n, Mode::ShiftInvert { sigma }, &options, |x, y| {
                factor.solve(x, y);
                products.set(products.get() + 1);
            })
        } else if self.shift_invert {
            let sigma = -self.shift * scale;
            let precond: Vec<f64> = diag.iter().map(|d| 1.0 / (d - sigma)).collect();
            let mut work = CgWork::new(n);
            eigenpairs(
                n,
                Mode::ShiftInvert { sigma },
                &options,
                |x, y| match work.solve(op, sigma, &precond, x, y, self.inner_tolerance) {
                    Ok(k) => products.set(products.get() + k),
                    Err(e) => cg_failure.set(Some(e)),
                },
            )
        } else {
            let compact = CompactCsr::new(op);
            eigenpairs(n, Mode::Regular, &options, |x, y| {
                compact.apply(x, y);
                products.set(products.get() + 1);
            })
        };
        if let Some(e) = cg_failure.take() {
            return Err(fail(e));
        }
        let pairs = pairs.map_err(|e| fail(e.to_string()))?;
        let mut projections = Vec::with_capacity(pairs.values.len());
        let mut participation = Vec::with_capacity(pairs.values.len());
        let mut max_residual: f64 = 0.0;
        let mut dphi = vec![0.0; n];
        for (p, l) in pairs.values.iter().enumerate() {
            let phi = &pairs.vectors[p * n..(p + 1) * n];
            projections.push(project(phi, problem.xi));
            participation.push(participation_ratio(phi));
            op.apply(phi, &mut dphi);
            let r: f64 = dphi
                .iter()
                .zip(phi)
                .map(|(d, f)| (d - l * f).powi(2))
                .sum::<f64>()
                .sqrt();
            max_residual = max_residual.max(r);
        }
        let top = pairs.values.iter().fold(0.0_f64, |m, l| m.max(l.abs()));
        // Shift-invert by Cholesky counts pairs of triangular solves, not D·v.
        let (inner_products, factor_diagnostic) = if factor_nonzeros > 0 {
            (
                "triangular_solve_pairs",
                Some((String::from("factor_nonzeros"), factor_nonzeros as f64)),
            )
        } else {
            ("matrix_vector_products", None)
        };
        Ok(SpectrumResult {
            modes: Modes {
                eigenvalues: pairs.values.clone(),
                projections,
                participation,
                kind: Some(ModesKind::Lowest),
            },
            density: None,
            lowest_eigenvalue: None,
            diagnostics: vec![
                (
                    "max_residual_relative".into(),
                    max_residual / top.max(f64::MIN_POSITIVE),
                ),
                ("restarts".into(), pairs.restarts as f64),
                ("operator_applications".into(), pairs.products as f64),
                (inner_products.into(), products.get() as f64),
            ]
            .into_iter()
            .chain(factor_diagnostic)
            .collect(),
        })
    }
}

/// Buffers of the conjugate-gradient inner solve.
struct CgWork {
    r: Vec<f64>,
    z: Vec<f64>,
    p: Vec<f64>,
    ap: Vec<f64>,
}

impl CgWork {
    fn new(n: usize) -> Self {
        Self {
            r: vec![0.0; n],
            z: vec![0.0; n],
            p: vec![0.0; n],
            ap: vec![0.0; n],
        }
    }

    /// y = (D − σ)^{-1} x by Jacobi-preconditioned CG to ‖r‖ ≤ tol·‖x‖;
    /// returns the number of D·v products.
    fn solve(
        &mut self,
        op: &dyn SymmetricOperator,
        sigma: f64,
        precond: &[f64],
        x: &[f64],
        y: &mut [f64],
        tol: f64,
    ) -> Result<usize, String> {
        let n = x.len();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(u, v)| u * v).sum::<f64>();
        y.fill(0.0);
        self.r.copy_from_slice(x);
        let target = tol * dot(x, x).sqrt();
        for ((z, m), r) in self.z.iter_mut().zip(precond).zip(&self.r) {
            *z = m * r;
        }
        self.p.copy_from_slice(&self.z);
        let mut rz = dot(&self.r, &self.z);
        let max_iter = 20 * n + 100;
        for it in 0..max_iter {
            if dot(&self.r, &self.r).sqrt() <= target {
                return Ok(it);
            }
            op.apply(&self.p, &mut self.ap);
            for k in 0..n {
                self.ap[k] -= sigma * self.p[k];
            }
            let pap = dot(&self.p, &self.ap);
            if pap <= 0.0 {
                return Err(cholesky::FactorError::NotPositiveDefinite { sigma }.to_string());
            }
            let alpha = rz / pap;
            for k in 0..n {
                y[k] += alpha * self.p[k];
                self.r[k] -= alpha * self.ap[k];
                self.z[k] = precond[k] * self.r[k];
            }
            let rz_new = dot(&self.r, &self.z);
            let beta = rz_new / rz;
            rz = rz_new;
            for k in 0..n {
                self.p[k] = self.z[k] + beta * self.p[k];
            }
        }
        Err(format!(
            "conjugate gradients did not reach relative residual {tol:.1e} in {max_iter} iterations; raise inner_tolerance or use mode: regular"
        ))
    }
}

/// D's non-zero entries above the diagonal in CSR with 32-bit column
/// indices, and its diagonal: the product of regular mode. D is symmetric, so
/// each stored D_ij (j > i) serves both y_i and y_j, and entries stored as
/// exact zeros are dropped (a Hessian's pattern may hold whole zero blocks):
/// a product streams 6 bytes per non-zero of D.
struct CompactCsr {
    diagonal: Vec<f64>,
    offsets: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f64>,
}

impl CompactCsr {
    fn new(op: &dyn SymmetricOperator) -> Self {
        let n = op.dim();
        let mut diagonal = vec![0.0; n];
        let mut counts = vec![0usize; n + 1];
        op.for_each_entry(&mut |i, j, v| {
            if j > i && v != 0.0 {
                counts[i + 1] += 1;
            }
        });
        for k in 0..n {
            counts[k + 1] += counts[k];
        }
        let nnz = counts[n];
        let mut fill = counts.clone();
        let mut columns = vec![0u32; nnz];
        let mut values = vec![0.0; nnz];
        op.for_each_entry(&mut |i, j, v| {
            if i == j {
                diagonal[i] += v;
            } else if j > i && v != 0.0 {
                columns[fill[i]] = j as u32;
                values[fill[i]] = v;
                fill[i] += 1;
            }
        });
        Self {
            diagonal,
            offsets: counts,
            columns,
            values,
        }
    }

    /// y = D·x.
    fn apply(&self, x: &[f64], y: &mut [f64]) {
        for ((yi, d), xi) in y.iter_mut().zip(&self.diagonal).zip(x) {
            *yi = d * xi;
        }
        for (i, w) in self.offsets.windows(2).enumerate() {
            let (cols, vals) = (&self.columns[w[0]..w[1]], &self.values[w[0]..w[1]]);
            let xi = x[i];
            let mut sum = 0.0;
            for (&j, &v) in cols.iter().zip(vals) {
                let j = j as usize;
                sum += v * x[j];
                y[j] += v * xi;
            }
            y[i] += sum;
        }
    }
}
