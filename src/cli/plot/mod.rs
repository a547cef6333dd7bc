//! `gfnc plot RUN_DIR...`: pictures of one or several runs, from their run directories alone
//! (run.json, metrics.csv, samples.csv, env.gfn): curves against trajectories, several runs
//! overlaid; a histogram of the sampled log rewards; and, when the state has two integer
//! coordinates, a heat map of the samples next to R/Z. Also [`run_curves`], the summary
//! picture `gfnc run` leaves in its directory. Drawing is the library's [`gfnc::plot`].

mod grid;

use super::Failure;
use gfnc::check::{FieldType, Model};
use gfnc::plot::{self, Panel, Series};
use gfnc::train::rundir::{self, RunRecord};
use gfnc::train::tables::{self, MetricsRow};
use gfnc::Override;
use grid::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// `gfnc plot` as asked for on the command line.
pub struct Options {
    /// The run directories.
    pub dirs: Vec<PathBuf>,
    /// Where the pictures go (default: the run directory).
    pub out: Option<PathBuf>,
    /// `--axes`: the two coordinates of the heat map.
    pub axes: Option<String>,
}

/// A column of metrics.csv, as the curves read it.
type Column = fn(&MetricsRow) -> Option<f64>;

/// The x axis of every curve: trajectories, so that runs of different batch sizes compare.
const X: Column = |r| r.trajectories;

/// The x axis's label.
const X_LABEL: &str = "trajectories";

/// The largest side of a heat map, in cells: beyond it, only the cells seen are drawn (or no
/// map, when they too span more).
pub(super) const MAX_SIDE: i64 = 200;

/// One run directory, read.
struct Run {
    dir: PathBuf,
    /// Its legend label: the directory's name (made unique among the runs plotted).
    label: String,
    /// The start of its own pictures' file names when several runs share `--out`.
    prefix: String,
    record: RunRecord,
    metrics: Table,
}

/// The rows of a run's metrics.csv.
struct Table {
    rows: Vec<MetricsRow>,
}

impl Table {
    /// Points (x, y) of the rows where both columns have a value.
    fn points(&self, x: Column, y: Column) -> Vec<(f64, f64)> {
        self.rows
            .iter()
            .filter_map(|r| Some((x(r)?, y(r)?)))
            .collect()
    }

    /// Whether a column has at least one finite value.
    fn has(&self, column: Column) -> bool {
        self.rows.iter().filter_map(column).any(|v| v.is_finite())
    }

    /// The least and greatest x of the evaluations.
    fn x_span(&self) -> Option<(f64, f64)> {
        let xs = self.rows.iter().filter_map(X);
        let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        (lo <= hi).then_some((lo, hi))
    }
}

/// Read a run directory: `run.json` and `metrics.csv` (samples are read later, when needed).
fn read_run(dir: &Path) -> Result<Run, String> {
    if !dir.is_dir() {
        return Err(format!("{}: no such directory", dir.display()));
    }
    if !dir.join("run.json").exists() {
        return Err(format!(
            "{} is not a gfnc run directory (no run.json)",
            dir.display()
        ));
    }
    let record = rundir::read_record(dir).map_err(|e| e.to_string())?;
    let metrics = Table {
        rows: tables::read_metrics(&dir.join("metrics.csv"), record.config.steps)?,
    };
    let name = dir
        .file_name()
        .map(|n| n.to_owned())
        .or_else(|| {
            // `.` and `..` have no name of their own: the folder they stand for does.
            dir.canonicalize().ok()?.file_name().map(|n| n.to_owned())
        })
        .map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().to_string(),
        );
    Ok(Run {
        dir: dir.to_path_buf(),
        label: name.clone(),
        prefix: name,
        record,
        metrics,
    })
}

/// Runs from directories of the same name get distinct labels (`hg (2)`) and file prefixes.
fn distinguish(runs: &mut [Run]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for run in runs.iter_mut() {
        let count = seen.entry(run.label.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            run.label = format!("{} ({count})", run.label);
            run.prefix = format!("{}-{count}", run.prefix);
        }
    }
}

/// The environments' names, for titles: `hypergrid`, or `hypergrid, ising`.
fn envs(runs: &[Run]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for run in runs {
        if !names.contains(&run.record.env.as_str()) {
            names.push(&run.record.env);
        }
    }
    names.join(", ")
}

