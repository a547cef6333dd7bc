//! `gfnc plot` and the curves of `gfnc run`: every picture written is a whole SVG document
//! and a PNG that decodes; bad invocations fail with an exit code and a message, not a panic.

use super::{gfnc, text};
use std::path::{Path, PathBuf};

/// A fresh folder under the system's temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!("gfnc-plot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a scratch folder");
        Scratch(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn path_text(path: &Path) -> String {
    path.display().to_string()
}

/// `gfnc run FILE --steps N --out DIR ...`, which must succeed.
fn train(file: &str, steps: &str, out: &Path, extra: &[&str]) {
    let out_text = path_text(out);
    let mut args = vec!["run", file, "--steps", steps, "--quiet", "--out", &out_text];
    args.extend_from_slice(extra);
    let run = gfnc(&args);
    assert!(
        run.status.success(),
        "gfnc run {file}: {}",
        text(&run.stderr)
    );
}

/// `gfnc plot ARGS`, which must succeed: the files it printed.
fn plot(args: &[&str]) -> (Vec<PathBuf>, String) {
    let mut all = vec!["plot"];
    all.extend_from_slice(args);
    let out = gfnc(&all);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "gfnc plot {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let files = text(&out.stdout).lines().map(PathBuf::from).collect();
    (files, stderr)
}

/// The names of the elements of an XML document, checked to be well formed: every tag closed
/// in order, one root element. (A small checker: enough for the SVG plotters writes.)
fn xml_elements(document: &str) -> Vec<String> {
    let mut open: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut roots = 0;
    let mut rest = document;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let (tag, next) = if let Some(comment) = after.strip_prefix("!--") {
            let end = comment.find("-->").expect("a closed comment");
            ("", &comment[end + 3..])
        } else {
            let end = after.find('>').expect("a closed tag");
            (&after[..end], &after[end + 1..])
        };
        rest = next;
        if tag.is_empty() || tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let top = open.pop().expect("a closing tag has an opening one");
            assert_eq!(top, name.trim(), "tags close in order");
            continue;
        }
        let name = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(!name.is_empty(), "a tag has a name: <{tag}>");
        if open.is_empty() {
            roots += 1;
        }
        names.push(name.clone());
        if !tag.ends_with('/') {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "unclosed tags: {open:?}");
    assert_eq!(roots, 1, "one root element");
    names
}

/// An SVG file's text, checked to be a whole, well-formed SVG document.
fn valid_svg(path: &Path) -> String {
    let svg = std::fs::read_to_string(path).expect("the SVG is readable");
    let start = svg.trim_start();
    assert!(
        start.starts_with("<svg") || start.starts_with("<?xml"),
        "{} starts as an SVG",
        path.display()
    );
    assert!(svg.contains("</svg>"), "{} is whole", path.display());
    let elements = xml_elements(&svg);
    assert!(elements.first().is_some_and(|e| e == "svg"));
    svg
}

/// A PNG file's size, checked: signature, IHDR, and pixels that decode.
fn valid_png(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).expect("the PNG is readable");
    assert_eq!(
        bytes.get(..8),
        Some(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a][..]),
        "{} has the PNG signature",
        path.display()
    );
    assert_eq!(bytes.get(12..16), Some(&b"IHDR"[..]), "IHDR comes first");
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let (width, height) = (be(16), be(20));
    assert!(width > 0 && height > 0);
    let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a buffer size")];
    let frame = reader.next_frame(&mut pixels).expect("the pixels decode");
    assert_eq!((frame.width, frame.height), (width, height));
    // A picture, not a blank: dark pixels (text, axes) and light ones (background).
    assert!(pixels.iter().any(|&p| p < 64) && pixels.iter().any(|&p| p > 240));
    (width, height)
}

/// The texts of an SVG's `<text>` elements.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|element| {
            let (_, rest) = element.split_once('>')?;
            let (inner, _) = rest.split_once("</text>")?;
            Some(inner.trim().to_string())
        })
        .collect()
}

/// Check every file listed, by kind; the names written, without their folder.
fn check_all(files: &[PathBuf]) -> Vec<String> {
    assert!(!files.is_empty());
    for file in files {
        match file.extension().and_then(|e| e.to_str()) {
            Some("svg") => {
                valid_svg(file);
            }
            Some("png") => {
                valid_png(file);
            }
            other => panic!("{}: unexpected kind {other:?}", file.display()),
        }
    }
    files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().to_string()))
        .collect()
}

