//! `gfnc run FILE`: train a sampler, show progress and exact figures, save the run; and
//! `gfnc sample DIR`: draw objects from a saved run. The run directory itself (record,
//! checkpoints, lock) is the library's [`gfnc::train::rundir`].

use super::run_report::*;
use super::{read_source, Failure, Output};
use gfnc::env::dag::Dag;
use gfnc::env::{Environment, Workspace};
use gfnc::train::policy::{Policy, PolicyShape};
use gfnc::train::rundir::{self, Inputs, RunDir, RunRecord};
use gfnc::train::{Config, Metrics, TrainError, Trainer};
use gfnc::Override;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A run as asked for on the command line.
pub struct RunOptions {
    pub file: Option<PathBuf>,
    pub overrides: Vec<Override>,
    /// The configuration of a new run (defaults filled in).
    pub config: Config,
    /// Flags that set the configuration, named as given: refused with `--resume`.
    pub config_flags: Vec<&'static str>,
    /// Flags that set the recipe (see `Config::without_recipe`), as given: a resumed run
    /// takes them.
    pub recipe_flags: Vec<String>,
    /// `--steps`, when given.
    pub steps: Option<usize>,
    pub trajectories: Option<usize>,
    pub out: Option<PathBuf>,
    pub force: bool,
    pub resume: Option<PathBuf>,
    pub json: bool,
    pub quiet: bool,
    /// `--samples`, when given (default 1000; a resumed run keeps its own).
    pub samples: Option<usize>,
    /// `--test-set FILE`: the objects of the correlation metrics.
    pub test_set: Option<PathBuf>,
    /// `--max-states` and `--max-memory` as given, so that a resumed run keeps its own.
    pub max_states: Option<usize>,
    pub max_memory_mb: Option<usize>,
    pub checks: gfnc::Checks,
}

/// The copy of `--test-set FILE` in the run directory, read again on resume.
const TEST_SET: &str = "test_set.txt";

/// Objects drawn into samples.csv when `--samples` is not given.
const DEFAULT_SAMPLES: usize = 1000;

/// A run directory that cannot be opened or read: a usage error naming it.
fn directory_failure(e: TrainError) -> Failure {
    match e {
        TrainError::Checkpoint(m) => {
            Failure::Usage(format!("the run directory cannot be used: {m}"))
        }
        other => Failure::Usage(other.to_string()),
    }
}

/// `runs/ENV-N` for the first N not taken; created here so that two runs never pick one.
pub(super) fn default_out_dir(env: &str) -> Result<PathBuf, Failure> {
    std::fs::create_dir_all("runs")
        .map_err(|e| Failure::Usage(format!("cannot create runs/: {e}")))?;
    for n in 1..100_000 {
        let dir = PathBuf::from("runs").join(format!("{env}-{n}"));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(Failure::Usage(format!(
                    "cannot create {}: {e}",
                    dir.display()
                )))
            }
        }
    }
    Err(Failure::Usage("runs/ is full: pass --out".to_string()))
}

fn param_values(env: &Environment) -> serde_json::Map<String, serde_json::Value> {
    env.program
        .model
        .params
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                serde_json::Value::String(p.value.to_string()),
            )
        })
        .collect()
}

/// The environment, checked as `gfnc check` does: its DAG when the reachable graph fits the
/// budget (exact metrics), else why not, and the longest trajectory seen.
pub(super) struct Checked {
    pub(super) env: Environment,
    pub(super) dag: Option<Dag>,
    partial_reason: Option<String>,
    longest: usize,
}

pub(super) fn environment(
    output: &Output,
    (path, folder): (&Path, &Path),
    source: &str,
    overrides: &[Override],
    checks: &gfnc::Checks,
    adjust: &dyn Fn(&mut gfnc::Diagnostic),
) -> Result<Checked, Failure> {
    let validated = super::validate_in(output, (path, folder), source, overrides, checks, adjust)?;
    let longest = match (&validated.dag, &validated.partial) {
        (Some(dag), _) => dag.max_len as usize,
        (None, Some(partial)) => partial.probe.as_ref().map_or(0, |p| p.longest),
        _ => 0,
    };
    Ok(Checked {
        env: validated.env,
        dag: validated.dag,
        partial_reason: validated.partial.map(|p| p.overflow.reason),
        longest,
    })
}

