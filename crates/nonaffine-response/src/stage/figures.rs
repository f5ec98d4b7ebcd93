//! The response stage's figures: Fig. 3/4 analogues, the loss tangent and
//! the fitted kernels in time and frequency.

use super::claims::find;
use super::samples::Reference;
use super::FitRecord;
use crate::families::Family;
use crate::FitMode;
use nonaffine_numerics::log_grid;
use nonaffine_plot::{Figure, Scale, Series, Style};

/// Colours of the temperatures (hottest first), distinguishable in print.
const COLORS: [(u8, u8, u8); 4] = [
    (214, 39, 40),
    (31, 119, 180),
    (44, 160, 44),
    (148, 103, 189),
];

/// The figures: Fig. 3/4 analogues and the loss tangent (reference lines,
/// theory symbols, log-log), and ν(t), ν̃(ω) of the fitted kernels. ω is
/// converted to rad/s with the reference's time unit; moduli stay in the
/// reference's unit (σ0/ε0 of its Kohlrausch fit: normalised).
pub(super) fn figures(
    references: &[Reference],
    fits: &[FitRecord],
    mode: FitMode,
    families: &[&Family],
    time_unit_s: f64,
) -> Vec<(&'static str, Figure, Scale)> {
    let log_log = Scale {
        log_x: true,
        log_y: true,
        legend_lower: false,
    };
    let per_s = 1.0 / time_unit_s;
    let mut x_range = (f64::INFINITY, 0.0f64);
    for r in references {
        for w in r.omega.iter().filter(|w| **w > 0.0) {
            x_range.0 = x_range.0.min(w * per_s);
            x_range.1 = x_range.1.max(w * per_s);
        }
    }
    let panels: [(&'static str, &str, &str, usize); 3] = [
        (
            "fig3_storage",
            "Storage modulus E'(ω), Fig. 3 analogue",
            "E' / (σ0/ε0)  (normalised by the Kohlrausch amplitude)",
            1,
        ),
        (
            "fig4_loss",
            "Loss modulus E''(ω), Fig. 4 analogue",
            "E'' / (σ0/ε0)  (normalised by the Kohlrausch amplitude)",
            2,
        ),
        ("tan_delta", "Loss tangent tan δ = E''/E'", "tan δ", 3),
    ];
    let mut out: Vec<(&'static str, Figure, Scale)> = panels
        .iter()
        .map(|(stem, title, y_label, col)| {
            let pick = |e1: f64, e2: f64| match col {
                1 => e1,
                2 => e2,
                _ => e2 / e1,
            };
            let mut series = Vec::new();
            for (k, r) in references.iter().enumerate() {
                let color = COLORS[k % COLORS.len()];
                series.push(Series {
                    label: format!("{} K reference (Kohlrausch)", r.temperature_k),
                    points: r
                        .omega
                        .iter()
                        .zip(r.storage.iter().zip(&r.loss))
                        .map(|(w, (e1, e2))| (w * per_s, pick(*e1, *e2)))
                        .collect(),
                    color,
                    style: Style::Line,
                    band: Vec::new(),
                });
                if let Some(f) = find(fits, r.temperature_k, "stretched-exp", "boson_peak", mode) {
                    let b = f.value("b").map_or(f64::NAN, |e| e.value);
                    series.push(Series {
                        label: format!("{} K theory, stretched-exp b = {b:.2}", r.temperature_k),
                        points: f
                            .curve
                            .iter()
                            .step_by(2)
                            .map(|(w, e1, e2)| (w * per_s, pick(*e1, *e2)))
                            .collect(),
                        color,
                        style: Style::Markers,
                        band: Vec::new(),
                    });
                }
            }
            (
                *stem,
                Figure {
                    title: (*title).into(),
                    x_label: "ω (rad/s)".into(),
                    y_label: (*y_label).into(),
                    x_range,
                    series,
                    marker: None,
                },
                // E', E'' rise to the right: the lower right corner is free.
                Scale {
                    legend_lower: *col < 3,
                    ..log_log
                },
            )
        })
        .collect();

    // The fitted kernels in physical time: t_s = t · (model time unit in s),
    // ν̃ in 1/s = ν̃ / (model time unit in s).
    let mut time_series = Vec::new();
    let mut freq_series = Vec::new();
    let (mut t_range, mut w_range) = ((f64::INFINITY, 0.0f64), x_range);
    for (k, r) in references.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        for f in fits.iter().filter(|f| {
            f.temperature_k == r.temperature_k && f.spectrum == "boson_peak" && f.mode == mode
        }) {
            let Some(family) = families.iter().find(|x| x.label == f.kernel_stage) else {
                continue;
            };
            let Some(kernel) = family.build(&f.free_values) else {
                continue;
            };
            let unit = f.model_time_unit_s;
            let style = match f.kernel.as_str() {
                "stretched-exp" => Style::Line,
                "exponential" => Style::Dashed,
                _ => Style::Markers,
            };
            let label = format!("{} K {}", r.temperature_k, f.kernel);
            // ν(t)/ν(0+) over 8 decades around the memory time (or 1e-3..1e5
            // model units from the loss peak).
            let centre = kernel
                .memory_time()
                .unwrap_or(1.0 / (f.loss_peak_omega * time_unit_s.recip() * unit).max(1e-300));
            if f.kernel != "markovian" {
                let t = log_grid(centre * 1e-4, centre * 1e4, 81);
                // ν at the earliest time it is known (a table starts late).
                let nu0 = t
                    .iter()
                    .map(|t| kernel.nu_time(*t))
                    .find(|v| v.is_finite())
                    .unwrap_or(f64::NAN);
                if nu0.is_finite() && nu0 > 0.0 {
                    let pts: Vec<(f64, f64)> = t
                        .iter()
                        .map(|t| (t * unit, kernel.nu_time(*t) / nu0))
                        .filter(|(_, y)| y.is_finite())
                        .step_by(if style == Style::Markers { 4 } else { 1 })
                        .collect();
                    for (x, _) in &pts {
                        t_range.0 = t_range.0.min(*x);
                        t_range.1 = t_range.1.max(*x);
                    }
                    time_series.push(Series {
                        label: label.clone(),
                        points: pts,
                        color,
                        style,
                        band: Vec::new(),
                    });
                }
            }
            if f.kernel == "stretched-exp" {
                let w = log_grid(x_range.0, x_range.1, 61);
                for (part, dashed) in [("ν1", false), ("ν2", true)] {
                    freq_series.push(Series {
                        label: format!("{} K {part}", r.temperature_k),
                        points: w
                            .iter()
                            .map(|w| {
                                let z = kernel.nu_freq(w * unit);
                                (*w, if dashed { -z.im } else { z.re } / unit)
                            })
                            .collect(),
                        color,
                        style: if dashed { Style::Dashed } else { Style::Line },
                        band: Vec::new(),
                    });
                }
                w_range = x_range;
            }
        }
    }
    if !time_series.is_empty() && t_range.1 > t_range.0 {
        out.push((
            "kernel_time",
            Figure {
                title: "Fitted memory kernels ν(t)/ν(0)".into(),
                x_label: "t (s)".into(),
                y_label: "ν(t)/ν(0)".into(),
                x_range: t_range,
                series: time_series,
                marker: None,
            },
            Scale {
                log_y: false,
                ..log_log
            },
        ));
    }
    if !freq_series.is_empty() {
        out.push((
            "kernel_freq",
            Figure {
                title: "Fitted stretched-exp kernels ν̃(ω) = ν1 − iν2".into(),
                x_label: "ω (rad/s)".into(),
                y_label: "ν1 (solid), ν2 (dashed) (1/s)".into(),
                x_range: w_range,
                series: freq_series,
                marker: None,
            },
            log_log,
        ));
    }
    out
}
