//! `oscillate.svg`/`oscillate.png`: C′ and C″ (GPa) against frequency (THz)
//! on log axes, one colour per component, standard errors as bars.

use crate::table::{Component, MeasuredPoint};
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::OnceLock;

/// Fonts tried for the text of the plots, in order (Debian: fonts-dejavu-core).
const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

fn ensure_font() -> Result<(), String> {
    static FONT: OnceLock<Result<(), String>> = OnceLock::new();
    FONT.get_or_init(|| {
        for path in FONT_PATHS {
            if let Ok(bytes) = std::fs::read(path) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                return plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
                    .map_err(|_| format!("{path} is not a usable TrueType font"));
            }
        }
        Err(format!(
            "no font for plots (tried {}); install Debian's fonts-dejavu-core",
            FONT_PATHS.join(", ")
        ))
    })
    .clone()
}

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
];

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    points: &[MeasuredPoint],
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let pos = |v: f64| v.is_finite() && v > 0.0;
    let xs: Vec<f64> = points.iter().map(|p| p.frequency_thz).collect();
    let ys: Vec<f64> = points
        .iter()
        .flat_map(|p| [p.storage_gpa, p.loss_gpa])
        .filter(|v| pos(*v))
        .collect();
    let (x0, x1) = xs
        .iter()
        .fold((f64::MAX, f64::MIN), |a, &x| (a.0.min(x), a.1.max(x)));
    let (y0, y1) = ys
        .iter()
        .fold((f64::MAX, f64::MIN), |a, &y| (a.0.min(y), a.1.max(y)));
    if !(x0 > 0.0 && y0 > 0.0 && x1 >= x0 && y1 >= y0) {
        return Err("nothing positive to plot".into());
    }
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "MD mechanical spectroscopy: C′ (filled), C″ (open)",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            (x0 / 1.5..x1 * 1.5).log_scale(),
            (y0 / 2.0..y1 * 2.0).log_scale(),
        )
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("frequency (THz)")
        .y_desc("modulus (GPa)")
        .draw()
        .map_err(e)?;
    for c in Component::ALL {
        let color = COLORS[c.voigt_index()];
        let mut mine: Vec<&MeasuredPoint> = points.iter().filter(|p| p.component == c).collect();
        if mine.is_empty() {
            continue;
        }
        mine.sort_by(|a, b| a.frequency_thz.total_cmp(&b.frequency_thz));
        for (loss, filled) in [(false, true), (true, false)] {
            let val = |p: &MeasuredPoint| if loss { p.loss_gpa } else { p.storage_gpa };
            let err = |p: &MeasuredPoint| {
                if loss {
                    p.loss_err_gpa
                } else {
                    p.storage_err_gpa
                }
            };
            let style = if filled {
                color.filled()
            } else {
                color.stroke_width(2)
            };
            let s = chart
                .draw_series(
                    mine.iter()
                        .filter(|p| pos(val(p)))
                        .map(|p| Circle::new((p.frequency_thz, val(p)), 4, style)),
                )
                .map_err(e)?;
            s.label(format!("{c} {}", if loss { "C″" } else { "C′" }))
                .legend(move |(x, y)| Circle::new((x, y), 4, style));
            chart
                .draw_series(LineSeries::new(
                    mine.iter()
                        .filter(|p| pos(val(p)))
                        .map(|p| (p.frequency_thz, val(p))),
                    color.stroke_width(1),
                ))
                .map_err(e)?;
            chart
                .draw_series(mine.iter().filter_map(|p| {
                    let (v, s) = (val(p), err(p)?);
                    (pos(v) && pos(v - s)).then(|| {
                        PathElement::new(
                            vec![(p.frequency_thz, v - s), (p.frequency_thz, v + s)],
                            color.stroke_width(1),
                        )
                    })
                }))
                .map_err(e)?;
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(e)?;
    root.present().map_err(e)
}

/// Writes `<stem>.svg` and `<stem>.png` into `dir`.
pub fn write_plots(dir: &Path, stem: &str, points: &[MeasuredPoint]) -> Result<(), String> {
    ensure_font()?;
    let svg = dir.join(format!("{stem}.svg"));
    draw(
        SVGBackend::new(&svg, (900, 600)).into_drawing_area(),
        points,
    )?;
    let png = dir.join(format!("{stem}.png"));
    draw(
        BitMapBackend::new(&png, (900, 600)).into_drawing_area(),
        points,
    )
}
