//! Line charts: one or several panels side by side, each with its own legend and y scale.

use super::{drawable, drawing_error, tick_text, Drawn, Panel, Picture, Series};
use plotters::coord::ranged1d::{
    AsRangedCoord, DefaultFormatting, KeyPointHint, Ranged, ValueFormatter,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Distinct colours for the curves (matplotlib's `tab10`): runs overlaid stay apart.
pub(super) const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// Up to this many points a curve also gets a marker at each point: evaluations are sparse
/// (one per `--eval-every`), and a marker shows where the measurements are.
const MARKERS_UP_TO: usize = 40;

/// The colour of curve `k`.
pub(super) fn colour(k: usize) -> RGBColor {
    let (r, g, b) = PALETTE[k % PALETTE.len()];
    RGBColor(r, g, b)
}

/// A figure: a title over panels side by side.
pub(super) struct Figure<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub panels: &'a [Panel],
}

impl Picture for Figure<'_> {
    fn size(&self) -> (u32, u32) {
        match self.panels.len() {
            0 | 1 => (900, 560),
            n => (560 * n as u32, 500),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let area = if self.title.is_empty() {
            root.clone()
        } else {
            root.titled(self.title, ("sans-serif", 22))
                .map_err(drawing_error)?
        };
        if self.panels.is_empty() {
            return note(&area, "nothing to plot");
        }
        let parts = area.split_evenly((1, self.panels.len()));
        for (panel, part) in self.panels.iter().zip(&parts) {
            draw_panel(part, panel, self.x_label)?;
        }
        Ok(())
    }
}

/// A message in the middle of an area.
pub(super) fn note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str) -> Drawn {
    let (width, height) = area.dim_in_pixel();
    let style = TextStyle::from(("sans-serif", 16).into_font())
        .color(&RGBColor(90, 90, 90))
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(
        text.to_string(),
        (width as i32 / 2, height as i32 / 2),
        style,
    ))
    .map_err(drawing_error)
}

/// The points of a series that can be drawn: finite, and positive on a log scale.
fn points(series: &Series, log_y: bool) -> Vec<(f64, f64)> {
    series
        .points
        .iter()
        .copied()
        .filter(|(x, y)| drawable(*x) && drawable(*y) && (!log_y || *y > 0.0))
        .collect()
}

/// A tick at zero computed as a sum of steps lands a rounding error away from it (−5.55e-17 on
/// a flat curve's band −0.5..0.5): within a billionth of the axis's span, it is 0.
fn snapped(value: f64, span: f64) -> f64 {
    match value.abs() <= span * 1e-9 {
        true => 0.0,
        false => value,
    }
}

/// A range around `lo..hi` with a margin, never empty (a flat curve still gets a band).
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let span = hi - lo;
    if span > 0.0 && span.is_finite() {
        (lo - 0.05 * span, hi + 0.05 * span)
    } else {
        let half = (lo.abs() * 0.1).max(0.5);
        (lo - half, hi + half)
    }
}

/// A positive range around `lo..hi` for a log axis: 5% of the decades on either side.
fn padded_log(lo: f64, hi: f64) -> (f64, f64) {
    let (a, b) = (lo.log10(), hi.log10());
    let span = b - a;
    let (lo, hi) = if span > 0.0 && span.is_finite() {
        (10f64.powf(a - 0.05 * span), 10f64.powf(b + 0.05 * span))
    } else {
        (lo / 2.0, hi * 2.0)
    };
    // Within what a float holds: the margin of a range near 1e300 would overflow.
    (lo.max(f64::MIN_POSITIVE), hi.min(f64::MAX))
}

/// Where the legend hides the fewest points: the corner whose box (a third of the width and
/// height) holds the fewest, upper right first on ties.
/// On a log axis the boxes are measured in decades, as the axis is drawn.
fn legend_corner(
    points: &[(f64, f64)],
    x: (f64, f64),
    y: (f64, f64),
    log_y: bool,
) -> SeriesLabelPosition {
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let share = |v: f64, (lo, hi): (f64, f64)| (v - lo) / (hi - lo);
    let height = |v: f64| if log_y { v.log10() } else { v };
    let y = (height(y.0), height(y.1));
    let mut best = (usize::MAX, SeriesLabelPosition::UpperRight);
    for (position, right, upper) in corners {
        let inside = points
            .iter()
            .filter(|&&(px, py)| {
                let (sx, sy) = (share(px, x), share(height(py), y));
                let horizontal = if right { sx > 0.6 } else { sx < 0.4 };
                let vertical = if upper { sy > 0.6 } else { sy < 0.4 };
                horizontal && vertical
            })
            .count();
        if inside < best.0 {
            best = (inside, position);
        }
    }
    best.1
}

