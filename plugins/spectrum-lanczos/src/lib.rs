//! The `lanczos` spectrum solver (docs/theory.md Eqs. (32)–(33), large N): everything the
//! response stage needs from D·v products alone, without eigenvectors.
//!
//! **Block Gauss quadrature.** A block Krylov basis V of span{ξ, Dξ, D²ξ, …}
//! (ξ = the six columns M^{-1/2}Ξ_a; full re-orthogonalization, dependent
//! directions dropped) and the projected matrix T = Vᵀ D V give nodes θ_j
//! (eigenvalues of T) and weights Ξ̂_{j,a} = s_jᵀ Vᵀ ξ_a (s_j its eigenvectors).
//! They are a block Gauss rule of the spectral measures:
//! Σ_j Ξ̂_{j,a} Ξ̂_{j,b} p(θ_j) = ξ_aᵀ p(D) ξ_b exactly for polynomials of degree
//! < 2·steps, so the resolvent sums Σ_p Ξ̂_{p,a}Ξ̂_{p,b}/(ω_p² − z) converge
//! geometrically in the number of steps for z off the spectrum
//! ([`nonaffine_core::Modes::resolvent_sum`] evaluates them), and the
//! completeness sum Σ_j Ξ̂_{j,a}² = ‖ξ_a‖² holds exactly.
//!
//! **Kernel polynomial VDOS.** Chebyshev moments μ_k = Tr T_k(D̃) (D̃ = D mapped
//! to [−1, 1]) by a stochastic trace over Rademacher vectors, Jackson damping,
//! reconstructed on a grid uniform in ω = sqrt(λ). The projected densities
//! Σ_p Ξ̂_{p,a}² δ(λ − λ_p) use exact moments ξ_aᵀ T_k(D̃) ξ_a with the same
//! kernel, so Γ_a = projected/density. Resolution: the Jackson kernel's width
//! π·h/K in λ (h = half the spectral range, K = moments); statistical error of
//! the density ≈ 1/sqrt(R·n) relative (R vectors, n = 3N).
//!
//! Memory: the Krylov basis, (6·steps)·3N doubles (N = 8192, 200 steps: 236 MB),
//! and 60 vectors for the spectral bounds; the KPM needs 3 vectors per thread
//! (vectors and columns run in parallel, like the block products). The solver
//! sees D only through products, so with the spectrum stage's
//! `operator: matrix-free` (`nonaffine_hessian::MatrixFreeHessian`) nothing is
//! stored beyond a pair list: 10⁶ atoms fit in a few GiB (crate README of
//! nonaffine-spectrum, example `million`).

use rayon::prelude::*;

use nonaffine_core::{
    EigenvalueDensity, Modes, ModesKind, ParamError, ParamKind, ParamSpec, Params, PluginError,
    PluginInfo, SolverError, SpectrumProblem, SpectrumResult, SpectrumSolver, SymmetricOperator,
};

/// Registry entry.
pub const INFO: PluginInfo = PluginInfo {
    name: "lanczos",
    version: "1",
    doc:
        "Matrix-free spectrum: block-Lanczos Gauss quadrature of the spectral measures of the six \
          Ξ̂ components (resolvent sums for the response without eigenvectors, exact for \
          polynomials of degree < 2·steps) and a kernel-polynomial (Chebyshev, Jackson, \
          stochastic trace) VDOS and Γ(ν). Memory ~ 6·steps·3N doubles; with the stage's \
          `operator: matrix-free` D is never stored.",
    params: PARAMS,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "steps",
        kind: ParamKind::Integer,
        unit: "",
        default: Some("150"),
        doc: "block Lanczos steps (quadrature exact to polynomial degree 2·steps − 1)",
    },
    ParamSpec {
        name: "moments",
        kind: ParamKind::Integer,
        unit: "",
        default: Some("800"),
        doc: "Chebyshev moments of the KPM density (resolution ~ π·half-range/moments)",
    },
    ParamSpec {
        name: "random_vectors",
        kind: ParamKind::Integer,
        unit: "",
        default: Some("16"),
        doc: "Rademacher vectors of the stochastic trace (error ~ 1/sqrt(vectors·3N))",
    },
    ParamSpec {
        name: "grid",
        kind: ParamKind::Integer,
        unit: "",
        default: Some("2000"),
        doc: "points of the density grid, uniform in ω = sqrt(λ)",
    },
    ParamSpec {
        name: "seed",
        kind: ParamKind::Integer,
        unit: "",
        default: Some("1"),
        doc: "seed of the random vectors",
    },
];

