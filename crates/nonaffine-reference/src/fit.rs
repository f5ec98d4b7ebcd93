//! Levenberg–Marquardt fit of σ(t) = σ0 exp(−(t/τ)^β) (+ σ∞) to stress-relaxation data.

use crate::ReferenceError;
use nonaffine_numerics::{levenberg_marquardt, LmOptions, LmStatus, Steps};

/// A fitted Kohlrausch function with standard errors (same units as the data).
#[derive(Clone, Debug, PartialEq)]
pub struct KohlrauschFit {
    /// σ0 (stress unit of the data).
    pub sigma0: f64,
    /// τ (time unit of the data).
    pub tau: f64,
    /// β.
    pub beta: f64,
    /// σ∞ (0 and not fitted unless requested).
    pub sigma_inf: f64,
    /// Standard errors of (σ0, τ, β, σ∞) from s²(JᵀJ)⁻¹, s² = RSS/(n − p) (see
    /// [`nonaffine_numerics::LmSolution::covariance`]); σ∞'s is 0 when not fitted.
    pub std_errors: [f64; 4],
    /// Residual sum of squares.
    pub rss: f64,
    /// Number of data points.
    pub points: usize,
    /// LM iterations used.
    pub iterations: usize,
}

/// Why (time, stress) data are not a stress relaxation (see [`check_relaxing`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum NotRelaxing {
    /// The point at this index has σ ≤ 0.
    NonPositive(usize),
    /// ln σ grows with t: least-squares slope and its standard error (per time unit).
    Growing { slope: f64, std_error: f64 },
}

impl NotRelaxing {
    /// What is wrong and what to do; `point` names a point (`line 7` of a file,
    /// `point 6` of arrays) where the message cites the ends of the data (the
    /// caller names the offending point of `NonPositive`).
    pub(crate) fn message(
        self,
        times: &[f64],
        stress: &[f64],
        point: &dyn Fn(usize) -> String,
    ) -> String {
        match self {
            NotRelaxing::NonPositive(i) => format!(
                "stress {} at t = {} is not positive; a Kohlrausch relaxation \
                 σ∞ + σ0 exp(−(t/τ)^β) needs σ > 0 at every point: give the magnitude of a \
                 compressive stress, and drop points at or below the noise floor",
                stress[i], times[i]
            ),
            NotRelaxing::Growing { slope, std_error } => {
                let first = (0..times.len()).min_by(|&a, &b| times[a].total_cmp(&times[b]));
                let last = (0..times.len()).max_by(|&a, &b| times[a].total_cmp(&times[b]));
                let ends = match (first, last) {
                    (Some(a), Some(b)) => format!(
                        " (σ = {} at t = {} on {}, σ = {} at t = {} on {})",
                        stress[a],
                        times[a],
                        point(a),
                        stress[b],
                        times[b],
                        point(b)
                    ),
                    _ => String::new(),
                };
                format!(
                    "the stress grows with time: the least-squares slope of ln σ against t is \
                     {slope:.3e} ± {std_error:.1e} per time unit, more than 2 standard errors above \
                     0{ends}; a stress relaxation at constant strain decays. Check the column order \
                     (time, stress) and the sign convention"
                )
            }
        }
    }
}

/// Checks that (time, stress) data can be a stress relaxation: every σ > 0, and
/// ln σ does not grow with t beyond noise. Growth is a least-squares slope b of
/// ln σ against t with b > 2 SE(b), SE(b)² = Σr²/((n − 2) Σ(t − t̄)²) (a one-sided
/// test at ≈ 98 % for Gaussian scatter): a relaxation σ∞ + σ0 exp(−(t/τ)^β) is
/// non-increasing, so its slope is ≤ 0 up to noise.
pub(crate) fn check_relaxing(times: &[f64], stress: &[f64]) -> Result<(), NotRelaxing> {
    if let Some(i) = stress.iter().position(|&s| s <= 0.0 || s.is_nan()) {
        return Err(NotRelaxing::NonPositive(i));
    }
    let n = times.len().min(stress.len());
    if n < 3 {
        return Ok(());
    }
    let y: Vec<f64> = stress[..n].iter().map(|s| s.ln()).collect();
    let nf = n as f64;
    let t_mean = times[..n].iter().sum::<f64>() / nf;
    let y_mean = y.iter().sum::<f64>() / nf;
    let sxx: f64 = times[..n].iter().map(|t| (t - t_mean).powi(2)).sum();
    if sxx <= 0.0 {
        return Ok(());
    }
    let sxy: f64 = times[..n]
        .iter()
        .zip(&y)
        .map(|(t, y)| (t - t_mean) * (y - y_mean))
        .sum();
    let slope = sxy / sxx;
    let rss: f64 = times[..n]
        .iter()
        .zip(&y)
        .map(|(t, y)| (y - y_mean - slope * (t - t_mean)).powi(2))
        .sum();
    let std_error = (rss / ((nf - 2.0) * sxx)).sqrt();
    if slope > 2.0 * std_error {
        return Err(NotRelaxing::Growing { slope, std_error });
    }
    Ok(())
}

