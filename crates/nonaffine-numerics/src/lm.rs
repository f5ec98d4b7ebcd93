//! Levenberg–Marquardt least squares for black-box models: minimises
//! Σ r_i(x)² from a start x0, with a finite-difference Jacobian.
//!
//! Each iteration takes the SVD of the column-scaled Jacobian J̃ = J D⁻¹
//! (D = diag of the column norms of J, Marquardt's scaling) and solves the damped
//! step (J̃ᵀJ̃ + λ I) D δ = −J̃ᵀ r from it for every λ it tries, without ever
//! forming JᵀJ. λ starts at 1e-3, falls tenfold after an accepted step (to
//! 1e-12) and rises tenfold after a rejected one (to 1e12, where the fit stops
//! as stalled).
//!
//! The walk goes on until no step with λ ≤ 1e12 lowers the RSS, or a
//! Gauss–Newton step would change nothing within rounding, or
//! `max_iterations`. Only then is the end point checked, and reported
//! [`LmStatus::Converged`] only when it passes: the scaled Jacobian has full
//! rank (every singular value above `rank_tol` times the largest), and the
//! undamped Gauss–Newton step from the point would lower the RSS by at most
//! `ftol` of it (so the point is within √(ftol·(n − p)) standard errors of the
//! local model's optimum) or move the parameters by at most `xtol` (scaled
//! norm; this covers exact fits, whose RSS is rounding noise). A small decrease
//! of the RSS never stops the fit on its own: with a large λ the steps are
//! small far from the optimum too. A stationary point with a rank-deficient
//! Jacobian (e.g. a minimum at infinity) is [`LmStatus::RankDeficient`].
//!
//! Invalid parameter vectors (the residual function returns `None`) are
//! rejected steps, which keeps the parameters inside their domain (bounds) without
//! a transform; the Jacobian then takes the backward difference.
//!
//! The covariance at the optimum is s² (JᵀJ)⁻¹ = s² D⁻¹ V Σ⁻² Vᵀ D⁻¹ with
//! s² = RSS/(n − p), from the same SVD.

use nalgebra::{DMatrix, DVector};
use thiserror::Error;

/// Largest damping λ tried before the fit stops as [`LmStatus::Stalled`].
const LAMBDA_MAX: f64 = 1e12;
/// Smallest damping λ.
const LAMBDA_MIN: f64 = 1e-12;
/// First damping λ.
const LAMBDA_START: f64 = 1e-3;

/// Finite-difference steps of the Jacobian.
#[derive(Clone, Debug, PartialEq)]
pub enum Steps {
    /// Step of parameter i, in its own unit.
    Absolute(Vec<f64>),
    /// Step `rel`·|x_i| (`rel` when x_i = 0), at every point.
    Relative(f64),
}

/// Settings of [`levenberg_marquardt`].
#[derive(Clone, Debug, PartialEq)]
pub struct LmOptions {
    /// Finite-difference steps of the Jacobian.
    pub steps: Steps,
    /// Central differences (2p evaluations per Jacobian, error O(h²)) instead
    /// of forward ones (p evaluations, error O(h)).
    pub central: bool,
    /// Most steps taken.
    pub max_iterations: usize,
    /// The end point is converged when a Gauss–Newton step would lower the
    /// RSS by at most this fraction of it.
    pub ftol: f64,
    /// ... or would move the parameters by at most this fraction (norms of
    /// D·step and D·x).
    pub xtol: f64,
    /// Singular values of the scaled Jacobian below this fraction of the
    /// largest count as zero (the data do not determine the parameters).
    pub rank_tol: f64,
}

impl LmOptions {
    /// Forward differences with `steps`, at most `max_iterations` steps,
    /// ftol = 1e-12, xtol = 1e-10, rank_tol = 1e-10.
    pub fn new(steps: Steps, max_iterations: usize) -> Self {
        Self {
            steps,
            central: false,
            max_iterations,
            ftol: 1e-12,
            xtol: 1e-10,
            rank_tol: 1e-10,
        }
    }
}