/// One curve per run of metrics column `y`.
fn per_run(runs: &[Run], y: Column) -> Vec<Series> {
    runs.iter()
        .map(|run| Series {
            label: run.label.clone(),
            points: run.metrics.points(X, y),
        })
        .collect()
}

/// Reference values, each a dashed horizontal line over its run's evaluations: one line
/// labelled `label` when all agree, else one per run.
fn flat_lines(lines: &[(&Run, f64)], label: &str) -> Vec<Series> {
    let lines: Vec<(&Run, f64)> = lines.iter().copied().filter(|l| l.1.is_finite()).collect();
    let agree = lines
        .windows(2)
        .all(|w| (w[0].1 - w[1].1).abs() <= 1e-9 * w[0].1.abs().max(1.0));
    let span = |runs: &mut dyn Iterator<Item = &Run>| {
        runs.filter_map(|r| r.metrics.x_span())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (a, b)| {
                (lo.min(a), hi.max(b))
            })
    };
    match lines.first() {
        None => Vec::new(),
        Some(&(_, value)) if agree => {
            let (lo, hi) = span(&mut lines.iter().map(|l| l.0));
            vec![Series {
                label: label.to_string(),
                points: vec![(lo, value), (hi, value)],
            }]
        }
        Some(_) => lines
            .iter()
            .map(|&(run, value)| {
                let (lo, hi) = span(&mut std::iter::once(run));
                Series {
                    label: format!("{label} ({})", run.label),
                    points: vec![(lo, value), (hi, value)],
                }
            })
            .collect(),
    }
}

/// The loss, on a log scale when every loss is positive (a REINFORCE-style loss need not be).
fn loss_panel(runs: &[Run]) -> Panel {
    let series = per_run(runs, |r| r.loss);
    let positive = series
        .iter()
        .flat_map(|s| &s.points)
        .filter(|p| p.1.is_finite())
        .all(|p| p.1 > 0.0);
    Panel {
        title: "loss".to_string(),
        y_label: "loss (mean since the last evaluation)".to_string(),
        series,
        references: Vec::new(),
        log_y: positive,
    }
}

/// log Z against the exact log Z, when known: metrics.csv's `log_z_true` column, else the
/// record's final metrics. It does not change during a run (it is the environment's), so
/// each run's is one dashed line, and runs that agree share one.
fn log_z_panel(runs: &[Run]) -> Panel {
    let exact: Vec<(&Run, f64)> = runs
        .iter()
        .filter_map(|run| {
            let column = run
                .metrics
                .points(X, |r| r.log_z_true)
                .iter()
                .rev()
                .map(|p| p.1)
                .find(|v| v.is_finite());
            let record = || run.record.final_metrics.as_ref()?.log_z_true;
            Some((run, column.or_else(record)?))
        })
        .collect();
    Panel {
        title: "log Z".to_string(),
        y_label: "log Z".to_string(),
        series: per_run(runs, |r| r.log_z),
        references: flat_lines(&exact, "exact log Z"),
        log_y: false,
    }
}

/// How close the sampler is to R/Z: the exact L1 when any run has it, otherwise Spearman's
/// correlation and the top-k mean reward (large spaces); with their pictures' names.
fn quality_panels(runs: &[Run]) -> Vec<(&'static str, Panel)> {
    let panel = |title: &str, y_label: &str, column: Column, log_y: bool| Panel {
        title: title.to_string(),
        y_label: y_label.to_string(),
        series: per_run(runs, column),
        references: Vec::new(),
        log_y,
    };
    let any = |column: Column| runs.iter().any(|r| r.metrics.has(column));
    let (l1, spearman, top_k_reward): (Column, Column, Column) =
        (|r| r.l1, |r| r.spearman, |r| r.top_k_reward);
    if any(l1) {
        return vec![(
            "l1",
            panel("exact L1 to R/Z", "L1 = Σ|P_T − R/Z|", l1, true),
        )];
    }
    let mut panels = Vec::new();
    if any(spearman) {
        panels.push((
            "spearman",
            panel(
                "Spearman correlation",
                "Spearman ρ of log R and log P_T (test set)",
                spearman,
                false,
            ),
        ));
    }
    if any(top_k_reward) {
        panels.push((
            "top_k_reward",
            panel(
                "top-k mean reward",
                "mean reward of the best k objects found",
                top_k_reward,
                false,
            ),
        ));
    }
    panels
}