/// Fits σ0 exp(−(t/τ)^β) (+ σ∞ when `fit_sigma_inf`) by Levenberg–Marquardt
/// ([`nonaffine_numerics::levenberg_marquardt`], central differences), from
/// starting values read off the data (σ0 from the first point, τ where the
/// decay crosses 1/e, β = 0.7). β is kept in (0, 2] and τ > 0 by rejecting
/// steps that leave them. An error when the data are not a relaxation
/// (a stress ≤ 0, or one that grows with time: see `check_relaxing`) or the fit
/// does not converge.
pub fn fit_kohlrausch(
    times: &[f64],
    stress: &[f64],
    fit_sigma_inf: bool,
) -> Result<KohlrauschFit, ReferenceError> {
    let n = times.len();
    let p = if fit_sigma_inf { 4 } else { 3 };
    if n != stress.len() {
        return Err(ReferenceError::Fit(format!(
            "{n} times but {} stresses",
            stress.len()
        )));
    }
    if n <= p {
        return Err(ReferenceError::Fit(format!(
            "{n} points cannot determine {p} parameters"
        )));
    }
    if times.iter().chain(stress).any(|x| !x.is_finite()) || times.iter().any(|&t| t < 0.0) {
        return Err(ReferenceError::Fit(
            "times must be ≥ 0 and all values finite".into(),
        ));
    }
    check_relaxing(times, stress).map_err(|e| {
        let message = e.message(times, stress, &|i| format!("point {i}"));
        ReferenceError::Fit(match e {
            NotRelaxing::NonPositive(i) => format!("point {i}: {message}"),
            NotRelaxing::Growing { .. } => message,
        })
    })?;
    // Starting values.
    let sigma_inf0 = if fit_sigma_inf {
        stress.iter().cloned().fold(f64::INFINITY, f64::min) * 0.9
    } else {
        0.0
    };
    let first = stress
        .iter()
        .zip(times)
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(s, _)| *s)
        .unwrap_or(1.0);
    let sigma0 = first - sigma_inf0;
    let target = sigma_inf0 + sigma0 / std::f64::consts::E;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| times[a].total_cmp(&times[b]));
    let tau0 = order
        .iter()
        .find(|&&i| (stress[i] - target) * sigma0.signum() <= 0.0)
        .map(|&i| times[i])
        .filter(|&t| t > 0.0)
        .unwrap_or_else(|| times[order[n / 2]].max(f64::MIN_POSITIVE));
    let x0 = [sigma0, tau0, 0.7, sigma_inf0];

    // Residuals of (σ0, τ, β[, σ∞]); `None` outside τ > 0, 0 < β ≤ 2.
    let residuals = |x: &[f64]| -> Option<Vec<f64>> {
        let (sigma0, tau, beta) = (x[0], x[1], x[2]);
        let sigma_inf = x.get(3).copied().unwrap_or(0.0);
        (tau > 0.0 && beta > 0.0 && beta <= 2.0).then(|| {
            times
                .iter()
                .zip(stress)
                .map(|(&t, &s)| sigma_inf + sigma0 * (-(t / tau).powf(beta)).exp() - s)
                .collect()
        })
    };
    // Central-difference steps: ~6e-6 (≈ ε^(1/3)) of each parameter's scale.
    let scale = sigma0.abs().max(sigma_inf0.abs()).max(f64::MIN_POSITIVE);
    let steps = [6e-6 * scale, 6e-6 * tau0, 6e-6, 6e-6 * scale];
    let mut options = LmOptions::new(Steps::Absolute(steps[..p].to_vec()), 500);
    options.central = true;
    let solution = levenberg_marquardt(&residuals, &x0[..p], &options).map_err(|e| {
        ReferenceError::Fit(format!(
            "{e} (starting values σ0 = {sigma0}, τ = {tau0}, β = 0.7 must satisfy τ > 0, 0 < β ≤ 2)"
        ))
    })?;
    let covariance = match (solution.status, solution.covariance) {
        (LmStatus::Converged, Some(c)) => c,
        (status, _) => {
            return Err(ReferenceError::Fit(format!(
                "no converged optimum ({status:?} after {} iterations at σ0 = {}, τ = {}, β = {}): \
                 the data do not determine the parameters; check the units and the time range",
                solution.iterations, solution.x[0], solution.x[1], solution.x[2]
            )))
        }
    };
    let mut std_errors = [0.0; 4];
    for (i, e) in std_errors.iter_mut().enumerate().take(p) {
        *e = covariance[i][i].max(0.0).sqrt();
    }
    let x = &solution.x;
    Ok(KohlrauschFit {
        sigma0: x[0],
        tau: x[1],
        beta: x[2],
        sigma_inf: x.get(3).copied().unwrap_or(0.0),
        std_errors,
        rss: solution.rss,
        points: n,
        iterations: solution.iterations,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Deterministic Gaussian noise (xorshift + Box–Muller), so the test is reproducible.
    fn noise(n: usize, sd: f64, mut state: u64) -> Vec<f64> {
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| {
                sd * (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos()
            })
            .collect()
    }

    #[test]
    fn recovers_parameters_from_noisy_synthetic_data() {
        // 24 h of data at 1 min steps on a log-ish grid, σ0 = 100 MPa, τ = 4.03 min,
        // β = 0.55 (the paper's 603 K fit), 0.3 MPa noise.
        let times: Vec<f64> = (0..400).map(|i| 0.01 * 1.02f64.powi(i)).collect();
        let e = noise(times.len(), 0.3, 0x9e37_79b9_7f4a_7c15);
        let stress: Vec<f64> = times
            .iter()
            .zip(&e)
            .map(|(&t, n)| 100.0 * (-(t / 4.03f64).powf(0.55)).exp() + n)
            .collect();
        let fit = fit_kohlrausch(&times, &stress, false).unwrap();
        for (got, want, se) in [
            (fit.sigma0, 100.0, fit.std_errors[0]),
            (fit.tau, 4.03, fit.std_errors[1]),
            (fit.beta, 0.55, fit.std_errors[2]),
        ] {
            assert!((got - want).abs() < 4.0 * se, "{got} vs {want} ± {se}");
            assert!(se > 0.0 && se < 0.05 * want, "{se}");
        }
        // Residual variance estimates the noise variance.
        let s = (fit.rss / (fit.points - 3) as f64).sqrt();
        assert!((s / 0.3 - 1.0).abs() < 0.15, "{s}");

        // With an offset σ∞ = 20 and fitting it.
        let stress: Vec<f64> = stress.iter().map(|s| s + 20.0).collect();
        let fit = fit_kohlrausch(&times, &stress, true).unwrap();
        assert!(
            (fit.sigma_inf - 20.0).abs() < 4.0 * fit.std_errors[3],
            "{fit:?}"
        );
        assert!((fit.beta - 0.55).abs() < 4.0 * fit.std_errors[2], "{fit:?}");
    }

    #[test]
    fn noiseless_data_is_fitted_exactly() {
        let times: Vec<f64> = (0..60).map(|i| 0.05 * f64::from(i)).collect();
        let stress: Vec<f64> = times
            .iter()
            .map(|&t| 3.0 * (-(t / 0.87f64).powf(0.69)).exp())
            .collect();
        let fit = fit_kohlrausch(&times, &stress, false).unwrap();
        assert!(
            (fit.tau - 0.87).abs() < 1e-8 && (fit.beta - 0.69).abs() < 1e-8,
            "{fit:?}"
        );
        assert!(fit_kohlrausch(&times[..3], &stress[..3], false).is_err());
    }

    #[test]
    fn data_that_are_no_relaxation_are_refused() {
        let times: Vec<f64> = (0..40).map(|i| 0.1 * f64::from(i)).collect();
        let decay: Vec<f64> = times.iter().map(|&t| 3.0 * (-t).exp()).collect();
        // A single non-positive point, named by its index.
        let mut s = decay.clone();
        s[6] = 0.0;
        let e = fit_kohlrausch(&times, &s, true).unwrap_err().to_string();
        assert!(
            e.contains("point 6: stress 0 at t = 0.6") && e.contains("not positive"),
            "{e}"
        );
        // Compressive sign convention: every stress negative.
        let s: Vec<f64> = decay.iter().map(|s| -s).collect();
        let e = fit_kohlrausch(&times, &s, false).unwrap_err().to_string();
        assert!(e.contains("point 0: stress -3 at t = 0"), "{e}");
        // A stress that grows, σ = 1 + 0.5 (1 − e^{−t}) with 1 % noise.
        let n = noise(times.len(), 0.01, 0x1234_5678_9abc_def1);
        let s: Vec<f64> = times
            .iter()
            .zip(&n)
            .map(|(&t, e)| 1.0 + 0.5 * (1.0 - (-t).exp()) + e)
            .collect();
        let e = fit_kohlrausch(&times, &s, true).unwrap_err().to_string();
        assert!(e.contains("the stress grows with time"), "{e}");
        // The same decay with a plateau of noise (σ∞ = 0.2, noise 0.02 ≫ the decay's
        // tail) is a relaxation: accepted and fitted.
        let times: Vec<f64> = (0..200).map(|i| 0.1 * f64::from(i)).collect();
        let n = noise(times.len(), 0.02, 0x0ddb_a11c_afe5_eed5);
        let s: Vec<f64> = times
            .iter()
            .zip(&n)
            .map(|(&t, e)| 0.2 + 3.0 * (-t).exp() + e)
            .collect();
        let fit = fit_kohlrausch(&times, &s, true).unwrap();
        assert!((fit.beta - 1.0).abs() < 4.0 * fit.std_errors[2], "{fit:?}");
    }

    #[test]
    fn data_that_do_not_determine_the_decay_give_an_error() {
        // A constant stress: τ and β are not determined (τ runs to infinity).
        let times: Vec<f64> = (1..40).map(f64::from).collect();
        let stress = vec![5.0; times.len()];
        let e = fit_kohlrausch(&times, &stress, false).unwrap_err();
        assert!(e.to_string().contains("no converged optimum"), "{e}");
    }
}