/// `1.2 GB`, `35 MB`.
fn bytes_text(bytes: f64) -> String {
    if bytes >= 1e9 {
        format!("{:.1} GB", bytes / 1e9)
    } else {
        format!("{:.0} MB", (bytes / 1e6).ceil())
    }
}

/// Refuse a run whose memory, estimated from the network and the batch of trajectories, is
/// beyond `--max-memory`: better a figure and a flag now than an abort later.
pub(super) fn check_memory(
    checked: &Checked,
    config: &Config,
    max_bytes: usize,
) -> Result<(), Failure> {
    let shape = PolicyShape::for_run(&checked.env, config);
    let estimate = gfnc::train::estimated_bytes(&shape, config, checked.longest + 1);
    if estimate > max_bytes as f64 {
        if let Some(transformer) = &shape.transformer {
            return Err(Failure::Usage(format!(
                "this run would need about {} (a transformer over {} tokens × --d-model {} × --layers {} with --heads {}, --batch {} trajectories of up to {} states); the limit is {}: lower --d-model, --layers or --batch, use --policy mlp, or raise --max-memory",
                bytes_text(estimate),
                transformer.tokens.tokens + 1,
                config.d_model,
                config.layers,
                config.heads,
                config.batch,
                checked.longest + 1,
                bytes_text(max_bytes as f64)
            )));
        }
    }
    if estimate > max_bytes as f64 && shape.inputs > 100_000 {
        return Err(Failure::Usage(format!(
            "this run would need about {}: the state's one-hot encoding has {} features (an integer field is encoded one feature per value of its range); narrow the ranges of the state's fields",
            bytes_text(estimate),
            shape.inputs
        )));
    }
    if estimate > max_bytes as f64 {
        return Err(Failure::Usage(format!(
            "this run would need about {} (a network of {} inputs × --hidden {} × --layers {} with {} actions, --batch {} trajectories of up to {} states); the limit is {}: lower --hidden, --layers or --batch, or raise --max-memory",
            bytes_text(estimate),
            shape.inputs,
            config.hidden,
            config.layers,
            shape.actions,
            config.batch,
            checked.longest + 1,
            bytes_text(max_bytes as f64)
        )));
    }
    Ok(())
}

pub fn run(
    output: &Output,
    options: RunOptions,
    interrupted: Arc<AtomicBool>,
) -> Result<(), Failure> {
    if options.steps.is_some() && options.trajectories.is_some() {
        return Err(Failure::Usage(
            "give --steps or --trajectories, not both".to_string(),
        ));
    }
    match &options.resume {
        Some(dir) => resume(output, &options, dir, interrupted),
        None => start(output, &options, interrupted),
    }
}

/// A configuration with the run's length from `--steps` or `--trajectories`, checked.
/// The saved configuration with the recipe flags given on `--resume`.
fn with_recipe(saved: &Config, options: &RunOptions) -> Config {
    if options.recipe_flags.is_empty() {
        return saved.clone();
    }
    let given = &options.config;
    let has = |flag: &str| options.recipe_flags.iter().any(|f| f.starts_with(flag));
    let mut config = saved.clone();
    if has("--explore ") {
        (config.explore, config.explore_end) = (given.explore, given.explore_end);
    }
    if has("--temperature ") {
        (config.temperature, config.temperature_end) = (given.temperature, given.temperature_end);
    }
    if has("--reward-exponent ") {
        (config.reward_exponent, config.reward_exponent_end) =
            (given.reward_exponent, given.reward_exponent_end);
    }
    if has("--anneal ") {
        config.anneal = given.anneal;
    }
    if has("--replay ") {
        config.replay = given.replay;
    }
    if has("--replay-keep ") {
        config.replay_keep = given.replay_keep;
    }
    if has("--local-search ") {
        config.local_search = given.local_search;
    }
    if has("--lr-schedule ") {
        config.lr_schedule = given.lr_schedule;
    }
    if has("--warmup ") {
        config.warmup = given.warmup;
    }
    config
}

fn with_length(mut config: Config, options: &RunOptions) -> Result<Config, Failure> {
    if let Some(steps) = options.steps {
        config.steps = steps;
    }
    if let Some(trajectories) = options.trajectories {
        config.steps = steps_for(trajectories, config.trajectories_per_step())?;
    }
    config.validate().map_err(Failure::Usage)?;
    Ok(config)
}

