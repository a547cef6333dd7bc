use super::maps::bin;
use super::*;

/// A fresh folder under the system's temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!(
            "gfnc-plot-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a scratch folder");
        Scratch(path)
    }

    fn stem(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The SVG's text, checked to be a whole SVG document; and the PNG's size, checked to decode.
fn read_both(stem: &Path) -> (String, (u32, u32)) {
    let [svg, png_path] = files(stem);
    let text = std::fs::read_to_string(&svg).expect("an SVG was written");
    assert!(text.trim_start().starts_with("<svg") || text.trim_start().starts_with("<?xml"));
    assert!(text.trim_end().ends_with("</svg>"), "a whole SVG document");
    let bytes = std::fs::read(&png_path).expect("a PNG was written");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a buffer size")];
    let info = reader.next_frame(&mut pixels).expect("PNG pixels");
    assert!(info.width > 0 && info.height > 0);
    // Something was drawn: not every pixel is white.
    assert!(pixels.iter().any(|&p| p < 200), "the PNG has dark pixels");
    (text, (info.width, info.height))
}

/// The texts of an SVG's `<text>` elements.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|element| {
            let (_, rest) = element.split_once('>')?;
            let (text, _) = rest.split_once("</text>")?;
            Some(text.trim().to_string())
        })
        .collect()
}

fn series(label: &str, points: &[(f64, f64)]) -> Series {
    Series {
        label: label.to_string(),
        points: points.to_vec(),
    }
}

#[test]
fn curves_write_an_svg_and_a_png_with_a_legend() {
    let scratch = Scratch::new("curves");
    let stem = scratch.stem("loss");
    let a = series("run-a", &[(16.0, 3.0), (32.0, 1.0), (48.0, 0.5)]);
    let b = series("run-b", &[(16.0, 2.0), (32.0, 1.5), (48.0, 0.1)]);
    curves(&stem, "loss", "trajectories", "loss", &[a, b], false).expect("drawn");
    let (svg, size) = read_both(&stem);
    assert_eq!(size, (900, 560));
    for text in ["run-a", "run-b", "trajectories", "loss"] {
        assert!(svg.contains(text), "the SVG shows {text}");
    }
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&scratch.0)
        .expect("listed")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn empty_series_give_a_chart_with_a_note() {
    let scratch = Scratch::new("empty");
    let stem = scratch.stem("nothing");
    curves(&stem, "nothing", "x", "y", &[], false).expect("drawn");
    assert!(read_both(&stem).0.contains("no data"));
    let stem = scratch.stem("no-points");
    curves(&stem, "t", "x", "y", &[series("a", &[])], true).expect("drawn");
    assert!(read_both(&stem).0.contains("no data"));
    let stem = scratch.stem("not-positive");
    curves(
        &stem,
        "t",
        "x",
        "y",
        &[series("a", &[(1.0, 0.0), (2.0, -1.0)])],
        true,
    )
    .expect("drawn");
    assert!(read_both(&stem).0.contains("no finite positive values"));
}

#[test]
fn non_finite_points_are_skipped() {
    let scratch = Scratch::new("nan");
    let stem = scratch.stem("nan");
    let all_nan = series(
        "nan",
        &[(f64::NAN, 1.0), (1.0, f64::NAN), (2.0, f64::INFINITY)],
    );
    curves(&stem, "t", "x", "y", &[all_nan], false).expect("drawn");
    let svg = read_both(&stem).0;
    assert!(svg.contains("no finite values"), "a note");
    let stem = scratch.stem("some-nan");
    let some = series("some", &[(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0)]);
    curves(&stem, "t", "x", "y", &[some], false).expect("drawn");
    let svg = read_both(&stem).0;
    assert!(
        !svg.contains("NaN") && !svg.contains("inf"),
        "no NaN reached the SVG"
    );
    // Beside a curve with points, an empty one says so in the legend.
    let stem = scratch.stem("one-empty");
    let empty = series("empty", &[(f64::NAN, 1.0)]);
    curves(&stem, "t", "x", "y", &[some_again(), empty], false).expect("drawn");
    assert!(read_both(&stem).0.contains("empty (no data)"));
}

fn some_again() -> Series {
    series("some", &[(0.0, 1.0), (2.0, 3.0)])
}

