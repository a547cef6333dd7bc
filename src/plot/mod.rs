//! Pictures of runs: line charts, heat maps and histograms, each written as an SVG and a PNG.
//!
//! Everything here works on a headless machine without system fonts: text is drawn with DejaVu
//! Sans, compiled into the binary (`assets/fonts/`, licence beside it) and registered with
//! plotters' `ab_glyph` renderer, the PNG comes from an in-memory bitmap encoded by `png`, and
//! the SVG from plotters' SVG backend. Both files of a picture are rendered in memory first and
//! each written atomically (a temporary file renamed into place), so a reader never sees half a
//! picture.
//!
//! Bad data never panics: non-finite points are skipped (and so are values beyond ±1e300,
//! whose axis would span more than a float holds), and a chart with nothing left to draw (no
//! series, all NaN, nothing positive on a log scale) is still written, with a note saying why
//! it is empty.
//!
//! ```no_run
//! use gfnc::plot::{curves, Series};
//!
//! let loss = Series { label: "tb".to_string(), points: vec![(16.0, 3.2), (32.0, 1.1), (48.0, 0.4)] };
//! curves(std::path::Path::new("runs/hg/loss"), "loss", "trajectories", "loss", &[loss], true)?;
//! // wrote runs/hg/loss.svg and runs/hg/loss.png
//! # Ok::<(), String>(())
//! ```

mod charts;
mod maps;

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The font every picture's text is drawn with (see the module docs for why it is built in).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// One curve of a line chart: its legend label and its (x, y) points.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// The text of its legend entry.
    pub label: String,
    /// Its points, in drawing order; non-finite ones are skipped.
    pub points: Vec<(f64, f64)>,
}

/// One chart of a figure of charts side by side (see [`panels`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Panel {
    /// The chart's own title.
    pub title: String,
    /// The label of its y axis.
    pub y_label: String,
    /// Curves drawn solid, one colour each.
    pub series: Vec<Series>,
    /// Reference curves drawn dashed after them (the exact log Z, a target, ...).
    pub references: Vec<Series>,
    /// A logarithmic y axis; values that are not positive are skipped.
    pub log_y: bool,
}

/// The axes of [`heatmaps_with`]: their labels and the values of the first row and column.
#[derive(Clone, Debug, PartialEq)]
pub struct GridAxes {
    /// The label of the horizontal axis (the columns).
    pub x_label: String,
    /// The label of the vertical axis (the rows).
    pub y_label: String,
    /// The value the first column stands for (the grid's least x).
    pub x_origin: i64,
    /// The value the first row stands for (the grid's least y).
    pub y_origin: i64,
}

impl Default for GridAxes {
    fn default() -> GridAxes {
        GridAxes {
            x_label: "column".to_string(),
            y_label: "row".to_string(),
            x_origin: 0,
            y_origin: 0,
        }
    }
}

/// Line chart with a legend, written as `{stem}.svg` and `{stem}.png` (atomically: write to a temp file, then rename).
///
/// Several series are overlaid, one colour each. `log_y` draws the y axis on a log scale and
/// skips values that are not positive.
pub fn curves(
    stem: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
) -> Result<(), String> {
    let panel = Panel {
        title: String::new(),
        y_label: y_label.to_string(),
        series: series.to_vec(),
        references: Vec::new(),
        log_y,
    };
    write(
        stem,
        &charts::Figure {
            title,
            x_label,
            panels: std::slice::from_ref(&panel),
        },
    )
}

/// Several line charts side by side under one title, sharing the x axis's label, written as
/// `{stem}.svg` and `{stem}.png` like [`curves`]. Each panel has its own legend and y scale.
pub fn panels(stem: &Path, title: &str, x_label: &str, panels: &[Panel]) -> Result<(), String> {
    write(
        stem,
        &charts::Figure {
            title,
            x_label,
            panels,
        },
    )
}

/// Two heat maps side by side over a 2-D integer grid: `left` and `right` are rows x columns of values (e.g. learned P_T and R/Z).
///
/// Row 0 is drawn at the bottom and column 0 on the left; both maps share one colour scale
/// (shown beside them) so that their colours compare. Missing cells of ragged rows and NaN
/// values are drawn grey.
pub fn heatmaps(
    stem: &Path,
    title: &str,
    left: (&str, &[Vec<f64>]),
    right: (&str, &[Vec<f64>]),
) -> Result<(), String> {
    heatmaps_with(stem, title, &GridAxes::default(), left, right)
}