#[test]
fn run_draws_its_curves_and_plot_draws_every_picture() {
    let scratch = Scratch::new("hypergrid");
    let dir = scratch.join("hg");
    train("examples/hypergrid.gfn", "200", &dir, &[]);
    // `gfnc run` leaves its summary curves in the run directory.
    let curves = valid_svg(&dir.join("curves.svg"));
    assert!(valid_png(&dir.join("curves.png")).0 > 0);
    let labels = texts(&curves);
    for label in ["hg", "exact log Z", "loss", "log Z", "exact L1 to R/Z"] {
        assert!(
            labels.iter().any(|t| t == label),
            "curves show {label}: {labels:?}"
        );
    }

    let (files, stderr) = plot(&[&path_text(&dir)]);
    let names = check_all(&files);
    let mut expected = Vec::new();
    for stem in [
        "curves",
        "loss",
        "log_z",
        "l1",
        "modes_found",
        "log_reward",
        "heatmap",
    ] {
        expected.push(format!("{stem}.svg"));
        expected.push(format!("{stem}.png"));
    }
    assert_eq!(names, expected, "{stderr}");
    assert!(
        files.iter().all(|f| f.parent() == Some(dir.as_path())),
        "into the run directory"
    );
    let svg = |name: &str| texts(&valid_svg(&dir.join(name)));
    assert!(
        svg("loss.svg").contains(&"hg".to_string()),
        "the legend names the run"
    );
    assert!(svg("log_z.svg").contains(&"exact log Z".to_string()));
    assert!(svg("modes_found.svg").contains(&"modes in total".to_string()));
    let map = svg("heatmap.svg");
    assert!(map.iter().any(|t| t.contains("empirical")), "{map:?}");
    assert!(map.iter().any(|t| t.contains("R/Z")));
    assert!(map.contains(&"x[0]".to_string()) && map.contains(&"x[1]".to_string()));
    let histogram = svg("log_reward.svg");
    assert!(histogram
        .iter()
        .any(|t| t.contains("log rewards of 1000 samples")));
    assert_eq!(valid_png(&dir.join("heatmap.png")), (1120, 560));
}

#[test]
fn several_runs_are_overlaid_into_out() {
    let scratch = Scratch::new("several");
    let (tb, db) = (scratch.join("tb"), scratch.join("db"));
    train("examples/hypergrid.gfn", "100", &tb, &[]);
    train("examples/hypergrid.gfn", "100", &db, &["--objective", "db"]);
    let out = scratch.join("pictures");
    let (files, _) = plot(&[&path_text(&tb), &path_text(&db), "--out", &path_text(&out)]);
    let names = check_all(&files);
    for name in [
        "loss.svg",
        "tb.log_reward.png",
        "db.log_reward.svg",
        "tb.heatmap.svg",
        "db.heatmap.png",
    ] {
        assert!(names.contains(&name.to_string()), "{name} in {names:?}");
    }
    for name in ["loss.svg", "log_z.svg", "l1.svg", "curves.svg"] {
        let labels = texts(&valid_svg(&out.join(name)));
        assert!(
            labels.contains(&"tb".to_string()) && labels.contains(&"db".to_string()),
            "{name}: both runs in the legend: {labels:?}"
        );
    }
    // Overlaid pictures need a place of their own.
    let refused = gfnc(&["plot", &path_text(&tb), &path_text(&db)]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("--out"));
}

