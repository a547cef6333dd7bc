//! A training session in a run directory, as `gfnc run` has it and a program using the library
//! can: [`Session::start`] a new run, or [`SavedRun::open`] a saved one, rebuild its
//! environment and [`Session::resume`] it; then [`Session::run`] trains to the target step,
//! evaluating and checkpointing every `eval_every` steps, and draws the samples. A session
//! never prints: progress, evaluations and notes go to an [`Observer`], and a stop flag
//! (Ctrl-C, SIGTERM) ends it cleanly with its checkpoint saved.
//!
//! ```
//! use gfnc::train::rundir::RunDir;
//! use gfnc::train::saved::SavedRun;
//! use gfnc::train::session::{Continuation, Ending, Explored, Length, Limits, NewRun, Session};
//! use gfnc::train::Config;
//! use std::path::Path;
//! use std::sync::{atomic::AtomicBool, Arc};
//!
//! let source = "env tiny
//! state { n: 0..4 }
//! action inc when n < 3 { n += 1 }
//! stop
//! reward float(n) + 1";
//! let checked = gfnc::validate(source, &[]).expect("a valid program");
//! let out = std::env::temp_dir().join(format!("gfnc-session-{}", std::process::id()));
//! let dir = RunDir::create(&out, true).expect("a run directory");
//! let run = NewRun {
//!     file: Path::new("tiny.gfn"),
//!     source,
//!     folder: Path::new("."),
//!     overrides: &[],
//!     config: Config { steps: 100, eval_every: 50, hidden: 16, ..Config::default() },
//!     limits: Limits { samples: Some(10), ..Limits::default() },
//!     test_set: None,
//! };
//! let explored = Explored { dag: checked.dag, partial_reason: None };
//! let mut session = Session::start(&checked.env, explored, dir, run).expect("started");
//! let stop = Arc::new(AtomicBool::new(false));
//! let ending = session.run(&mut (), stop.clone()).expect("trained");
//! assert!(matches!(ending, Ending::Finished(m) if m.step == 100));
//! drop(session); // releases the directory's lock
//!
//! // Resume to step 150: the environment is rebuilt from the saved source by the caller,
//! // which reports its diagnostics as it likes.
//! let saved = SavedRun::open(&out, Limits::default()).expect("a saved run");
//! let again = gfnc::validate_in(saved.source(), &saved.overrides(), saved.folder(),
//!     &gfnc::Checks::default(), &mut |_, _| {}).expect("the same program");
//! let config = Length { steps: Some(150), trajectories: None }
//!     .apply(saved.record().config.clone())
//!     .expect("a valid length");
//! let explored = Explored { dag: again.dag, partial_reason: None };
//! let continuation = Continuation { config, recipe_flags: Vec::new() };
//! let mut session = Session::resume(saved, &again.env, explored, continuation).expect("resumed");
//! session.run(&mut (), stop).expect("trained on");
//! assert_eq!(session.rows().iter().map(|r| r.step).collect::<Vec<_>>(), [50, 100, 150]);
//! # drop(session);
//! # let _ = std::fs::remove_dir_all(&out);
//! ```

use super::rundir::{self, Inputs, RunDir, RunRecord};
use super::saved::{read_run_source, SavedRun};
use super::{Config, Metrics, TrainError, Trainer};
use crate::check::Override;
use crate::env::dag::Dag;
use crate::env::Environment;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The copy of `--test-set FILE` in the run directory, read again on resume.
pub const TEST_SET: &str = "test_set.txt";

/// Objects drawn into samples.csv when the run does not say how many.
pub const DEFAULT_SAMPLES: usize = 1000;

/// What a run keeps beside its configuration, as given (`None`: not given; a resumed run then
/// keeps its own).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// `--max-states`: the exploration budget in reachable states.
    pub max_states: Option<usize>,
    /// `--max-memory`, in MB.
    pub max_memory_mb: Option<usize>,
    /// `--samples`: objects drawn at the end of the run (default [`DEFAULT_SAMPLES`]).
    pub samples: Option<usize>,
}

