//! The CSV files gfnc writes and reads back, each a typed row: `metrics.csv` (one row per
//! evaluation) and `samples.csv` (one row per object drawn) in a run directory, `compare.csv`
//! (one row per method, seed, reporting point and metric) in a comparison's folder. Writers
//! and readers (`gfnc plot`) share these rows, so a column is named and formatted once.
//!
//! Numbers are written as Rust prints them (full precision: a loss of 4e-11 is not 0.000000,
//! and never in exponent form), seconds to the millisecond, unknown values as empty cells.

use super::Metrics;
use crate::env::Environment;
use crate::files;
use crate::number::reward_text;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::path::Path;

/// A row of `metrics.csv`. Every figure is read as an optional number, so that a file of an
/// older gfnc (with other columns, `log_z_true` among them) still plots, and a damaged cell
/// is named by its line.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricsRow {
    /// Training iterations done.
    #[serde(serialize_with = "cell", deserialize_with = "number")]
    pub step: Option<f64>,
    /// Trajectories trained on so far (the x axis of every curve).
    #[serde(serialize_with = "cell", deserialize_with = "number")]
    pub trajectories: Option<f64>,
    /// Seconds spent training so far.
    #[serde(serialize_with = "seconds_cell", deserialize_with = "number")]
    pub seconds: Option<f64>,
    /// The mean loss since the previous evaluation.
    #[serde(serialize_with = "cell", deserialize_with = "number")]
    pub loss: Option<f64>,
    /// The model's log Z.
    #[serde(serialize_with = "cell", deserialize_with = "number")]
    pub log_z: Option<f64>,
    /// The exact log Z: read from files that have it, not written (run.json's final metrics
    /// hold it).
    #[serde(skip_serializing, deserialize_with = "number")]
    pub log_z_true: Option<f64>,
    /// The exact L1 between P_T and R/Z.
    #[serde(serialize_with = "cell", deserialize_with = "number")]
    pub l1: Option<f64>,
    /// Total variation.
    #[serde(serialize_with = "cell", deserialize_with = "number")]
    pub tv: Option<f64>,
    /// KL(R/Z ‖ P_T).
    #[serde(serialize_with = "cell", deserialize_with = "number")]
    pub kl: Option<f64>,
    /// L1 of the recent samples' histogram.
    #[serde(serialize_with = "cell", deserialize_with = "number")]
    pub empirical_l1: Option<f64>,
    /// Modes found so far.
    #[serde(serialize_with = "cell", deserialize_with = "number")]
    pub modes_found: Option<f64>,
    /// Distinct objects found so far.
    #[serde(serialize_with = "cell", deserialize_with = "number")]
    pub distinct: Option<f64>,
    /// The mean reward of the best `top_k` objects.
    #[serde(serialize_with = "cell", deserialize_with = "number")]
    pub top_k_reward: Option<f64>,
    /// Spearman's correlation over the test set.
    #[serde(serialize_with = "cell", deserialize_with = "number")]
    pub spearman: Option<f64>,
    /// Pearson's correlation over the test set.
    #[serde(serialize_with = "cell", deserialize_with = "number")]
    pub pearson: Option<f64>,
}

impl From<&Metrics> for MetricsRow {
    fn from(m: &Metrics) -> MetricsRow {
        MetricsRow {
            step: Some(m.step as f64),
            trajectories: Some(m.trajectories as f64),
            seconds: Some(m.seconds),
            loss: Some(m.loss),
            log_z: Some(m.log_z),
            log_z_true: None,
            l1: m.l1,
            tv: m.tv,
            kl: m.kl,
            empirical_l1: m.empirical_l1,
            modes_found: Some(m.modes_found as f64),
            distinct: Some(m.distinct as f64),
            top_k_reward: m.top_k_reward,
            spearman: m.spearman,
            pearson: m.pearson,
        }
    }
}

/// A number as Rust displays it (`0.00000000004`, `NaN`, `12`), or an empty cell.
fn cell<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(x) => serializer.collect_str(x),
        None => serializer.serialize_str(""),
    }
}

/// Seconds to the millisecond.
fn seconds_cell<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(x) => serializer.collect_str(&format_args!("{x:.3}")),
        None => serializer.serialize_str(""),
    }
}

/// A cell read as a number (surrounding blanks ignored); empty is `None`.
fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    let text = String::deserialize(deserializer)?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        serde::de::Error::custom(format!("`{}` is not a number", files::quote(text, 40)))
    })
}

