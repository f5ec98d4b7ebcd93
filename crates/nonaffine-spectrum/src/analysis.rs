//! From eigenvalues and projections to the reported spectrum (docs/theory.md
//! §4; paper Fig. 2): mode census, VDOS D(ν), Γ_a(ν), D(ν)/ν², boson
//! peak against the Debye level, relaxed moduli.
//!
//! Frequencies are ν = sqrt(λ)·15.633 THz (λ = ω² in eV/(Å²·amu), docs/theory.md Eq. (23)).
//! The VDOS is normalised to 1 over the non-zero, non-negative modes (3N − 3
//! for a periodic solid at a minimum), in 1/THz.

use nonaffine_core::units::{GPA_PER_EV_PER_A3, THZ_PER_OMEGA_UNIT};
use serde::Serialize;

/// ν in THz of an eigenvalue λ = ω² (eV/(Å²·amu)); negative λ give −sqrt(|λ|)
/// (an imaginary frequency, shown with a minus sign).
pub fn frequency_thz(lambda: f64) -> f64 {
    lambda.signum() * lambda.abs().sqrt() * THZ_PER_OMEGA_UNIT
}

/// λ = ω² in eV/(Å²·amu) of a frequency ν in THz.
pub fn eigenvalue_of_thz(nu_thz: f64) -> f64 {
    (nu_thz / THZ_PER_OMEGA_UNIT).powi(2)
}

/// How many eigenvalues are zero (translations), negative (beyond round-off:
/// the structure is not at a minimum) or positive.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModeCensus {
    /// Eigenvalues examined.
    pub total: usize,
    /// |λ| ≤ threshold.
    pub zero: usize,
    /// λ < −threshold.
    pub negative: usize,
    /// λ > threshold: the modes the VDOS and Γ use.
    pub positive: usize,
    /// The threshold, eV/(Å²·amu).
    pub threshold: f64,
    /// Most negative eigenvalue, eV/(Å²·amu), when any is negative.
    pub most_negative_eigenvalue: Option<f64>,
    /// Its imaginary frequency |ν| in THz.
    pub most_negative_thz: Option<f64>,
    /// Largest |λ| among the zero modes (how close to exact they are), eV/(Å²·amu).
    pub largest_zero_eigenvalue: f64,
}

/// Sorts eigenvalues into zero, negative and positive with threshold
/// `relative_tolerance · scale` (scale: the spectral radius or max |D_ii|).
pub fn census(eigenvalues: &[f64], relative_tolerance: f64, scale: f64) -> ModeCensus {
    let threshold = relative_tolerance * scale.abs();
    let mut c = ModeCensus {
        total: eigenvalues.len(),
        zero: 0,
        negative: 0,
        positive: 0,
        threshold,
        most_negative_eigenvalue: None,
        most_negative_thz: None,
        largest_zero_eigenvalue: 0.0,
    };
    for &l in eigenvalues {
        if l.abs() <= threshold {
            c.zero += 1;
            c.largest_zero_eigenvalue = c.largest_zero_eigenvalue.max(l.abs());
        } else if l < 0.0 {
            c.negative += 1;
            if c.most_negative_eigenvalue.is_none_or(|m| l < m) {
                c.most_negative_eigenvalue = Some(l);
            }
        } else {
            c.positive += 1;
        }
    }
    c.most_negative_thz = c.most_negative_eigenvalue.map(|l| frequency_thz(l).abs());
    c
}

/// A uniform frequency grid of `bins` shells on [0, ν_max] THz.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Grid {
    /// Upper edge, THz.
    pub nu_max_thz: f64,
    /// Number of shells.
    pub bins: usize,
}

impl Grid {
    /// Shell width, THz.
    pub fn width(&self) -> f64 {
        self.nu_max_thz / self.bins as f64
    }

    /// Shell centres, THz.
    pub fn centers(&self) -> Vec<f64> {
        (0..self.bins)
            .map(|k| (k as f64 + 0.5) * self.width())
            .collect()
    }

    /// Shell of frequency ν, if on the grid.
    pub fn shell(&self, nu: f64) -> Option<usize> {
        if !(0.0..=self.nu_max_thz).contains(&nu) {
            return None;
        }
        Some(((nu / self.width()) as usize).min(self.bins - 1))
    }
}