/// The length of a run as given: `--steps` or `--trajectories` (not both), or neither.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Length {
    /// Training iterations.
    pub steps: Option<usize>,
    /// Trajectories, rounded up to whole iterations.
    pub trajectories: Option<usize>,
}

impl Length {
    /// `config` with this length, checked.
    pub fn apply(self, mut config: Config) -> Result<Config, TrainError> {
        if self.steps.is_some() && self.trajectories.is_some() {
            return Err(TrainError::Usage(
                "give --steps or --trajectories, not both".to_string(),
            ));
        }
        if let Some(steps) = self.steps {
            config.steps = steps;
        }
        if let Some(trajectories) = self.trajectories {
            config.steps = steps_for(trajectories, config.trajectories_per_step())?;
        }
        config.validate().map_err(TrainError::Usage)?;
        Ok(config)
    }
}

/// Iterations for `--trajectories` (at least one whole batch each).
fn steps_for(trajectories: usize, batch: usize) -> Result<usize, TrainError> {
    if trajectories == 0 {
        return Err(TrainError::Usage(
            "--trajectories must be at least 1".to_string(),
        ));
    }
    Ok(trajectories.div_ceil(batch.max(1)))
}

/// The saved configuration with the recipe flags given on `--resume` (`--explore 0.1` and so
/// on, as given): those flags take their values from `given`.
pub fn with_recipe(saved: &Config, given: &Config, recipe_flags: &[String]) -> Config {
    if recipe_flags.is_empty() {
        return saved.clone();
    }
    let has = |flag: &str| recipe_flags.iter().any(|f| f.starts_with(flag));
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

/// `1.2 GB`, `35 MB`.
fn bytes_text(bytes: f64) -> String {
    if bytes >= 1e9 {
        format!("{:.1} GB", bytes / 1e9)
    } else {
        format!("{:.0} MB", (bytes / 1e6).ceil())
    }
}

/// Refuse a run whose memory, estimated from the network and the batch of trajectories (of up
/// to `longest` actions), is beyond `max_bytes`: better a figure and a flag now than an abort
/// later. The error says what to lower.
pub fn check_memory(
    env: &Environment,
    config: &Config,
    longest: usize,
    max_bytes: usize,
) -> Result<(), String> {
    let shape = super::policy::PolicyShape::for_run(env, config);
    let estimate = super::estimated_bytes(&shape, config, longest + 1);
    if estimate > max_bytes as f64 {
        if let Some(transformer) = &shape.transformer {
            return Err(format!(
                "this run would need about {} (a transformer over {} tokens × --d-model {} × --layers {} with --heads {}, --batch {} trajectories of up to {} states); the limit is {}: lower --d-model, --layers or --batch, use --policy mlp, or raise --max-memory",
                bytes_text(estimate),
                transformer.tokens.tokens + 1,
                config.d_model,
                config.layers,
                config.heads,
                config.batch,
                longest + 1,
                bytes_text(max_bytes as f64)
            ));
        }
    }
    if estimate > max_bytes as f64 && shape.inputs > 100_000 {
        return Err(format!(
            "this run would need about {}: the state's one-hot encoding has {} features (an integer field is encoded one feature per value of its range); narrow the ranges of the state's fields",
            bytes_text(estimate),
            shape.inputs
        ));
    }
    if estimate > max_bytes as f64 {
        return Err(format!(
            "this run would need about {} (a network of {} inputs × --hidden {} × --layers {} with {} actions, --batch {} trajectories of up to {} states); the limit is {}: lower --hidden, --layers or --batch, or raise --max-memory",
            bytes_text(estimate),
            shape.inputs,
            config.hidden,
            config.layers,
            shape.actions,
            config.batch,
            longest + 1,
            bytes_text(max_bytes as f64)
        ));
    }
    Ok(())
}

/// The reachable graph as the environment's checks left it.
pub struct Explored {
    /// The whole DAG, when it fit the budget (exact metrics).
    pub dag: Option<Dag>,
    /// Otherwise why not (`reachable states > 1000000`).
    pub partial_reason: Option<String>,
}

/// A new run, as asked for.
pub struct NewRun<'a> {
    /// The `.gfn` file, as given (recorded in run.json).
    pub file: &'a Path,
    /// Its text, copied into the run directory as `env.gfn`.
    pub source: &'a str,
    /// The folder its `load` paths and scorers are relative to.
    pub folder: &'a Path,
    /// The `--set` overrides applied.
    pub overrides: &'a [Override],
    /// The configuration, its length applied ([`Length::apply`]).
    pub config: Config,
    /// Limits as given, recorded so that a resumed run keeps them.
    pub limits: Limits,
    /// The objects of the correlation metrics, when given.
    pub test_set: Option<TestSet>,
}

