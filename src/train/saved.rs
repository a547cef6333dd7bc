//! A saved run read back for `--resume` and `gfnc sample`: its record, its source, where its
//! inputs come from (the folder `load` and scorers were resolved in), so that messages name
//! run.json rather than flags never given, and the inputs rebuilt now are checked against the
//! values the run was trained with.

use super::rundir::{self, Inputs, RunDir, RunRecord};
use super::session::Limits;
use super::{TrainError, Trainer};
use crate::check::Override;
use crate::diagnostic::Diagnostic;
use crate::env::dag::{Budget, Dag};
use crate::env::Environment;
use std::path::{Path, PathBuf};

/// The most `env.gfn` (and `test_set.txt`) is read to: the parser's own source limit.
const SOURCE_CAP: u64 = 1 << 20;

/// A saved run being rebuilt (for `--resume` and `gfnc sample`): its record with the limits
/// given now applied, its source, and where its inputs come from.
pub struct SavedRun {
    /// The directory, locked, when opened for resuming ([`SavedRun::open`]).
    pub(super) dir: Option<RunDir>,
    pub(super) path: PathBuf,
    pub(super) record: RunRecord,
    source: String,
    run_json: PathBuf,
    /// The folder `load` paths and scorers are resolved in.
    folder: PathBuf,
    /// Whether `folder` is the one run.json recorded and it no longer exists.
    folder_missing: bool,
    /// Whether the source reads files or runs commands relative to the folder.
    uses_folder: bool,
    /// `const NAME = load("PATH")` items of the source: (NAME, PATH), for messages.
    loads: Vec<(String, String)>,
    /// Whether `env.gfn` and the overrides are those recorded (when not, the checkpoint's
    /// check names the edited source, the cause of any changed value).
    source_unchanged: bool,
}

impl SavedRun {
    /// A run directory opened to be resumed: locked, its record and source read. Nothing in
    /// it is written before its checkpoint is verified and the trainer built from it (see
    /// [`Session::resume`](super::session::Session::resume)): a refused resume leaves the run
    /// as it was. `limits` given now replace the recorded ones.
    pub fn open(path: &Path, limits: Limits) -> Result<SavedRun, TrainError> {
        let dir = RunDir::open(path)?;
        let record = dir.read_record()?;
        SavedRun::new(Some(dir), path, record, limits)
    }

    /// A run directory read to draw from (not locked).
    pub fn read(path: &Path, limits: Limits) -> Result<SavedRun, TrainError> {
        let record = rundir::read_record(path)?;
        SavedRun::new(None, path, record, limits)
    }

    fn new(
        dir: Option<RunDir>,
        run_dir: &Path,
        mut record: RunRecord,
        limits: Limits,
    ) -> Result<SavedRun, TrainError> {
        let source = read_run_source(&run_dir.join("env.gfn"))?;
        // The run's own budget and sample count, unless given again.
        record.max_states = limits.max_states.or(record.max_states);
        record.max_memory_mb = limits.max_memory_mb.or(record.max_memory_mb);
        record.samples = limits.samples.or(record.samples);
        let folder = record_folder(&record, run_dir);
        Ok(SavedRun {
            dir,
            path: run_dir.to_path_buf(),
            run_json: run_dir.join("run.json"),
            folder_missing: record.folder.is_some() && !folder.is_dir(),
            folder,
            uses_folder: source.contains("load") || source.contains("extern"),
            loads: source.lines().filter_map(load_item).collect(),
            source_unchanged: rundir::source_hash(&source, &record.overrides) == record.source_hash,
            record,
            source,
        })
    }

    /// The record, with the limits given now.
    pub fn record(&self) -> &RunRecord {
        &self.record
    }

    /// The run's source, `env.gfn`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Where the source is: `DIR/env.gfn`.
    pub fn source_path(&self) -> PathBuf {
        self.path.join("env.gfn")
    }

    /// The folder `load` paths and scorers are resolved in.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The overrides the run was started with.
    pub fn overrides(&self) -> Vec<Override> {
        self.record
            .overrides
            .iter()
            .filter_map(|o| Override::parse(o))
            .collect()
    }

    /// `budget` with the run's own exploration budget (recorded, or given now).
    pub fn budget(&self, mut budget: Budget) -> Budget {
        if let Some(n) = self.record.max_states {
            budget.max_states = n;
        }
        if let Some(mb) = self.record.max_memory_mb {
            budget.max_bytes = mb.saturating_mul(1_000_000);
        }
        budget
    }

    /// A warning for up front: the recorded folder is gone (the project moved), and the
    /// source needs it.
    pub fn folder_warning(&self) -> Option<String> {
        (self.folder_missing && self.uses_folder).then(|| format!(
            "warning: {}, the folder of the trained .gfn file recorded in {}, no longer exists; the run's load() tables and scorers are looked up there",
            self.folder.display(),
            self.run_json.display()
        ))
    }

    /// Where `load` paths and scorers were resolved, for a message.
    fn folder_note(&self) -> String {
        format!(
            "resolved in {}, the trained file's folder recorded in {}{}",
            self.folder.display(),
            self.run_json.display(),
            if self.folder_missing {
                ", which no longer exists"
            } else {
                ""
            }
        )
    }