#[test]
fn heat_maps_need_two_integer_coordinates() {
    let scratch = Scratch::new("axes");
    let subsets = scratch.join("subsets");
    train("examples/subsets.gfn", "100", &subsets, &[]);
    let (files, stderr) = plot(&[&path_text(&subsets)]);
    let names = check_all(&files);
    assert!(names.contains(&"log_reward.svg".to_string()));
    assert!(!names.iter().any(|n| n.starts_with("heatmap")), "{names:?}");
    assert!(
        stderr.contains("no heat map") && stderr.contains("chosen: set"),
        "{stderr}"
    );

    // Three coordinates: no automatic choice; --axes picks two and the map is of marginals.
    let cube = scratch.join("cube");
    train("examples/hypergrid.gfn", "50", &cube, &["--set", "D=3"]);
    let (files, stderr) = plot(&[&path_text(&cube)]);
    assert!(!check_all(&files).iter().any(|n| n.starts_with("heatmap")));
    assert!(stderr.contains("--axes x[0],x[1]"), "{stderr}");
    let out = scratch.join("cube-02");
    let (files, _) = plot(&[
        &path_text(&cube),
        "--axes",
        "0,2",
        "--out",
        &path_text(&out),
    ]);
    assert!(check_all(&files).contains(&"heatmap.png".to_string()));
    let map = texts(&valid_svg(&out.join("heatmap.svg")));
    assert!(map.contains(&"x[2]".to_string()), "{map:?}");
    let (files, _) = plot(&[
        &path_text(&cube),
        "--axes",
        "x[1],x[2]",
        "--out",
        &path_text(&out),
    ]);
    assert!(check_all(&files).contains(&"heatmap.svg".to_string()));
    for bad in ["x", "y", "x[0],x[0]", "x[5],x[0]", "1,2,3"] {
        let refused = gfnc(&[
            "plot",
            &path_text(&cube),
            "--axes",
            bad,
            "--out",
            &path_text(&out),
        ]);
        assert_eq!(refused.status.code(), Some(2), "--axes {bad}");
        let stderr = text(&refused.stderr);
        assert!(
            stderr.contains("--axes") && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
    let refused = gfnc(&["plot", &path_text(&subsets), "--axes", "x"]);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "an --axes that does not fit the state"
    );
}

#[test]
fn bad_invocations_fail_with_a_message() {
    let scratch = Scratch::new("bad");
    let fails = |args: &[&str], code: i32, says: &str| {
        let mut all = vec!["plot"];
        all.extend_from_slice(args);
        let out = gfnc(&all);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?} says {says}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "nothing written: {}",
            text(&out.stdout)
        );
    };
    fails(&[], 2, "required");
    let missing = path_text(&scratch.join("missing"));
    fails(&[&missing], 2, "no such directory");
    fails(&[&path_text(&scratch.0)], 2, "not a gfnc run directory");

    let run = scratch.join("run");
    train(
        "examples/hypergrid.gfn",
        "20",
        &run,
        &["--eval-every", "10"],
    );
    let copy = |name: &str, without: &[&str]| {
        let dir = scratch.join(name);
        std::fs::create_dir_all(&dir).expect("a copy");
        for file in ["run.json", "env.gfn", "metrics.csv", "samples.csv"] {
            if !without.contains(&file) {
                std::fs::copy(run.join(file), dir.join(file)).expect("copied");
            }
        }
        dir
    };
    let no_metrics = copy("no-metrics", &["metrics.csv"]);
    fails(&[&path_text(&no_metrics)], 2, "metrics.csv");
    let bad_metrics = copy("bad-metrics", &[]);
    std::fs::write(
        bad_metrics.join("metrics.csv"),
        "step,trajectories,loss\n10,160,0.5\n20,abc,0.1\n",
    )
    .expect("written");
    fails(&[&path_text(&bad_metrics)], 2, "metrics.csv:3");
    std::fs::write(bad_metrics.join("metrics.csv"), "hello\n").expect("written");
    fails(&[&path_text(&bad_metrics)], 2, "not a metrics file");
    let bad_samples = copy("bad-samples", &[]);
    std::fs::write(
        bad_samples.join("samples.csv"),
        "state,reward,log_reward\n\"x=[1, 2]\",1,zero\n",
    )
    .expect("written");
    fails(&[&path_text(&bad_samples)], 2, "samples.csv:2");
    let bad_record = copy("bad-record", &[]);
    std::fs::write(bad_record.join("run.json"), "{").expect("written");
    fails(&[&path_text(&bad_record)], 2, "run.json");

    // A run without samples (stopped before drawing them) still gets its curves.
    let no_samples = copy("no-samples", &["samples.csv"]);
    let (files, stderr) = plot(&[&path_text(&no_samples)]);
    assert!(check_all(&files).contains(&"curves.svg".to_string()));
    assert!(stderr.contains("no samples.csv"), "{stderr}");
    // An --out that cannot be a directory.
    let file = scratch.join("a-file");
    std::fs::write(&file, "x").expect("written");
    fails(&[&path_text(&run), "--out", &path_text(&file)], 2, "a-file");
}