/// `--test-set FILE`: its text (one object a line), copied into the run directory.
pub struct TestSet {
    /// What an error in it names (`--test-set objects.txt`).
    pub label: String,
    /// The file's text.
    pub text: String,
}

/// How a resumed run goes on.
pub struct Continuation {
    /// The saved configuration with the recipe flags and the length given now
    /// ([`with_recipe`], [`Length::apply`]).
    pub config: Config,
    /// The recipe flags given, as `--explore 0.1`: recorded in run.json's `recipe_changes`.
    pub recipe_flags: Vec<String>,
}

/// What a session tells while it runs; every method does nothing unless overridden.
pub trait Observer {
    /// A training step finished; `step` is the number done.
    fn stepped(&mut self, step: usize) {
        let _ = step;
    }
    /// An evaluation, saved with its checkpoint: its figures, the loss of the step before it
    /// and the trajectories per second trained so far.
    fn evaluated(&mut self, metrics: &Metrics, loss: f64, rate: f64) {
        let _ = (metrics, loss, rate);
    }
    /// A line for the user (`note: ...`).
    fn note(&mut self, text: &str) {
        let _ = text;
    }
    /// Training is over (finished or stopped): what follows is the final evaluation and the
    /// samples.
    fn trained(&mut self) {}
}

/// An observer that hears nothing.
impl Observer for () {}

/// How [`Session::run`] ended.
#[derive(Clone, Debug)]
pub enum Ending {
    /// Trained to the target step; samples.csv and the final run.json are written. The last
    /// evaluation.
    Finished(Metrics),
    /// Stopped by the flag while training, the checkpoint saved: the figures so far.
    Stopped(Metrics),
    /// Stopped by the flag while drawing the samples, the checkpoint saved: no samples.csv
    /// and no final record (a resume draws them).
    StoppedDrawing,
}

/// A run in its directory: the trainer, the record and the metrics rows.
pub struct Session<'e> {
    dir: RunDir,
    record: RunRecord,
    /// Whether run.json describes this session yet (a resumed run's is written with its
    /// first checkpoint).
    record_written: bool,
    trainer: Trainer<'e>,
    rows: Vec<Metrics>,
    /// A resumed run that had finished and has nothing more to do.
    complete: bool,
}