/// Distinct modes found, against the number of modes when the DAG was enumerated.
fn modes_panel(runs: &[Run]) -> Panel {
    let totals: Vec<(&Run, f64)> = runs
        .iter()
        .filter_map(|run| {
            let total = run.record.final_metrics.as_ref()?.modes_total?;
            Some((run, total as f64))
        })
        .collect();
    Panel {
        title: "modes found".to_string(),
        y_label: "distinct modes found".to_string(),
        series: per_run(runs, |r| r.modes_found),
        references: flat_lines(&totals, "modes in total"),
        log_y: false,
    }
}

/// The summary: loss, log Z and the first measure of quality, side by side.
fn summary(runs: &[Run]) -> Vec<Panel> {
    let mut panels = vec![loss_panel(runs), log_z_panel(runs)];
    panels.extend(quality_panels(runs).into_iter().take(1).map(|(_, p)| p));
    panels
}

/// Draw the summary curves of a finished run into `DIR/curves.svg` and `DIR/curves.png` (what
/// `gfnc run` leaves in its directory); the files written.
pub fn run_curves(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let run = read_run(dir)?;
    let title = format!(
        "{} · {} · {} steps",
        run.record.env,
        run.record.config.objective.name(),
        run.record.config.steps
    );
    let runs = [run];
    let stem = dir.join("curves");
    plot::panels(&stem, &title, X_LABEL, &summary(&runs))?;
    Ok(plot::files(&stem).to_vec())
}

/// The model of a run's `env.gfn`, parsed and checked with the run's overrides.
fn model_of(run: &Run) -> Result<Model, String> {
    let path = run.dir.join("env.gfn");
    let source = super::read_source(&path).map_err(|f| match f {
        Failure::Usage(message) => message,
        _ => format!("cannot read {}", path.display()),
    })?;
    let overrides: Vec<Override> = run
        .record
        .overrides
        .iter()
        .filter_map(|o| Override::parse(o))
        .collect();
    let folder = run
        .record
        .folder
        .as_ref()
        .map_or_else(|| run.dir.clone(), PathBuf::from);
    gfnc::load_in(&source, &overrides, &folder).map_err(|diagnostics| {
        let first = diagnostics
            .first()
            .map_or_else(String::new, |d| d.message.clone());
        format!("{} does not load: {first}", path.display())
    })
}

/// Write one picture's files and print their paths.
fn wrote(stem: &Path, result: Result<(), String>) -> Result<(), Failure> {
    result.map_err(Failure::Usage)?;
    for path in plot::files(stem) {
        say!("{}", path.display());
    }
    Ok(())
}

/// A run's samples, read before anything is drawn, and why there is no heat map (if not).
struct Prepared {
    samples: Option<Samples>,
    no_map: Option<String>,
}

/// Read what the pictures of a run's samples need: the heat map's coordinates (from the
/// environment's types) and samples.csv. An `--axes` that does not fit and an unreadable
/// samples.csv are errors; a state without two integer coordinates only costs the heat map.
fn prepare(run: &Run, axes: Option<&str>) -> Result<Prepared, Failure> {
    let path = run.dir.join("samples.csv");
    if !path.is_file() {
        return Ok(Prepared {
            samples: None,
            no_map: None,
        });
    }
    // A file that no longer loads (a moved data file, ...) costs the heat map only, unless
    // the heat map was asked for by name.
    let (chosen, no_map) = match model_of(run) {
        Ok(model) => match choose_axes(&model, axes).map_err(Failure::Usage)? {
            Some(chosen) => (Some(chosen), None),
            None => (None, Some(why_no_axes(&model))),
        },
        Err(e) if axes.is_some() => return Err(Failure::Usage(e)),
        Err(e) => (None, Some(e)),
    };
    let (samples, unreadable) = read_samples(&path, chosen).map_err(Failure::Usage)?;
    Ok(Prepared {
        samples: Some(samples),
        no_map: no_map.or(unreadable),
    })
}

