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
) -> Result<(), Failure> {
    let source = read_source(path)?;
    let env = environment(output, path, &source, overrides)?;
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
    println!("state     {}", env.render(&state));
    let done = env.is_done(&state, &mut ws).map_err(report)?;
    let stop = env.can_stop(&state, &mut ws).map_err(report)?;
    println!(
        "kind      {}",
        match (done, stop) {
            (true, _) => "done (terminal: the trajectory ends here)",
            (false, true) => "terminal (stop is allowed)",
            (false, false) => "not terminal",
        }
    );
    if done || stop {
        let log_reward = env.log_reward(&state, &mut ws).map_err(report)?;
        println!(
            "reward    {}   (log {log_reward:.6})",
            super::reward_text(log_reward.exp())
        );
        println!(
            "mode      {}",
            env.is_mode(&state, &mut ws).map_err(report)?
        );
    }
    env.forward_mask(&state, &mut mask, &mut ws)
        .map_err(report)?;
    println!("forward:");
    for action in (0..a - 1).filter(|k| mask[*k]) {
        env.step(&state, action, &mut child, &mut ws)
            .map_err(report)?;
        println!(
            "  {:<24} -> {}",
            env.action_name(action),
            env.render(&child)
        );
    }
    if mask[a - 1] {
        println!("  {:<24} -> (end)", "stop");
    }
    env.backward_mask(&state, &mut mask, &mut ws)
        .map_err(report)?;
    println!("backward:");
    for action in (0..a - 1).filter(|k| mask[*k]) {
        if env
            .parent(&state, action, &mut child, &mut ws)
            .map_err(report)?
        {
            println!(
                "  {:<24} <- {}",
                env.action_name(action),
                env.render(&child)
            );
        }
    }
    Ok(())
}
