//! `gfnc inspect FILE [--state S]`: one state of the environment seen from every side — whether
//! it is terminal or done, its reward, the actions allowed forward with their children, and the
//! actions allowed backward with their derived parents. For debugging a `.gfn` file.

use super::enumerate::environment;
use super::{read_source, Failure, Output};
use gfnc::env::Workspace;
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
    let env = environment(output, path, &source, overrides)?;
    // Reachability needs the whole graph; its exploration must not hide the state asked about,
    // so a failing check is reported after the state is shown.
    let explored = gfnc::env::dag::explore(&env, checks.budget, &mut |_, _| {});
    let parents_checked = match &explored {
        Ok(gfnc::env::dag::Explored::Complete(dag)) => gfnc::env::dag::check_parents(&env, dag),
        _ => Ok(()),
    };
    let state = match state {
        Some(text) => env
            .parse_state(text)
            .map_err(|why| Failure::Usage(format!("--state {text:?}: {why}")))?,
        None => env.initial_state().to_vec(),
    };
    let report = |e: gfnc::env::EnvError| {
        output.diagnostics(path, &source, &[e.to_diagnostic()]);
        Failure::Reported
    };
    let mut ws = Workspace::new();
    let a = env.action_count();
    let mut mask = vec![false; a];
    let mut child = vec![0; env.width()];
    let reachable = |s: &[i32]| match &explored {
        Ok(gfnc::env::dag::Explored::Complete(dag)) => Some(dag.states.find(s).is_some()),
        _ => None,
    };
    let reach_text = |s: &[i32]| match reachable(s) {
        Some(true) => "reachable",
        Some(false) => "NOT reachable from the initial state",
        None => "reachability unknown",
    };
    say!("state     {}", env.render(&state));
    match &explored {
        Ok(gfnc::env::dag::Explored::Complete(dag)) => say!(
            "reach     {} (the reachable graph has {} states)",
            reach_text(&state),
            dag.len()
        ),
        Ok(gfnc::env::dag::Explored::TooLarge(overflow)) => say!(
            "reach     unknown: {} (raise --max-states)",
            overflow.reason
        ),
        Err(e) => say!(
            "reach     unknown: the reachable graph has an error ({})",
            e.code
        ),
    }
    let done = env.is_done(&state, &mut ws).map_err(report)?;
    let stop = env.can_stop(&state, &mut ws).map_err(report)?;
    say!(
        "kind      {}",
        match (done, stop) {
            (true, _) => "done (terminal: the trajectory ends here)",
            (false, true) => "terminal (stop is allowed)",
            (false, false) => "not terminal",
        }
    );
    if done || stop {
        let log_reward = env.log_reward(&state, &mut ws).map_err(report)?;
        say!(
            "reward    {}   (log {})",
            super::reward_text(log_reward),
            super::number_text(log_reward)
        );
        say!(
            "mode      {}",
            env.is_mode(&state, &mut ws).map_err(report)?
        );
    }
    env.forward_mask(&state, &mut mask, &mut ws)
        .map_err(report)?;
    say!("forward:");
    for action in (0..a - 1).filter(|k| mask[*k]) {
        env.step(&state, action, &mut child, &mut ws)
            .map_err(report)?;
        say!(
            "  {:<24} -> {}",
            env.action_name(action),
            env.render(&child)
        );
    }
    if mask[a - 1] {
        say!("  {:<24} -> (end)", "stop");
    }
    say!("backward:");
    let w = env.width();
    let mut found = Vec::new();
    for action in 0..a - 1 {
        found.clear();
        let count = env
            .parents(&state, action, &mut found, &mut ws)
            .map_err(report)?;
        for parent in found.chunks_exact(w) {
            say!(
                "  {:<24} <- {}   ({})",
                env.action_name(action),
                env.render(parent),
                reach_text(parent)
            );
        }
        if count > 1 {
            say!("  (two parents by one action: the environment is not injective here)");
        }
    }
    if let Err(e) = explored.and(parents_checked) {
        output.diagnostics(path, &source, &[e.to_diagnostic()]);
        return Err(Failure::Reported);
    }
    Ok(())
}