#[test]
fn log_scale_skips_values_that_are_not_positive() {
    let scratch = Scratch::new("log");
    let stem = scratch.stem("log");
    let s = series("l1", &[(1.0, 0.0), (2.0, -1.0), (3.0, 0.1), (4.0, 0.001)]);
    curves(&stem, "t", "x", "L1", &[s], true).expect("drawn");
    let svg = read_both(&stem).0;
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
    // Ticks across the decades between 0.001 and 0.1.
    let ticks = texts(&svg);
    assert!(
        ["0.001", "0.01", "0.1"]
            .iter()
            .all(|t| ticks.iter().any(|s| s == t)),
        "log ticks: {ticks:?}"
    );
    // A flat curve on a log scale still gets a band.
    let stem = scratch.stem("flat");
    curves(
        &stem,
        "t",
        "x",
        "y",
        &[series("flat", &[(0.0, 5.0), (1.0, 5.0)])],
        true,
    )
    .expect("drawn");
    read_both(&stem);
}

#[test]
fn single_points_and_flat_curves_are_drawn() {
    let scratch = Scratch::new("point");
    let stem = scratch.stem("point");
    curves(&stem, "t", "x", "y", &[series("one", &[(3.0, 3.0)])], false).expect("drawn");
    assert!(
        read_both(&stem).0.contains("<circle"),
        "a marker for the point"
    );
}

#[test]
fn panels_draw_references_dashed() {
    let scratch = Scratch::new("panels");
    let stem = scratch.stem("curves");
    let log_z = Panel {
        title: "log Z".to_string(),
        y_label: "log Z".to_string(),
        series: vec![series("run", &[(1.0, 0.0), (2.0, 2.5)])],
        references: vec![series("exact log Z", &[(1.0, 3.1), (2.0, 3.1)])],
        log_y: false,
    };
    let loss = Panel {
        title: "loss".to_string(),
        y_label: "loss".to_string(),
        series: vec![series("run", &[(1.0, 10.0), (2.0, 0.1)])],
        references: Vec::new(),
        log_y: true,
    };
    panels(&stem, "hypergrid", "trajectories", &[loss, log_z]).expect("drawn");
    let (svg, size) = read_both(&stem);
    assert_eq!(size, (1120, 500));
    assert!(svg.contains("exact log Z"));
    panels(&scratch.stem("none"), "t", "x", &[]).expect("drawn");
    assert!(read_both(&scratch.stem("none"))
        .0
        .contains("nothing to plot"));
}

#[test]
fn heatmaps_share_a_scale_and_survive_bad_grids() {
    let scratch = Scratch::new("maps");
    let stem = scratch.stem("map");
    let p = vec![vec![0.1, 0.2], vec![0.3, 0.4]];
    let r = vec![vec![0.25, 0.25], vec![0.25, f64::NAN]];
    heatmaps(&stem, "P and R/Z", ("P", &p), ("R/Z", &r)).expect("drawn");
    let svg = read_both(&stem).0;
    assert!(svg.contains("R/Z") && svg.contains("row") && svg.contains("column"));
    let stem = scratch.stem("empty");
    heatmaps(&stem, "empty", ("P", &[]), ("R/Z", &[vec![f64::NAN]])).expect("drawn");
    let svg = read_both(&stem).0;
    assert!(svg.contains("no cells") && svg.contains("no finite values"));
    let stem = scratch.stem("ragged");
    let ragged = vec![vec![1.0], vec![1.0, 2.0, 3.0], vec![]];
    let axes = GridAxes {
        x_label: "x[0]".to_string(),
        y_label: "x[1]".to_string(),
        x_origin: 1,
        y_origin: -1,
    };
    heatmaps_with(&stem, "ragged", &axes, ("a", &ragged), ("b", &ragged)).expect("drawn");
    assert!(read_both(&stem).0.contains("x[1]"));
}

#[test]
fn histograms_bin_their_values() {
    let (counts, lo, width) = bin(&[0.0, 1.0, 2.0, 3.0, 4.0], 4);
    assert_eq!(
        counts,
        vec![1, 1, 1, 2],
        "the greatest value is in the last bin"
    );
    assert_eq!((lo, width), (0.0, 1.0));
    let (counts, lo, width) = bin(&[2.0, 2.0], 0);
    assert_eq!(
        (counts, lo, width),
        (vec![2], 1.5, 1.0),
        "one bin around one value"
    );
    let (counts, _, _) = bin(&[], 3);
    assert_eq!(counts, vec![0, 0, 0]);

    let scratch = Scratch::new("hist");
    let stem = scratch.stem("hist");
    let values = [-1.0, -0.5, 0.2, f64::NAN, f64::NEG_INFINITY, 0.3];
    histogram(&stem, "log rewards", "log R", &values, 10).expect("drawn");
    assert!(read_both(&stem).0.contains("2 skipped (not finite"));
    let stem = scratch.stem("none");
    histogram(&stem, "nothing", "log R", &[f64::NAN], 0).expect("drawn");
    assert!(read_both(&stem).0.contains("no finite values"));
    histogram(&stem, "nothing", "log R", &[], usize::MAX).expect("drawn");
    assert!(read_both(&stem).0.contains("no values"));
}

