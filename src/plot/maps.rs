//! Heat maps over an integer grid, and histograms.

use super::charts::{colour, note};
use super::{drawable, drawing_error, tick_text, Drawn, GridAxes, Picture};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The most bins a histogram draws: more is no longer a picture but a very large file.
pub(super) const MAX_BINS: usize = 10_000;

/// Viridis at five stops, interpolated: a perceptually even scale that reads in grey too.
const VIRIDIS: [(f64, f64, f64); 5] = [
    (68.0, 1.0, 84.0),
    (59.0, 82.0, 139.0),
    (33.0, 145.0, 140.0),
    (94.0, 201.0, 98.0),
    (253.0, 231.0, 37.0),
];

/// The colour of a cell with no value (a ragged row's missing cell, NaN).
const NO_VALUE: RGBColor = RGBColor(215, 215, 215);

/// The scale's colour at `t` in 0..=1.
fn viridis(t: f64) -> RGBColor {
    // Past either end (a value beyond ±1e300 overflows to ±inf here) is that end's colour.
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let at = t * (VIRIDIS.len() - 1) as f64;
    let k = (at.floor() as usize).min(VIRIDIS.len() - 2);
    let f = at - k as f64;
    let (a, b) = (VIRIDIS[k], VIRIDIS[k + 1]);
    let mix = |p: f64, q: f64| (p + (q - p) * f).round().clamp(0.0, 255.0) as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Two heat maps with a shared colour scale.
pub(super) struct HeatMaps<'a> {
    pub title: &'a str,
    pub axes: &'a GridAxes,
    pub left: (&'a str, &'a [Vec<f64>]),
    pub right: (&'a str, &'a [Vec<f64>]),
}

/// The shared colour scale of both maps: from 0 (or the least value, when negative) to the
/// greatest value; values beyond ±1e300 take the colour of the scale's end.
fn scale(grids: &[&[Vec<f64>]]) -> (f64, f64) {
    let values = grids
        .iter()
        .flat_map(|g| g.iter())
        .flatten()
        .copied()
        .filter(|v| drawable(*v));
    let (lo, hi) = values.fold((0f64, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if hi > lo {
        (lo, hi)
    } else {
        // All zero, all NaN or nothing: any band will do, the cells are drawn at its bottom.
        (lo, lo + 1.0)
    }
}

impl Picture for HeatMaps<'_> {
    fn size(&self) -> (u32, u32) {
        (1120, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let area = if self.title.is_empty() {
            root.clone()
        } else {
            root.titled(self.title, ("sans-serif", 20))
                .map_err(drawing_error)?
        };
        let (width, _) = area.dim_in_pixel();
        let bar_width = 130;
        let map_width = (width.saturating_sub(bar_width) / 2) as i32;
        let (left, rest) = area.split_horizontally(map_width);
        let (right, bar) = rest.split_horizontally(map_width);
        let range = scale(&[self.left.1, self.right.1]);
        draw_map(&left, self.left, self.axes, range)?;
        draw_map(&right, self.right, self.axes, range)?;
        draw_scale(&bar, range)
    }
}

/// An axis tick at a cell's centre: its integer value; nothing between cells.
fn cell_tick(value: f64) -> String {
    if (value - value.round()).abs() < 1e-6 {
        format!("{}", value.round() as i64)
    } else {
        String::new()
    }
}

/// One heat map: a cell per value, row 0 at the bottom.
fn draw_map<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (label, grid): (&str, &[Vec<f64>]),
    axes: &GridAxes,
    (lo, hi): (f64, f64),
) -> Drawn {
    let rows = grid.len();
    let columns = grid.iter().map(Vec::len).max().unwrap_or(0);
    let (x0, y0) = (axes.x_origin as f64, axes.y_origin as f64);
    let x_range = (x0 - 0.5)..(x0 + columns.max(1) as f64 - 0.5);
    let y_range = (y0 - 0.5)..(y0 + rows.max(1) as f64 - 0.5);
    let mut chart = ChartBuilder::on(area)
        .caption(label, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(x_range, y_range)
        .map_err(drawing_error)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(&axes.x_label)
        .y_desc(&axes.y_label)
        .x_labels(columns.clamp(1, 12))
        .y_labels(rows.clamp(1, 12))
        .x_label_formatter(&|v| cell_tick(*v))
        .y_label_formatter(&|v| cell_tick(*v))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .map_err(drawing_error)?;
    let any_value = grid.iter().flatten().any(|v| v.is_finite());
    if rows == 0 || columns == 0 || !any_value {
        let why = if rows == 0 || columns == 0 {
            "no cells"
        } else {
            "no finite values"
        };
        return note(&chart.plotting_area().strip_coord_spec(), why);
    }
    let cells = (0..rows).flat_map(|r| (0..columns).map(move |c| (r, c)));
    chart
        .draw_series(cells.map(|(r, c)| {
            let value = grid[r].get(c).copied().unwrap_or(f64::NAN);
            let fill = if value.is_finite() {
                viridis((value - lo) / (hi - lo))
            } else {
                NO_VALUE
            };
            let (x, y) = (x0 + c as f64, y0 + r as f64);
            Rectangle::new([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)], fill.filled())
        }))
        .map_err(drawing_error)?;
    Ok(())
}

/// The colour scale beside the maps.
fn draw_scale<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, (lo, hi): (f64, f64)) -> Drawn {
    let mut chart = ChartBuilder::on(area)
        .margin_top(40)
        .margin_bottom(56)
        .margin_right(64)
        .y_label_area_size(0)
        .right_y_label_area_size(56)
        .build_cartesian_2d(0f64..1f64, lo..hi)
        .map_err(drawing_error)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_formatter(&|v| tick_text(*v))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(drawing_error)?;
    const STEPS: usize = 64;
    let step = (hi - lo) / STEPS as f64;
    chart
        .draw_series((0..STEPS).map(|k| {
            let bottom = lo + k as f64 * step;
            Rectangle::new(
                [(0.0, bottom), (1.0, bottom + step)],
                viridis((k as f64 + 0.5) / STEPS as f64).filled(),
            )
        }))
        .map_err(drawing_error)?;
    Ok(())
}