/// Builds the solver.
pub fn build(params: &Params) -> Result<Box<dyn SpectrumSolver>, PluginError> {
    let positive = |key: &str, default: u64| -> Result<usize, PluginError> {
        let v = params.count_or(key, default)?;
        if v == 0 {
            return Err(ParamError::new(params.path(key), "must be at least 1").into());
        }
        Ok(v as usize)
    };
    Ok(Box::new(LanczosSolver {
        steps: positive("steps", 150)?,
        moments: positive("moments", 800)?.max(2),
        random_vectors: positive("random_vectors", 16)?,
        grid: positive("grid", 2000)?.max(2),
        seed: params.count_or("seed", 1)?,
    }))
}

/// Block-Lanczos quadrature plus KPM density.
#[derive(Clone, Debug)]
pub struct LanczosSolver {
    /// Block Lanczos steps.
    pub steps: usize,
    /// Chebyshev moments.
    pub moments: usize,
    /// Rademacher vectors.
    pub random_vectors: usize,
    /// Density grid points.
    pub grid: usize,
    /// Random seed.
    pub seed: u64,
}

impl SpectrumSolver for LanczosSolver {
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
        let columns: Vec<Vec<f64>> = (0..6)
            .map(|a| problem.xi.iter().map(|r| r[a]).collect())
            .collect();
        let quad = block_gauss_quadrature(op, &columns, self.steps).map_err(fail)?;
        // Spectral bounds from a random-start Lanczos run (extremes converge fast).
        let (low, high) = extreme_eigenvalues(op, 60.min(n), self.seed);
        let width = (high - low).max(f64::MIN_POSITIVE);
        let lo = low.min(0.0) - 0.01 * width;
        let hi = high + 0.01 * width;
        let kpm = kpm_density(
            op,
            &columns,
            (lo, hi),
            self.moments,
            self.random_vectors,
            self.grid,
            self.seed,
        );
        Ok(SpectrumResult {
            modes: Modes {
                eigenvalues: quad.nodes,
                projections: quad.weights,
                participation: Vec::new(),
                kind: Some(ModesKind::Quadrature),
            },
            density: Some(kpm),
            lowest_eigenvalue: Some(low),
            diagnostics: vec![
                ("krylov_dimension".into(), quad.dimension as f64),
                ("block_steps".into(), quad.steps as f64),
                ("spectrum_low".into(), low),
                ("spectrum_high".into(), high),
                ("moments".into(), self.moments as f64),
                ("random_vectors".into(), self.random_vectors as f64),
            ],
        })
    }
}

