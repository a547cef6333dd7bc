//! `gfnc inspect FILE [--state S]`: one state of the environment seen from every side — whether
//! it is terminal or done, its reward, the actions allowed forward with their children, and the
//! actions allowed backward with their derived parents. For debugging a `.gfn` file.

use super::enumerate::environment;
use super::{read_source, Failure, Output};
use gfnc::env::dag::{self, Explored};
use gfnc::env::{EnvError, Environment, Workspace};
use gfnc::Override;
use std::path::Path;

pub fn run(
    output: &Output,
    path: &Path,
    overrides: &[Override],
    state: Option<&str>,
    checks: &gfnc::Checks,
) -> Result<(), Failure> {
    let source = read_source(path)?;
    let env = environment(output, path, &source, overrides, checks)?;
    let state = match state {
        Some(text) => env
            .parse_state(text)
            .map_err(|why| Failure::Usage(format!("--state {text:?}: {why}")))?,
        None => env.initial_state().to_vec(),
    };
    // Reachability needs the whole graph; its exploration must not hide the state asked about,
    // so a failing check is reported after the state is shown.
    let explored = dag::explore(&env, checks.budget, &mut |_, _| {});
    let parents_checked = match &explored {
        Ok(Explored::Complete(graph)) => dag::check_parents(&env, graph),
        _ => Ok(()),
    };
    let report = |e: EnvError| {
        output.diagnostics(path, &source, &[e.to_diagnostic()]);
        Failure::Reported
    };
    let reach = |s: &[i32]| match &explored {
        Ok(Explored::Complete(dag)) if dag.states.find(s).is_some() => "reachable",
        Ok(Explored::Complete(_)) => "NOT reachable from the initial state",
        _ => "reachability unknown",
    };
    say!("state     {}", env.render(&state));
    match &explored {
        Ok(Explored::Complete(dag)) => say!(
            "reach     {} (the reachable graph has {} states)",
            reach(&state),
            dag.len()
        ),
        Ok(Explored::TooLarge(overflow)) => say!(
            "reach     unknown: {} (raise --max-states or --max-memory)",
            overflow.reason
        ),
        Err(e) => say!(
            "reach     unknown: the reachable graph has an error ({})",
            e.code
        ),
    }
    let mut ws = Workspace::new();
    show_kind(&env, &state, &mut ws).map_err(report)?;
    show_forward(&env, &state, &mut ws).map_err(report)?;
    show_backward(&env, &state, &reach, &mut ws).map_err(report)?;
    explored.and(parents_checked).map_err(report)
}

/// Whether the state is terminal or done, and its reward and mode if so.
fn show_kind(env: &Environment, state: &[i32], ws: &mut Workspace) -> Result<(), EnvError> {
    let done = env.is_done(state, ws)?;
    let stop = env.can_stop(state, ws)?;
    say!(
        "kind      {}",
        match (done, stop) {
            (true, _) => "done (terminal: the trajectory ends here)",
            (false, true) => "terminal (stop is allowed)",
            (false, false) => "not terminal",
        }
    );
    if done || stop {
        let log_reward = env.log_reward(state, ws)?;
        say!(
            "reward    {}   (log {})",
            super::reward_text(log_reward),
            super::number_text(log_reward)
        );
        say!("mode      {}", env.is_mode(state, ws)?);
    }
    Ok(())
}

/// The actions allowed forward and the child of each.
fn show_forward(env: &Environment, state: &[i32], ws: &mut Workspace) -> Result<(), EnvError> {
    let a = env.action_count();
    let mut mask = vec![false; a];
    let mut child = vec![0; env.width()];
    env.forward_mask(state, &mut mask, ws)?;
    say!("forward:");
    for action in (0..a - 1).filter(|k| mask[*k]) {
        env.step(state, action, &mut child, ws)?;
        say!(
            "  {:<24} -> {}",
            env.action_name(action),
            env.render(&child)
        );
    }
    if mask[a - 1] {
        say!("  {:<24} -> (end)", "stop");
    }
    Ok(())
}

/// Every derived parent, by action, with whether it is reachable.
fn show_backward(
    env: &Environment,
    state: &[i32],
    reach: &dyn Fn(&[i32]) -> &'static str,
    ws: &mut Workspace,
) -> Result<(), EnvError> {
    say!("backward:");
    let w = env.width();
    let mut found = Vec::new();
    for action in 0..env.action_count() - 1 {
        found.clear();
        let count = env.parents(state, action, &mut found, ws)?;
        for parent in found.chunks_exact(w) {
            say!(
                "  {:<24} <- {}   ({})",
                env.action_name(action),
                env.render(parent),
                reach(parent)
            );
        }
        if count > 1 {
            say!("  (two parents by one action: the environment is not injective here)");
        }
    }
    Ok(())
}
