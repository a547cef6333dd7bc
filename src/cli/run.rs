//! `gfnc run FILE`: train a sampler, show progress and exact figures, save the run; and
//! `gfnc sample DIR`: draw objects from a saved run.

use super::{read_source, Failure, Output};
use gfnc::env::dag::Dag;
use gfnc::env::{Environment, Workspace};
use gfnc::train::checkpoint::write_text;
use gfnc::train::policy::{Policy, PolicyShape};
use gfnc::train::{Config, Metrics, TrainError, Trainer};
use gfnc::Override;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub struct RunOptions {
    pub file: Option<PathBuf>,
    pub overrides: Vec<Override>,
    pub config: Config,
    pub trajectories: Option<usize>,
    pub out: Option<PathBuf>,
    pub resume: Option<PathBuf>,
    pub json: bool,
    pub quiet: bool,
    pub samples: usize,
    pub checks: gfnc::Checks,
}

/// `run.json`: what rebuilds the run (the environment's source is saved beside it as `env.gfn`).
#[derive(Serialize, Deserialize)]
struct RunRecord {
    gfnc_version: String,
    env: String,
    file: String,
    overrides: Vec<String>,
    params: serde_json::Map<String, serde_json::Value>,
    config: Config,
    /// Whether the reachable graph was explored whole (exact metrics, exhaustive checks).
    #[serde(default)]
    exact: bool,
    /// Why not, when it was not (`reachable states > 1000000`).
    #[serde(default)]
    exact_reason: Option<String>,
    #[serde(default)]
    final_metrics: Option<Metrics>,
}

fn fail(output: &Output, path: &Path, source: &str, error: TrainError) -> Failure {
    match error {
        TrainError::Env(e) => {
            output.diagnostics(path, source, &[e.to_diagnostic()]);
            Failure::Reported
        }
        TrainError::Io(message) => Failure::Usage(message),
        other => {
            eprintln!("error[gfn::train]: {other}");
            Failure::Reported
        }
    }
}

fn default_out_dir(env: &str) -> PathBuf {
    (1..)
        .map(|n| PathBuf::from("runs").join(format!("{env}-{n}")))
        .find(|p| !p.exists())
        .unwrap_or_else(|| PathBuf::from("runs").join(env))
}