/// One panel: axes, curves, reference curves dashed, a legend, or a note when nothing can be
/// drawn.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    x_label: &str,
) -> Drawn {
    let solid: Vec<Vec<(f64, f64)>> = panel
        .series
        .iter()
        .map(|s| points(s, panel.log_y))
        .collect();
    let dashed: Vec<Vec<(f64, f64)>> = panel
        .references
        .iter()
        .map(|s| points(s, panel.log_y))
        .collect();
    let all: Vec<(f64, f64)> = solid.iter().chain(&dashed).flatten().copied().collect();
    let fold = |f: fn(f64, f64) -> f64, start: f64, pick: fn(&(f64, f64)) -> f64| {
        all.iter().map(pick).fold(start, f)
    };
    let x = (
        fold(f64::min, f64::INFINITY, |p| p.0),
        fold(f64::max, f64::NEG_INFINITY, |p| p.0),
    );
    let y = (
        fold(f64::min, f64::INFINITY, |p| p.1),
        fold(f64::max, f64::NEG_INFINITY, |p| p.1),
    );
    let lines = Lines {
        panel,
        solid: &solid,
        dashed: &dashed,
        x_label,
    };
    if all.is_empty() {
        // Empty axes keep the picture's shape; the note says why they are empty.
        let no_points = panel
            .series
            .iter()
            .chain(&panel.references)
            .all(|s| s.points.is_empty());
        let why = if no_points {
            "no data"
        } else if panel.log_y {
            "no finite positive values to draw on a log scale"
        } else {
            "no finite values to draw"
        };
        lines.draw(area, (0.0, 1.0), 0.0..1.0, Some(why))
    } else if panel.log_y {
        let (lo, hi) = padded_log(y.0, y.1);
        lines.draw(area, padded(x.0, x.1), LogAxis { lo, hi }, None)
    } else {
        let (lo, hi) = padded(y.0, y.1);
        lines.draw(area, padded(x.0, x.1), lo..hi, None)
    }
}

/// The curves of a panel, ready to draw on either kind of y axis.
struct Lines<'a> {
    panel: &'a Panel,
    solid: &'a [Vec<(f64, f64)>],
    dashed: &'a [Vec<(f64, f64)>],
    x_label: &'a str,
}

impl Lines<'_> {
    fn draw<DB, Y>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x: (f64, f64),
        y_spec: Y,
        empty: Option<&str>,
    ) -> Drawn
    where
        DB: DrawingBackend,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(12)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(72);
        if !self.panel.title.is_empty() {
            builder.caption(&self.panel.title, ("sans-serif", 18));
        }
        let mut chart = builder
            .build_cartesian_2d(x.0..x.1, y_spec)
            .map_err(drawing_error)?;
        let y_range = chart.y_range();
        // Only an axis across zero has a zero tick to snap to.
        let across_zero = |lo: f64, hi: f64| match lo < 0.0 && hi > 0.0 {
            true => hi - lo,
            false => 0.0,
        };
        let x_span = across_zero(x.0, x.1);
        let y_span = across_zero(y_range.start, y_range.end);
        chart
            .configure_mesh()
            .x_desc(self.x_label)
            .y_desc(&self.panel.y_label)
            .x_labels(7)
            .y_labels(8)
            .x_label_formatter(&|v| tick_text(snapped(*v, x_span)))
            .y_label_formatter(&|v| tick_text(snapped(*v, y_span)))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 15))
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(drawing_error)?;
        if let Some(why) = empty {
            return note(&chart.plotting_area().strip_coord_spec(), why);
        }
        let mut labelled = false;
        for (k, (series, points)) in self.panel.series.iter().zip(self.solid).enumerate() {
            let style = colour(k).stroke_width(2);
            let label = with_no_data(&series.label, points);
            let drawn = chart
                .draw_series(LineSeries::new(points.iter().copied(), style))
                .map_err(drawing_error)?;
            if !label.is_empty() {
                labelled = true;
                drawn
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            }
            if points.len() <= MARKERS_UP_TO {
                chart
                    .draw_series(
                        points
                            .iter()
                            .map(|&p| Circle::new(p, 3, colour(k).filled())),
                    )
                    .map_err(drawing_error)?;
            }
        }
        for (k, (series, points)) in self.panel.references.iter().zip(self.dashed).enumerate() {
            // One reference is black; more take the colours after the solid curves'.
            let tone = if self.panel.references.len() == 1 {
                RGBColor(0, 0, 0)
            } else {
                colour(self.panel.series.len() + k)
            };
            let style = tone.stroke_width(2);
            let label = with_no_data(&series.label, points);
            let drawn = chart
                .draw_series(DashedLineSeries::new(points.iter().copied(), 8, 6, style))
                .map_err(drawing_error)?;
            if !label.is_empty() {
                labelled = true;
                drawn.label(label).legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (7, 0)], style)
                        + PathElement::new(vec![(13, 0), (20, 0)], style)
                });
            }
        }
        if labelled {
            let points: Vec<(f64, f64)> = self
                .solid
                .iter()
                .chain(self.dashed)
                .flatten()
                .copied()
                .collect();
            let y_bounds = (y_range.start, y_range.end);
            let corner = legend_corner(&points, x, y_bounds, self.panel.log_y);
            chart
                .configure_series_labels()
                .position(corner)
                .margin(10)
                .label_font(("sans-serif", 14))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .draw()
                .map_err(drawing_error)?;
        }
        Ok(())
    }
}