/// Iterations for `--trajectories` (at least one whole batch each).
fn steps_for(trajectories: usize, batch: usize) -> Result<usize, Failure> {
    if trajectories == 0 {
        return Err(Failure::Usage(
            "--trajectories must be at least 1".to_string(),
        ));
    }
    Ok(trajectories.div_ceil(batch.max(1)))
}

fn start(
    output: &Output,
    options: &RunOptions,
    interrupted: Arc<AtomicBool>,
) -> Result<(), Failure> {
    let path = options
        .file
        .clone()
        .ok_or_else(|| Failure::Usage("give a .gfn file or --resume DIR".to_string()))?;
    let source = read_source(&path)?;
    let config = with_length(options.config.clone(), options)?;
    // Refuse an unusable --out before exploring, which may take a while.
    if let Some(out) = &options.out {
        RunDir::check_available(out, options.force).map_err(|e| fail(output, &path, &source, e))?;
    }
    let folder = super::folder_of(&path);
    let checked = environment(
        output,
        (&path, &folder),
        &source,
        &options.overrides,
        &options.checks,
        &|_| {},
    )?;
    check_memory(&checked, &config, options.checks.budget.max_bytes)?;
    let out = match &options.out {
        Some(dir) => dir.clone(),
        None => default_out_dir(checked.env.name())?,
    };
    let failure = |e: TrainError| fail(output, &path, &source, e);
    let dir = RunDir::create(&out, options.force).map_err(failure)?;
    let overrides: Vec<String> = options
        .overrides
        .iter()
        .map(|o| format!("{}={}", o.name, absolute_table(&o.value)))
        .collect();
    let record = RunRecord {
        gfnc_version: env!("CARGO_PKG_VERSION").to_string(),
        format: rundir::FORMAT,
        env: checked.env.name().to_string(),
        file: path.display().to_string(),
        source_hash: rundir::source_hash(&source, &overrides),
        overrides,
        params: param_values(&checked.env),
        config: config.clone(),
        exact: checked.partial_reason.is_none(),
        exact_reason: checked.partial_reason.clone(),
        final_metrics: None,
        max_states: options.max_states,
        max_memory_mb: options.max_memory_mb,
        samples: options.samples,
        folder: std::path::absolute(&folder)
            .ok()
            .map(|f| f.display().to_string()),
        inputs: Some(Inputs::of(&checked.env.program.model)),
        recipe_changes: Vec::new(),
    };
    dir.write_file("env.gfn", &source).map_err(failure)?;
    let mut trainer = Trainer::new(&checked.env, config, checked.dag).map_err(failure)?;
    if let Some(file) = &options.test_set {
        let text = read_source(file)?;
        let objects = checked
            .env
            .parse_objects(&text)
            .map_err(|e| Failure::Usage(format!("--test-set {}: {e}", file.display())))?;
        trainer.set_test_set(objects);
        dir.write_file(TEST_SET, &text).map_err(failure)?;
    }
    dir.write_record(&record).map_err(failure)?;
    train(
        output,
        options,
        &dir,
        (record, true),
        trainer,
        Vec::new(),
        (&path, &source),
        interrupted,
    )
}