impl<'e> Session<'e> {
    /// A new run in `dir` (from [`RunDir::create`]) on `env`, checked as `gfnc check` does:
    /// writes `env.gfn`, the test set and `run.json`.
    pub fn start(
        env: &'e Environment,
        explored: Explored,
        dir: RunDir,
        run: NewRun,
    ) -> Result<Session<'e>, TrainError> {
        let overrides: Vec<String> = run
            .overrides
            .iter()
            .map(|o| format!("{}={}", o.name, absolute_table(&o.value)))
            .collect();
        let record = RunRecord {
            gfnc_version: env!("CARGO_PKG_VERSION").to_string(),
            format: rundir::FORMAT,
            env: env.name().to_string(),
            file: run.file.display().to_string(),
            source_hash: rundir::source_hash(run.source, &overrides),
            overrides,
            params: param_values(env),
            config: run.config.clone(),
            exact: explored.partial_reason.is_none(),
            exact_reason: explored.partial_reason.clone(),
            final_metrics: None,
            max_states: run.limits.max_states,
            max_memory_mb: run.limits.max_memory_mb,
            samples: run.limits.samples,
            folder: std::path::absolute(run.folder)
                .ok()
                .map(|f| f.display().to_string()),
            inputs: Some(Inputs::of(&env.program.interface)),
            recipe_changes: Vec::new(),
        };
        dir.write_file("env.gfn", run.source)?;
        let mut trainer = Trainer::new(env, run.config, explored.dag)?;
        if let Some(test_set) = &run.test_set {
            let objects = env
                .parse_objects(&test_set.text)
                .map_err(|e| TrainError::Usage(format!("{}: {e}", test_set.label)))?;
            trainer.set_test_set(objects);
            dir.write_file(TEST_SET, &test_set.text)?;
        }
        dir.write_record(&record)?;
        Ok(Session {
            dir,
            record,
            record_written: true,
            trainer,
            rows: Vec::new(),
            complete: false,
        })
    }

    /// A saved run ([`SavedRun::open`]) going on with `continuation`, on `env` rebuilt from its
    /// source (with [`SavedRun::folder`], [`SavedRun::overrides`] and its budget). Refused when
    /// the inputs changed ([`SavedRun::check_inputs`]) or the checkpoint does not verify;
    /// nothing is written until the first checkpoint of the resumed run.
    pub fn resume(
        mut saved: SavedRun,
        env: &'e Environment,
        explored: Explored,
        continuation: Continuation,
    ) -> Result<Session<'e>, TrainError> {
        let inputs = saved.check_inputs(&env.program.interface)?;
        let Continuation {
            config,
            recipe_flags,
        } = continuation;
        let mut trainer =
            Trainer::new(env, config.clone(), explored.dag).map_err(|e| saved.adjust_error(e))?;
        let test_set = saved.path.join(TEST_SET);
        if test_set.is_file() {
            let objects = env
                .parse_objects(&read_run_source(&test_set)?)
                .map_err(|e| TrainError::Usage(format!("{}: {e}", test_set.display())))?;
            trainer.set_test_set(objects);
        }
        let dir = saved.dir.take().ok_or_else(|| {
            TrainError::Internal("a run read to draw from cannot be resumed".to_string())
        })?;
        let hash = rundir::source_hash(saved.source(), &saved.record.overrides);
        let mut record = saved.record;
        let rows = dir.load(&mut trainer, &hash)?;
        // A run stopped while drawing its samples (or before writing its record) still has
        // its ending to do, even at its last step.
        let finished = record.final_metrics.is_some() && saved.path.join("samples.csv").is_file();
        let complete = trainer.step >= config.steps && finished;
        record.config = config;
        if !recipe_flags.is_empty() {
            record.recipe_changes.push(rundir::RecipeChange {
                step: trainer.step,
                flags: recipe_flags,
            });
        }
        record.final_metrics = None;
        // Exactness follows this exploration (its --max-states may differ from the first run's).
        record.exact = explored.partial_reason.is_none();
        record.exact_reason = explored.partial_reason;
        // A record without inputs (an older gfnc) gets them now: from here on they are checked.
        record.inputs = Some(inputs);
        Ok(Session {
            dir,
            record,
            record_written: false,
            trainer,
            rows,
            complete,
        })
    }

    /// Whether the run was resumed at its target step with its samples drawn: nothing to do.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The run directory.
    pub fn dir(&self) -> &RunDir {
        &self.dir
    }

    /// The record: the configuration, why metrics are not exact, the limits.
    pub fn record(&self) -> &RunRecord {
        &self.record
    }

    /// The run's configuration (with the recipe and length it goes on with).
    pub fn config(&self) -> &Config {
        &self.record.config
    }

    /// The trainer: its step, policy, environment.
    pub fn trainer(&self) -> &Trainer<'e> {
        &self.trainer
    }

    /// The metrics rows so far (metrics.csv).
    pub fn rows(&self) -> &[Metrics] {
        &self.rows
    }

    /// Checkpoint the trainer and the rows (a resumed run's record is written with its first
    /// checkpoint: a run that fails before it leaves run.json as the checkpoint it kept
    /// describes it).
    fn save(&mut self) -> Result<(), TrainError> {
        if !self.record_written {
            self.dir.write_record(&self.record)?;
            self.record_written = true;
        }
        self.dir
            .save(&self.trainer, &self.rows, &self.record.source_hash)
    }

    /// Train to the target step: evaluate and checkpoint every `eval_every` steps, stop
    /// cleanly when `stop` is raised (checked between steps and inside evaluations), then
    /// draw samples.csv and write the final record.
    pub fn run(
        &mut self,
        observer: &mut dyn Observer,
        stop: Arc<AtomicBool>,
    ) -> Result<Ending, TrainError> {
        let config = self.record.config.clone();
        self.trainer.set_stop(stop.clone());
        let mut last: Option<Metrics> = None;
        let mut stopped_early = false;
        let mut skipped_told = false;
        // A run stopped inside the evaluation of its last step: that evaluation first, so that
        // the rows are an uninterrupted run's.
        let due = self.trainer.step > 0
            && self.trainer.step < config.steps
            && self.trainer.step.is_multiple_of(config.eval_every)
            && self.rows.last().map(|r| r.step) != Some(self.trainer.step);
        if due {
            match self.trainer.evaluate() {
                Ok(metrics) => {
                    self.rows.push(metrics.clone());
                    self.save()?;
                    last = Some(metrics);
                }
                Err(TrainError::Interrupted) => stopped_early = true,
                Err(e) => return Err(e),
            }
        }
        while self.trainer.step < config.steps && !stopped_early {
            if stop.load(Ordering::SeqCst) {
                stopped_early = true;
                break;
            }
            let loss = self.trainer.train_step()?;
            observer.stepped(self.trainer.step);
            let rate = self.trainer.trajectories as f64 / self.trainer.seconds.max(1e-9);
            if self.trainer.step.is_multiple_of(config.eval_every)
                || self.trainer.step == config.steps
            {
                let metrics = match self.trainer.evaluate() {
                    Ok(metrics) => metrics,
                    Err(TrainError::Interrupted) => {
                        stopped_early = true;
                        break;
                    }
                    Err(e) => return Err(e),
                };
                if let (Some(why), false) = (self.trainer.correlations_skipped(), skipped_told) {
                    skipped_told = true;
                    observer.note(&format!(
                        "note: {why} ({} s, --correlation-seconds): the test-set correlations are skipped for the rest of this run (a smaller --test-size or --test-samples makes them cheaper)",
                        config.correlation_seconds
                    ));
                }
                observer.evaluated(&metrics, loss, rate);
                self.rows.push(metrics.clone());
                self.save()?;
                last = Some(metrics);
            }
        }
        observer.trained();
        let step = self.trainer.step;
        let final_metrics = match (last, self.rows.last()) {
            (Some(m), _) if m.step == step => m,
            (_, Some(m)) if m.step == step => m.clone(),
            // Stopped between evaluations: checkpoint without an evaluation row, so that the
            // resumed run's rows and loss windows are the uninterrupted run's.
            _ if stopped_early => {
                self.save()?;
                self.trainer.peek_quickly()?
            }
            _ => {
                let m = self.trainer.evaluate()?;
                self.rows.push(m.clone());
                self.save()?;
                m
            }
        };
        if stopped_early {
            // Stopped by the user: no samples (the flag that stopped training would stop the
            // draw at once); a resume trains on and draws them.
            return Ok(Ending::Stopped(final_metrics));
        }
        let stopped = || stop.load(Ordering::SeqCst);
        let count = self.record.samples.unwrap_or(DEFAULT_SAMPLES);
        let samples = self.trainer.draw(count, config.seed ^ 0x5a5a, &stopped)?;
        if stopped() {
            // No partial samples.csv, no final record; a resume draws them.
            return Ok(Ending::StoppedDrawing);
        }
        let exact = self.record.exact_reason.is_none();
        let env = self.trainer.env;
        self.dir.write_file(
            "samples.csv",
            &super::tables::samples_csv(env, &samples, exact),
        )?;
        self.record.final_metrics = Some(final_metrics.clone());
        self.dir.write_record(&self.record)?;
        Ok(Ending::Finished(final_metrics))
    }
}

fn param_values(env: &Environment) -> serde_json::Map<String, serde_json::Value> {
    env.program
        .interface
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
