//! A small general Levenberg–Marquardt least-squares solver (Marquardt's diagonal
//! scaling, forward-difference Jacobian), for fits whose model is a black box:
//! [`crate::fit_kohlrausch`], and the response calibration of
//! `nonaffine-response`, which fits a mode sum through a memory kernel. Invalid parameter vectors (the residual function returns
//! `None`) are treated as rejected steps, which keeps parameters inside their
//! domain without a transform.

/// What [`levenberg_marquardt`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct LmSolution {
    /// Parameters at the optimum.
    pub x: Vec<f64>,
    /// Residuals at the optimum.
    pub residuals: Vec<f64>,
    /// Residual sum of squares.
    pub rss: f64,
    /// Covariance s²(JᵀJ)⁻¹ with s² = RSS/(n − p), row-major p×p; `None` when
    /// JᵀJ is singular (a parameter the data do not determine).
    pub covariance: Option<Vec<Vec<f64>>>,
    /// Iterations used.
    pub iterations: usize,
}

/// Minimises Σ r_i(x)² from `x0`. `steps[i]` is the forward-difference step of
/// parameter i (in its own units). Returns `None` when `residuals(x0)` is `None`.
/// Stops when a step lowers the RSS by less than 1e-12 relative, or after
/// `max_iterations`.
pub fn levenberg_marquardt(
    residuals: &dyn Fn(&[f64]) -> Option<Vec<f64>>,
    x0: &[f64],
    steps: &[f64],
    max_iterations: usize,
) -> Option<LmSolution> {
    let p = x0.len();
    let mut x = x0.to_vec();
    let mut r = residuals(&x)?;
    let n = r.len();
    let mut rss: f64 = r.iter().map(|v| v * v).sum();
    let mut lambda = 1e-3;
    let mut iterations = 0;
    let mut jac = jacobian(residuals, &x, &r, steps);
    for it in 0..max_iterations {
        iterations = it + 1;
        let Some(j) = &jac else { break };
        let (a, g) = normal_equations(j, &r, p);
        let mut improved = false;
        while lambda < 1e12 {
            let mut m = a.clone();
            for (i, row) in m.iter_mut().enumerate() {
                row[i] += lambda * a[i][i].max(1e-300);
            }
            let Some(step) = solve(m, g.clone()) else {
                lambda *= 10.0;
                continue;
            };
            let trial: Vec<f64> = x.iter().zip(&step).map(|(a, b)| a + b).collect();
            if let Some(tr) = residuals(&trial) {
                let trial_rss: f64 = tr.iter().map(|v| v * v).sum();
                if trial_rss.is_finite() && trial_rss < rss {
                    let relative = (rss - trial_rss) / rss.max(f64::MIN_POSITIVE);
                    x = trial;
                    r = tr;
                    rss = trial_rss;
                    lambda = (lambda / 10.0).max(1e-12);
                    improved = relative > 1e-12;
                    break;
                }
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
        jac = jacobian(residuals, &x, &r, steps);
    }
    let covariance = jac.as_ref().and_then(|j| {
        let (a, _) = normal_equations(j, &r, p);
        let s2 = if n > p {
            rss / (n - p) as f64
        } else {
            f64::NAN
        };
        let mut cov = vec![vec![0.0; p]; p];
        for i in 0..p {
            let mut unit = vec![0.0; p];
            unit[i] = 1.0;
            let col = solve(a.clone(), unit)?;
            for k in 0..p {
                cov[k][i] = s2 * col[k];
            }
        }
        Some(cov)
    });
    Some(LmSolution {
        x,
        residuals: r,
        rss,
        covariance,
        iterations,
    })
}

/// Forward-difference Jacobian, n×p (column i from a step `steps[i]`, reversed
/// when the forward point is invalid). `None` when both directions are invalid.
fn jacobian(
    residuals: &dyn Fn(&[f64]) -> Option<Vec<f64>>,
    x: &[f64],
    r: &[f64],
    steps: &[f64],
) -> Option<Vec<Vec<f64>>> {
    let mut cols = Vec::with_capacity(x.len());
    for (i, h) in steps.iter().enumerate() {
        let mut xp = x.to_vec();
        xp[i] += h;
        let (rp, h) = match residuals(&xp) {
            Some(rp) => (rp, *h),
            None => {
                xp[i] = x[i] - h;
                (residuals(&xp)?, -h)
            }
        };
        cols.push(rp.iter().zip(r).map(|(a, b)| (a - b) / h).collect());
    }
    Some(cols)
}

/// JᵀJ and Jᵀ(−r) from the columns of J.
fn normal_equations(cols: &[Vec<f64>], r: &[f64], p: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut a = vec![vec![0.0; p]; p];
    let mut g = vec![0.0; p];
    for i in 0..p {
        g[i] = -cols[i].iter().zip(r).map(|(a, b)| a * b).sum::<f64>();
        for k in 0..p {
            a[i][k] = cols[i].iter().zip(&cols[k]).map(|(a, b)| a * b).sum();
        }
    }
    (a, g)
}

/// Solves m·y = b by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut y: Vec<f64>) -> Option<Vec<f64>> {
    let p = y.len();
    for col in 0..p {
        let pivot = (col..p).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 || !a[pivot][col].is_finite() {
            return None;
        }
        a.swap(col, pivot);
        y.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in col + 1..p {
            let f = a[row][col] / pivot_row[col];
            for (v, pv) in a[row].iter_mut().zip(&pivot_row).skip(col) {
                *v -= f * pv;
            }
            y[row] -= f * y[col];
        }
    }
    for col in (0..p).rev() {
        let mut v = y[col];
        for k in col + 1..p {
            v -= a[col][k] * y[k];
        }
        y[col] = v / a[col][col];
    }
    y.iter().all(|v| v.is_finite()).then_some(y)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fits_a_rational_model_and_its_covariance_matches_linear_theory() {
        // y = a/(1 + b x²) at 30 points, exact data plus a known ±0.01 pattern;
        // the optimum of the noiseless problem is (2, 0.5).
        let xs: Vec<f64> = (0..30).map(|i| 0.1 * f64::from(i)).collect();
        let ys: Vec<f64> = xs
            .iter()
            .enumerate()
            .map(|(i, x)| 2.0 / (1.0 + 0.5 * x * x) + if i % 2 == 0 { 0.01 } else { -0.01 })
            .collect();
        let res = |p: &[f64]| -> Option<Vec<f64>> {
            (p[1] > 0.0).then(|| {
                xs.iter()
                    .zip(&ys)
                    .map(|(x, y)| p[0] / (1.0 + p[1] * x * x) - y)
                    .collect()
            })
        };
        let s = levenberg_marquardt(&res, &[1.0, 2.0], &[1e-7, 1e-7], 200).unwrap();
        assert!(
            (s.x[0] - 2.0).abs() < 0.02 && (s.x[1] - 0.5).abs() < 0.02,
            "{s:?}"
        );
        let cov = s.covariance.unwrap();
        // s² ≈ 1e-4 · 30/28; the standard error of a is of order 0.01/sqrt(30) · few.
        assert!(
            cov[0][0].sqrt() > 1e-3 && cov[0][0].sqrt() < 2e-2,
            "{cov:?}"
        );
        // A start outside the domain is refused.
        assert!(levenberg_marquardt(&res, &[1.0, -1.0], &[1e-7, 1e-7], 10).is_none());
    }
}