fn resume(
    output: &Output,
    options: &RunOptions,
    dir_path: &Path,
    interrupted: Arc<AtomicBool>,
) -> Result<(), Failure> {
    // A resumed run is the saved one: flags that would change it are refused, not ignored.
    let mut conflicting: Vec<&str> = options.config_flags.clone();
    if options.file.is_some() {
        conflicting.push("FILE");
    }
    if !options.overrides.is_empty() {
        conflicting.push("--set");
    }
    if options.out.is_some() {
        conflicting.push("--out");
    }
    if options.force {
        conflicting.push("--force");
    }
    if !conflicting.is_empty() {
        return Err(Failure::Usage(format!(
            "{} cannot change a run on --resume (it keeps the settings in {}); --steps or --trajectories extend it, and the recipe flags (--explore, --temperature, --reward-exponent, --anneal, --replay, --replay-keep, --local-search, --lr-schedule, --warmup) change how it goes on. Start a new run to change the others",
            conflicting.join(", "),
            dir_path.join("run.json").display()
        )));
    }
    // Nothing in the directory is written before its checkpoint is verified and the trainer
    // built from it: a refused resume leaves the run as it was.
    let dir = RunDir::open(dir_path).map_err(directory_failure)?;
    let mut record = dir.read_record().map_err(directory_failure)?;
    let path = dir_path.join("env.gfn");
    let source = read_run_source(&path)?;
    let config = with_length(with_recipe(&record.config, options), options)?;
    let overrides: Vec<Override> = record
        .overrides
        .iter()
        .filter_map(|o| Override::parse(o))
        .collect();
    // The run's own budget and sample count, unless given again.
    record.max_states = options.max_states.or(record.max_states);
    record.max_memory_mb = options.max_memory_mb.or(record.max_memory_mb);
    record.samples = options.samples.or(record.samples);
    let mut checks = options.checks;
    if let Some(n) = record.max_states {
        checks.budget.max_states = n;
    }
    if let Some(mb) = record.max_memory_mb {
        checks.budget.max_bytes = mb.saturating_mul(1_000_000);
    }
    let saved = SavedRun::new(&record, dir_path, &source);
    saved.warn_if_folder_missing();
    let checked = environment(
        output,
        (&path, &saved.folder),
        &source,
        &overrides,
        &checks,
        &|d| saved.adjust(d),
    )?;
    let model = &checked.env.program.model;
    let inputs = saved.check_inputs(model)?;
    let failure = |e: TrainError| fail(output, &path, &source, saved.adjust_error(e));
    let mut trainer = Trainer::new(&checked.env, config.clone(), checked.dag).map_err(failure)?;
    let test_set = dir_path.join(TEST_SET);
    if test_set.is_file() {
        let objects = checked
            .env
            .parse_objects(&read_run_source(&test_set)?)
            .map_err(|e| Failure::Usage(format!("{}: {e}", test_set.display())))?;
        trainer.set_test_set(objects);
    }
    let hash = rundir::source_hash(&source, &record.overrides);
    let rows = dir.load(&mut trainer, &hash).map_err(failure)?;
    // A run stopped while drawing its samples (or before writing its record) still has its
    // ending to do, even at its last step.
    let finished = record.final_metrics.is_some() && dir_path.join("samples.csv").is_file();
    if trainer.step >= config.steps && finished {
        let target = match options.trajectories {
            Some(t) => format!(
                "--trajectories {t} is {} steps of {}",
                config.steps, config.batch
            ),
            None => format!("the target is step {}", config.steps),
        };
        warn!(
            "nothing to do: {} is at step {} and {target}; pass a larger --steps (or --trajectories) to train further",
            dir_path.display(),
            trainer.step,
        );
        if options.json {
            say!(
                "{}",
                serde_json::json!({"nothing_to_do": true, "step": trainer.step, "steps": config.steps, "out": dir_path.display().to_string()})
            );
        }
        return Ok(());
    }
    if !options.quiet && !options.json {
        for command in &inputs.scorers {
            warn!(
                "note: the reward calls the scorer `{command}`; gfnc cannot verify that its answers are still those the run was trained with"
            );
        }
    }
    record.config = config;
    if !options.recipe_flags.is_empty() {
        record.recipe_changes.push(rundir::RecipeChange {
            step: trainer.step,
            flags: options.recipe_flags.clone(),
        });
    }
    record.final_metrics = None;
    // Exactness follows this exploration (its --max-states may differ from the first run's).
    record.exact = checked.partial_reason.is_none();
    record.exact_reason = checked.partial_reason.clone();
    // A record without inputs (an older gfnc) gets them now: from here on they are checked.
    record.inputs = Some(inputs);
    // The record is written with the first checkpoint of the resumed run (see `train`).
    train(
        output,
        options,
        &dir,
        (record, false),
        trainer,
        rows,
        (&path, &source),
        interrupted,
    )
}

/// The source of a saved run (`env.gfn`), or its `test_set.txt`: read through the source size
/// cap, regular files only (a link to a device or a FIFO is refused without blocking).
fn read_run_source(path: &Path) -> Result<String, Failure> {
    gfnc::files::read_text_bounded(path, 1 << 20)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))
}

/// A saved run being rebuilt (for `--resume` and `gfnc sample`): where its inputs come from,
/// so that messages name run.json rather than flags never given, and the folder actually read.
struct SavedRun<'r> {
    record: &'r RunRecord,
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