/// Why [`levenberg_marquardt`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LmStatus {
    /// The point passed the convergence check (see the module docs).
    Converged,
    /// `max_iterations` steps were taken without passing the check.
    MaxIterations,
    /// No step with λ ≤ 1e12 lowers the RSS, and the point fails the check.
    Stalled,
    /// The point is stationary but the scaled Jacobian is rank-deficient: the
    /// data do not determine the parameters there (e.g. a minimum at infinity).
    RankDeficient,
    /// A parameter's Jacobian column is undefined: neither x + h nor x − h
    /// is a valid point.
    NoJacobian,
}

/// What [`levenberg_marquardt`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct LmSolution {
    /// Parameters at the end.
    pub x: Vec<f64>,
    /// Residuals at the end.
    pub residuals: Vec<f64>,
    /// Residual sum of squares.
    pub rss: f64,
    /// Covariance s²(JᵀJ)⁻¹ with s² = RSS/(n − p) (NaN when n ≤ p), row-major
    /// p×p, from the Jacobian at `x`; `None` when it is rank-deficient.
    pub covariance: Option<Vec<Vec<f64>>>,
    /// Standard deviations of the parameters, √ of the covariance's diagonal.
    pub std_errors: Option<Vec<f64>>,
    /// Steps taken.
    pub iterations: usize,
    /// Evaluations of the residual function.
    pub evaluations: usize,
    /// Why the fit stopped.
    pub status: LmStatus,
}

impl LmSolution {
    /// True when the fit stopped at a checked optimum.
    pub fn converged(&self) -> bool {
        self.status == LmStatus::Converged
    }
}

/// Why [`levenberg_marquardt`] could not start.
#[derive(Clone, Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum LmError {
    /// The residual function refused the start or returned non-finite values.
    #[error("the start point is outside the model's domain (no finite residuals there); start inside it")]
    InvalidStart,
    /// No parameters or no residuals.
    #[error("nothing to fit: {0}")]
    Empty(&'static str),
    /// The steps do not match the parameters.
    #[error("finite-difference steps: {0}")]
    Steps(String),
    /// The residual function changed its number of values.
    #[error("the residual function returned {got} values, {expected} at the start")]
    ResidualCount {
        /// At the start.
        expected: usize,
        /// Later.
        got: usize,
    },
}

/// Minimises Σ r_i(x)² from `x0` (see the module docs).
pub fn levenberg_marquardt(
    residuals: &dyn Fn(&[f64]) -> Option<Vec<f64>>,
    x0: &[f64],
    options: &LmOptions,
) -> Result<LmSolution, LmError> {
    let p = x0.len();
    if p == 0 {
        return Err(LmError::Empty("no parameters"));
    }
    match &options.steps {
        Steps::Absolute(h) if h.len() != p => {
            return Err(LmError::Steps(format!(
                "{} steps for {p} parameters",
                h.len()
            )))
        }
        Steps::Absolute(h) if h.iter().any(|h| !h.is_finite() || *h == 0.0) => {
            return Err(LmError::Steps(
                "every step must be finite and non-zero".into(),
            ))
        }
        Steps::Relative(h) if !(h.is_finite() && *h > 0.0) => {
            return Err(LmError::Steps(
                "a relative step must be finite and > 0".into(),
            ))
        }
        _ => {}
    }
    let mut evaluations = 0;
    let mut eval = |x: &[f64], n: Option<usize>| -> Result<Option<Vec<f64>>, LmError> {
        evaluations += 1;
        match (residuals(x), n) {
            (Some(r), Some(n)) if r.len() != n => Err(LmError::ResidualCount {
                expected: n,
                got: r.len(),
            }),
            (Some(r), _) if r.iter().all(|v| v.is_finite()) => Ok(Some(r)),
            _ => Ok(None),
        }
    };
    let mut x = x0.to_vec();
    if x.iter().any(|v| !v.is_finite()) {
        return Err(LmError::InvalidStart);
    }
    let mut r = eval(&x, None)?.ok_or(LmError::InvalidStart)?;
    let n = r.len();
    if n == 0 {
        return Err(LmError::Empty("no residuals"));
    }
    let mut rss = sum_of_squares(&r);
    let mut lambda = LAMBDA_START;
    let mut iterations = 0;
    let (status, local) = loop {
        let Some(local) =
            jacobian(&mut eval, &x, &r, options)?.and_then(|j| Local::new(j, &r, options.rank_tol))
        else {
            break (LmStatus::NoJacobian, None);
        };
        let state = local.state(&x, rss);
        let passes = local.full_rank && state.passes(options);
        if state.exhausted() {
            // Nothing left to gain within rounding.
            let status = if passes {
                LmStatus::Converged
            } else if local.full_rank {
                LmStatus::Stalled
            } else {
                LmStatus::RankDeficient
            };
            break (status, Some(local));
        }
        if !local.full_rank && state.passes(options) {
            break (LmStatus::RankDeficient, Some(local));
        }
        if iterations == options.max_iterations {
            let status = if passes {
                LmStatus::Converged
            } else {
                LmStatus::MaxIterations
            };
            break (status, Some(local));
        }
        iterations += 1;
        let mut accepted = false;
        while lambda < LAMBDA_MAX {
            let trial: Vec<f64> = x
                .iter()
                .zip(local.step(lambda))
                .map(|(a, b)| a + b)
                .collect();
            if let Some(tr) = eval(&trial, Some(n))? {
                let trial_rss = sum_of_squares(&tr);
                if trial_rss < rss {
                    x = trial;
                    r = tr;
                    rss = trial_rss;
                    lambda = (lambda / 10.0).max(LAMBDA_MIN);
                    accepted = true;
                    break;
                }
            }
            lambda *= 10.0;
        }
        if !accepted {
            // No downhill step: the end of the walk, an optimum only if it passes.
            let status = if passes {
                LmStatus::Converged
            } else {
                LmStatus::Stalled
            };
            break (status, Some(local));
        }
    };
    let covariance = local.and_then(|l| l.covariance(rss, n));
    let std_errors = covariance
        .as_ref()
        .map(|c| (0..p).map(|i| c[i][i].max(0.0).sqrt()).collect());
    Ok(LmSolution {
        x,
        residuals: r,
        rss,
        covariance,
        std_errors,
        iterations,
        evaluations,
        status,
    })
}

