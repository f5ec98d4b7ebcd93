//! PNG and SVG figures of every stage (the spectrum's VDOS and Γ, the
//! response's moduli, the MD spectroscopy points), drawn with `plotters`.
//!
//! Text layout needs a TrueType font (for the PNG pixels and for the SVG
//! label metrics alike): the first of [`FONT_PATHS`] that exists is loaded
//! once (Debian: `fonts-dejavu-core`). Without one, plotting fails with an
//! error saying which package to install; the stage records it as a warning
//! and writes everything else.

use plotters::coord::ranged1d::ValueFormatter;
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
    /// Filled circles at the points, no line (e.g. theory against reference lines).
    Markers,
    /// Filled circles with vertical error bars from `band` (x, lower, upper)
    /// instead of a shaded band (e.g. MD points with standard errors).
    MarkersWithErrors,
}

/// Axis scales of a figure: linear, or logarithmic (real log coordinates with
/// decade ticks; points with x or y ≤ 0 on a log axis are skipped).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scale {
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// Legend in the lower right corner instead of the upper right.
    pub legend_lower: bool,
}

/// Tick label of a log axis: the value to 3 significant digits, plainly for
/// 1e-3..1e4 (`0.01`, `100`), else in e-notation (`1e-5`, `2.5e9`).
fn log_tick(v: f64) -> String {
    let r: f64 = format!("{v:.2e}").parse().unwrap_or(v);
    if r != 0.0 && !(1e-3..1e4).contains(&r.abs()) {
        format!("{r:e}")
    } else {
        format!("{r}")
    }
}

/// One curve.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend label; empty for no legend entry.
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
    /// y range over the positive values, widened by a factor 1.5 each way
    /// (for a log y axis).
    fn positive_y_range(&self) -> (f64, f64) {
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for s in &self.series {
            for &(x, y) in &s.points {
                if x >= self.x_range.0 && x <= self.x_range.1 && y.is_finite() && y > 0.0 {
                    hi = hi.max(y);
                    lo = lo.min(y);
                }
            }
        }
        if !(hi > 0.0 && lo.is_finite()) {
            return (0.1, 10.0);
        }
        (lo / 1.5, hi * 1.5)
    }

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

    /// Writes `<stem>.png` (900×600) and `<stem>.svg` on linear axes.
    pub fn write(&self, stem: &Path) -> Result<(), String> {
        self.write_scaled(stem, Scale::default())
    }

    /// Writes `<stem>.png` (900×600) and `<stem>.svg` with the axis scales
    /// `scale` (x_range must then be positive on a log x axis).
    pub fn write_scaled(&self, stem: &Path, scale: Scale) -> Result<(), String> {
        ensure_font()?;
        let svg = stem.with_extension("svg");
        {
            let root = SVGBackend::new(&svg, (900, 600)).into_drawing_area();
            self.draw(&root, scale)?;
            root.present()
                .map_err(|e| format!("{}: {e}", svg.display()))?;
        }
        let png = stem.with_extension("png");
        let root = BitMapBackend::new(&png, (900, 600)).into_drawing_area();
        self.draw(&root, scale)?;
        root.present()
            .map_err(|e| format!("{}: {e}", png.display()))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        scale: Scale,
    ) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(e)?;
        let (y0, y1) = if scale.log_y {
            self.positive_y_range()
        } else {
            self.y_range()
        };
        let (x0, x1) = self.x_range;
        let mut builder = ChartBuilder::on(root);
        builder
            .caption(&self.title, ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(80);
        match (scale.log_x, scale.log_y) {
            (false, false) => {
                let chart = builder.build_cartesian_2d(x0..x1, y0..y1).map_err(e)?;
                self.draw_on(chart, (y0, y1), scale)
            }
            (true, false) => {
                let chart = builder
                    .build_cartesian_2d((x0..x1).log_scale(), y0..y1)
                    .map_err(e)?;
                self.draw_on(chart, (y0, y1), scale)
            }
            (false, true) => {
                let chart = builder
                    .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
                    .map_err(e)?;
                self.draw_on(chart, (y0, y1), scale)
            }
            (true, true) => {
                let chart = builder
                    .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
                    .map_err(e)?;
                self.draw_on(chart, (y0, y1), scale)
            }
        }
    }

    fn draw_on<'a, DB, X, Y>(
        &self,
        mut chart: ChartContext<'a, DB, Cartesian2d<X, Y>>,
        (y0, y1): (f64, f64),
        scale: Scale,
    ) -> Result<(), String>
    where
        DB: DrawingBackend + 'a,
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let tick = |v: &f64| log_tick(*v);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(("sans-serif", 16))
            .axis_desc_style(("sans-serif", 18))
            .light_line_style(WHITE.mix(0.0));
        if scale.log_x {
            mesh.x_label_formatter(&tick);
        }
        if scale.log_y {
            mesh.y_label_formatter(&tick);
        }
        mesh.draw().map_err(e)?;
        let (xa, xb) = self.x_range;
        let inside = |x: f64| x >= xa && x <= xb && (!scale.log_x || x > 0.0);
        let drawable = |y: f64| y.is_finite() && (!scale.log_y || y > 0.0);
        for s in &self.series {
            let color = RGBColor(s.color.0, s.color.1, s.color.2);
            if s.style == Style::MarkersWithErrors {
                let bars: Vec<_> = s
                    .band
                    .iter()
                    .filter(|(x, l, u)| inside(*x) && l.is_finite() && drawable(*u))
                    .map(|(x, l, u)| {
                        PathElement::new(vec![(*x, l.max(y0)), (*x, u.min(y1))], color)
                    })
                    .collect();
                chart.draw_series(bars).map_err(e)?;
            } else if !s.band.is_empty() {
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
                .filter(|(x, y)| inside(*x) && drawable(*y))
                .collect();
            let pts = if s.style == Style::Steps {
                steps(&pts)
            } else {
                pts
            };
            let style = ShapeStyle::from(&color).stroke_width(2);
            if matches!(s.style, Style::Markers | Style::MarkersWithErrors) {
                let anno = chart
                    .draw_series(pts.iter().map(|p| Circle::new(*p, 4, color.filled())))
                    .map_err(e)?;
                if !s.label.is_empty() {
                    anno.label(s.label.clone())
                        .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
                }
                continue;
            }
            let anno = match s.style {
                Style::Dashed => chart
                    .draw_series(DashedLineSeries::new(pts, 8, 6, style))
                    .map_err(e)?,
                Style::Line | Style::Steps | Style::Markers | Style::MarkersWithErrors => {
                    chart.draw_series(LineSeries::new(pts, style)).map_err(e)?
                }
            };
            if !s.label.is_empty() {
                anno.label(s.label.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            }
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
            .position(if scale.legend_lower {
                SeriesLabelPosition::LowerRight
            } else {
                SeriesLabelPosition::UpperRight
            })
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

#[cfg(test)]
mod tests {
    use super::log_tick;

    #[test]
    fn log_ticks_are_short() {
        assert_eq!(log_tick(9.999_999_999_999_999e-6), "1e-5");
        assert_eq!(log_tick(1_000.000_000_1), "1000");
        assert_eq!(log_tick(0.010_000_000_2), "0.01");
        assert_eq!(log_tick(2.5e9), "2.5e9");
    }
}
