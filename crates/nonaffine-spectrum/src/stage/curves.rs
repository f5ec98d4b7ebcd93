//! The spectrum on a common frequency grid: per-sample VDOS (docs/theory.md
//! Eq. (26), histogram and Gaussian-smoothed, or from the KPM density of
//! Eq. (33)), Γ(ν) (Eq. (27)), the boson peak (Eq. (29): its window and the
//! curve it is searched on), and the averages over samples.

use super::settings::Settings;
use super::solve::{mean, Sample};
use crate::analysis::{
    boson_peak, frequency_thz, gamma_shells, gamma_smooth, gaussian_smooth, histogram, log_grid,
    log_smooth, mean_and_spread, BosonPeak, DebyeModel, Grid,
};
use nonaffine_core::units::THZ_PER_OMEGA_UNIT;
use nonaffine_core::{EigenvalueDensity, ModesKind, StageError};

/// The frequency grid shared by every sample and the smoothing σ (THz): up to
/// `nu_max_thz`, else 2% above the highest mode of all samples (a lowest-k
/// spectrum: the lowest top of their windows).
pub(super) fn common_grid(samples: &[Sample], set: &Settings) -> Result<(Grid, f64), StageError> {
    let (nu_max_param, bins, smoothing_param) = (set.nu_max_param, set.bins, set.smoothing_param);
    let kind = samples[0].report.modes_kind;
    let top = |s: &Sample| match &s.result.density {
        Some(d) => d.lambda.last().map_or(0.0, |l| frequency_thz(*l)),
        None => s.nu.last().copied().unwrap_or(0.0),
    };
    let nu_max = if nu_max_param > 0.0 {
        nu_max_param
    } else if kind == ModesKind::Lowest {
        samples.iter().map(top).fold(f64::INFINITY, f64::min)
    } else {
        1.02 * samples.iter().map(top).fold(0.0, f64::max)
    };
    if !(nu_max > 0.0 && nu_max.is_finite()) {
        return Err(StageError::Failed(
            "no positive modes: nothing to make a VDOS from".into(),
        ));
    }
    let grid = Grid {
        nu_max_thz: nu_max,
        bins,
    };
    let sigma = if smoothing_param > 0.0 {
        smoothing_param
    } else {
        2.0 * grid.width()
    };
    Ok((grid, sigma))
}

/// Per-sample curves on the common grid.
#[derive(Clone, Debug, Default)]
pub(super) struct SampleCurves {
    pub(super) hist: Vec<f64>,
    pub(super) smooth: Vec<f64>,
    pub(super) gamma_shell: Vec<[f64; 6]>,
    pub(super) gamma_smooth: Vec<[f64; 6]>,
}

#[derive(Default)]
pub(super) struct Curves(pub(super) Vec<SampleCurves>);

impl Curves {
    pub(super) fn push(&mut self, c: SampleCurves) {
        self.0.push(c);
    }
}

pub(super) fn sample_curves(s: &Sample, grid: Grid, centers: &[f64], sigma: f64) -> SampleCurves {
    if let Some(d) = &s.result.density {
        // KPM: ρ(λ) → D(ν) = (ρ − ρ_zero)(λ(ν)) dλ/dν / (3N − 3); Γ = projected/ρ.
        let n_nonzero = s.mode_count;
        let mut smooth = Vec::with_capacity(centers.len());
        let mut gamma = Vec::with_capacity(centers.len());
        for &nu in centers {
            let lambda = crate::analysis::eigenvalue_of_thz(nu);
            let rho = interpolate(&d.lambda, &d.density, lambda);
            let zero = interpolate(&d.lambda, &d.zero_mode_density, lambda);
            let dl_dnu = 2.0 * lambda / nu;
            smooth.push(((rho - zero).max(0.0)) * dl_dnu / n_nonzero);
            let mut g = [f64::NAN; 6];
            for (a, ga) in g.iter_mut().enumerate() {
                let proj: Vec<f64> = d.projected.iter().map(|x| x[a]).collect();
                let num = interpolate(&d.lambda, &proj, lambda);
                let den = rho - zero;
                if den > 1e-12 * rho.abs().max(1e-300) && den > 0.0 {
                    *ga = num / den;
                }
            }
            gamma.push(g);
        }
        return SampleCurves {
            hist: vec![f64::NAN; centers.len()],
            smooth,
            gamma_shell: gamma.clone(),
            gamma_smooth: gamma,
        };
    }
    if s.report.modes_kind == ModesKind::Quadrature {
        // Quadrature nodes without a density (e.g. lanczos `vdos: false`) are
        // not eigenvalues: no curves.
        let none = vec![f64::NAN; centers.len()];
        return SampleCurves {
            hist: none.clone(),
            smooth: none,
            gamma_shell: vec![[f64::NAN; 6]; centers.len()],
            gamma_smooth: vec![[f64::NAN; 6]; centers.len()],
        };
    }
    SampleCurves {
        hist: histogram(&s.nu, grid, s.mode_count),
        smooth: gaussian_smooth(&s.nu, None, centers, sigma, s.mode_count),
        gamma_shell: gamma_shells(&s.nu, &s.xi, grid),
        gamma_smooth: gamma_smooth(&s.nu, &s.xi, centers, sigma),
    }
}

