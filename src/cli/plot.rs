//! `gfnc plot RUN_DIR...`: pictures of one or several runs, from their run directories alone
//! (run.json, metrics.csv, samples.csv, env.gfn): curves against trajectories, several runs
//! overlaid; a histogram of the sampled log rewards; and, when the state has two integer
//! coordinates, a heat map of the samples next to R/Z. Also [`run_curves`], the summary
//! picture `gfnc run` leaves in its directory. Drawing is the library's [`gfnc::plot`].

use super::Failure;
use gfnc::check::{FieldType, Model};
use gfnc::plot::{self, GridAxes, Panel, Series};
use gfnc::train::rundir::{self, RunRecord};
use gfnc::Override;
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

/// The x axis of every curve: trajectories, so that runs of different batch sizes compare.
const X: &str = "trajectories";

/// The largest side of a heat map, in cells: beyond it, only the cells seen are drawn (or no
/// map, when they too span more).
const MAX_SIDE: i64 = 200;

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

/// A CSV file's numeric columns by name; empty cells are `None`.
struct Table {
    columns: HashMap<String, Vec<Option<f64>>>,
}

impl Table {
    /// Points (x, y) of the rows where both columns have a value.
    fn points(&self, x: &str, y: &str) -> Vec<(f64, f64)> {
        match (self.columns.get(x), self.columns.get(y)) {
            (Some(xs), Some(ys)) => xs
                .iter()
                .zip(ys)
                .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether a column exists and has at least one finite value.
    fn has(&self, name: &str) -> bool {
        self.columns
            .get(name)
            .is_some_and(|c| c.iter().flatten().any(|v| v.is_finite()))
    }

    /// The least and greatest x of the evaluations.
    fn x_span(&self) -> Option<(f64, f64)> {
        let xs = self.columns.get(X)?.iter().flatten().copied();
        let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        (lo <= hi).then_some((lo, hi))
    }
}

/// Read `metrics.csv` (every column as numbers), naming the file and line of a bad cell.
fn read_metrics(path: &Path) -> Result<Table, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "{}: no such file (a run writes it at its first evaluation)",
                path.display()
            )
        } else {
            format!("cannot read {}: {e}", path.display())
        }
    })?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if !headers.iter().any(|h| h == X) {
        return Err(format!(
            "{}:1: not a metrics file (no `{X}` column)",
            path.display()
        ));
    }
    let mut columns: Vec<Vec<Option<f64>>> = vec![Vec::new(); headers.len()];
    for (k, record) in reader.records().enumerate() {
        // Line 1 is the header.
        let line = k + 2;
        let record = record.map_err(|e| format!("{}:{line}: {e}", path.display()))?;
        for (column, cell) in columns.iter_mut().zip(record.iter()) {
            let cell = cell.trim();
            let value =
                if cell.is_empty() {
                    None
                } else {
                    Some(cell.parse::<f64>().map_err(|_| {
                        format!("{}:{line}: `{cell}` is not a number", path.display())
                    })?)
                };
            column.push(value);
        }
    }
    Ok(Table {
        columns: headers.into_iter().zip(columns).collect(),
    })
}

/// Read a run directory: `run.json` and `metrics.csv` (samples are read later, when needed).
fn read_run(dir: &Path) -> Result<Run, String> {
    if !dir.is_dir() {
        return Err(format!("{}: no such directory", dir.display()));
    }
    if !dir.join("run.json").is_file() {
        return Err(format!(
            "{} is not a gfnc run directory (no run.json)",
            dir.display()
        ));
    }
    let record = rundir::read_record(dir).map_err(|e| e.to_string())?;
    let metrics = read_metrics(&dir.join("metrics.csv"))?;
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
fn per_run(runs: &[Run], y: &str) -> Vec<Series> {
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
    let series = per_run(runs, "loss");
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
                .points(X, "log_z_true")
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
        series: per_run(runs, "log_z"),
        references: flat_lines(&exact, "exact log Z"),
        log_y: false,
    }
}