fn param_values(env: &Environment) -> serde_json::Map<String, serde_json::Value> {
    env.compiled
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

fn metrics_csv(rows: &[Metrics]) -> String {
    let mut out =
        String::from("step,trajectories,seconds,loss,log_z,l1,tv,kl,empirical_l1,modes_found\n");
    let opt = |v: Option<f64>| v.map(|x| format!("{x:.6}")).unwrap_or_default();
    for m in rows {
        out.push_str(&format!(
            "{},{},{:.3},{:.6},{:.6},{},{},{},{},{}\n",
            m.step,
            m.trajectories,
            m.seconds,
            m.loss,
            m.log_z,
            opt(m.l1),
            opt(m.tv),
            opt(m.kl),
            opt(m.empirical_l1),
            m.modes_found
        ));
    }
    out
}

fn read_metrics_csv(path: &Path) -> Vec<Metrics> {
    let Ok(mut reader) = csv::Reader::from_path(path) else {
        return Vec::new();
    };
    let number = |r: &csv::StringRecord, k: usize| r.get(k).and_then(|v| v.parse::<f64>().ok());
    reader
        .records()
        .filter_map(Result::ok)
        .map(|r| Metrics {
            step: number(&r, 0).unwrap_or(0.0) as usize,
            trajectories: number(&r, 1).unwrap_or(0.0) as usize,
            seconds: number(&r, 2).unwrap_or(0.0),
            loss: number(&r, 3).unwrap_or(f64::NAN),
            log_z: number(&r, 4).unwrap_or(f64::NAN),
            l1: number(&r, 5),
            tv: number(&r, 6),
            kl: number(&r, 7),
            empirical_l1: number(&r, 8),
            modes_found: number(&r, 9).unwrap_or(0.0) as usize,
            ..Metrics::default()
        })
        .collect()
}

/// The environment, checked as `gfnc check` does: its DAG when the reachable graph fits the
/// budget (exact metrics), else why not.
struct Checked {
    env: Environment,
    dag: Option<Dag>,
    partial_reason: Option<String>,
}

fn environment(
    output: &Output,
    path: &Path,
    source: &str,
    overrides: &[Override],
    checks: &gfnc::Checks,
) -> Result<Checked, Failure> {
    let validated = super::validate(output, path, source, overrides, checks)?;
    Ok(Checked {
        env: validated.env,
        dag: validated.dag,
        partial_reason: validated.partial.map(|p| p.overflow.reason),
    })
}

pub fn run(
    output: &Output,
    options: RunOptions,
    interrupted: Arc<AtomicBool>,
) -> Result<(), Failure> {
    // Where the environment and the configuration come from: a file, or a run to resume.
    let (path, source, overrides, mut config, out) = match &options.resume {
        Some(dir) => {
            let record: RunRecord = read_record(dir)?;
            let path = dir.join("env.gfn");
            let source = read_source(&path)?;
            let overrides = record
                .overrides
                .iter()
                .filter_map(|o| Override::parse(o))
                .collect();
            let mut config = record.config;
            if options.config.steps != Config::default().steps || options.trajectories.is_some() {
                config.steps = options
                    .trajectories
                    .map(|t| t.div_ceil(config.batch))
                    .unwrap_or(options.config.steps);
            }
            (path, source, overrides, config, dir.clone())
        }
        None => {
            let path = options
                .file
                .clone()
                .ok_or_else(|| Failure::Usage("give a .gfn file or --resume DIR".to_string()))?;
            let source = read_source(&path)?;
            let mut config = options.config.clone();
            if let Some(trajectories) = options.trajectories {
                config.steps = trajectories.div_ceil(config.batch.max(1));
            }
            (
                path,
                source,
                options.overrides.clone(),
                config,
                PathBuf::new(),
            )
        }
    };
    if config.batch == 0 || config.hidden == 0 {
        return Err(Failure::Usage(
            "--batch and --hidden must be at least 1".to_string(),
        ));
    }
    config.eval_every = config.eval_every.max(1);
    let Checked {
        env,
        dag,
        partial_reason,
    } = environment(output, &path, &source, &overrides, &options.checks)?;
    if let (Some(reason), false) = (&partial_reason, options.json || options.quiet) {
        eprintln!(
            "note: no exact metrics ({reason}); the states training visits are checked as it goes (raise --max-states for exact figures)"
        );
    }
    let out = match (&options.resume, &options.out) {
        (Some(_), _) => out,
        (None, Some(dir)) => dir.clone(),
        (None, None) => default_out_dir(env.name()),
    };
    std::fs::create_dir_all(&out)
        .map_err(|e| Failure::Usage(format!("cannot create {}: {e}", out.display())))?;
    let failure = |e: TrainError| fail(output, &path, &source, e);
    let mut trainer = Trainer::new(&env, config.clone(), dag).map_err(failure)?;
    let mut rows = Vec::new();
    if options.resume.is_some() {
        trainer.restore(&out).map_err(failure)?;
        rows = read_metrics_csv(&out.join("metrics.csv"));
    } else {
        write_text(&out.join("env.gfn"), &source).map_err(failure)?;
    }
    let record = |final_metrics: Option<Metrics>| RunRecord {
        gfnc_version: env!("CARGO_PKG_VERSION").to_string(),
        env: env.name().to_string(),
        file: path.display().to_string(),
        overrides: overrides
            .iter()
            .map(|o| format!("{}={}", o.name, o.value))
            .collect(),
        params: param_values(&env),
        config: config.clone(),
        exact: partial_reason.is_none(),
        exact_reason: partial_reason.clone(),
        final_metrics,
    };
    write_record(&out, &record(None)).map_err(failure)?;
    let bar = progress_bar(options.quiet || options.json, config.steps, trainer.step);
    let mut last = None;
    let mut stopped_early = false;
    while trainer.step < config.steps {
        if interrupted.load(Ordering::SeqCst) {
            stopped_early = true;
            break;
        }
        let loss = match trainer.train_step() {
            Ok(loss) => loss,
            Err(e) => {
                bar.abandon();
                return Err(failure(e));
            }
        };
        bar.set_position(trainer.step as u64);
        let rate = trainer.trajectories as f64 / trainer.seconds.max(1e-9);
        if trainer.step % config.eval_every == 0 || trainer.step == config.steps {
            let metrics = trainer.evaluate().map_err(failure)?;
            bar.set_message(progress_message(&metrics, loss, rate));
            rows.push(metrics.clone());
            trainer.save(&out).map_err(failure)?;
            write_text(&out.join("metrics.csv"), &metrics_csv(&rows)).map_err(failure)?;
            last = Some(metrics);
        }
    }
    bar.finish_and_clear();
    let final_metrics = match last {
        Some(m) if m.step == trainer.step => m,
        _ => {
            let m = trainer.evaluate().map_err(failure)?;
            rows.push(m.clone());
            trainer.save(&out).map_err(failure)?;
            write_text(&out.join("metrics.csv"), &metrics_csv(&rows)).map_err(failure)?;
            m
        }
    };
    let samples = trainer
        .draw(options.samples, config.seed ^ 0x5a5a)
        .map_err(failure)?;
    write_text(
        &out.join("samples.csv"),
        &samples_csv(&env, &samples, partial_reason.is_none()),
    )
    .map_err(failure)?;
    write_record(&out, &record(Some(final_metrics.clone()))).map_err(failure)?;
    if options.json {
        println!(
            "{}",
            final_json(&final_metrics, &config, &out, partial_reason.as_deref())
        );
    } else {
        print_summary(&env, &config, &final_metrics, &out, options.quiet);
    }
    if stopped_early {
        eprintln!(
            "interrupted after step {}; the checkpoint is saved: gfnc run --resume {}",
            trainer.step,
            out.display()
        );
        return Err(Failure::Interrupted);
    }
    Ok(())
}

fn read_record(dir: &Path) -> Result<RunRecord, Failure> {
    let path = dir.join("run.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| Failure::Usage(format!("{} is not a gfnc run record: {e}", path.display())))
}

fn write_record(dir: &Path, record: &RunRecord) -> Result<(), TrainError> {
    let text = serde_json::to_string_pretty(record).map_err(|e| TrainError::Io(e.to_string()))?;
    write_text(&dir.join("run.json"), &text)
}

fn progress_bar(hidden: bool, steps: usize, at: usize) -> ProgressBar {
    if hidden || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(steps as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} step {pos}/{len}  {msg}") {
        bar.set_style(style);
    }
    bar.set_position(at as u64);
    bar
}

fn progress_message(m: &Metrics, loss: f64, rate: f64) -> String {
    let mut text = format!("{rate:.0} traj/s  loss {loss:.4}  log Z {:.4}", m.log_z);
    if let Some(truth) = m.log_z_true {
        text.push_str(&format!(" (exact {truth:.4})"));
    }
    if let Some(l1) = m.l1 {
        text.push_str(&format!("  L1 {l1:.4}"));
    }
    text.push_str(&format!("  modes {}", m.modes_found));
    if let Some(total) = m.modes_total {
        text.push_str(&format!("/{total}"));
    }
    text
}

fn final_json(
    m: &Metrics,
    config: &Config,
    out: &Path,
    partial_reason: Option<&str>,
) -> serde_json::Value {
    serde_json::json!({
        "exact": partial_reason.is_none(),
        "exact_reason": partial_reason,
        "steps": m.step,
        "trajectories": m.trajectories,
        "seconds": m.seconds,
        "loss": m.loss,
        "log_z": m.log_z,
        "log_z_true": m.log_z_true,
        "l1": m.l1,
        "tv": m.tv,
        "kl": m.kl,
        "empirical_l1": m.empirical_l1,
        "modes_found": m.modes_found,
        "modes_total": m.modes_total,
        "objective": config.objective,
        "out": out.display().to_string(),
    })
}

fn print_summary(env: &Environment, config: &Config, m: &Metrics, out: &Path, quiet: bool) {
    let rate = m.trajectories as f64 / m.seconds.max(1e-9);
    println!(
        "{} · {:?} · {} steps · {} trajectories · {:.1} s ({:.0} trajectories/s, {:.2} ms/step)",
        env.name(),
        config.objective,
        m.step,
        m.trajectories,
        m.seconds,
        rate,
        1000.0 * m.seconds / m.step.max(1) as f64
    );
    println!("  loss       {:.6}", m.loss);
    match m.log_z_true {
        Some(truth) => println!("  log Z      {:.4}   (exact {:.4})", m.log_z, truth),
        None => println!("  log Z      {:.4}", m.log_z),
    }
    if let (Some(l1), Some(tv), Some(kl)) = (m.l1, m.tv, m.kl) {
        println!("  exact L1   {l1:.4}   TV {tv:.4}   KL {kl:.4}");
    }
    match m.modes_total {
        Some(total) => println!("  modes      {} / {}", m.modes_found, total),
        None => println!("  modes      {}", m.modes_found),
    }
    if !quiet {
        println!("  saved to   {}", out.display());
    }
}

/// The name of the probability column: the exact log P_T(x) of the object when the graph was
/// explored whole, else the log probability of the trajectory that drew it.
fn probability_column(exact: bool) -> &'static str {
    if exact {
        "log_probability"
    } else {
        "log_p_trajectory"
    }
}