/// Why the state's heat map needs `--axes`, or cannot be drawn at all.
fn why_no_axes(model: &Model) -> String {
    let all = integer_coordinates(model);
    match all.as_slice() {
        [a, b, ..] => format!(
            "the state has {} integer coordinates ({}): choose two with --axes, e.g. --axes {},{}",
            all.len(),
            state_summary(model),
            a.label(),
            b.label()
        ),
        _ => format!(
            "the state has no two integer coordinates ({})",
            state_summary(model)
        ),
    }
}

/// The pictures of one run's samples: the log-reward histogram and the heat map.
fn sample_pictures(
    run: &Run,
    prepared: Prepared,
    stem: &dyn Fn(&str) -> PathBuf,
) -> Result<(), Failure> {
    let Some(samples) = prepared.samples else {
        warn!(
            "note: {}: no samples.csv (the run has not finished): no histogram or heat map",
            run.dir.display()
        );
        return Ok(());
    };
    let env = &run.record.env;
    let n = samples.log_rewards.len();
    let bins = ((n as f64).sqrt() as usize).clamp(10, 60);
    let hist = stem("log_reward");
    let title = format!("{env} ({}): log rewards of {n} samples", run.label);
    wrote(
        &hist,
        plot::histogram(&hist, &title, "log R", &samples.log_rewards, bins),
    )?;
    let no_map = |why: &str| warn!("note: {}: no heat map: {why}", run.dir.display());
    match (samples.cells, prepared.no_map) {
        (Some(cells), _) => match heat_grids(&cells) {
            Ok(grids) => {
                let seen = grids.seen;
                let map = stem("heatmap");
                // Cells that gather several objects (a state with more than the two
                // coordinates) show marginals: the title counts objects then, not cells.
                let objects = cells.objects.len();
                let over = if objects > seen {
                    format!("the {objects} objects seen, summed per cell")
                } else {
                    format!("the {seen} cells seen")
                };
                let title = format!(
                    "{env} ({}): empirical distribution of {} samples vs R/Z over {over}",
                    run.label, cells.total
                );
                let drawn = plot::heatmaps_with(
                    &map,
                    &title,
                    &grids.axes,
                    ("empirical: share of the samples", &grids.empirical),
                    ("R/Z, normalised over the cells seen", &grids.target),
                );
                wrote(&map, drawn)?;
            }
            Err(why) => no_map(&why),
        },
        (None, Some(why)) => no_map(&why),
        (None, None) => {}
    }
    Ok(())
}