impl<'r> SavedRun<'r> {
    fn new(record: &'r RunRecord, run_dir: &Path, source: &str) -> SavedRun<'r> {
        let folder = record_folder(record, run_dir);
        SavedRun {
            record,
            run_json: run_dir.join("run.json"),
            folder_missing: record.folder.is_some() && !folder.is_dir(),
            folder,
            uses_folder: source.contains("load") || source.contains("extern"),
            loads: source.lines().filter_map(load_item).collect(),
            source_unchanged: rundir::source_hash(source, &record.overrides) == record.source_hash,
        }
    }

    /// Up front: the recorded folder is gone (the project moved), and the source needs it.
    fn warn_if_folder_missing(&self) {
        if self.folder_missing && self.uses_folder {
            warn!(
                "warning: {}, the folder of the trained .gfn file recorded in {}, no longer exists; the run's load() tables and scorers are looked up there",
                self.folder.display(),
                self.run_json.display()
            );
        }
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
    fn adjust(&self, d: &mut gfnc::Diagnostic) {
        let from_overrides = matches!(
            d.code,
            "gfn::check::set_unknown_param"
                | "gfn::check::set_not_a_param"
                | "gfn::check::set_wrong_type"
        );
        if from_overrides {
            let run_json = self.run_json.display();
            d.message = match d.message.strip_prefix("--set ") {
                Some(rest) => format!("{run_json} records the override {rest}"),
                None => format!("{run_json} records an override: {}", d.message),
            };
            d.help = Some(if d.code == "gfn::check::set_unknown_param" {
                "the param was recorded when the run started and no longer exists in env.gfn (run.json or env.gfn was edited): restore them, or start a new run".to_string()
            } else {
                "the override was recorded when the run started (a file after `@` by its absolute path): restore what it names, or start a new run".to_string()
            });
        }
        if matches!(d.code, "gfn::check::load" | "gfn::env::scorer") {
            d.message = format!("{} ({})", d.message, self.folder_note());
        }
    }

    /// A scorer failing while the resumed run trains names the folder it ran in.
    fn adjust_error(&self, error: TrainError) -> TrainError {
        match error {
            TrainError::Env(mut e) if e.code == "gfn::env::scorer" => {
                e.message = format!("{} ({})", e.message, self.folder_note());
                TrainError::Env(e)
            }
            other => other,
        }
    }

    /// The inputs of the environment rebuilt now, refused when a param's or const's value
    /// differs from the one the run was trained with (a `--set W=@file` file or a `load`ed
    /// table changed); a record of an older gfnc, without inputs, is only warned about.
    fn check_inputs(&self, model: &gfnc::Model) -> Result<Inputs, Failure> {
        let now = Inputs::of(model);
        let Some(recorded) = &self.record.inputs else {
            let from_files =
                self.uses_folder || self.record.overrides.iter().any(|o| o.contains('@'));
            if from_files {
                warn!(
                    "warning: {} does not record the values of the run's inputs (written by gfnc {}): gfnc cannot verify that its load() tables and --set @files are unchanged",
                    self.run_json.display(),
                    self.record.gfnc_version
                );
            }
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
        Err(Failure::Usage(format!(
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

/// The training loop shared by new and resumed runs: evaluate and checkpoint every
/// `--eval-every` steps, stop cleanly on Ctrl-C or SIGTERM, write samples and the record.
#[allow(clippy::too_many_arguments)]
fn train(
    output: &Output,
    options: &RunOptions,
    dir: &RunDir,
    (mut record, mut record_written): (RunRecord, bool),
    mut trainer: Trainer,
    mut rows: Vec<Metrics>,
    (path, source): (&Path, &str),
    interrupted: Arc<AtomicBool>,
) -> Result<(), Failure> {
    let failure = |e: TrainError| fail(output, path, source, e);
    let config = record.config.clone();
    let hash = record.source_hash.clone();
    // A resumed run's record is written with its first checkpoint: a run that fails before
    // it leaves run.json as the checkpoint it kept describes it.
    let mut save = |trainer: &Trainer, rows: &[Metrics]| -> Result<(), Failure> {
        if !record_written {
            dir.write_record(&record).map_err(failure)?;
            record_written = true;
        }
        dir.save(trainer, rows, &hash).map_err(failure)
    };
    let env = trainer.env;
    if let (Some(reason), false) = (&record.exact_reason, options.json || options.quiet) {
        warn!(
            "note: no exact metrics ({reason}); the states training visits are checked as it goes (raise --max-states or --max-memory for exact figures)"
        );
    }
    trainer.set_stop(interrupted.clone());
    let bar = progress_bar(options.quiet || options.json, config.steps, trainer.step);
    let mut last: Option<Metrics> = None;
    let mut stopped_early = false;
    let mut skipped_told = false;
    // A run stopped inside the evaluation of its last step: that evaluation first, so that the
    // rows are an uninterrupted run's.
    let due = trainer.step > 0
        && trainer.step < config.steps
        && trainer.step.is_multiple_of(config.eval_every)
        && rows.last().map(|r| r.step) != Some(trainer.step);
    if due {
        match trainer.evaluate() {
            Ok(metrics) => {
                rows.push(metrics.clone());
                save(&trainer, &rows)?;
                last = Some(metrics);
            }
            Err(TrainError::Interrupted) => stopped_early = true,
            Err(e) => return Err(failure(e)),
        }
    }
    while trainer.step < config.steps && !stopped_early {
        if interrupted.load(Ordering::SeqCst) {
            stopped_early = true;
            break;
        }
        let loss = match trainer.train_step() {
            Ok(loss) => loss,
            Err(e) => {
                bar.abandon();
                return Err(diverged(output, path, source, dir, e));
            }
        };
        bar.set_position(trainer.step as u64);
        let rate = trainer.trajectories as f64 / trainer.seconds.max(1e-9);
        if trainer.step.is_multiple_of(config.eval_every) || trainer.step == config.steps {
            let metrics = match trainer.evaluate() {
                Ok(metrics) => metrics,
                Err(TrainError::Interrupted) => {
                    stopped_early = true;
                    break;
                }
                Err(e) => return Err(failure(e)),
            };
            if let (Some(why), false) = (trainer.correlations_skipped(), skipped_told) {
                skipped_told = true;
                bar.suspend(|| {
                    warn!(
                        "note: {why} ({} s): the test-set correlations are skipped for the rest of this run (a smaller --test-size or --test-samples makes them cheaper)",
                        gfnc::train::DEFAULT_CORRELATION_SECONDS
                    )
                });
            }
            bar.set_message(progress_message(&metrics, loss, rate));
            rows.push(metrics.clone());
            save(&trainer, &rows)?;
            last = Some(metrics);
        }
    }
    bar.finish_and_clear();
    let final_metrics = match (last, rows.last()) {
        (Some(m), _) if m.step == trainer.step => m,
        (_, Some(m)) if m.step == trainer.step => m.clone(),
        // Stopped between evaluations: checkpoint without an evaluation row, so that the
        // resumed run's rows and loss windows are the uninterrupted run's.
        _ if stopped_early => {
            save(&trainer, &rows)?;
            trainer.peek_quickly().map_err(failure)?
        }
        _ => {
            let m = trainer.evaluate().map_err(failure)?;
            rows.push(m.clone());
            save(&trainer, &rows)?;
            m
        }
    };
    let exact_reason = record.exact_reason.clone();
    let report = |m: &Metrics| match options.json {
        true => say!(
            "{}",
            final_json(m, &config, dir.path(), exact_reason.as_deref())
        ),
        false => print_summary(env, &config, m, dir.path(), options.quiet),
    };
    if stopped_early {
        // Stopped by the user: the figures so far, then no samples (the flag that stopped
        // training would stop the draw at once); a resume trains on and draws them.
        report(&final_metrics);
        warn!(
            "interrupted after step {}; the checkpoint is saved: gfnc run --resume {} finishes the run",
            trainer.step,
            dir.path().display()
        );
        return Err(Failure::Interrupted);
    }
    let stop = || interrupted.load(Ordering::SeqCst);
    let count = record.samples.unwrap_or(DEFAULT_SAMPLES);
    let samples = trainer
        .draw(count, config.seed ^ 0x5a5a, &stop)
        .map_err(failure)?;
    if stop() {
        // Stopped while drawing: no partial samples.csv, no final record; a resume draws them.
        warn!(
            "interrupted while drawing samples; the checkpoint of step {} is saved: gfnc run --resume {} finishes the run",
            trainer.step,
            dir.path().display()
        );
        return Err(Failure::Interrupted);
    }
    let exact = record.exact_reason.is_none();
    dir.write_file("samples.csv", &samples_csv(env, &samples, exact))
        .map_err(failure)?;
    record.final_metrics = Some(final_metrics.clone());
    dir.write_record(&record).map_err(failure)?;
    // The pictures are a convenience: a run whose curves cannot be drawn has still succeeded.
    if let Err(e) = super::plot::run_curves(dir.path()) {
        warn!("warning: no curves.svg: {e}");
    }
    report(&final_metrics);
    for note in gfnc::train::log_z_warnings(&rows) {
        warn!("warning: {note}");
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SampleFormat {
    Csv,
    Jsonl,
}

/// `gfnc sample DIR`: load a run's checkpoint (verified) and draw objects.
#[allow(clippy::too_many_arguments)]
pub fn sample(
    output: &Output,
    dir: &Path,
    count: usize,
    format: SampleFormat,
    seed: u64,
    max_states: Option<usize>,
    max_memory_mb: Option<usize>,
    checks: &gfnc::Checks,
) -> Result<(), Failure> {
    let record = rundir::read_record(dir).map_err(directory_failure)?;
    // The run's own budget, unless given: the same graph, the same exactness.
    let mut checks = *checks;
    if let Some(n) = max_states.or(record.max_states) {
        checks.budget.max_states = n;
    }
    if let Some(mb) = max_memory_mb.or(record.max_memory_mb) {
        checks.budget.max_bytes = mb.saturating_mul(1_000_000);
    }
    let checks = &checks;
    let path = dir.join("env.gfn");
    let source = read_run_source(&path)?;
    let overrides: Vec<Override> = record
        .overrides
        .iter()
        .filter_map(|o| Override::parse(o))
        .collect();
    let saved = SavedRun::new(&record, dir, &source);
    saved.warn_if_folder_missing();
    let checked = environment(
        output,
        (&path, &saved.folder),
        &source,
        &overrides,
        checks,
        &|d| saved.adjust(d),
    )?;
    saved.check_inputs(&checked.env.program.model)?;
    let exact = checked.dag.is_some();
    let failure = |e: TrainError| fail(output, &path, &source, saved.adjust_error(e));
    let config = record.config.clone();
    let mut trainer = Trainer::new(&checked.env, config.clone(), checked.dag).map_err(failure)?;
    let hash = rundir::source_hash(&source, &record.overrides);
    rundir::read_checkpoint(dir, &mut trainer, &hash).map_err(failure)?;
    let policy: &Policy = &trainer.policy;
    let mut ws = Workspace::new();
    let env = &checked.env;
    if format == SampleFormat::Csv {
        say_raw!("{}", samples_csv(env, &[], exact));
    }
    // Streamed as drawn: `| head` sees the first objects at once and ends the drawing.
    gfnc::train::draw_each(
        env,
        policy,
        trainer.dag.as_ref(),
        (count, seed, gfnc::train::draw_batch(&config)),
        &|| false,
        &mut ws,
        &mut |drawn| match format {
            SampleFormat::Csv => {
                let text = samples_csv(env, drawn, exact);
                say_raw!("{}", text.split_once('\n').map_or("", |(_, rows)| rows));
            }
            SampleFormat::Jsonl => {
                for (state, log_reward, log_p) in drawn {
                    let mut line = serde_json::json!({
                        "state": env.render(state),
                        // The value samples.csv shows, without the last-bit noise of exp(ln r).
                        "reward": super::reward_text(*log_reward).parse::<f64>().ok().filter(|r| r.is_finite() && *r > 0.0),
                        "log_reward": log_reward,
                    });
                    line[probability_column(exact)] = serde_json::json!(log_p);
                    say!("{line}");
                }
            }
        },
    )
    .map_err(failure)?;
    Ok(())
}

/// The folder `load` and scorers of a saved run are relative to: the original file's, when
/// the record has it (older runs: the run directory).
fn record_folder(record: &RunRecord, run_dir: &Path) -> std::path::PathBuf {
    record
        .folder
        .as_ref()
        .map_or_else(|| run_dir.to_path_buf(), std::path::PathBuf::from)
}

/// `@weights.csv` of `--set W=@weights.csv` as an absolute path, so that a resumed run reads
/// the same file from any folder.
fn absolute_table(value: &str) -> String {
    match value.trim().strip_prefix('@') {
        Some(file) => match std::path::absolute(file) {
            Ok(path) => format!("@{}", path.display()),
            Err(_) => value.to_string(),
        },
        None => value.to_string(),
    }
}