/// Histogram VDOS: modes per shell / (`normalisation` · width), 1/THz.
pub fn histogram(frequencies: &[f64], grid: Grid, normalisation: f64) -> Vec<f64> {
    let mut h = vec![0.0; grid.bins];
    for &nu in frequencies {
        if let Some(k) = grid.shell(nu) {
            h[k] += 1.0;
        }
    }
    let scale = 1.0 / (normalisation * grid.width());
    h.iter().map(|c| c * scale).collect()
}

/// Σ_p w_p G_σ(ν − ν_p) / normalisation at each `nu` (Gaussian of standard
/// deviation σ in THz; unit weights when `weights` is None), 1/THz.
pub fn gaussian_smooth(
    frequencies: &[f64],
    weights: Option<&[f64]>,
    nu: &[f64],
    sigma: f64,
    normalisation: f64,
) -> Vec<f64> {
    let norm = 1.0 / ((2.0 * std::f64::consts::PI).sqrt() * sigma * normalisation);
    nu.iter()
        .map(|&x| {
            frequencies
                .iter()
                .enumerate()
                .map(|(p, &f)| {
                    let u = (x - f) / sigma;
                    if u.abs() > 8.0 {
                        0.0
                    } else {
                        weights.map_or(1.0, |w| w[p]) * (-0.5 * u * u).exp()
                    }
                })
                .sum::<f64>()
                * norm
        })
        .collect()
}

/// The VDOS at each `nu` (THz) whose reduced form D(ν)/ν² is smoothed by a
/// Gaussian of standard deviation `width` in ln ν (docs/theory.md Eq. (29a)):
/// D(ν) = (ν²/normalisation) Σ_p G_w(ln ν − ln ν_p)/ν_p², 1/THz, with G_w of
/// unit area in ln ν. The relative resolution is the same at every ν, and a
/// bump of D/ν² that is symmetric in ln ν keeps its maximum where it was.
pub fn log_smooth(frequencies: &[f64], nu: &[f64], width: f64, normalisation: f64) -> Vec<f64> {
    let norm = 1.0 / ((2.0 * std::f64::consts::PI).sqrt() * width * normalisation);
    nu.iter()
        .map(|&x| {
            let reduced: f64 = frequencies
                .iter()
                .filter(|f| **f > 0.0)
                .map(|&f| {
                    let u = (x / f).ln() / width;
                    if u.abs() > 8.0 {
                        0.0
                    } else {
                        (-0.5 * u * u).exp() / (f * f * f)
                    }
                })
                .sum();
            x * x * reduced * norm
        })
        .collect()
}

/// `points` frequencies spaced evenly in ln ν on [lo, hi] THz; empty when
/// the interval is empty or not positive.
pub fn log_grid(lo: f64, hi: f64, points: usize) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && points >= 2) {
        return Vec::new();
    }
    let step = (hi / lo).ln() / (points - 1) as f64;
    (0..points).map(|k| lo * (step * k as f64).exp()).collect()
}

/// Γ_a(ν): mean of Ξ̂_{p,a}² over the modes in each shell (paper Eq. 4ff),
/// eV²/(Å²·amu); NaN for empty shells.
pub fn gamma_shells(frequencies: &[f64], projections: &[[f64; 6]], grid: Grid) -> Vec<[f64; 6]> {
    let mut sum = vec![[0.0; 6]; grid.bins];
    let mut count = vec![0usize; grid.bins];
    for (nu, x) in frequencies.iter().zip(projections) {
        if let Some(k) = grid.shell(*nu) {
            count[k] += 1;
            for a in 0..6 {
                sum[k][a] += x[a] * x[a];
            }
        }
    }
    sum.iter()
        .zip(&count)
        .map(|(s, &c)| {
            if c == 0 {
                [f64::NAN; 6]
            } else {
                s.map(|v| v / c as f64)
            }
        })
        .collect()
}

