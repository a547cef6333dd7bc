//! What `gfnc run` prints and writes about a run: the progress bar, the summary, the final
//! JSON object, and the message of a diverged run.

use super::{Failure, Output};
use gfnc::env::Environment;
use gfnc::train::rundir::RunDir;
use gfnc::train::{Config, Metrics, TrainError};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;

pub(super) fn fail(output: &Output, path: &Path, source: &str, error: TrainError) -> Failure {
    match error {
        TrainError::Env(e) => {
            output.diagnostics(path, source, &[e.to_diagnostic()]);
            Failure::Reported
        }
        TrainError::Io(message) | TrainError::Usage(message) => Failure::Usage(message),
        TrainError::Checkpoint(message) => {
            Failure::Usage(format!("the run directory cannot be used: {message}"))
        }
        other => {
            warn!("error[gfn::train]: {other}");
            Failure::Reported
        }
    }
}

/// A training step failed: for a non-finite loss, say which quantity, what is likely the
/// cause, and whether a checkpoint is there to go back to.
pub(super) fn diverged(
    output: &Output,
    path: &Path,
    source: &str,
    dir: &RunDir,
    error: TrainError,
) -> Failure {
    let TrainError::NonFinite {
        step,
        loss,
        max_abs_log_reward,
    } = error
    else {
        return fail(output, path, source, error);
    };
    let cause = if max_abs_log_reward > 80.0 {
        format!(
            "the batch's log rewards reach {max_abs_log_reward:.1}, beyond what float32 training handles; rescale the reward (e.g. `log_reward (...) / T` with a larger T)"
        )
    } else {
        "try a smaller --lr (or --lr-logz)".to_string()
    };
    let saved = match dir.checkpoint_step() {
        Ok(Some(at)) => format!(
            "the checkpoint of step {at} is kept (gfnc run --resume {} continues from it)",
            dir.path().display()
        ),
        _ => "no checkpoint was written before it".to_string(),
    };
    warn!("error[gfn::train::diverged]: the loss became {loss} at step {step}: {cause}; {saved}");
    Failure::Reported
}

pub(super) fn progress_bar(hidden: bool, steps: usize, at: usize) -> ProgressBar {
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

pub(super) fn progress_message(m: &Metrics, loss: f64, rate: f64) -> String {
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
    text.push_str(&format!("  distinct {}", m.distinct));
    if let Some(rho) = m.spearman {
        text.push_str(&format!("  spearman {rho:.3}"));
    }
    text
}

pub(super) fn final_json(
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
        "distinct": m.distinct,
        "top_k": config.top_k,
        "top_k_reward": m.top_k_reward,
        "spearman": m.spearman,
        "pearson": m.pearson,
        "objective": config.objective,
        "out": out.display().to_string(),
    })
}

pub(super) fn print_summary(
    env: &Environment,
    config: &Config,
    m: &Metrics,
    out: &Path,
    quiet: bool,
) {
    let rate = m.trajectories as f64 / m.seconds.max(1e-9);
    say!(
        "{} · {} · {} steps · {} trajectories · {:.1} s ({:.0} trajectories/s, {:.2} ms/step)",
        env.name(),
        config.objective.name(),
        m.step,
        m.trajectories,
        m.seconds,
        rate,
        1000.0 * m.seconds / m.step.max(1) as f64
    );
    say!("  loss       {:.6}", m.loss);
    match m.log_z_true {
        Some(truth) => say!("  log Z      {:.4}   (exact {:.4})", m.log_z, truth),
        None => say!("  log Z      {:.4}", m.log_z),
    }
    if let (Some(l1), Some(tv), Some(kl)) = (m.l1, m.tv, m.kl) {
        say!("  exact L1   {l1:.4}   TV {tv:.4}   KL {kl:.4}");
    }
    let objects = match env.has_mode_key() {
        true => format!(" ({} distinct mode objects)", m.mode_objects),
        false => String::new(),
    };
    match m.modes_total {
        Some(total) => say!("  modes      {} / {}{objects}", m.modes_found, total),
        None => say!("  modes      {}{objects}", m.modes_found),
    }
    let top = m
        .top_k_log_reward
        .or(m.top_k_reward.map(f64::ln))
        .map_or("-".to_string(), super::reward_text);
    say!(
        "  found      {} distinct objects · top-{} mean reward {top}",
        m.distinct,
        config.top_k
    );
    if let (Some(rho), Some(r)) = (m.spearman, m.pearson) {
        // With the whole graph, log P_T is the exact one; otherwise importance-sampled.
        let how = match m.l1 {
            Some(_) => "exact P_T",
            None => "estimated",
        };
        say!("  log R ~ log P_T   spearman {rho:.3}   pearson {r:.3}   (test set, {how})");
    }
    if !quiet {
        say!("  saved to   {}", out.display());
    }
}

pub(super) use gfnc::train::tables::{probability_column, samples_csv, samples_rows};