/// Nodes and weights of a block Gauss rule.
#[derive(Clone, Debug)]
pub struct Quadrature {
    /// Nodes θ_j (eigenvalues of T), ascending.
    pub nodes: Vec<f64>,
    /// Weights Ξ̂_{j,a}: Σ_j Ξ̂_{j,a}Ξ̂_{j,b} f(θ_j) ≈ ξ_aᵀ f(D) ξ_b.
    pub weights: Vec<[f64; 6]>,
    /// Krylov dimension reached.
    pub dimension: usize,
    /// Block steps taken.
    pub steps: usize,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Orthogonalizes `w` against every vector of `basis` twice (classical
/// Gram–Schmidt, "twice is enough").
fn orthogonalize(w: &mut [f64], basis: &[Vec<f64>]) {
    for _ in 0..2 {
        for v in basis {
            let c = dot(v, w);
            for (x, y) in w.iter_mut().zip(v) {
                *x -= c * y;
            }
        }
    }
}

/// Rows per task of the block updates: the candidates' slices (≤ 6 × 32 kB)
/// stay in cache while the basis streams through.
const ROWS_PER_TASK: usize = 4096;

/// Every candidate c_j ← c_j − Σ_k (b_k·c_j) b_k, swept twice (block classical
/// Gram–Schmidt, "twice is enough"). Each sweep reads the basis twice
/// whatever the number of candidates (sequential Gram–Schmidt of six
/// candidates reads it 24 times): on large glasses this, not D·v, bounds
/// the quadrature. Basis vectors and row blocks are shared between threads.
fn orthogonalize_block(candidates: &mut [Vec<f64>], basis: &[Vec<f64>]) {
    if basis.is_empty() || candidates.is_empty() {
        return;
    }
    for _ in 0..2 {
        let coefficients: Vec<Vec<f64>> = basis
            .par_iter()
            .map(|b| candidates.iter().map(|c| dot(b, c)).collect())
            .collect();
        let mut tasks: Vec<Vec<&mut [f64]>> = Vec::new();
        for c in candidates.iter_mut() {
            for (t, part) in c.chunks_mut(ROWS_PER_TASK).enumerate() {
                if tasks.len() <= t {
                    tasks.push(Vec::new());
                }
                tasks[t].push(part);
            }
        }
        tasks
            .into_par_iter()
            .enumerate()
            .for_each(|(t, mut parts)| {
                let start = t * ROWS_PER_TASK;
                for (b, coefficient) in basis.iter().zip(&coefficients) {
                    let rows = &b[start..start + parts[0].len()];
                    for (part, a) in parts.iter_mut().zip(coefficient) {
                        for (x, y) in part.iter_mut().zip(rows) {
                            *x -= a * y;
                        }
                    }
                }
            });
    }
}

/// Block Lanczos with full re-orthogonalization from the six `columns`.
pub fn block_gauss_quadrature(
    op: &dyn SymmetricOperator,
    columns: &[Vec<f64>],
    steps: usize,
) -> Result<Quadrature, String> {
    let n = op.dim();
    let mut basis: Vec<Vec<f64>> = Vec::new();
    let mut t_upper: Vec<Vec<f64>> = Vec::new(); // t_upper[k][i] = v_i·D v_k, i ≤ k
    let scale = columns
        .iter()
        .map(|c| dot(c, c).sqrt())
        .fold(0.0_f64, f64::max);
    if scale == 0.0 {
        return Err("every Ξ column is zero: nothing to project".into());
    }
    // First block: the independent directions of ξ.
    let mut block = Vec::new();
    for c in columns {
        let mut w = c.clone();
        orthogonalize(&mut w, &block);
        let norm = dot(&w, &w).sqrt();
        if norm > 1e-10 * scale {
            block.push(w.iter().map(|x| x / norm).collect::<Vec<f64>>());
        }
    }
    let mut taken = 0;
    while taken < steps && !block.is_empty() && basis.len() < n {
        taken += 1;
        block.truncate(n - basis.len());
        // D v for the whole block, then v_i·D v_k for every basis vector
        // i ≤ k in one pass over the basis.
        let mut products: Vec<Vec<f64>> = block
            .par_iter()
            .map(|v| {
                let mut w = vec![0.0; n];
                op.apply(v, &mut w);
                w
            })
            .collect();
        let first = basis.len();
        basis.append(&mut block);
        let rows: Vec<Vec<f64>> = basis
            .par_iter()
            .enumerate()
            .map(|(i, b)| {
                products
                    .iter()
                    .enumerate()
                    .map(|(j, w)| if i <= first + j { dot(b, w) } else { 0.0 })
                    .collect()
            })
            .collect();
        for j in 0..products.len() {
            t_upper.push(rows[..=first + j].iter().map(|r| r[j]).collect());
        }
        let norms: Vec<f64> = products.iter().map(|w| dot(w, w).sqrt()).collect();
        orthogonalize_block(&mut products, &basis);
        let mut next: Vec<Vec<f64>> = Vec::new();
        for (mut c, norm_w) in products.into_iter().zip(norms) {
            orthogonalize(&mut c, &next);
            let norm = dot(&c, &c).sqrt();
            if norm > 1e-10 * norm_w.max(f64::MIN_POSITIVE) && basis.len() + next.len() < n {
                next.push(c.iter().map(|x| x / norm).collect::<Vec<f64>>());
            }
        }
        block = next;
    }
    let m = basis.len();
    let mut t = vec![0.0; m * m];
    for (k, row) in t_upper.iter().enumerate() {
        for (i, v) in row.iter().enumerate() {
            t[k * m + i] = *v;
            t[i * m + k] = *v;
        }
    }
    let nodes = nonaffine_lapack::symmetric_eigen_in_place(m, &mut t, true)
        .map_err(|e| format!("eigenvalues of the {m}×{m} Krylov projection: {e}"))?;
    // E = Vᵀ ξ (m×6); weights_j = s_jᵀ E.
    let e: Vec<[f64; 6]> = basis
        .iter()
        .map(|v| std::array::from_fn(|a| dot(v, &columns[a])))
        .collect();
    let weights = (0..m)
        .map(|j| {
            let s = &t[j * m..(j + 1) * m];
            let mut x = [0.0; 6];
            for (si, ei) in s.iter().zip(&e) {
                for a in 0..6 {
                    x[a] += si * ei[a];
                }
            }
            x
        })
        .collect();
    Ok(Quadrature {
        nodes,
        weights,
        dimension: m,
        steps: taken,
    })
}

/// SplitMix64 bits for the Rademacher vectors.
const SPLITMIX_STEP: u64 = 0x9E37_79B9_7F4A_7C15;

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(SPLITMIX_STEP);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn rademacher(n: usize, state: &mut u64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            if splitmix(state) >> 63 == 0 {
                1.0
            } else {
                -1.0
            }
        })
        .collect()
}

