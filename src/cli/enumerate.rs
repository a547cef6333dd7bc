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
    pub limit: usize,
}

/// Load and compile a file, printing diagnostics on failure.
pub fn environment(
    output: &Output,
    path: &Path,
    source: &str,
    overrides: &[Override],
) -> Result<Environment, Failure> {
    Environment::from_source(source, overrides).map_err(|diagnostics| {
        output.diagnostics(path, source, &diagnostics);
        Failure::Reported
    })
}

pub fn run(
    output: &Output,
    path: &Path,
    overrides: &[Override],
    options: &Options,
) -> Result<(), Failure> {
    let source = read_source(path)?;
    let env = environment(output, path, &source, overrides)?;
    let started = Instant::now();
    let dag = dag::enumerate(&env, options.limit).map_err(|e| {
        output.diagnostics(path, &source, &[e.to_diagnostic()]);
        Failure::Reported
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let top = top_objects(&env, &dag, options.top);
    if options.json {
        let value = serde_json::json!({
            "env": env.name(),
            "states": dag.len(),
            "terminal": dag.terminal_count(),
            "edges": dag.edge_count(),
            "max_len": dag.max_len,
            "log_z": dag.log_z,
            "modes": dag.mode_count(),
            "top": top.iter().map(|(state, reward)| serde_json::json!({"state": state, "reward": reward})).collect::<Vec<_>>(),
            "seconds": seconds,
        });
        println!("{value}");
    } else {
        println!(
            "{} states · {} terminal · {} edges · longest trajectory {} actions (+ stop)",
            dag.len(),
            dag.terminal_count(),
            dag.edge_count(),
            dag.max_len
        );
        println!(
            "log Z = {:.6}  (exact)    modes: {} states",
            dag.log_z,
            dag.mode_count()
        );
        if !top.is_empty() {
            println!("top terminal objects by reward:");
            for (state, reward) in &top {
                println!("  {reward:>12.6}  {state}");
            }
        }
        println!(
            "({seconds:.2} s, {:.1} MB)",
            dag.memory_bytes() as f64 / 1e6
        );
    }
    Ok(())
}

fn top_objects(env: &Environment, dag: &Dag, k: usize) -> Vec<(String, f64)> {
    dag.top(k)
        .into_iter()
        .map(|s| (env.render(dag.states.get(s)), dag.log_reward[s].exp()))
        .collect()
}
