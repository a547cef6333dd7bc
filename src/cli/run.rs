//! `gfnc run FILE`: train a sampler, show progress and exact figures, save the run; and
//! `gfnc sample DIR`: draw objects from a saved run. The session itself (start, resume, the
//! training loop, the run directory) is the library's [`gfnc::train::session`]; this file
//! parses what the flags ask for and prints.

use super::run_report::*;
use super::{read_source, Failure, Output};
use gfnc::env::dag::Dag;
use gfnc::env::{Environment, Workspace};
use gfnc::train::rundir::RunDir;
use gfnc::train::saved::SavedRun;
use gfnc::train::session::{
    Continuation, Ending, Explored, Length, Limits, NewRun, Observer, Session, TestSet,
};
use gfnc::train::{Config, Metrics, TrainError};
use gfnc::Override;
use indicatif::ProgressBar;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
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
    /// `--replay` not given: chosen from the size of the space ([`gfnc::train::auto_replay`]).
    pub replay_auto: bool,
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

/// Refuse a run whose memory is beyond `--max-memory` (see [`gfnc::train::session::check_memory`]).
pub(super) fn check_memory(
    checked: &Checked,
    config: &Config,
    max_bytes: usize,
) -> Result<(), Failure> {
    gfnc::train::session::check_memory(&checked.env, config, checked.longest, max_bytes)
        .map_err(Failure::Usage)
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

impl RunOptions {
    fn length(&self) -> Length {
        Length {
            steps: self.steps,
            trajectories: self.trajectories,
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            max_states: self.max_states,
            max_memory_mb: self.max_memory_mb,
            samples: self.samples,
        }
    }
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
    let mut config = options
        .length()
        .apply(options.config.clone())
        .map_err(|e| fail(output, &path, &source, e))?;
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
    if options.replay_auto {
        let terminals = checked.dag.as_ref().map(|dag| dag.terminal_count());
        config.replay = gfnc::train::auto_replay(terminals, config.batch);
        if config.replay > 0 && !(options.json || options.quiet) {
            warn!(
                "note: replay {} by default on a space of {} terminal objects (--replay 0 turns it off)",
                config.replay,
                terminals.map_or("too many to count".to_string(), |t| format!("{t}"))
            );
        }
    }
    check_memory(&checked, &config, options.checks.budget.max_bytes)?;
    let out = match &options.out {
        Some(dir) => dir.clone(),
        None => default_out_dir(checked.env.name())?,
    };
    let failure = |e: TrainError| fail(output, &path, &source, e);
    let dir = RunDir::create(&out, options.force).map_err(failure)?;
    let test_set = match &options.test_set {
        Some(file) => Some(TestSet {
            label: format!("--test-set {}", file.display()),
            text: read_source(file)?,
        }),
        None => None,
    };
    let new_run = NewRun {
        file: &path,
        source: &source,
        folder: &folder,
        overrides: &options.overrides,
        config,
        limits: options.limits(),
        test_set,
    };
    let explored = Explored {
        dag: checked.dag,
        partial_reason: checked.partial_reason,
    };
    let session = Session::start(&checked.env, explored, dir, new_run).map_err(failure)?;
    train(output, options, session, (&path, &source), interrupted)
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
    let saved = SavedRun::open(dir_path, options.limits()).map_err(directory_failure)?;
    let path = saved.source_path();
    let source = saved.source().to_string();
    let recipe = gfnc::train::session::with_recipe(
        &saved.record().config,
        &options.config,
        &options.recipe_flags,
    );
    let config = options
        .length()
        .apply(recipe)
        .map_err(|e| fail(output, &path, &source, e))?;
    let mut checks = options.checks;
    checks.budget = saved.budget(checks.budget);
    if let Some(warning) = saved.folder_warning() {
        warn!("{warning}");
    }
    let checked = environment(
        output,
        (&path, saved.folder()),
        &source,
        &saved.overrides(),
        &checks,
        &|d| saved.adjust(d),
    )?;
    if let Some(warning) = saved.inputs_warning() {
        warn!("{warning}");
    }
    let explored = Explored {
        dag: checked.dag,
        partial_reason: checked.partial_reason,
    };
    let continuation = Continuation {
        config,
        recipe_flags: options.recipe_flags.clone(),
    };
    let session = Session::resume(saved, &checked.env, explored, continuation)
        .map_err(|e| fail(output, &path, &source, e))?;
    if session.is_complete() {
        let config = session.config();
        let step = session.trainer().step;
        let target = match options.trajectories {
            Some(t) => format!(
                "--trajectories {t} is {} steps of {}",
                config.steps, config.batch
            ),
            None => format!("the target is step {}", config.steps),
        };
        warn!(
            "nothing to do: {} is at step {step} and {target}; pass a larger --steps (or --trajectories) to train further",
            dir_path.display(),
        );
        if options.json {
            say!(
                "{}",
                serde_json::json!({"nothing_to_do": true, "step": step, "steps": config.steps, "out": dir_path.display().to_string()})
            );
        }
        return Ok(());
    }
    if !options.quiet && !options.json {
        let scorers = session.record().inputs.iter().flat_map(|i| &i.scorers);
        for command in scorers {
            warn!(
                "note: the reward calls the scorer `{command}`; gfnc cannot verify that its answers are still those the run was trained with"
            );
        }
    }
    train(output, options, session, (&path, &source), interrupted)
}

/// What `gfnc run` shows while a session trains: the progress bar and its notes.
struct Progress {
    bar: ProgressBar,
}

impl Observer for Progress {
    fn stepped(&mut self, step: usize) {
        self.bar.set_position(step as u64);
    }

    fn evaluated(&mut self, metrics: &Metrics, loss: f64, rate: f64) {
        self.bar.set_message(progress_message(metrics, loss, rate));
    }

    fn note(&mut self, text: &str) {
        self.bar.suspend(|| warn!("{text}"));
    }

    fn trained(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Run a session to its end and report: the summary (or the JSON object), the curves, the
/// warnings about log Z; Ctrl-C or SIGTERM stop it with the checkpoint saved (exit 130).
fn train(
    output: &Output,
    options: &RunOptions,
    mut session: Session,
    (path, source): (&Path, &str),
    interrupted: Arc<AtomicBool>,
) -> Result<(), Failure> {
    if let (Some(reason), false) = (
        &session.record().exact_reason,
        options.json || options.quiet,
    ) {
        warn!(
            "note: no exact metrics ({reason}); the states training visits are checked as it goes (raise --max-states or --max-memory for exact figures)"
        );
    }
    let (steps, at) = (session.config().steps, session.trainer().step);
    let mut progress = Progress {
        bar: progress_bar(options.quiet || options.json, steps, at),
    };
    let ending = match session.run(&mut progress, interrupted) {
        Ok(ending) => ending,
        Err(e) => {
            progress.bar.abandon();
            return Err(diverged(output, path, source, session.dir(), e));
        }
    };
    let dir = session.dir().path();
    let config = session.config();
    let exact_reason = session.record().exact_reason.as_deref();
    let report = |m: &Metrics| match options.json {
        true => say!("{}", final_json(m, config, dir, exact_reason)),
        false => print_summary(session.trainer().env, config, m, dir, options.quiet),
    };
    match ending {
        Ending::Stopped(final_metrics) => {
            // Stopped by the user: the figures so far, then no samples; a resume trains on and
            // draws them.
            report(&final_metrics);
            warn!(
                "interrupted after step {}; the checkpoint is saved: gfnc run --resume {} finishes the run",
                session.trainer().step,
                dir.display()
            );
            Err(Failure::Interrupted)
        }
        Ending::StoppedDrawing => {
            warn!(
                "interrupted while drawing samples; the checkpoint of step {} is saved: gfnc run --resume {} finishes the run",
                session.trainer().step,
                dir.display()
            );
            Err(Failure::Interrupted)
        }
        Ending::Finished(final_metrics) => {
            // The pictures are a convenience: a run whose curves cannot be drawn has still
            // succeeded.
            if let Err(e) = super::plot::run_curves(dir) {
                warn!("warning: no curves.svg: {e}");
            }
            report(&final_metrics);
            for note in gfnc::train::log_z_warnings(session.rows()) {
                warn!("warning: {note}");
            }
            Ok(())
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SampleFormat {
    Csv,
    Jsonl,
}

/// `gfnc sample DIR` as asked for.
pub struct SampleOptions {
    pub count: usize,
    pub format: SampleFormat,
    pub seed: u64,
    /// `--max-states` and `--max-memory` as given (else the run's own).
    pub max_states: Option<usize>,
    pub max_memory_mb: Option<usize>,
    pub checks: gfnc::Checks,
}

/// `gfnc sample DIR`: load a run's checkpoint (verified) and draw objects.
pub fn sample(output: &Output, dir: &Path, options: &SampleOptions) -> Result<(), Failure> {
    let limits = Limits {
        max_states: options.max_states,
        max_memory_mb: options.max_memory_mb,
        samples: None,
    };
    let saved = SavedRun::read(dir, limits).map_err(directory_failure)?;
    // The run's own budget, unless given: the same graph, the same exactness.
    let mut checks = options.checks;
    checks.budget = saved.budget(checks.budget);
    let path = saved.source_path();
    let source = saved.source();
    if let Some(warning) = saved.folder_warning() {
        warn!("{warning}");
    }
    let checked = environment(
        output,
        (&path, saved.folder()),
        source,
        &saved.overrides(),
        &checks,
        &|d| saved.adjust(d),
    )?;
    if let Some(warning) = saved.inputs_warning() {
        warn!("{warning}");
    }
    let failure = |e: TrainError| fail(output, &path, source, e);
    saved
        .check_inputs(&checked.env.program.interface)
        .map_err(failure)?;
    let exact = checked.dag.is_some();
    let trainer = saved.trainer(&checked.env, checked.dag).map_err(failure)?;
    let config = &saved.record().config;
    let mut ws = Workspace::new();
    let env = &checked.env;
    let format = options.format;
    if format == SampleFormat::Csv {
        say_raw!("{}", samples_csv(env, &[], exact));
    }
    // Streamed as drawn: `| head` sees the first objects at once and ends the drawing.
    gfnc::train::draw_each(
        env,
        &trainer.policy,
        trainer.dag.as_ref(),
        (options.count, options.seed, gfnc::train::draw_batch(config)),
        &|| false,
        &mut ws,
        &mut |drawn| match format {
            SampleFormat::Csv => {
                say_raw!("{}", samples_rows(env, drawn));
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
    .map_err(|e| failure(saved.adjust_error(e)))?;
    Ok(())
}