#[test]
fn files_keep_dots_in_the_stem() {
    let [svg, png] = files(Path::new("runs/lr-0.1/loss"));
    assert_eq!(svg, Path::new("runs/lr-0.1/loss.svg"));
    assert_eq!(png, Path::new("runs/lr-0.1/loss.png"));
    let [svg, _] = files(Path::new("hg-0.1"));
    assert_eq!(svg, Path::new("hg-0.1.svg"));
}

#[test]
fn a_missing_folder_is_an_error_not_a_panic() {
    let scratch = Scratch::new("missing");
    let stem = scratch.0.join("no-such-folder").join("loss");
    let error = curves(&stem, "t", "x", "y", &[series("a", &[(0.0, 1.0)])], false)
        .expect_err("cannot write there");
    assert!(error.contains("no-such-folder"), "{error}");
}

#[test]
fn log_axes_have_ticks_on_short_and_long_ranges() {
    use super::charts::log_ticks;
    assert_eq!(log_ticks(0.001, 0.1, 5), vec![0.001, 0.01, 0.1]);
    assert_eq!(log_ticks(0.001, 0.1, 10).len(), 7, "1-2-5 when it fits");
    assert_eq!(log_ticks(0.1, 1.05, 10), vec![0.1, 0.2, 0.5, 1.0]);
    let short = log_ticks(0.11, 0.9, 10);
    assert!(short.len() >= 4, "{short:?}");
    let short = log_ticks(0.14, 0.34, 8);
    assert!(short.len() >= 3, "{short:?}");
    let tiny = log_ticks(3.1, 3.15, 8);
    assert!(
        tiny.len() >= 2 && tiny.iter().all(|t| (3.1..=3.15).contains(t)),
        "{tiny:?}"
    );
    let long = log_ticks(1e-30, 1e30, 8);
    assert!((2..=8).contains(&long.len()), "{long:?}");
    assert!(log_ticks(0.0, 1.0, 8).is_empty() && log_ticks(1.0, 1.0, 8).is_empty());
}

#[test]
fn ticks_read_well() {
    assert_eq!(tick_text(0.30000000000000004), "0.3");
    assert_eq!(tick_text(16000.0), "16000");
    assert_eq!(tick_text(0.001), "0.001");
    assert_eq!(tick_text(0.0001), "1e-4");
    assert_eq!(tick_text(2.5e6), "2.5e6");
    assert_eq!(tick_text(-3.25), "-3.25");
    assert_eq!(tick_text(0.0), "0");
    assert_eq!(tick_text(f64::NAN), "");
}

#[test]
fn extreme_values_do_not_panic() {
    let scratch = Scratch::new("extreme");
    let huge = series(
        "huge",
        &[
            (0.0, 1e308),
            (1.0, -1e308),
            (2.0, f64::MAX),
            (3.0, 1e300),
            (4.0, -1e300),
        ],
    );
    let far = series("far", &[(1e300, 1.0), (1e300, 2.0)]);
    let wide = series(
        "wide",
        &[(0.0, 1e-300), (1.0, 1e300), (2.0, f64::MIN_POSITIVE)],
    );
    let tiny = series("tiny", &[(0.0, 1e-310), (1.0, 1e-310)]);
    let cases = [(huge, false), (far, false), (wide, true), (tiny, true)];
    for (k, (s, log_y)) in cases.into_iter().enumerate() {
        let stem = scratch.stem(&format!("extreme-{k}"));
        curves(&stem, "t", "x", "y", &[s], log_y).expect("drawn");
        read_both(&stem);
    }
    let stem = scratch.stem("hist");
    histogram(&stem, "t", "x", &[-1e308, 1e308, f64::MAX, 1.0], 20).expect("drawn");
    assert!(read_both(&stem).0.contains("3 skipped"));
    let stem = scratch.stem("map");
    let grid = vec![vec![f64::MAX, -f64::MAX], vec![1e-300, 0.0]];
    heatmaps(&stem, "t", ("a", &grid), ("b", &grid)).expect("drawn");
    read_both(&stem);
}

#[test]
fn a_flat_curve_at_zero_has_a_zero_tick_not_a_rounding_error() {
    let scratch = Scratch::new("flat");
    let stem = scratch.stem("flat");
    let zero = series("none", &[(100.0, 0.0), (200.0, 0.0), (300.0, 0.0)]);
    curves(&stem, "modes", "states", "modes", &[zero], false).expect("drawn");
    let labels = texts(&read_both(&stem).0);
    assert!(labels.iter().any(|t| t == "0"), "{labels:?}");
    assert!(!labels.iter().any(|t| t.contains("e-1")), "{labels:?}");
}