/// A histogram of values.
pub(super) struct Histogram<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub values: &'a [f64],
    pub bins: usize,
}

/// Counts of `values` in `bins` equal bins from their least to their greatest (a band of one
/// around a single value); the bins' lower edge and width.
pub(super) fn bin(values: &[f64], bins: usize) -> (Vec<usize>, f64, f64) {
    let bins = bins.clamp(1, MAX_BINS);
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let (lo, hi) = if hi > lo && (hi - lo).is_finite() {
        (lo, hi)
    } else if lo.is_finite() {
        (lo - 0.5, lo + 0.5)
    } else {
        (0.0, 1.0)
    };
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for &v in values {
        // The greatest value belongs to the last bin, not one past it.
        let k = (((v - lo) / width).floor().max(0.0) as usize).min(bins - 1);
        counts[k] += 1;
    }
    (counts, lo, width)
}

impl Picture for Histogram<'_> {
    fn size(&self) -> (u32, u32) {
        (900, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let area = if self.title.is_empty() {
            root.clone()
        } else {
            root.titled(self.title, ("sans-serif", 22))
                .map_err(drawing_error)?
        };
        let finite: Vec<f64> = self
            .values
            .iter()
            .copied()
            .filter(|v| drawable(*v))
            .collect();
        let skipped = self.values.len() - finite.len();
        let (counts, lo, width) = bin(&finite, self.bins);
        let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.08;
        let hi = lo + width * counts.len() as f64;
        // A little room on either side, so that the outer bars do not merge with the axes.
        let room = 0.03 * (hi - lo);
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d((lo - room)..(hi + room), 0f64..top)
            .map_err(drawing_error)?;
        chart
            .configure_mesh()
            .x_desc(self.x_label)
            .y_desc("count")
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&|v| tick_text(*v))
            .y_label_formatter(&|v| tick_text(*v))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 15))
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(drawing_error)?;
        let plot = chart.plotting_area().strip_coord_spec();
        if finite.is_empty() {
            let why = if self.values.is_empty() {
                "no values".to_string()
            } else {
                format!("no finite values ({skipped} skipped)")
            };
            return note(&plot, &why);
        }
        let fill = colour(0);
        chart
            .draw_series(
                counts
                    .iter()
                    .enumerate()
                    .filter(|(_, &n)| n > 0)
                    .map(|(k, &n)| {
                        let left = lo + k as f64 * width;
                        Rectangle::new([(left, 0.0), (left + width, n as f64)], fill.filled())
                    }),
            )
            .map_err(drawing_error)?;
        chart
            .draw_series(
                counts
                    .iter()
                    .enumerate()
                    .filter(|(_, &n)| n > 0)
                    .map(|(k, &n)| {
                        let left = lo + k as f64 * width;
                        Rectangle::new(
                            [(left, 0.0), (left + width, n as f64)],
                            WHITE.stroke_width(1),
                        )
                    }),
            )
            .map_err(drawing_error)?;
        let mut caption = format!("{} values", finite.len());
        if skipped > 0 {
            caption.push_str(&format!(
                ", {skipped} skipped (not finite, or beyond ±1e300)"
            ));
        }
        let style = TextStyle::from(("sans-serif", 14).into_font())
            .color(&RGBColor(60, 60, 60))
            .pos(Pos::new(HPos::Left, VPos::Top));
        plot.draw(&Text::new(caption, (10, 8), style))
            .map_err(drawing_error)
    }
}