/// Rows serialized with their header (the fields' names), as text.
fn write_rows<R: Serialize>(rows: impl IntoIterator<Item = R>, header: bool) -> String {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(header)
        .from_writer(Vec::new());
    for row in rows {
        // Writing into memory fails only on a row serde cannot express, which these are not.
        let _ = writer.serialize(row);
    }
    writer
        .into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

/// The header of `metrics.csv`, written even when there are no rows yet.
const METRICS_HEADER: &str = "step,trajectories,seconds,loss,log_z,l1,tv,kl,empirical_l1,modes_found,distinct,top_k_reward,spearman,pearson\n";

/// `metrics.csv`: one row per evaluation.
pub fn metrics_csv(rows: &[Metrics]) -> String {
    if rows.is_empty() {
        return METRICS_HEADER.to_string();
    }
    write_rows(rows.iter().map(MetricsRow::from), true)
}

/// A `metrics.csv` file, read through a cap from the run's length (`steps`: at most one row
/// per step, and one per resumed segment's end, each well under a kilobyte). Errors name the
/// file and the line.
pub fn read_metrics(path: &Path, steps: usize) -> Result<Vec<MetricsRow>, String> {
    let cap = (steps as u64).saturating_add(1024).saturating_mul(1024);
    let text = files::read_text_bounded(path, cap).map_err(|e| match e {
        files::ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound => format!(
            "{}: no such file (a run writes it at its first evaluation)",
            path.display()
        ),
        e => format!("cannot read {}: {e}", path.display()),
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if !headers.iter().any(|h| h == "trajectories") {
        return Err(format!(
            "{}:1: not a metrics file (no `trajectories` column)",
            path.display()
        ));
    }
    let mut rows = Vec::new();
    for (k, row) in reader.deserialize::<MetricsRow>().enumerate() {
        // Line 1 is the header.
        let line = k + 2;
        rows.push(row.map_err(|e| located(path, line, &e))?);
    }
    Ok(rows)
}

/// `PATH:LINE: what is wrong`: a cell's own message without csv's position prefix.
fn located(path: &Path, line: usize, error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.kind() {
            csv::DeserializeErrorKind::Message(message) => {
                format!("{}:{line}: {message}", path.display())
            }
            _ => format!("{}:{line}: {err}", path.display()),
        },
        _ => format!("{}:{line}: {error}", path.display()),
    }
}

/// The name of the probability column: the exact log P_T(x) of the object when the graph was
/// explored whole, else the log probability of the trajectory that drew it.
pub fn probability_column(exact: bool) -> &'static str {
    if exact {
        "log_probability"
    } else {
        "log_p_trajectory"
    }
}

/// A row of `samples.csv`; its last column's name says what the probability is (see
/// [`probability_column`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleRow {
    /// The object, rendered as gfnc shows states.
    pub state: String,
    /// Its reward, readable at any magnitude (see [`reward_text`]).
    pub reward: String,
    /// Its log reward.
    #[serde(serialize_with = "display")]
    pub log_reward: f64,
    /// The log probability of drawing it.
    #[serde(serialize_with = "display")]
    pub log_probability: f64,
}

impl SampleRow {
    /// The row of an object drawn: its state, log reward and log probability.
    pub fn of(env: &Environment, (state, log_reward, log_p): &(Vec<i32>, f64, f64)) -> SampleRow {
        SampleRow {
            state: env.render(state),
            reward: reward_text(*log_reward),
            log_reward: *log_reward,
            log_probability: *log_p,
        }
    }
}

/// A number as Rust displays it.
fn display<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// The header of `samples.csv`.
pub fn samples_header(exact: bool) -> String {
    format!("state,reward,log_reward,{}\n", probability_column(exact))
}

/// `samples.csv`: its header and one row per object drawn.
pub fn samples_csv(env: &Environment, samples: &[(Vec<i32>, f64, f64)], exact: bool) -> String {
    samples_header(exact) + &samples_rows(env, samples)
}

/// The rows of `samples.csv` without its header (to stream objects as they are drawn).
pub fn samples_rows(env: &Environment, samples: &[(Vec<i32>, f64, f64)]) -> String {
    write_rows(samples.iter().map(|s| SampleRow::of(env, s)), false)
}

/// What `gfnc plot` reads of a row of `samples.csv`.
pub struct SampleRead<'r> {
    /// The line it is on.
    pub line: usize,
    /// The object, as rendered.
    pub state: &'r str,
    /// Its log reward.
    pub log_reward: f64,
}

/// Read `samples.csv` row by row (streamed: a run may have drawn millions of objects), handing
/// each to `visit`. Only a regular file is read (a FIFO would block, a device never end);
/// errors name the file and the line.
pub fn read_samples(path: &Path, visit: &mut dyn FnMut(SampleRead)) -> Result<(), String> {
    let (file, _) =
        files::open_regular(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
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
                files::quote(log_reward.trim(), 40)
            )
        })?;
        visit(SampleRead {
            line,
            state,
            log_reward,
        });
    }
    Ok(())
}