    /// The checker's diagnostics reworded for a saved run: its overrides are run.json's (not
    /// `--set` flags), its tables and scorers are looked up in the recorded folder.
    pub fn adjust(&self, d: &mut Diagnostic) {
        use crate::diagnostic::codes::{check, env};
        let from_overrides = matches!(
            d.code,
            check::SET_UNKNOWN_PARAM | check::SET_NOT_A_PARAM | check::SET_WRONG_TYPE
        );
        if from_overrides {
            let run_json = self.run_json.display();
            d.message = match d.message.strip_prefix("--set ") {
                Some(rest) => format!("{run_json} records the override {rest}"),
                None => format!("{run_json} records an override: {}", d.message),
            };
            d.help = Some(if d.code == check::SET_UNKNOWN_PARAM {
                "the param was recorded when the run started and no longer exists in env.gfn (run.json or env.gfn was edited): restore them, or start a new run".to_string()
            } else {
                "the override was recorded when the run started (a file after `@` by its absolute path): restore what it names, or start a new run".to_string()
            });
        }
        if matches!(d.code, check::LOAD | env::SCORER) {
            d.message = format!("{} ({})", d.message, self.folder_note());
        }
    }

    /// A scorer failing while the resumed run trains names the folder it ran in.
    pub fn adjust_error(&self, error: TrainError) -> TrainError {
        match error {
            TrainError::Env(mut e) if e.code == crate::diagnostic::codes::env::SCORER => {
                e.message = format!("{} ({})", e.message, self.folder_note());
                TrainError::Env(e)
            }
            other => other,
        }
    }

    /// A warning for a record of an older gfnc, without inputs, when the environment reads
    /// files: their values cannot be verified ([`SavedRun::check_inputs`] lets it pass).
    pub fn inputs_warning(&self) -> Option<String> {
        if self.record.inputs.is_some() {
            return None;
        }
        let from_files = self.uses_folder || self.record.overrides.iter().any(|o| o.contains('@'));
        from_files.then(|| format!(
            "warning: {} does not record the values of the run's inputs (written by gfnc {}): gfnc cannot verify that its load() tables and --set @files are unchanged",
            self.run_json.display(),
            self.record.gfnc_version
        ))
    }

    /// The inputs of the environment rebuilt now, refused when a param's or const's value
    /// differs from the one the run was trained with (a `--set W=@file` file or a `load`ed
    /// table changed); a record of an older gfnc, without inputs, is let through (see
    /// [`SavedRun::inputs_warning`]).
    pub fn check_inputs(&self, model: &crate::hir::Interface) -> Result<Inputs, TrainError> {
        let now = Inputs::of(model);
        let Some(recorded) = &self.record.inputs else {
            return Ok(now);
        };
        let changed = now.changed_since(recorded);
        if changed.is_empty() || !self.source_unchanged {
            return Ok(now);
        }
        let described: Vec<String> = changed
            .iter()
            .map(|name| self.describe_input(name))
            .collect();
        Err(TrainError::Usage(format!(
            "the environment's inputs changed since the run started: {} {} not the value{} the run was trained with; a resumed run would train another environment: restore {}, or start a new run",
            described.join("; "),
            if changed.len() == 1 { "is" } else { "are" },
            if changed.len() == 1 { "" } else { "s" },
            if changed.len() == 1 { "it" } else { "them" },
        )))
    }

    /// `param W` (from the file of `--set W=@/abs/w.csv`), `const T` (a table `load` reads).
    fn describe_input(&self, name: &str) -> String {
        if let Some(param) = name.strip_prefix("param ") {
            let file = self.record.overrides.iter().find_map(|o| {
                let o = Override::parse(o)?;
                (o.name == param)
                    .then_some(o.value)?
                    .strip_prefix('@')
                    .map(str::to_string)
            });
            return match file {
                Some(file) => format!("param `{param}` (read from {file})"),
                None => format!("param `{param}`"),
            };
        }
        let Some(constant) = name.strip_prefix("const ") else {
            return name.to_string();
        };
        match self.loads.iter().find(|(n, _)| n == constant) {
            Some((_, file)) => format!(
                "const `{constant}` (the table load(\"{file}\") reads, {})",
                self.folder_note()
            ),
            None => format!("const `{constant}` (computed from a loaded table)"),
        }
    }

    /// A trainer with the run's checkpoint loaded (verified), to draw from: `env` must be
    /// the environment rebuilt from [`SavedRun::source`] and checked against
    /// [`SavedRun::check_inputs`].
    pub fn trainer<'e>(
        &self,
        env: &'e Environment,
        dag: Option<Dag>,
    ) -> Result<Trainer<'e>, TrainError> {
        let load = || {
            let mut trainer = Trainer::new(env, self.record.config.clone(), dag)?;
            let hash = rundir::source_hash(&self.source, &self.record.overrides);
            rundir::read_checkpoint(&self.path, &mut trainer, &hash)?;
            Ok(trainer)
        };
        load().map_err(|e| self.adjust_error(e))
    }
}

/// The source of a saved run (`env.gfn`), or its `test_set.txt`: read through the source size
/// cap, regular files only (a link to a device or a FIFO is refused without blocking).
pub(super) fn read_run_source(path: &Path) -> Result<String, TrainError> {
    crate::files::read_text_bounded(path, SOURCE_CAP)
        .map_err(|e| TrainError::Usage(format!("cannot read {}: {e}", path.display())))
}

/// `const NAME = load("PATH")` on one line: (NAME, PATH).
fn load_item(line: &str) -> Option<(String, String)> {
    let (name, value) = line.trim().strip_prefix("const ")?.split_once('=')?;
    let path = value
        .trim()
        .strip_prefix("load(")?
        .trim()
        .strip_prefix('"')?;
    let (path, _) = path.split_once('"')?;
    Some((name.trim().to_string(), path.to_string()))
}

/// The folder `load` and scorers of a saved run are relative to: the original file's, when
/// the record has it (older runs: the run directory).
fn record_folder(record: &RunRecord, run_dir: &Path) -> PathBuf {
    record
        .folder
        .as_ref()
        .map_or_else(|| run_dir.to_path_buf(), PathBuf::from)
}