fn sum_of_squares(r: &[f64]) -> f64 {
    r.iter().map(|v| v * v).sum()
}

/// Evaluates the residuals at a point, checking their number: `Ok(None)` for
/// a point outside the domain or with non-finite residuals.
type Evaluate<'a> = dyn FnMut(&[f64], Option<usize>) -> Result<Option<Vec<f64>>, LmError> + 'a;

/// Finite-difference Jacobian (n×p). A step that leaves the domain is taken
/// the other way; `None` when neither direction is valid for some parameter.
fn jacobian(
    eval: &mut Evaluate<'_>,
    x: &[f64],
    r: &[f64],
    options: &LmOptions,
) -> Result<Option<DMatrix<f64>>, LmError> {
    let (n, p) = (r.len(), x.len());
    let mut j = DMatrix::zeros(n, p);
    for i in 0..p {
        let h = match &options.steps {
            Steps::Absolute(h) => h[i],
            Steps::Relative(rel) => {
                // A step exactly representable in x + h.
                let h = if x[i] == 0.0 { *rel } else { rel * x[i].abs() };
                (x[i] + h) - x[i]
            }
        };
        let mut at = |dx: f64| -> Result<Option<Vec<f64>>, LmError> {
            let mut xh = x.to_vec();
            xh[i] += dx;
            eval(&xh, Some(n))
        };
        let forward = at(h)?;
        let backward = if options.central || forward.is_none() {
            at(-h)?
        } else {
            None
        };
        let column: Vec<f64> = match (forward, backward) {
            (Some(f), Some(b)) => f.iter().zip(&b).map(|(f, b)| (f - b) / (2.0 * h)).collect(),
            (Some(f), None) => f.iter().zip(r).map(|(f, r)| (f - r) / h).collect(),
            (None, Some(b)) => b.iter().zip(r).map(|(b, r)| (r - b) / h).collect(),
            (None, None) => return Ok(None),
        };
        j.set_column(i, &DVector::from_vec(column));
    }
    Ok(Some(j))
}

/// What a Gauss–Newton step from a point would still achieve.
struct Remaining {
    /// Predicted RSS decrease over the RSS.
    gain: f64,
    /// Step over the parameters, norms of D·step and D·x.
    step: f64,
}

impl Remaining {
    /// The stationarity half of the convergence check.
    fn passes(&self, options: &LmOptions) -> bool {
        self.gain <= options.ftol || self.step <= options.xtol
    }