/// Linear interpolation of y(x) at `at` (x ascending); 0 outside.
fn interpolate(x: &[f64], y: &[f64], at: f64) -> f64 {
    if x.len() < 2 || at < x[0] || at > x[x.len() - 1] {
        return 0.0;
    }
    let k = x.partition_point(|v| *v <= at).clamp(1, x.len() - 1);
    let t = (at - x[k - 1]) / (x[k] - x[k - 1]);
    y[k - 1] + t * (y[k] - y[k - 1])
}

/// Where to look for the boson peak (THz): with a KPM density, above its
/// resolution and 2σ and below 40% of the grid; with modes, from e^{2w} above
/// the lowest mode (w the relative width of the curve searched, Eq. (29a)) to
/// 40% of the grid, or to e^{−2w} below the top of a lowest-k window.
pub(super) fn peak_window(s: &Sample, grid: Grid, sigma: f64, width: f64) -> [f64; 2] {
    let lowest = s.nu.first().copied().unwrap_or(0.0) * (2.0 * width).exp();
    match (&s.result.density, s.report.modes_kind) {
        (Some(d), _) => [kpm_limit_thz(d).max(2.0 * sigma), 0.4 * grid.nu_max_thz],
        (None, ModesKind::Lowest) => [lowest, grid.nu_max_thz * (-2.0 * width).exp()],
        _ => [lowest, 0.4 * grid.nu_max_thz],
    }
}

/// The frequency (THz) where a KPM density's resolution δν = c²δλ/(2ν) is
/// ν/2: below it the density does not resolve frequencies.
fn kpm_limit_thz(d: &EigenvalueDensity) -> f64 {
    THZ_PER_OMEGA_UNIT * d.resolution.sqrt()
}

/// Points of the log grid a sample's boson peak is searched on.
const PEAK_POINTS: usize = 200;

/// The VDOS a sample's boson peak is searched on, as (ν in THz, D in 1/THz):
/// a KPM density on the common grid; modes smoothed in ln ν (Eq. (29a)) on a
/// log grid over `window`.
pub(super) fn peak_curve(
    s: &Sample,
    c: &SampleCurves,
    centers: &[f64],
    window: [f64; 2],
    width: f64,
) -> (Vec<f64>, Vec<f64>) {
    if s.result.density.is_some() || s.report.modes_kind == ModesKind::Quadrature {
        return (centers.to_vec(), c.smooth.clone());
    }
    let nu = log_grid(window[0], window[1], PEAK_POINTS);
    let vdos = log_smooth(&s.nu, &nu, width, s.mode_count);
    (nu, vdos)
}

/// Largest statistical error of a KPM boson peak that is reported without a
/// warning.
const PEAK_DENSITY_ERROR: f64 = 0.1;

/// Sets a sample's boson peak (Eq. (29)). From a KPM density it also carries
/// the density's statistical error there, with a warning when that error
/// exceeds [`PEAK_DENSITY_ERROR`] or the peak lies within twice the
/// resolution limit (where the relative resolution is coarser than 1/8).
pub(super) fn set_peak(
    s: &mut Sample,
    c: &SampleCurves,
    centers: &[f64],
    grid: Grid,
    sigma: f64,
    width: f64,
) {
    let window = peak_window(s, grid, sigma, width);
    let (nu, vdos) = peak_curve(s, c, centers, window, width);
    let mut peak = boson_peak(&nu, &vdos, window, s.report.debye.as_ref());
    if let (Some(p), Some(d)) = (&mut peak, &s.result.density) {
        p.density_error = density_error_at(d, p.nu_thz);
        if let Some(e) = p.density_error.filter(|e| *e > PEAK_DENSITY_ERROR) {
            s.report.warnings.push(format!(
                "the KPM density at the boson peak ({:.2} THz) has a statistical error of {:.0}%: \
                 its position and height are not resolved; raise the solver's random_vectors \
                 about {:.0}-fold, or take the lowest modes with arpack",
                p.nu_thz,
                100.0 * e,
                (e / PEAK_DENSITY_ERROR).powi(2).ceil()
            ));
        }
        let limit = kpm_limit_thz(d);
        if p.nu_thz < 2.0 * limit {
            s.report.warnings.push(format!(
                "the boson peak at {:.2} THz is within twice the KPM resolution limit ({limit:.2} THz): \
                 it may be an artefact of the resolution; lower the solver's resolution_thz \
                 to a third of the peak or less",
                p.nu_thz
            ));
        }
    }
    s.report.boson_peak = peak;
}