/// [`heatmaps`] with named axes and the values the first row and column stand for.
pub fn heatmaps_with(
    stem: &Path,
    title: &str,
    axes: &GridAxes,
    left: (&str, &[Vec<f64>]),
    right: (&str, &[Vec<f64>]),
) -> Result<(), String> {
    write(
        stem,
        &maps::HeatMaps {
            title,
            axes,
            left,
            right,
        },
    )
}

/// Histogram of values (e.g. sampled log rewards) with `bins` bins.
///
/// Non-finite values are skipped (the chart says how many); `bins` is at least one.
pub fn histogram(
    stem: &Path,
    title: &str,
    x_label: &str,
    values: &[f64],
    bins: usize,
) -> Result<(), String> {
    write(
        stem,
        &maps::Histogram {
            title,
            x_label,
            values,
            bins,
        },
    )
}

/// The two files a picture is written to: `{stem}.svg` and `{stem}.png`.
pub fn files(stem: &Path) -> [PathBuf; 2] {
    // Appended rather than `with_extension`, which would eat a dot in the stem (`run.2/loss`
    // is fine, but a stem `runs/hg-0.1` would lose its `.1`).
    let with = |extension: &str| {
        let mut name = stem.as_os_str().to_owned();
        name.push(extension);
        PathBuf::from(name)
    };
    [with(".svg"), with(".png")]
}

/// The largest magnitude drawn: beyond it, the span of an axis (and plotters' tick arithmetic)
/// would overflow to infinity, so such values are skipped like non-finite ones.
const LIMIT: f64 = 1e300;

/// Whether a value can be placed on an axis: finite and within ±[`LIMIT`].
fn drawable(value: f64) -> bool {
    value.is_finite() && value.abs() <= LIMIT
}

/// A picture that can be drawn on any plotters backend, so that the SVG and the PNG come from
/// the same code.
trait Picture {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draw the whole picture on `root`, already filled white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, plotters::coord::Shift>) -> Drawn;
}

/// What drawing returns: plotters' errors depend on the backend, so they are turned into text.
type Drawn = Result<(), String>;

/// Plotters' error of any backend as text.
fn drawing_error<E: std::fmt::Display>(error: E) -> String {
    format!("cannot draw the picture: {error}")
}

/// Register the built-in font with plotters, once per process.
fn font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            // Bold and other styles fall back to this one (plotters' rule for registered fonts).
            register_font("sans-serif", FontStyle::Normal, FONT)
                .map_err(|_| "the built-in font (DejaVu Sans) cannot be read".to_string())
        })
        .clone()
}

/// Render `picture` into an SVG and a PNG in memory, then write both atomically.
fn write<P: Picture>(stem: &Path, picture: &P) -> Result<(), String> {
    font()?;
    let (width, height) = picture.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        picture.draw(&root)?;
        root.present().map_err(drawing_error)?;
    }
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        picture.draw(&root)?;
        root.present().map_err(drawing_error)?;
    }
    let png = encode_png(&pixels, width, height)?;
    let [svg_path, png_path] = files(stem);
    crate::train::rundir::write_atomically(&svg_path, svg.as_bytes()).map_err(|e| e.to_string())?;
    crate::train::rundir::write_atomically(&png_path, &png).map_err(|e| e.to_string())
}

/// An 8-bit RGB PNG of `pixels` (rows top to bottom, as plotters' bitmap backend fills them).
fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let failed = |e: png::EncodingError| format!("cannot encode the PNG: {e}");
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(pixels).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(bytes)
}

/// A number for an axis tick: short, without float noise (`0.30000000000000004` is `0.3`).
fn tick_text(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    let magnitude = value.abs();
    if value == 0.0 {
        "0".to_string()
    } else if !(1e-3..1e5).contains(&magnitude) {
        // Three significant digits, without a trailing `.00`: `1e-5`, `2.5e6`.
        let text = format!("{value:.2e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) => {
                let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
                format!("{mantissa}e{exponent}")
            }
            None => text,
        }
    } else {
        // Four significant digits at most, then the shortest form of that.
        let digits = (3 - magnitude.log10().floor() as i32).clamp(0, 6) as usize;
        let text = format!("{value:.digits$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests;