fn samples_csv(env: &Environment, samples: &[(Vec<i32>, f64, f64)], exact: bool) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(["state", "reward", probability_column(exact)]);
    for (state, log_reward, log_p) in samples {
        let _ = writer.write_record([
            env.render(state),
            super::reward_text(*log_reward),
            format!("{log_p}"),
        ]);
    }
    writer
        .into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SampleFormat {
    Csv,
    Jsonl,
}

/// `gfnc sample DIR`: load a run and draw objects.
pub fn sample(
    output: &Output,
    dir: &Path,
    count: usize,
    format: SampleFormat,
    seed: u64,
    checks: &gfnc::Checks,
) -> Result<(), Failure> {
    let record = read_record(dir)?;
    let path = dir.join("env.gfn");
    let source = read_source(&path)?;
    let overrides: Vec<Override> = record
        .overrides
        .iter()
        .filter_map(|o| Override::parse(o))
        .collect();
    let Checked { env, dag, .. } = environment(output, &path, &source, &overrides, checks)?;
    let exact = dag.is_some();
    let failure = |e: TrainError| fail(output, &path, &source, e);
    let config = record.config;
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(config.seed);
    let mut policy = Policy::new(PolicyShape::for_run(&env, &config), &mut rng)
        .map_err(|e| failure(e.into()))?;
    gfnc::train::checkpoint::load_model(&mut policy, dir).map_err(failure)?;
    let mut ws = Workspace::new();
    let samples =
        gfnc::train::draw(&env, &policy, dag.as_ref(), count, seed, &mut ws).map_err(failure)?;
    match format {
        SampleFormat::Csv => print!("{}", samples_csv(&env, &samples, exact)),
        SampleFormat::Jsonl => {
            for (state, log_reward, log_p) in &samples {
                let mut line = serde_json::json!({
                    "state": env.render(state),
                    "reward": Some(log_reward.exp()).filter(|r| r.is_finite()),
                    "log_reward": log_reward,
                });
                line[probability_column(exact)] = serde_json::json!(log_p);
                println!("{line}");
            }
        }
    }
    Ok(())
}