/// A legend label that says when its curve has nothing to draw.
fn with_no_data(label: &str, points: &[(f64, f64)]) -> String {
    if points.is_empty() && !label.is_empty() {
        format!("{label} (no data)")
    } else {
        label.to_string()
    }
}

/// A logarithmic axis whose ticks are 1-2-5 steps, denser on a short range: plotters' own log
/// axis labels only powers of ten, so a loss between 0.1 and 1 would get one tick or none.
#[derive(Clone, Debug)]
pub(super) struct LogAxis {
    /// The least value shown, above 0.
    pub lo: f64,
    /// The greatest value shown.
    pub hi: f64,
}

impl Ranged for LogAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = (self.lo.log10(), self.hi.log10());
        let t = if *value > 0.0 {
            (value.log10() - a) / (b - a)
        } else {
            // Off the bottom: the plotting area clips what is drawn there.
            -1.0
        };
        // Far-off values are pinned near the area so that pixel arithmetic cannot overflow.
        let t = if t.is_finite() {
            t.clamp(-1.0, 2.0)
        } else {
            0.0
        };
        limit.0 + ((limit.1 - limit.0) as f64 * t).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        log_ticks(self.lo, self.hi, hint.max_num_points())
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Ticks of a log axis from `lo` to `hi` (both above 0), at most `max`: powers of ten (every
/// few decades on a long range), else the densest of 1-2-5, 1-2-3-5-7 and 1..9 per decade
/// that fits, else (fewer than three ticks: a range within a decade) evenly spaced round
/// numbers.
pub(super) fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) || max == 0 {
        return Vec::new();
    }
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let inside = |mantissas: &[f64], every: i32| -> Vec<f64> {
        (first..=last)
            .filter(|e| e.rem_euclid(every) == 0)
            .flat_map(|e| mantissas.iter().map(move |m| m * 10f64.powi(e)))
            // A hair of slack: 10^-3 computed may land a bit below 0.001.
            .filter(|v| (lo * (1.0 - 1e-9)..=hi * (1.0 + 1e-9)).contains(v))
            .collect()
    };
    let decades = (last - first).max(1);
    let every = (decades as usize).div_ceil(max.max(1)).max(1) as i32;
    let sets: [&[f64]; 4] = [
        &[1.0],
        &[1.0, 2.0, 5.0],
        &[1.0, 2.0, 3.0, 5.0, 7.0],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
    ];
    let mut best = inside(sets[0], every);
    for set in &sets[1..] {
        if best.len() >= 4 {
            break;
        }
        let denser = inside(set, 1);
        if denser.len() > max {
            break;
        }
        best = denser;
    }
    if best.len() >= 3 {
        best
    } else {
        linear_ticks(lo, hi, max)
    }
}

/// Round numbers from `lo` to `hi`, at most `max` (steps of 1, 2 or 5 times a power of ten).
fn linear_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let max = max.clamp(2, 12);
    let rough = (hi - lo) / (max - 1) as f64;
    if !(rough > 0.0 && rough.is_finite()) {
        return Vec::new();
    }
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * power);
    let start = (lo / step).ceil() as i64;
    let end = (hi / step).floor() as i64;
    (start..=end).map(|k| k as f64 * step).collect()
}
