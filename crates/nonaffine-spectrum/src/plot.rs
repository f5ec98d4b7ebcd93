//! PNG and SVG plots of the spectrum (paper Fig. 2 and its inset), drawn with
//! `plotters`.
//!
//! Text layout needs a TrueType font (for the PNG pixels and for the SVG
//! label metrics alike): the first of [`FONT_PATHS`] that exists is loaded
//! once (Debian: `fonts-dejavu-core`). Without one, plotting fails with an
//! error saying which package to install; the stage records it as a warning
//! and writes everything else.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::OnceLock;

/// Fonts tried for PNG text, in order.
pub const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
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
            "no font for PNG plots (tried {}); install Debian's fonts-dejavu-core",
            FONT_PATHS.join(", ")
        ))
    })
    .clone()
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Style {
    /// Solid line.
    Line,
    /// Dashed line.
    Dashed,
    /// Steps (a histogram on shell centres).
    Steps,
}

/// One curve.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// (x, y) points; non-finite y are skipped.
    pub points: Vec<(f64, f64)>,
    /// Colour as RGB.
    pub color: (u8, u8, u8),
    /// Line style.
    pub style: Style,
    /// Optional band (x, lower, upper) drawn shaded under the curve.
    pub band: Vec<(f64, f64, f64)>,
}

/// A plot: axes, curves and an optional marked point.
#[derive(Clone, Debug)]
pub struct Figure {
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// x range.
    pub x_range: (f64, f64),
    /// Curves.
    pub series: Vec<Series>,
    /// A marked point (x, y, label), e.g. the boson peak.
    pub marker: Option<(f64, f64, String)>,
}

impl Figure {
    fn y_range(&self) -> (f64, f64) {
        let mut hi: f64 = 0.0;
        let mut lo: f64 = 0.0;
        for s in &self.series {
            for &(x, y) in &s.points {
                if x >= self.x_range.0 && x <= self.x_range.1 && y.is_finite() {
                    hi = hi.max(y);
                    lo = lo.min(y);
                }
            }
            for &(x, _, u) in &s.band {
                if x >= self.x_range.0 && x <= self.x_range.1 && u.is_finite() {
                    hi = hi.max(u);
                }
            }
        }
        if hi <= lo {
            hi = lo + 1.0;
        }
        (lo, hi * 1.08)
    }

    /// Writes `<stem>.png` (900×600) and `<stem>.svg`.
    pub fn write(&self, stem: &Path) -> Result<(), String> {
        ensure_font()?;
        let svg = stem.with_extension("svg");
        {
            let root = SVGBackend::new(&svg, (900, 600)).into_drawing_area();
            self.draw(&root)?;
            root.present()
                .map_err(|e| format!("{}: {e}", svg.display()))?;
        }
        let png = stem.with_extension("png");
        let root = BitMapBackend::new(&png, (900, 600)).into_drawing_area();
        self.draw(&root)?;
        root.present()
            .map_err(|e| format!("{}: {e}", png.display()))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(e)?;
        let (y0, y1) = self.y_range();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(self.x_range.0..self.x_range.1, y0..y1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(("sans-serif", 16))
            .axis_desc_style(("sans-serif", 18))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        let (xa, xb) = self.x_range;
        let inside = |x: f64| x >= xa && x <= xb;
        for s in &self.series {
            let color = RGBColor(s.color.0, s.color.1, s.color.2);
            if !s.band.is_empty() {
                let mut poly: Vec<(f64, f64)> = s
                    .band
                    .iter()
                    .filter(|(x, l, u)| inside(*x) && l.is_finite() && u.is_finite())
                    .map(|(x, l, _)| (*x, l.max(y0)))
                    .collect();
                let upper: Vec<(f64, f64)> = s
                    .band
                    .iter()
                    .rev()
                    .filter(|(x, l, u)| inside(*x) && l.is_finite() && u.is_finite())
                    .map(|(x, _, u)| (*x, u.min(y1)))
                    .collect();
                poly.extend(upper);
                if poly.len() > 2 {
                    chart
                        .draw_series(std::iter::once(Polygon::new(poly, color.mix(0.2).filled())))
                        .map_err(e)?;
                }
            }
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(x, y)| inside(*x) && y.is_finite())
                .collect();
            let pts = if s.style == Style::Steps {
                steps(&pts)
            } else {
                pts
            };
            let style = ShapeStyle::from(&color).stroke_width(2);
            let anno = match s.style {
                Style::Dashed => chart
                    .draw_series(DashedLineSeries::new(pts, 8, 6, style))
                    .map_err(e)?,
                Style::Line | Style::Steps => {
                    chart.draw_series(LineSeries::new(pts, style)).map_err(e)?
                }
            };
            anno.label(s.label.clone()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        }
        if let Some((x, y, label)) = &self.marker {
            chart
                .draw_series(std::iter::once(Circle::new((*x, *y), 6, BLACK.filled())))
                .map_err(e)?
                .label(label.clone())
                .legend(|(x, y)| Circle::new((x + 10, y), 5, BLACK.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(("sans-serif", 16))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(e)?;
        Ok(())
    }
}

/// Staircase through shell centres (each value held across its shell).
fn steps(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if points.len() < 2 {
        return points.to_vec();
    }
    let h = points[1].0 - points[0].0;
    points
        .iter()
        .flat_map(|&(x, y)| [(x - 0.5 * h, y), (x + 0.5 * h, y)])
        .collect()
}