    /// At the rounding level: further steps cannot change the fit.
    fn exhausted(&self) -> bool {
        self.gain <= f64::EPSILON * f64::EPSILON || self.step <= f64::EPSILON
    }
}

/// The SVD of the scaled Jacobian at a point, J D⁻¹ = U Σ Vᵀ.
struct Local {
    /// Column norms of J (1 for a zero column).
    d: Vec<f64>,
    /// Singular values Σ.
    sigma: DVector<f64>,
    /// V (p×k).
    v: DMatrix<f64>,
    /// Uᵀ r (k).
    ut_r: DVector<f64>,
    /// Singular values above this are kept in Gauss–Newton steps and the covariance.
    cutoff: f64,
    /// Whether every singular value is above the cutoff (full column rank).
    full_rank: bool,
}

impl Local {
    fn new(mut j: DMatrix<f64>, r: &[f64], rank_tol: f64) -> Option<Self> {
        if j.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let p = j.ncols();
        let d: Vec<f64> = (0..p)
            .map(|i| {
                let norm = j.column(i).norm();
                if norm > 0.0 {
                    norm
                } else {
                    1.0
                }
            })
            .collect();
        for (i, di) in d.iter().enumerate() {
            j.column_mut(i).unscale_mut(*di);
        }
        let svd = nalgebra::linalg::SVD::try_new(j, true, true, f64::EPSILON, 10_000)?;
        let (u, v_t) = (svd.u?, svd.v_t?);
        let sigma = svd.singular_values;
        let ut_r = u.transpose() * DVector::from_column_slice(r);
        let cutoff = rank_tol * sigma.max();
        let full_rank = sigma.len() == p && sigma.iter().all(|s| *s > cutoff);
        Some(Self {
            d,
            sigma,
            v: v_t.transpose(),
            ut_r,
            cutoff,
            full_rank,
        })
    }

    /// The step δ of (JᵀJ + λ D²) δ = −Jᵀ r; λ = 0 gives the Gauss–Newton
    /// step over the singular values above the cutoff.
    fn step(&self, lambda: f64) -> Vec<f64> {
        let mut scaled = DVector::zeros(self.d.len());
        for (k, s) in self.sigma.iter().enumerate() {
            let f = if lambda > 0.0 {
                s / (s * s + lambda)
            } else if *s > self.cutoff {
                1.0 / s
            } else {
                0.0
            };
            scaled -= self.v.column(k) * (f * self.ut_r[k]);
        }
        scaled.iter().zip(&self.d).map(|(s, d)| s / d).collect()
    }