/// Lowest and highest Ritz values of `steps` Lanczos steps (full
/// re-orthogonalization) from a random vector.
pub fn extreme_eigenvalues(op: &dyn SymmetricOperator, steps: usize, seed: u64) -> (f64, f64) {
    let n = op.dim();
    let mut state = seed ^ 0x5EED;
    let mut v = rademacher(n, &mut state);
    let norm = dot(&v, &v).sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    let mut basis: Vec<Vec<f64>> = Vec::new();
    let mut alpha = Vec::new();
    let mut beta = Vec::new();
    let mut w = vec![0.0; n];
    for _ in 0..steps.max(1) {
        op.apply(&v, &mut w);
        let a = dot(&v, &w);
        basis.push(v.clone());
        alpha.push(a);
        orthogonalize(&mut w, &basis);
        let b = dot(&w, &w).sqrt();
        if b <= 1e-12 * a.abs().max(f64::MIN_POSITIVE) {
            break;
        }
        beta.push(b);
        v = w.iter().map(|x| x / b).collect();
    }
    let m = alpha.len();
    let mut t = vec![0.0; m * m];
    for i in 0..m {
        t[i * m + i] = alpha[i];
        if i + 1 < m {
            t[i * m + i + 1] = beta[i];
            t[(i + 1) * m + i] = beta[i];
        }
    }
    match nonaffine_lapack::symmetric_eigen_in_place(m, &mut t, false) {
        Ok(e) if !e.is_empty() => (e[0], e[m - 1]),
        _ => (0.0, alpha.iter().fold(0.0_f64, |x, y| x.max(*y))),
    }
}

/// Jackson damping factors g_k, k < K (Weiße et al., Rev. Mod. Phys. 78, 275, Eq. 71).
pub fn jackson(k_max: usize) -> Vec<f64> {
    let q = std::f64::consts::PI / (k_max as f64 + 1.0);
    (0..k_max)
        .map(|k| {
            let k = k as f64;
            ((k_max as f64 - k + 1.0) * (q * k).cos() + (q * k).sin() / q.tan())
                / (k_max as f64 + 1.0)
        })
        .collect()
}

/// Chebyshev moments v₀ᵀT_k(D̃)v₀ for k < K of one vector, K/2 products
/// (μ_{2k} = 2t_kᵀt_k − μ₀, μ_{2k+1} = 2t_{k+1}ᵀt_k − μ₁).
fn chebyshev_moments(
    op: &dyn SymmetricOperator,
    v0: &[f64],
    center: f64,
    half: f64,
    k_max: usize,
) -> Vec<f64> {
    let n = v0.len();
    let mut mu = vec![0.0; k_max];
    let mut prev = v0.to_vec();
    let mut cur = vec![0.0; n];
    op.apply(&prev, &mut cur);
    for (c, p) in cur.iter_mut().zip(&prev) {
        *c = (*c - center * p) / half;
    }
    let mu0 = dot(v0, v0);
    let mu1 = dot(v0, &cur);
    mu[0] = mu0;
    if k_max > 1 {
        mu[1] = mu1;
    }
    let mut next = vec![0.0; n];
    let mut k = 1;
    loop {
        if 2 * k >= k_max {
            break;
        }
        // Here prev = t_{k-1}, cur = t_k.
        mu[2 * k] = 2.0 * dot(&cur, &cur) - mu0;
        op.apply(&cur, &mut next);
        for i in 0..n {
            next[i] = 2.0 * (next[i] - center * cur[i]) / half - prev[i];
        }
        if 2 * k + 1 < k_max {
            mu[2 * k + 1] = 2.0 * dot(&next, &cur) - mu1;
        }
        std::mem::swap(&mut prev, &mut cur);
        std::mem::swap(&mut cur, &mut next);
        k += 1;
    }
    mu
}