/// The state's fields and their types in a few words: `chosen: set`.
fn state_summary(model: &Model) -> String {
    let kind = |ty: &FieldType| match ty {
        FieldType::Bool => "bool".to_string(),
        FieldType::Int { .. } => "int".to_string(),
        FieldType::Array(_, n) => format!("array of {n}"),
        FieldType::Set { .. } => "set".to_string(),
        FieldType::Seq(..) => "seq".to_string(),
    };
    model
        .fields
        .iter()
        .map(|f| format!("{}: {}", f.name, kind(&f.ty)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `gfnc plot`: read every run and its samples first, so that a bad directory or file fails
/// before anything is written; then draw, printing each file written.
pub fn run(options: &Options) -> Result<(), Failure> {
    let mut runs = Vec::new();
    for dir in &options.dirs {
        runs.push(read_run(dir).map_err(Failure::Usage)?);
    }
    distinguish(&mut runs);
    let several = runs.len() > 1;
    let out = match (&options.out, runs.as_slice()) {
        (Some(out), _) => out.clone(),
        (None, [one]) => one.dir.clone(),
        (None, _) => {
            return Err(Failure::Usage(
                "several runs are drawn overlaid: give --out DIR for their pictures".to_string(),
            ))
        }
    };
    let mut prepared = Vec::new();
    for run in &runs {
        prepared.push(prepare(run, options.axes.as_deref())?);
    }
    if options.out.is_some() {
        std::fs::create_dir_all(&out)
            .map_err(|e| Failure::Usage(format!("cannot create {}: {e}", out.display())))?;
    }
    let env = envs(&runs);
    let chart = |name: &str, title: &str, panels: &[Panel]| -> Result<(), Failure> {
        let stem = out.join(name);
        wrote(&stem, plot::panels(&stem, title, X_LABEL, panels))
    };
    let untitled = |mut panel: Panel| {
        // The picture's title says it; the panel's own would repeat it.
        panel.title.clear();
        panel
    };
    chart(
        "curves",
        &format!("{env}: training curves"),
        &summary(&runs),
    )?;
    chart(
        "loss",
        &format!("{env}: loss"),
        &[untitled(loss_panel(&runs))],
    )?;
    chart(
        "log_z",
        &format!("{env}: log Z"),
        &[untitled(log_z_panel(&runs))],
    )?;
    let quality = quality_panels(&runs);
    if quality.is_empty() {
        warn!("note: no L1, Spearman or top-k reward in metrics.csv: no picture of them");
    }
    for (name, panel) in quality {
        let title = format!("{env}: {}", panel.title);
        chart(name, &title, &[untitled(panel)])?;
    }
    let modes = untitled(modes_panel(&runs));
    chart("modes_found", &format!("{env}: modes found"), &[modes])?;
    for (run, prepared) in runs.iter().zip(prepared) {
        let stem = |name: &str| {
            if several {
                out.join(format!("{}.{name}", run.prefix))
            } else {
                out.join(name)
            }
        };
        sample_pictures(run, prepared, &stem)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{heat_grids, split_top, Cells, Coordinate};
    use std::collections::HashMap;

    fn coordinate(index: usize, lo: i64, hi: i64) -> Coordinate {
        Coordinate {
            field: "x".to_string(),
            index: Some(index),
            lo,
            hi,
        }
    }

    /// Cells of samples given as (x, y, log R), each a distinct object.
    fn cells(samples: &[(i64, i64, f64)], hi: i64) -> Cells {
        let mut counts = HashMap::new();
        let mut objects = HashMap::new();
        for &(x, y, log_reward) in samples {
            *counts.entry((x, y)).or_insert(0) += 1;
            objects.insert(format!("x=[{x}, {y}]"), ((x, y), log_reward));
        }
        Cells {
            axes: [coordinate(0, 0, hi), coordinate(1, 0, hi)],
            counts,
            objects,
            total: samples.len(),
        }
    }

    #[test]
    fn heat_grids_normalise_and_cover_every_value_seen() {
        let two = 2f64.ln();
        let grids = heat_grids(&cells(&[(0, 0, 0.0), (1, 2, two), (1, 2, two)], 3))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((grids.empirical.len(), grids.empirical[0].len()), (3, 3));
        assert!(
            (grids.empirical[2][1] - 2.0 / 3.0).abs() < 1e-12,
            "rows are y"
        );
        assert!(
            (grids.target[2][1] - 2.0 / 3.0).abs() < 1e-12,
            "R/Z over objects seen"
        );
        assert!(grids.target[1][1].is_nan(), "unseen cells have no R/Z");
        assert_eq!(grids.seen, 2);
        // A value outside the type's range (a samples file of another run) widens the grid.
        let grids =
            heat_grids(&cells(&[(9, 0, 0.0), (-2, 1, 0.0)], 3)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(grids.empirical[0].len(), 12);
        assert_eq!(grids.axes.x_origin, -2);
        // Far apart values are refused, not allocated.
        let far = heat_grids(&cells(&[(i64::MAX, 0, 0.0), (i64::MIN, 0, 0.0)], 3));
        assert!(far.is_err_and(|e| e.contains("too many")));
        assert!(heat_grids(&cells(&[], 3)).is_err());
    }

    #[test]
    fn states_split_at_their_fields() {
        assert_eq!(split_top("x=[3, 5]"), vec!["x=[3, 5]"]);
        assert_eq!(
            split_top("a=3, s={1, 2}, b=-4"),
            vec!["a=3", " s={1, 2}", " b=-4"]
        );
        let x1 = Coordinate {
            field: "x".to_string(),
            index: Some(1),
            lo: 0,
            hi: 8,
        };
        assert_eq!(x1.value("x=[3, 5]"), Some(5));
        assert_eq!(x1.value("y=[3, 5]"), None);
        let b = Coordinate {
            field: "b".to_string(),
            index: None,
            lo: -8,
            hi: 8,
        };
        assert_eq!(b.value("a=3, s={1, 2}, b=-4"), Some(-4));
        assert_eq!(b.label(), "b");
        assert_eq!(x1.label(), "x[1]");
    }
}