/// How close the sampler is to R/Z: the exact L1 when any run has it, otherwise Spearman's
/// correlation and the top-k mean reward (large spaces); with their pictures' names.
fn quality_panels(runs: &[Run]) -> Vec<(&'static str, Panel)> {
    let panel = |title: &str, y_label: &str, column: &str, log_y: bool| Panel {
        title: title.to_string(),
        y_label: y_label.to_string(),
        series: per_run(runs, column),
        references: Vec::new(),
        log_y,
    };
    let any = |column: &str| runs.iter().any(|r| r.metrics.has(column));
    if any("l1") {
        return vec![(
            "l1",
            panel("exact L1 to R/Z", "L1 = Σ|P_T − R/Z|", "l1", true),
        )];
    }
    let mut panels = Vec::new();
    if any("spearman") {
        panels.push((
            "spearman",
            panel(
                "Spearman correlation",
                "Spearman ρ of log R and log P_T (test set)",
                "spearman",
                false,
            ),
        ));
    }
    if any("top_k_reward") {
        panels.push((
            "top_k_reward",
            panel(
                "top-k mean reward",
                "mean reward of the best k objects found",
                "top_k_reward",
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
        series: per_run(runs, "modes_found"),
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
    plot::panels(&stem, &title, X, &summary(&runs))?;
    Ok(plot::files(&stem).to_vec())
}

/// An integer coordinate of the state: an int field, or one element of an int array field.
#[derive(Clone, Debug, PartialEq)]
struct Coordinate {
    field: String,
    index: Option<usize>,
    /// The type's values: `lo..hi`.
    lo: i64,
    hi: i64,
}

impl Coordinate {
    fn label(&self) -> String {
        match self.index {
            Some(i) => format!("{}[{i}]", self.field),
            None => self.field.clone(),
        }
    }

    /// Its value in a state as gfnc renders it (`x=[3, 5], done=false`).
    fn value(&self, state: &str) -> Option<i64> {
        let text = split_top(state).into_iter().find_map(|part| {
            let (name, value) = part.split_once('=')?;
            (name.trim() == self.field).then_some(value.trim())
        })?;
        let text = match self.index {
            None => text,
            Some(i) => {
                let inner = text.strip_prefix('[')?.strip_suffix(']')?;
                split_top(inner).into_iter().nth(i)?.trim()
            }
        };
        text.parse().ok()
    }
}

/// Split at the commas outside brackets and braces: `x=[1, 2], s={3}` into its two fields.
fn split_top(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (k, c) in text.char_indices() {
        match c {
            '[' | '{' | '(' => depth += 1,
            ']' | '}' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Every integer coordinate of the state, in field order.
fn integer_coordinates(model: &Model) -> Vec<Coordinate> {
    let mut out = Vec::new();
    for field in &model.fields {
        match &field.ty {
            FieldType::Int { lo, hi } => out.push(Coordinate {
                field: field.name.clone(),
                index: None,
                lo: *lo,
                hi: *hi,
            }),
            FieldType::Array(element, n) => {
                if let FieldType::Int { lo, hi } = **element {
                    out.extend((0..*n).map(|i| Coordinate {
                        field: field.name.clone(),
                        index: Some(i),
                        lo,
                        hi,
                    }));
                }
            }
            _ => {}
        }
    }
    out
}

/// The heat map's two coordinates: those given by `--axes`, or the state's only two integer
/// coordinates. `Ok(None)` when there is no automatic choice; an `--axes` that does not fit the
/// state is an error.
fn choose_axes(model: &Model, axes: Option<&str>) -> Result<Option<[Coordinate; 2]>, String> {
    let all = integer_coordinates(model);
    let Some(spec) = axes else {
        return Ok(match all.as_slice() {
            [a, b] => Some([a.clone(), b.clone()]),
            _ => None,
        });
    };
    let of_field = |name: &str| -> Vec<Coordinate> {
        all.iter().filter(|c| c.field == name).cloned().collect()
    };
    let known = || {
        let names: Vec<&str> = model.fields.iter().map(|f| f.name.as_str()).collect();
        names.join(", ")
    };
    let items: Vec<&str> = spec.split(',').map(str::trim).collect();
    let chosen = match items.as_slice() {
        [field] => {
            let coordinates = of_field(field);
            match coordinates.as_slice() {
                [a, b] if a.index.is_some() => [a.clone(), b.clone()],
                [] => {
                    return Err(format!(
                        "--axes {field}: the state has no integer field or integer array `{field}` (the fields are {})",
                        known()
                    ))
                }
                [one] if one.index.is_none() => {
                    return Err(format!(
                        "--axes {field}: `{field}` is one integer; name two coordinates: --axes {field},OTHER"
                    ))
                }
                many => {
                    return Err(format!(
                        "--axes {field}: `{field}` has {} elements; name two, e.g. --axes {field}[0],{field}[1]",
                        many.len()
                    ))
                }
            }
        }
        [a, b] => {
            let pick = |item: &str| -> Result<Coordinate, String> {
                pick_coordinate(item, &all).ok_or_else(|| {
                    format!(
                        "--axes {spec}: `{item}` is not an integer coordinate of the state (write a field `a`, an element `x[0]`, or an index `0` into the only integer array; the fields are {})",
                        known()
                    )
                })
            };
            let (a, b) = (pick(a)?, pick(b)?);
            if a == b {
                return Err(format!("--axes {spec}: name two different coordinates"));
            }
            [a, b]
        }
        _ => {
            return Err(format!(
                "--axes {spec}: give a field (x) or two coordinates (x[0],x[1] or a,b)"
            ))
        }
    };
    Ok(Some(chosen))
}

/// One coordinate named on `--axes`: `a` (an int field), `x[1]` (an element of an int array),
/// or `1` (an element of the state's only int array).
fn pick_coordinate(item: &str, all: &[Coordinate]) -> Option<Coordinate> {
    if let Ok(index) = item.parse::<usize>() {
        let mut arrays: Vec<&str> = all
            .iter()
            .filter(|c| c.index.is_some())
            .map(|c| c.field.as_str())
            .collect();
        arrays.dedup();
        return match arrays.as_slice() {
            [only] => all
                .iter()
                .find(|c| c.field == *only && c.index == Some(index))
                .cloned(),
            _ => None,
        };
    }
    let (field, index) = match item.split_once('[') {
        Some((field, rest)) => (
            field.trim(),
            Some(rest.strip_suffix(']')?.trim().parse::<usize>().ok()?),
        ),
        None => (item, None),
    };
    all.iter()
        .find(|c| c.field == field && c.index == index)
        .cloned()
}

/// What a run's samples.csv holds for its pictures.
struct Samples {
    log_rewards: Vec<f64>,
    /// The heat map's cells, when its coordinates were chosen and every state has them.
    cells: Option<Cells>,
}

/// Samples by cell of the heat map's grid.
struct Cells {
    axes: [Coordinate; 2],
    /// Samples per cell.
    counts: HashMap<(i64, i64), usize>,
    /// Each distinct object seen: its cell and log reward.
    objects: HashMap<String, ((i64, i64), f64)>,
    total: usize,
}

/// Read samples.csv: the log rewards and, with `axes`, the cells of the states. A state
/// without the coordinates (a samples file of another environment) drops the cells with a
/// note rather than failing the pictures that do not need them.
fn read_samples(
    path: &Path,
    axes: Option<[Coordinate; 2]>,
) -> Result<(Samples, Option<String>), String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // Streamed: a run may have drawn millions of samples.
    let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
    let headers = reader
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| {
                format!(
                    "{}:1: not a samples file (no `{name}` column)",
                    path.display()
                )
            })
    };
    let (state_at, log_reward_at) = (column("state")?, column("log_reward")?);
    let mut cells = axes.map(|axes| Cells {
        axes,
        counts: HashMap::new(),
        objects: HashMap::new(),
        total: 0,
    });
    let mut note = None;
    let mut log_rewards = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => line += 1,
            Ok(false) => break,
            Err(e) => return Err(format!("{}:{}: {e}", path.display(), line + 1)),
        }
        let (Some(state), Some(log_reward)) = (record.get(state_at), record.get(log_reward_at))
        else {
            return Err(format!(
                "{}:{line}: a row with missing cells",
                path.display()
            ));
        };
        let log_reward: f64 = log_reward.trim().parse().map_err(|_| {
            format!(
                "{}:{line}: log_reward `{}` is not a number",
                path.display(),
                log_reward.trim()
            )
        })?;
        log_rewards.push(log_reward);
        if let Some(grid) = &mut cells {
            let [a, b] = &grid.axes;
            match (a.value(state), b.value(state)) {
                (Some(x), Some(y)) => {
                    *grid.counts.entry((x, y)).or_insert(0) += 1;
                    grid.total += 1;
                    if !grid.objects.contains_key(state) {
                        grid.objects.insert(state.to_string(), ((x, y), log_reward));
                    }
                }
                _ => {
                    note = Some(format!(
                        "{}:{line}: state `{state}` has no integer {} and {}",
                        path.display(),
                        a.label(),
                        b.label()
                    ));
                    cells = None;
                }
            }
        }
    }
    Ok((Samples { log_rewards, cells }, note))
}

/// The heat map's two grids, rows by columns.
struct HeatGrids {
    /// The share of the samples in each cell.
    empirical: Vec<Vec<f64>>,
    /// R/Z normalised over the objects seen, summed per cell (NaN where none was seen).
    target: Vec<Vec<f64>>,
    axes: GridAxes,
    /// Cells that hold at least one sample.
    seen: usize,
}

/// The heat map's grids; or why there is no map.
fn heat_grids(cells: &Cells) -> Result<HeatGrids, String> {
    let [a, b] = &cells.axes;
    let seen = |pick: fn(&(i64, i64)) -> i64| {
        let values = cells.counts.keys().map(pick);
        values.fold((i64::MAX, i64::MIN), |(lo, hi), v| {
            (lo.min(v), hi.max(v.saturating_add(1)))
        })
    };
    // The type's whole range when it is small enough to draw, else the values seen; always
    // every value seen (a samples file that does not match its env.gfn may hold others).
    let range = |c: &Coordinate, seen: (i64, i64)| {
        let whole = (c.lo.min(seen.0), c.hi.max(seen.1));
        if whole.1.saturating_sub(whole.0) <= MAX_SIDE {
            Ok(whole)
        } else if seen.1.saturating_sub(seen.0) <= MAX_SIDE {
            Ok(seen)
        } else {
            Err(format!(
                "{} spans {} values among the samples: too many for a heat map (at most {MAX_SIDE})",
                c.label(),
                seen.1.saturating_sub(seen.0)
            ))
        }
    };
    if cells.total == 0 {
        return Err("no samples".to_string());
    }
    let (x_lo, x_hi) = range(a, seen(|c| c.0))?;
    let (y_lo, y_hi) = range(b, seen(|c| c.1))?;
    let (columns, rows) = ((x_hi - x_lo) as usize, (y_hi - y_lo) as usize);
    let mut empirical = vec![vec![0.0; columns]; rows];
    for (&(x, y), &n) in &cells.counts {
        empirical[(y - y_lo) as usize][(x - x_lo) as usize] = n as f64 / cells.total as f64;
    }
    // R/Z over the distinct objects seen, summed into their cells (a marginal when the state
    // has more than the two coordinates); computed from log R so that huge rewards do not
    // overflow. Cells no sample reached have no R/Z: NaN, drawn grey.
    let top = cells
        .objects
        .values()
        .map(|o| o.1)
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    let mut target = vec![vec![f64::NAN; columns]; rows];
    let mut total = 0.0;
    for &((x, y), log_reward) in cells.objects.values() {
        if log_reward.is_finite() {
            let weight = (log_reward - top).exp();
            let cell = &mut target[(y - y_lo) as usize][(x - x_lo) as usize];
            *cell = if cell.is_nan() {
                weight
            } else {
                *cell + weight
            };
            total += weight;
        }
    }
    if total > 0.0 {
        for value in target.iter_mut().flatten() {
            *value /= total;
        }
    }
    let axes = GridAxes {
        x_label: a.label(),
        y_label: b.label(),
        x_origin: x_lo,
        y_origin: y_lo,
    };
    Ok(HeatGrids {
        empirical,
        target,
        axes,
        seen: cells.counts.len(),
    })
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
        wrote(&stem, plot::panels(&stem, title, X, panels))
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
