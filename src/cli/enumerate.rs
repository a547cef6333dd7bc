//! `gfnc enumerate FILE`: the whole reachable DAG with exact figures.

use super::{read_source, Failure, Output};
use gfnc::env::dag::{self, Dag};
use gfnc::env::Environment;
use gfnc::Override;
use std::path::Path;
use std::time::Instant;

pub struct Options {
    pub json: bool,
    pub top: usize,
    pub checks: gfnc::Checks,
}

/// Load and compile a file, printing diagnostics on failure.
/// The environment of the file at `path`, without exploring it: tables and scorers are found
/// in the file's folder, as every command finds them, and scorers get `checks`' timeout.
pub fn environment(
    output: &Output,
    path: &Path,
    source: &str,
    overrides: &[Override],
    checks: &gfnc::Checks,
) -> Result<Environment, Failure> {
    let report = |diagnostics: Vec<gfnc::Diagnostic>| {
        output.diagnostics(path, source, &diagnostics);
        Failure::Reported
    };
    let model = gfnc::load_in(source, overrides, &super::folder_of(path)).map_err(report)?;
    let mut env = Environment::new(&model).map_err(report)?;
    env.set_scorer_timeout(checks.scorer_timeout);
    env.set_scorer_workers(checks.scorer_workers);
    Ok(env)
}

pub fn run(
    output: &Output,
    path: &Path,
    overrides: &[Override],
    options: &Options,
) -> Result<(), Failure> {
    let source = read_source(path)?;
    let started = Instant::now();
    // Enumeration needs the whole graph: no probe when it does not fit.
    let checks = gfnc::Checks {
        probe: 0,
        ..options.checks
    };
    let validated = super::validate(output, path, &source, overrides, &checks)?;
    let env = validated.env;
    let dag = match (validated.dag, validated.partial) {
        (Some(dag), _) => dag,
        (None, partial) => {
            let overflow = partial.map(|p| p.overflow).unwrap_or(dag::Overflow {
                reason: "unknown".to_string(),
                states: 0,
            });
            output.diagnostics(path, &source, &[dag::too_large(&overflow).to_diagnostic()]);
            return Err(Failure::Reported);
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let top = top_objects(&env, &dag, options.top);
    if options.json {
        let value = serde_json::json!({
            "env": env.name(),
            "exact": true,
            "states": dag.len(),
            "terminal": dag.terminal_count(),
            "edges": dag.edge_count(),
            "max_len": dag.max_len,
            "log_z": dag.log_z,
            "modes": dag.mode_count(),
            "top": top.iter().map(|(state, log_reward)| serde_json::json!({
                "state": state,
                "reward": finite(log_reward.exp()),
                "log_reward": log_reward,
            })).collect::<Vec<_>>(),
            "seconds": seconds,
        });
        say!("{value}");
    } else {
        say!(
            "{} states · {} terminal · {} edges · longest trajectory {} actions{}",
            dag.len(),
            dag.terminal_count(),
            dag.edge_count(),
            dag.max_len,
            if env.has_stop() { " (+ stop)" } else { "" }
        );
        let modes = match dag.mode_keys {
            Some(keys) => format!(
                "{keys} key{} over {} states",
                if keys == 1 { "" } else { "s" },
                dag.mode.iter().filter(|m| **m).count()
            ),
            None => format!("{} states", dag.mode_count()),
        };
        say!("log Z = {:.6}  (exact)    modes: {modes}", dag.log_z);
        if !top.is_empty() {
            say!("top terminal objects by reward:");
            for (state, log_reward) in &top {
                say!("  {:>12}  {state}", super::reward_text(*log_reward));
            }
        }
        say!(
            "({seconds:.2} s, {:.1} MB)",
            dag.memory_bytes() as f64 / 1e6
        );
    }
    Ok(())
}

/// A reward for JSON: `null` when a 64-bit float cannot hold it (overflow, or underflow below
/// the normal range); the log beside it still says it.
fn finite(value: f64) -> Option<f64> {
    (value.is_finite() && value >= f64::MIN_POSITIVE).then_some(value)
}

fn top_objects(env: &Environment, dag: &Dag, k: usize) -> Vec<(String, f64)> {
    dag.top(k)
        .into_iter()
        .map(|s| (env.render(dag.states.get(s)), dag.log_reward[s]))
        .collect()
}