/// Γ_a(ν) smoothed: Σ_p Ξ̂_{p,a}² G_σ(ν − ν_p) / Σ_p G_σ(ν − ν_p); NaN where
/// the modes within reach weigh less than a tenth of one mode at its centre
/// (the ratio would only extrapolate there).
pub fn gamma_smooth(
    frequencies: &[f64],
    projections: &[[f64; 6]],
    nu: &[f64],
    sigma: f64,
) -> Vec<[f64; 6]> {
    let den = gaussian_smooth(frequencies, None, nu, sigma, 1.0);
    let floor = 0.1 / ((2.0 * std::f64::consts::PI).sqrt() * sigma);
    let mut out = vec![[0.0; 6]; nu.len()];
    for a in 0..6 {
        let w: Vec<f64> = projections.iter().map(|x| x[a] * x[a]).collect();
        let num = gaussian_smooth(frequencies, Some(&w), nu, sigma, 1.0);
        for (k, o) in out.iter_mut().enumerate() {
            o[a] = if den[k] > floor {
                num[k] / den[k]
            } else {
                f64::NAN
            };
        }
    }
    out
}

/// The Debye model of an isotropic solid (paper Eq. 5: ω_D).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DebyeModel {
    /// ν_D = c_D (3n/4π)^{1/3}, THz.
    pub frequency_thz: f64,
    /// Which moduli gave the sound speeds (`relaxed (hessian stage)`,
    /// `relaxed (from modes)`, `born`).
    pub moduli_source: String,
    /// Voigt-average bulk modulus K, GPa.
    pub bulk_gpa: f64,
    /// Voigt-average shear modulus G, GPa.
    pub shear_gpa: f64,
    /// c_L = sqrt((K + 4G/3)/ρ), m/s.
    pub longitudinal_m_per_s: f64,
    /// c_T = sqrt(G/ρ), m/s.
    pub transverse_m_per_s: f64,
    /// Debye mean speed c_D, 3/c_D³ = 1/c_L³ + 2/c_T³, m/s.
    pub debye_speed_m_per_s: f64,
    /// Mass density, g/cm³.
    pub density_g_per_cm3: f64,
    /// Number density N/V, 1/Å³.
    pub atoms_per_a3: f64,
}

impl DebyeModel {
    /// From a 6×6 Voigt stiffness (GPa), the mass density (g/cm³) and the
    /// number density (1/Å³). Fails when the Voigt shear modulus is not positive.
    pub fn from_moduli(
        c: &[[f64; 6]; 6],
        density_g_per_cm3: f64,
        atoms_per_a3: f64,
        source: &str,
    ) -> Result<Self, String> {
        let diag = c[0][0] + c[1][1] + c[2][2];
        let off = c[0][1] + c[0][2] + c[1][2];
        let shear_diag = c[3][3] + c[4][4] + c[5][5];
        let bulk = (diag + 2.0 * off) / 9.0;
        let shear = (diag - off + 3.0 * shear_diag) / 15.0;
        if shear <= 0.0 || bulk <= 0.0 || density_g_per_cm3 <= 0.0 {
            return Err(format!(
                "{source} moduli give K = {bulk:.3} GPa, G = {shear:.3} GPa: no Debye model without positive moduli"
            ));
        }
        // GPa / (g/cm³) = 1e9 Pa / 1e3 kg/m³ → (m/s)² × 1e6.
        let speed = |m: f64| (m / density_g_per_cm3 * 1.0e6).sqrt();
        let cl = speed(bulk + 4.0 * shear / 3.0);
        let ct = speed(shear);
        let cd = (3.0 / (1.0 / cl.powi(3) + 2.0 / ct.powi(3))).cbrt();
        // m/s = 1e-2 Å/ps; (3n/4π)^{1/3} in 1/Å → THz.
        let nu = cd * 1.0e-2 * (3.0 * atoms_per_a3 / (4.0 * std::f64::consts::PI)).cbrt();
        Ok(Self {
            frequency_thz: nu,
            moduli_source: source.into(),
            bulk_gpa: bulk,
            shear_gpa: shear,
            longitudinal_m_per_s: cl,
            transverse_m_per_s: ct,
            debye_speed_m_per_s: cd,
            density_g_per_cm3,
            atoms_per_a3,
        })
    }

    /// Debye VDOS 3ν²/ν_D³ (ν < ν_D), normalised to 1, 1/THz.
    pub fn vdos(&self, nu: f64) -> f64 {
        if (0.0..self.frequency_thz).contains(&nu) {
            3.0 * nu * nu / self.frequency_thz.powi(3)
        } else {
            0.0
        }
    }

    /// Debye level of D(ν)/ν², 3/ν_D³, 1/THz³.
    pub fn level(&self) -> f64 {
        3.0 / self.frequency_thz.powi(3)
    }
}

