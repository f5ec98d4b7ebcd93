//! `oscillate.svg`/`oscillate.png`: C′ and C″ (GPa) against frequency (THz)
//! on log axes, one colour per component, standard errors as bars.

use crate::table::{Component, MeasuredPoint};
use nonaffine_plot::{Figure, Scale, Series, Style};
use std::path::Path;

/// One colour per Voigt component, in Voigt order.
const COLORS: [(u8, u8, u8); 6] = [
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (148, 103, 189),
    (255, 127, 14),
    (23, 190, 207),
];

/// Writes `<stem>.svg` and `<stem>.png` into `dir`.
pub fn write_plots(dir: &Path, stem: &str, points: &[MeasuredPoint]) -> Result<(), String> {
    let positive = |v: f64| v.is_finite() && v > 0.0;
    let (lo, hi) = points
        .iter()
        .map(|p| p.frequency_thz)
        .filter(|&f| positive(f))
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), f| {
            (lo.min(f), hi.max(f))
        });
    if !(lo.is_finite() && hi > 0.0) {
        return Err("nothing positive to plot".into());
    }
    let mut series = Vec::new();
    for c in Component::ALL {
        let mut mine: Vec<&MeasuredPoint> = points.iter().filter(|p| p.component == c).collect();
        if mine.is_empty() {
            continue;
        }
        mine.sort_by(|a, b| a.frequency_thz.total_cmp(&b.frequency_thz));
        for (name, value, error, style) in [
            (
                "C′",
                (|p: &MeasuredPoint| p.storage_gpa) as fn(&MeasuredPoint) -> f64,
                (|p: &MeasuredPoint| p.storage_err_gpa) as fn(&MeasuredPoint) -> Option<f64>,
                Style::Line,
            ),
            (
                "C″",
                |p: &MeasuredPoint| p.loss_gpa,
                |p: &MeasuredPoint| p.loss_err_gpa,
                Style::Dashed,
            ),
        ] {
            let color = COLORS[c.voigt_index()];
            let pts: Vec<(f64, f64)> = mine.iter().map(|p| (p.frequency_thz, value(p))).collect();
            let band: Vec<(f64, f64, f64)> = mine
                .iter()
                .filter_map(|p| error(p).map(|e| (p.frequency_thz, value(p) - e, value(p) + e)))
                .collect();
            series.push(Series {
                label: String::new(),
                points: pts.clone(),
                color,
                style,
                band: Vec::new(),
            });
            series.push(Series {
                label: format!("{c} {name}"),
                points: pts,
                color,
                style: Style::MarkersWithErrors,
                band,
            });
        }
    }
    let figure = Figure {
        title: "MD mechanical spectroscopy: C′ (solid), C″ (dashed)".into(),
        x_label: "frequency (THz)".into(),
        y_label: "modulus (GPa)".into(),
        x_range: (lo / 1.5, hi * 1.5),
        series,
        marker: None,
    };
    figure.write_scaled(
        &dir.join(stem),
        Scale {
            log_x: true,
            log_y: true,
            legend_lower: true,
        },
    )
}