/// The KPM density's relative error at ν (THz) from its error ε at the mean
/// level: ε·sqrt(ρ_mean/ρ(λ)) (docs/theory.md after Eq. (33c)).
fn density_error_at(d: &EigenvalueDensity, nu_thz: f64) -> Option<f64> {
    let (first, last) = (*d.lambda.first()?, *d.lambda.last()?);
    let total: f64 = d
        .lambda
        .windows(2)
        .zip(d.density.windows(2))
        .map(|(l, r)| 0.5 * (l[1] - l[0]) * (r[0] + r[1]))
        .sum();
    let mean = total / (last - first);
    let at = interpolate(
        &d.lambda,
        &d.density,
        crate::analysis::eigenvalue_of_thz(nu_thz),
    );
    (at > 0.0 && mean > 0.0).then(|| d.relative_error * (mean / at).sqrt())
}

/// The averages over samples.
pub(super) struct Averages {
    /// Mean Debye frequency ν_D, THz.
    pub(super) debye_mean: Option<f64>,
    /// The first sample's Debye model with the mean ν_D.
    pub(super) debye_for_mean: Option<DebyeModel>,
    /// Mean and spread of the smoothed VDOS, 1/THz.
    pub(super) smooth_mean: Vec<f64>,
    pub(super) smooth_spread: Vec<f64>,
    /// The curve the boson peak of the mean is searched on: ν (THz), and
    /// the mean and spread of the samples' VDOS there, 1/THz.
    pub(super) peak_nu: Vec<f64>,
    pub(super) peak_vdos_mean: Vec<f64>,
    pub(super) peak_vdos_spread: Vec<f64>,
    /// The boson peak of the mean VDOS, in the window every sample allows.
    pub(super) peak_of_mean: Option<BosonPeak>,
    /// Mean and spread of the samples' boson-peak frequencies, THz.
    pub(super) peak_mean: Option<f64>,
    pub(super) peak_spread: Option<f64>,
}

/// Averages the samples' curves (each sample's boson peak already set).
pub(super) fn averages(
    samples: &[Sample],
    curves: &Curves,
    centers: &[f64],
    grid: Grid,
    sigma: f64,
    width: f64,
) -> Averages {
    let debye_mean = mean(
        samples
            .iter()
            .filter_map(|s| s.report.debye.as_ref())
            .map(|d| d.frequency_thz),
    );
    let debye_for_mean = samples
        .iter()
        .find_map(|s| s.report.debye.clone())
        .map(|mut d| {
            if let Some(m) = debye_mean {
                d.frequency_thz = m;
            }
            d
        });
    let (smooth_mean, smooth_spread) = mean_and_spread(
        &curves
            .0
            .iter()
            .map(|c| c.smooth.clone())
            .collect::<Vec<_>>(),
    );
    let window = samples
        .iter()
        .map(|s| peak_window(s, grid, sigma, width))
        .fold([0.0, f64::INFINITY], |w, x| {
            [w[0].max(x[0]), w[1].min(x[1])]
        });
    let on_window: Vec<(Vec<f64>, Vec<f64>)> = samples
        .iter()
        .zip(&curves.0)
        .map(|(s, c)| peak_curve(s, c, centers, window, width))
        .collect();
    let peak_nu = on_window.first().map(|c| c.0.clone()).unwrap_or_default();
    let (peak_vdos_mean, peak_vdos_spread) =
        mean_and_spread(&on_window.into_iter().map(|c| c.1).collect::<Vec<_>>());
    let peak_of_mean = boson_peak(&peak_nu, &peak_vdos_mean, window, debye_for_mean.as_ref());
    let peaks: Vec<f64> = samples
        .iter()
        .filter_map(|s| s.report.boson_peak.as_ref().map(|b| b.nu_thz))
        .collect();
    let (peak_mean, peak_spread) = if peaks.is_empty() {
        (None, None)
    } else {
        let (m, s) = mean_and_spread(&peaks.iter().map(|x| vec![*x]).collect::<Vec<_>>());
        (Some(m[0]), Some(s[0]))
    };
    Averages {
        debye_mean,
        debye_for_mean,
        smooth_mean,
        smooth_spread,
        peak_nu,
        peak_vdos_mean,
        peak_vdos_spread,
        peak_of_mean,
        peak_mean,
        peak_spread,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ε(λ) = ε·sqrt(ρ_mean/ρ(λ)) on a density that rises linearly from 0.
    #[test]
    fn kpm_error_grows_where_the_density_is_low() {
        let lambda: Vec<f64> = (0..=100).map(|k| k as f64 / 100.0).collect();
        let d = EigenvalueDensity {
            density: lambda.iter().map(|l| 2.0 * l).collect(),
            lambda,
            relative_error: 0.1,
            ..Default::default()
        };
        // Mean level 1 at λ = 0.5; a quarter of it at λ = 0.125.
        let at = |l: f64| crate::analysis::frequency_thz(l);
        let mean = density_error_at(&d, at(0.5)).unwrap();
        let low = density_error_at(&d, at(0.125)).unwrap();
        assert!((mean - 0.1).abs() < 1e-9, "{mean}");
        assert!((low - 0.2).abs() < 1e-9, "{low}");
        assert!(density_error_at(&d, at(0.0)).is_none());
    }
}