    /// What the Gauss–Newton step from x (over the singular values above the
    /// cutoff) would achieve.
    fn state(&self, x: &[f64], rss: f64) -> Remaining {
        let predicted: f64 = self
            .sigma
            .iter()
            .zip(self.ut_r.iter())
            .filter(|(s, _)| **s > self.cutoff)
            .map(|(_, g)| g * g)
            .sum();
        let scaled_norm = |v: &[f64]| -> f64 {
            v.iter()
                .zip(&self.d)
                .map(|(v, d)| (v * d).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        Remaining {
            gain: if rss > 0.0 { predicted / rss } else { 0.0 },
            step: scaled_norm(&self.step(0.0)) / scaled_norm(x),
        }
    }

    /// s² (JᵀJ)⁻¹ = s² D⁻¹ V Σ⁻² Vᵀ D⁻¹, s² = RSS/(n − p); `None` unless full rank.
    fn covariance(&self, rss: f64, n: usize) -> Option<Vec<Vec<f64>>> {
        if !self.full_rank {
            return None;
        }
        let p = self.d.len();
        let s2 = if n > p {
            rss / (n - p) as f64
        } else {
            f64::NAN
        };
        let mut w = self.v.clone();
        for (k, s) in self.sigma.iter().enumerate() {
            w.column_mut(k).unscale_mut(*s);
        }
        let inv = &w * w.transpose();
        Some(
            (0..p)
                .map(|a| {
                    (0..p)
                        .map(|b| s2 * inv[(a, b)] / (self.d[a] * self.d[b]))
                        .collect()
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// y = a/(1 + b x²) at 30 points, exact data plus a ±0.01 pattern.
    fn rational() -> (Vec<f64>, Vec<f64>) {
        let xs: Vec<f64> = (0..30).map(|i| 0.1 * f64::from(i)).collect();
        let ys = xs
            .iter()
            .enumerate()
            .map(|(i, x)| 2.0 / (1.0 + 0.5 * x * x) + if i % 2 == 0 { 0.01 } else { -0.01 })
            .collect();
        (xs, ys)
    }

    #[test]
    fn covariance_matches_the_normal_equations_solved_independently() {
        let (xs, ys) = rational();
        let res = |p: &[f64]| -> Option<Vec<f64>> {
            (p[1] > 0.0).then(|| {
                xs.iter()
                    .zip(&ys)
                    .map(|(x, y)| p[0] / (1.0 + p[1] * x * x) - y)
                    .collect()
            })
        };
        let options = LmOptions::new(Steps::Absolute(vec![1e-7, 1e-7]), 200);
        let s = levenberg_marquardt(&res, &[1.0, 2.0], &options).unwrap();
        assert!(s.converged(), "{s:?}");
        // Analytic Jacobian at the optimum; (JᵀJ)⁻¹ by the 2×2 closed form.
        let (a, b) = (s.x[0], s.x[1]);
        let (mut s11, mut s12, mut s22, mut g1, mut g2) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for ((x, y), r) in xs.iter().zip(&ys).zip(&s.residuals) {
            let q = 1.0 + b * x * x;
            let (ja, jb) = (1.0 / q, -a * x * x / (q * q));
            (s11, s12, s22) = (s11 + ja * ja, s12 + ja * jb, s22 + jb * jb);
            (g1, g2) = (g1 + ja * r, g2 + jb * r);
            assert!((a / q - y - r).abs() < 1e-15);
        }
        // Stationary: the gradient vanishes relative to its parts.
        assert!(g1.abs() < 1e-9 && g2.abs() < 1e-9, "{g1} {g2}");
        let det = s11 * s22 - s12 * s12;
        let s2 = s.rss / 28.0;
        let want = [
            [s2 * s22 / det, -s2 * s12 / det],
            [-s2 * s12 / det, s2 * s11 / det],
        ];
        let cov = s.covariance.unwrap();
        for i in 0..2 {
            for k in 0..2 {
                assert!(
                    (cov[i][k] / want[i][k] - 1.0).abs() < 1e-6,
                    "{cov:?} {want:?}"
                );
            }
        }
        // A start outside the domain is refused.
        assert_eq!(
            levenberg_marquardt(&res, &[1.0, -1.0], &options).unwrap_err(),
            LmError::InvalidStart
        );
    }

    #[test]
    fn an_undetermined_parameter_is_not_reported_converged() {
        // y = a·b·x: only the product is determined.
        let xs: Vec<f64> = (1..20).map(f64::from).collect();
        let res = |p: &[f64]| -> Option<Vec<f64>> {
            Some(
                xs.iter()
                    .map(|x| p[0] * p[1] * x - 3.0 * x - 0.01 * x.sin())
                    .collect(),
            )
        };
        let options = LmOptions::new(Steps::Relative(1e-7), 200);
        let s = levenberg_marquardt(&res, &[1.0, 1.0], &options).unwrap();
        assert_eq!(s.status, LmStatus::RankDeficient, "{s:?}");
        assert!(s.covariance.is_none());
    }

    #[test]
    fn a_point_without_a_downhill_step_is_not_converged() {
        // The domain x ≥ 1 stops the walk towards the minimum at 0.
        let res = |p: &[f64]| (p[0] >= 1.0).then(|| vec![p[0], 0.5 * p[0]]);
        let options = LmOptions::new(Steps::Absolute(vec![1e-7]), 100);
        let s = levenberg_marquardt(&res, &[1.0], &options).unwrap();
        assert_eq!(s.status, LmStatus::Stalled, "{s:?}");
        assert!(s.std_errors.is_some());
        let s = levenberg_marquardt(
            &res,
            &[3.0],
            &LmOptions::new(Steps::Absolute(vec![1e-7]), 1),
        )
        .unwrap();
        assert_eq!(s.status, LmStatus::MaxIterations, "{s:?}");
    }
}