/// The boson peak: maximum of D(ν)/ν² at low frequency.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BosonPeak {
    /// Position ν_BP, THz.
    pub nu_thz: f64,
    /// D(ν_BP)/ν_BP², 1/THz³.
    pub height_per_thz3: f64,
    /// Debye level 3/ν_D³, 1/THz³, when a Debye model is known.
    pub debye_level_per_thz3: Option<f64>,
    /// height / Debye level: the excess over Debye.
    pub excess_over_debye: Option<f64>,
    /// [lower, upper] frequencies searched, THz.
    pub window_thz: [f64; 2],
    /// Relative statistical error of a KPM density at ν_BP (Eq. (33c) scaled
    /// by sqrt(ρ_mean/ρ(λ_BP))); None for modes, which have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub density_error: Option<f64>,
}

/// The least height of a boson peak above its flanking minima, relative to
/// the peak (docs/theory.md Eq. (29)).
pub const PEAK_PROMINENCE: f64 = 0.02;

/// Finds the largest interior local maximum of g(ν)/ν² on `nu` within
/// `window` (THz) that stands out by [`PEAK_PROMINENCE`]; None when the ratio
/// only falls (no peak above the window's lower edge, which the smoothing or
/// the box size sets) or only ripples. The position is
/// refined by a parabola through the three grid points around the maximum,
/// in ν on a uniform grid, in ln ν on a [`log_grid`].
pub fn boson_peak(
    nu: &[f64],
    g: &[f64],
    window: [f64; 2],
    debye: Option<&DebyeModel>,
) -> Option<BosonPeak> {
    let idx: Vec<usize> = (0..nu.len())
        .filter(|&k| nu[k] >= window[0] && nu[k] <= window[1] && nu[k] > 0.0)
        .collect();
    if idx.len() < 3 {
        return None;
    }
    let r: Vec<f64> = idx.iter().map(|&k| g[k] / (nu[k] * nu[k])).collect();
    // A maximum is a peak when it stands PEAK_PROMINENCE above the higher
    // of the lowest points on its two sides; smaller ones are ripples of the
    // finite number of modes.
    let prominent = |j: usize| {
        let left = r[..j].iter().copied().fold(f64::INFINITY, f64::min);
        let right = r[j + 1..].iter().copied().fold(f64::INFINITY, f64::min);
        r[j] - left.max(right) >= PEAK_PROMINENCE * r[j]
    };
    let mut best: Option<usize> = None;
    for j in 1..r.len() - 1 {
        if r[j] >= r[j - 1] && r[j] > r[j + 1] && best.is_none_or(|b| r[j] > r[b]) && prominent(j) {
            best = Some(j);
        }
    }
    let j = best?;
    let (x0, x1, x2) = (nu[idx[j - 1]], nu[idx[j]], nu[idx[j + 1]]);
    let (y0, y1, y2) = (r[j - 1], r[j], r[j + 1]);
    let curvature = y0 - 2.0 * y1 + y2;
    // The vertex offset in units of the spacing, applied in the coordinate in
    // which the three points are evenly spaced.
    let step = if curvature < 0.0 {
        0.5 * (y0 - y2) / curvature
    } else {
        0.0
    };
    let uniform = |a: f64, b: f64, c: f64| (c - b - (b - a)).abs() < 1e-9 * (b - a).abs();
    let shift = if step == 0.0 {
        0.0
    } else if uniform(x0, x1, x2) {
        step * (x1 - x0)
    } else if uniform(x0.ln(), x1.ln(), x2.ln()) {
        x1 * ((step * (x1 / x0).ln()).exp() - 1.0)
    } else {
        0.0
    };
    let height = if shift != 0.0 {
        y1 - (y2 - y0).powi(2) / (8.0 * curvature)
    } else {
        y1
    };
    let level = debye.map(DebyeModel::level);
    Some(BosonPeak {
        nu_thz: x1 + shift,
        height_per_thz3: height,
        debye_level_per_thz3: level,
        excess_over_debye: level.map(|l| height / l),
        window_thz: window,
        density_error: None,
    })
}