/// KPM eigenvalue density (normalised to n) and projected densities on
/// λ ∈ `bounds` (which must contain the spectrum), on a grid uniform in sqrt(λ)
/// from 0 to the upper bound.
pub fn kpm_density(
    op: &dyn SymmetricOperator,
    columns: &[Vec<f64>],
    bounds: (f64, f64),
    k_max: usize,
    vectors: usize,
    grid: usize,
    seed: u64,
) -> EigenvalueDensity {
    let n = op.dim();
    let center = 0.5 * (bounds.0 + bounds.1);
    let half = 0.5 * (bounds.1 - bounds.0);
    // The vectors in parallel; vector v continues the SplitMix64 stream where
    // vector v − 1 stopped (the generator is a counter), and the moments are
    // summed in order, so the result does not depend on the threads.
    let per_vector: Vec<Vec<f64>> = (0..vectors)
        .into_par_iter()
        .map(|v| {
            let mut state = seed.wrapping_add(SPLITMIX_STEP.wrapping_mul((v * n) as u64));
            let r = rademacher(n, &mut state);
            chebyshev_moments(op, &r, center, half, k_max)
        })
        .collect();
    let mut mu = vec![0.0; k_max];
    for moments in &per_vector {
        for (m, x) in mu.iter_mut().zip(moments) {
            *m += x / vectors as f64;
        }
    }
    let projected_mu: Vec<Vec<f64>> = columns
        .par_iter()
        .map(|c| chebyshev_moments(op, c, center, half, k_max))
        .collect();
    let g = jackson(k_max);
    let x0 = (0.0 - center) / half;
    let zero_mu: Vec<f64> = (0..k_max)
        .map(|k| 3.0 * (k as f64 * x0.acos()).cos())
        .collect();
    let top = bounds.1.max(0.0);
    let lambda: Vec<f64> = (0..grid)
        .map(|i| top * (i as f64 / (grid - 1) as f64).powi(2))
        .collect();
    let reconstruct = |moments: &[f64], l: f64| -> f64 {
        let x = ((l - center) / half).clamp(-1.0 + 1e-12, 1.0 - 1e-12);
        let theta = x.acos();
        let mut s = g[0] * moments[0];
        for k in 1..k_max {
            s += 2.0 * g[k] * moments[k] * (k as f64 * theta).cos();
        }
        s / (std::f64::consts::PI * (1.0 - x * x).sqrt() * half)
    };
    EigenvalueDensity {
        density: lambda.iter().map(|l| reconstruct(&mu, *l)).collect(),
        zero_mode_density: lambda.iter().map(|l| reconstruct(&zero_mu, *l)).collect(),
        projected: lambda
            .iter()
            .map(|l| std::array::from_fn(|a| reconstruct(&projected_mu[a], *l)))
            .collect(),
        resolution: std::f64::consts::PI * half / k_max as f64,
        lambda,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use nonaffine_core::DiagonalOperator;

    /// Moments by the doubling recursion equal Σ_i v_i² T_k(x_i) computed directly.
    #[test]
    fn chebyshev_moments_of_a_diagonal_operator() {
        let d: Vec<f64> = (0..50)
            .map(|i| 0.1 + 0.8 * (i as f64 / 49.0).powi(2))
            .collect();
        let v: Vec<f64> = (0..50).map(|i| ((i * 7 % 11) as f64 - 5.0) / 5.0).collect();
        let mu = chebyshev_moments(&DiagonalOperator(d.clone()), &v, 0.5, 0.5, 31);
        for (k, m) in mu.iter().enumerate() {
            let direct: f64 = d
                .iter()
                .zip(&v)
                .map(|(l, x)| x * x * (k as f64 * ((l - 0.5) / 0.5).acos()).cos())
                .sum();
            assert!((m - direct).abs() < 1e-12, "k = {k}: {m} vs {direct}");
        }
    }

    #[test]
    fn jackson_factors_start_at_one_and_decay() {
        let g = jackson(100);
        assert!((g[0] - 1.0).abs() < 1e-14);
        assert!(g.windows(2).all(|w| w[1] <= w[0] + 1e-15));
        assert!(g[99] < 1e-3);
    }
}