/// A row of `compare.csv` (long format): one metric of one method and seed at one reporting
/// point.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CompareRow {
    /// The method's name (`tb`, `mcmc`, ...).
    pub method: String,
    /// The seed of the run.
    pub seed: u64,
    /// States visited by the method when the point was taken.
    pub states_visited: usize,
    /// `modes_found`, `distinct`, `l1`, `top_k_reward` or `seconds`.
    pub metric: String,
    /// Its value, when known.
    #[serde(deserialize_with = "number")]
    pub value: Option<f64>,
    /// On `l1` rows, how it was measured: `exact` (the sampler's exact P_T over the DAG) or
    /// `empirical` (a histogram of visited objects); `None` elsewhere and in files written
    /// before the column.
    #[serde(default, deserialize_with = "optional_text")]
    pub l1_kind: Option<String>,
}

/// An empty cell as `None`.
fn optional_text<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    Ok(text.filter(|t| !t.trim().is_empty()))
}

impl Serialize for CompareRow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut row = serializer.serialize_struct("CompareRow", 6)?;
        row.serialize_field("method", &self.method)?;
        row.serialize_field("seed", &self.seed)?;
        row.serialize_field("states_visited", &self.states_visited)?;
        row.serialize_field("metric", &self.metric)?;
        // Seconds to the millisecond, as in metrics.csv.
        let value = match (self.value, self.metric == "seconds") {
            (Some(x), true) => format!("{x:.3}"),
            (Some(x), false) => format!("{x}"),
            (None, _) => String::new(),
        };
        row.serialize_field("value", &value)?;
        row.serialize_field("l1_kind", self.l1_kind.as_deref().unwrap_or(""))?;
        row.end()
    }
}

/// The header of `compare.csv`.
const COMPARE_HEADER: &str = "method,seed,states_visited,metric,value,l1_kind\n";

/// `compare.csv`: its header and rows.
pub fn compare_csv(rows: &[CompareRow]) -> String {
    if rows.is_empty() {
        return COMPARE_HEADER.to_string();
    }
    write_rows(rows, true)
}

/// The rows of a `compare.csv` text.
pub fn read_compare(text: &str) -> Result<Vec<CompareRow>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    reader
        .deserialize()
        .enumerate()
        .map(|(k, row)| row.map_err(|e| located(Path::new("compare.csv"), k + 2, &e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_rows_are_written_at_full_precision_and_read_back() {
        let m = Metrics {
            step: 10,
            trajectories: 160,
            seconds: 1.23456,
            loss: 4e-11,
            log_z: f64::NAN,
            l1: Some(0.5),
            modes_found: 3,
            distinct: 7,
            ..Metrics::default()
        };
        let text = metrics_csv(&[m]);
        assert_eq!(
            text,
            format!("{METRICS_HEADER}10,160,1.235,0.00000000004,NaN,0.5,,,,3,7,,,\n")
        );
        assert_eq!(metrics_csv(&[]), METRICS_HEADER);
        let folder = std::env::temp_dir().join(format!("gfnc-tables-{}", std::process::id()));
        std::fs::create_dir_all(&folder).expect("folder");
        let path = folder.join("metrics.csv");
        std::fs::write(&path, &text).expect("written");
        let rows = read_metrics(&path, 10).expect("read");
        assert_eq!(rows[0].trajectories, Some(160.0));
        assert_eq!(rows[0].loss, Some(4e-11));
        assert!(rows[0].log_z.is_some_and(f64::is_nan));
        assert_eq!((rows[0].tv, rows[0].log_z_true), (None, None));
        std::fs::write(&path, "trajectories,loss\n1,2\n2,x\n").expect("written");
        let error = read_metrics(&path, 10).expect_err("a bad cell");
        assert!(
            error.ends_with("metrics.csv:3: `x` is not a number"),
            "{error}"
        );
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn compare_rows_round_trip_with_seconds_to_the_millisecond() {
        let row = |metric: &str, value| CompareRow {
            method: "tb".to_string(),
            seed: 1,
            states_visited: 100,
            metric: metric.to_string(),
            value,
            l1_kind: (metric == "l1").then(|| "exact".to_string()),
        };
        let rows = [
            row("modes_found", Some(3.0)),
            row("l1", None),
            row("seconds", Some(0.25)),
        ];
        let text = compare_csv(&rows);
        assert_eq!(
            text,
            format!(
                "{COMPARE_HEADER}tb,1,100,modes_found,3,\ntb,1,100,l1,,exact\ntb,1,100,seconds,0.250,\n"
            )
        );
        assert_eq!(read_compare(&text).expect("read"), rows);
        // A file written before the l1_kind column reads, without it.
        let old = "method,seed,states_visited,metric,value\nmcmc,0,100,l1,0.5\n";
        let read = read_compare(old).expect("an old compare.csv reads");
        assert_eq!(
            (read[0].value, read[0].l1_kind.as_deref()),
            (Some(0.5), None)
        );
    }
}
