//! The `spectrum` stage's plots of the sample averages: the VDOS with the Debye
//! law (docs/theory.md Eqs. (26), (28)), the reduced VDOS D(ν)/ν² with the Debye
//! level and the boson peak (Eq. (29)), and Γ(ν) (Eq. (27)).

use super::curves::Curves;
use super::report::VOIGT;
use crate::analysis::{mean_and_spread, BosonPeak, DebyeModel, Grid};
use nonaffine_plot::{Figure, Series, Style};

#[allow(clippy::too_many_arguments)]
pub(super) fn figures(
    centers: &[f64],
    curves: &Curves,
    smooth_mean: &[f64],
    smooth_spread: &[f64],
    peak_curve: [&[f64]; 3],
    debye: Option<&DebyeModel>,
    peak: Option<&BosonPeak>,
    grid: Grid,
    solver: &str,
) -> Vec<(&'static str, Figure)> {
    let blue = (31, 119, 180);
    let orange = (255, 127, 14);
    let n = curves.0.len();
    let samples = if n == 1 {
        "1 sample".to_string()
    } else {
        format!("mean of {n} samples ± spread")
    };
    let (hist_mean, _) =
        mean_and_spread(&curves.0.iter().map(|c| c.hist.clone()).collect::<Vec<_>>());
    let band = |m: &[f64], s: &[f64], f: &dyn Fn(f64, f64) -> f64| -> Vec<(f64, f64, f64)> {
        if n < 2 {
            return Vec::new();
        }
        centers
            .iter()
            .enumerate()
            .map(|(k, x)| (*x, f(m[k] - s[k], *x), f(m[k] + s[k], *x)))
            .collect()
    };
    let id = |v: f64, _: f64| v;
    let mut vdos = vec![Series {
        label: format!("smoothed ({samples})"),
        points: centers
            .iter()
            .copied()
            .zip(smooth_mean.iter().copied())
            .collect(),
        color: blue,
        style: Style::Line,
        band: band(smooth_mean, smooth_spread, &id),
    }];
    if hist_mean.iter().any(|x| x.is_finite()) {
        vdos.insert(
            0,
            Series {
                label: "histogram".into(),
                points: centers
                    .iter()
                    .copied()
                    .zip(hist_mean.iter().copied())
                    .collect(),
                color: (170, 170, 170),
                style: Style::Steps,
                band: Vec::new(),
            },
        );
    }
    if let Some(d) = debye {
        vdos.push(Series {
            label: format!(
                "Debye, ν_D = {:.2} THz ({})",
                d.frequency_thz, d.moduli_source
            ),
            points: centers.iter().map(|x| (*x, d.vdos(*x))).collect(),
            color: orange,
            style: Style::Dashed,
            band: Vec::new(),
        });
    }
    let [peak_nu, peak_mean, peak_spread] = peak_curve;
    let top = peak.map_or(0.5 * grid.nu_max_thz, |p| {
        (3.0 * p.nu_thz).min(grid.nu_max_thz)
    });
    let lo = peak.map_or(0.0, |p| p.window_thz[0]);
    let reduced_band = if n < 2 {
        Vec::new()
    } else {
        peak_nu
            .iter()
            .enumerate()
            .map(|(k, x)| {
                let m = peak_mean[k] / (x * x);
                let s = peak_spread[k] / (x * x);
                (*x, m - s, m + s)
            })
            .filter(|(x, _, _)| *x >= lo)
            .collect()
    };
    let mut red = vec![Series {
        label: format!("D(ν)/ν² ({samples})"),
        points: peak_nu
            .iter()
            .zip(peak_mean)
            .map(|(x, g)| (*x, g / (x * x)))
            .filter(|(x, _)| *x >= lo)
            .collect(),
        color: blue,
        style: Style::Line,
        band: reduced_band,
    }];
    if let Some(d) = debye {
        red.push(Series {
            label: format!("Debye level 3/ν_D³ ({})", d.moduli_source),
            points: centers.iter().map(|x| (*x, d.level())).collect(),
            color: orange,
            style: Style::Dashed,
            band: Vec::new(),
        });
    }
    let colors = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
    ];
    let gamma: Vec<Series> = (0..6)
        .map(|a| {
            let (m, _) = mean_and_spread(
                &curves
                    .0
                    .iter()
                    .map(|c| c.gamma_smooth.iter().map(|g| g[a]).collect())
                    .collect::<Vec<_>>(),
            );
            Series {
                label: format!("Γ_{}", VOIGT[a]),
                points: centers.iter().copied().zip(m).collect(),
                color: colors[a],
                style: Style::Line,
                band: Vec::new(),
            }
        })
        .collect();
    vec![
        (
            "vdos",
            Figure {
                title: format!("Vibrational density of states ({solver})"),
                x_label: "ν (THz)".into(),
                y_label: "D(ν) (1/THz)".into(),
                x_range: (0.0, grid.nu_max_thz),
                series: vdos,
                marker: None,
            },
        ),
        (
            "boson_peak",
            Figure {
                title: "Reduced VDOS D(ν)/ν²: boson peak".into(),
                x_label: "ν (THz)".into(),
                y_label: "D(ν)/ν² (1/THz³)".into(),
                x_range: (0.0, top),
                series: red,
                marker: peak.map(|p| {
                    (
                        p.nu_thz,
                        p.height_per_thz3,
                        format!(
                            "boson peak {:.2} THz{}",
                            p.nu_thz,
                            p.excess_over_debye
                                .map_or(String::new(), |e| format!(", {e:.2}× Debye"))
                        ),
                    )
                }),
            },
        ),
        (
            "gamma",
            Figure {
                title: "Γ(ν): mean Ξ̂² on frequency shells".into(),
                x_label: "ν (THz)".into(),
                y_label: "Γ (eV²/(Å²·amu))".into(),
                x_range: (0.0, grid.nu_max_thz),
                series: gamma,
                marker: None,
            },
        ),
    ]
}