/// Relaxed (quasi-static) moduli from the modes, the ω → 0 limit of the
/// response (docs/theory.md Eq. (30)): C_ab = C^B_ab − (1/V) Σ_p Ξ̂_{p,a} Ξ̂_{p,b} / ω_p², over the
/// positive modes (λ > `floor`), GPa. Exact only with every mode.
pub fn relaxed_from_modes(
    born_gpa: &[[f64; 6]; 6],
    eigenvalues: &[f64],
    projections: &[[f64; 6]],
    floor: f64,
    volume_a3: f64,
) -> [[f64; 6]; 6] {
    let mut c = *born_gpa;
    for (l, x) in eigenvalues.iter().zip(projections) {
        if *l <= floor {
            continue;
        }
        for a in 0..6 {
            for b in 0..6 {
                c[a][b] -= x[a] * x[b] / l / volume_a3 * GPA_PER_EV_PER_A3;
            }
        }
    }
    c
}

/// Pointwise mean and sample standard deviation of equal-length curves,
/// ignoring NaN entries (NaN where no curve has a value).
pub fn mean_and_spread(curves: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let len = curves.first().map_or(0, Vec::len);
    let mut mean = vec![f64::NAN; len];
    let mut spread = vec![f64::NAN; len];
    for k in 0..len {
        let v: Vec<f64> = curves
            .iter()
            .map(|c| c[k])
            .filter(|x| !x.is_nan())
            .collect();
        if v.is_empty() {
            continue;
        }
        let m = v.iter().sum::<f64>() / v.len() as f64;
        mean[k] = m;
        spread[k] = if v.len() > 1 {
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
        } else {
            0.0
        };
    }
    (mean, spread)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn census_sorts_by_threshold() {
        let c = census(&[-0.5, -1e-12, 0.0, 2e-12, 0.3, 1.0], 1e-8, 1.0);
        assert_eq!((c.zero, c.negative, c.positive), (3, 1, 2));
        assert_eq!(c.most_negative_eigenvalue, Some(-0.5));
        assert!((c.most_negative_thz.unwrap() - 0.5_f64.sqrt() * THZ_PER_OMEGA_UNIT).abs() < 1e-12);
    }

    #[test]
    fn histogram_and_gaussian_integrate_to_one() {
        let freqs: Vec<f64> = (0..1000).map(|k| 0.5 + 4.0 * k as f64 / 1000.0).collect();
        let grid = Grid {
            nu_max_thz: 6.0,
            bins: 60,
        };
        let h = histogram(&freqs, grid, freqs.len() as f64);
        assert!((h.iter().sum::<f64>() * grid.width() - 1.0).abs() < 1e-12);
        let fine: Vec<f64> = (0..6000).map(|k| (k as f64 + 0.5) * 0.001).collect();
        let g = gaussian_smooth(&freqs, None, &fine, 0.05, freqs.len() as f64);
        assert!((g.iter().sum::<f64>() * 0.001 - 1.0).abs() < 1e-6);
    }

    /// Sound speeds of an isotropic solid from its Lamé constants, and the
    /// Debye frequency of copper from its textbook values (ν_D ≈ 7.2 THz,
    /// Θ_D ≈ 343 K: hν_D/k_B = 346 K).
    #[test]
    fn debye_model_of_copper() {
        // Polycrystalline Cu: K = 140 GPa, G = 48 GPa; ρ = 8.96 g/cm³, n = 0.0849 /Å³.
        let (k, g) = (140.0, 48.0);
        let mut c = [[0.0; 6]; 6];
        for a in 0..3 {
            for b in 0..3 {
                c[a][b] = if a == b {
                    k + 4.0 * g / 3.0
                } else {
                    k - 2.0 * g / 3.0
                };
            }
            c[a + 3][a + 3] = g;
        }
        let d = DebyeModel::from_moduli(&c, 8.96, 0.0849, "test").unwrap();
        assert!((d.bulk_gpa - k).abs() < 1e-9 && (d.shear_gpa - g).abs() < 1e-9);
        assert!(
            (d.transverse_m_per_s - 2314.6).abs() < 1.0,
            "{}",
            d.transverse_m_per_s
        );
        let theta = d.frequency_thz * 1e12 * 6.626_070_15e-34 / 1.380_649e-23;
        assert!((theta - 343.0).abs() < 15.0, "Θ_D = {theta} K");
        assert!(DebyeModel::from_moduli(&[[0.0; 6]; 6], 8.96, 0.08, "born").is_err());
    }

    #[test]
    fn boson_peak_of_a_bump_over_debye() {
        // g = 3ν²/ν_D³ (1 + bump at 1 THz): g/ν² peaks at 1 THz.
        let nud = 5.0_f64;
        let nu: Vec<f64> = (1..200).map(|k| k as f64 * 0.025).collect();
        let g: Vec<f64> = nu
            .iter()
            .map(|x| 3.0 * x * x / nud.powi(3) * (1.0 + 2.0 * (-(x - 1.0).powi(2) / 0.08).exp()))
            .collect();
        let bp = boson_peak(&nu, &g, [0.1, 2.5], None).unwrap();
        assert!((bp.nu_thz - 1.0).abs() < 0.01, "{bp:?}");
        assert!((bp.height_per_thz3 / (3.0 / nud.powi(3)) - 3.0).abs() < 0.01);
        // Pure Debye: g/ν² is flat, no interior maximum.
        let flat: Vec<f64> = nu
            .iter()
            .map(|x| 3.0 * x * x / nud.powi(3) * (1.0 - 0.01 * x))
            .collect();
        assert!(boson_peak(&nu, &flat, [0.1, 2.5], None).is_none());
    }

    /// Frequencies of `count` modes drawn deterministically (at the quantiles
    /// (p + ½)/count) from D(ν) ∝ ν² [1 + a·exp(−ln²(ν/ν_b)/(2s²))] on
    /// (0, ν_D]: D/ν² has its maximum exactly at ν_b.
    fn bumped_debye_modes(count: usize, nu_b: f64, a: f64, s: f64, nu_d: f64) -> Vec<f64> {
        let density = |x: f64| x * x * (1.0 + a * (-(x / nu_b).ln().powi(2) / (2.0 * s * s)).exp());
        let fine = 200_000;
        let h = nu_d / fine as f64;
        let mut cdf = vec![0.0; fine + 1];
        for k in 0..fine {
            cdf[k + 1] = cdf[k] + h * density((k as f64 + 0.5) * h);
        }
        let total = cdf[fine];
        (0..count)
            .map(|p| {
                let target = (p as f64 + 0.5) / count as f64 * total;
                let k = cdf.partition_point(|c| *c < target).clamp(1, fine);
                let t = (target - cdf[k - 1]) / (cdf[k] - cdf[k - 1]);
                (k as f64 - 1.0 + t) * h
            })
            .collect()
    }

    /// The boson peak of discrete modes, on the curve smoothed in ln ν: found
    /// where the density that generated the modes puts it, by every mode or
    /// by the lowest ones only (dense and lowest-k solvers agree), and not
    /// found in a pure Debye spectrum.
    #[test]
    fn boson_peak_of_modes_drawn_from_a_known_density() {
        let (nu_b, nu_d, width) = (0.6, 6.0, 0.15_f64);
        let modes = bumped_debye_modes(6000, nu_b, 3.0, 0.35, nu_d);
        let lo = modes[0] * (2.0 * width).exp();
        let full = |m: &[f64], hi: f64| {
            let nu = log_grid(lo, hi, 200);
            let g = log_smooth(m, &nu, width, 6000.0);
            boson_peak(&nu, &g, [lo, hi], None)
        };
        let every = full(&modes, 0.4 * nu_d).expect("a peak in the bumped spectrum");
        assert!((every.nu_thz / nu_b - 1.0).abs() < 0.02, "{every:?}");
        let lowest = &modes[..400];
        let top = lowest[399] * (-2.0 * width).exp();
        let low = full(lowest, top).expect("a peak among the lowest 400 modes");
        assert!(
            (low.nu_thz - every.nu_thz).abs() < 1e-3 * nu_b,
            "{low:?} vs {every:?}"
        );
        let debye = bumped_debye_modes(6000, nu_b, 0.0, 0.35, nu_d);
        let flat = full(&debye, 0.4 * nu_d);
        assert!(flat.is_none(), "{flat:?}");
    }

    #[test]
    fn log_grids_are_even_in_ln_nu() {
        let g = log_grid(0.1, 10.0, 3);
        assert!((g[1] - 1.0).abs() < 1e-12 && (g[2] - 10.0).abs() < 1e-12);
        assert!(log_grid(1.0, 0.5, 10).is_empty() && log_grid(0.0, 1.0, 10).is_empty());
    }
}
