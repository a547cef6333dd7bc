//! Every limit enforced where the time is spent: trajectories bounded by `--max-length`, the
//! probe's clock read inside one trajectory, explorations bounded in time, wide states checked
//! in seconds. Children run under a kill timeout, so a limit that is not enforced fails the
//! test instead of hanging it.

use crate::{gfnc_within, text};
use gfnc::env::dag::Budget;
use gfnc::Checks;
use std::time::{Duration, Instant};

/// A chain of 10⁹ steps: every trajectory is 10⁹ actions long.
const LONG_CHAIN: &str = "env chain
state { n: 0..1000000000 }
action inc when n < 999999999 { n += 1 }
done when n == 999999999
reward 1.0
";

/// A chain of 2·10⁶ steps whose far end steps back: a cycle no bounded exploration sees.
const CYCLING_CHAIN: &str = "env cycling
state { n: 0..2000002 }
action inc when n < 2000001 { n += 1 }
action back when n == 2000001 { n -= 1 }
stop when n == 0
reward 1.0
";

fn program(name: &str, source: &str) -> String {
    let dir = std::env::temp_dir().join(format!("gfnc-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let path = dir.join(name);
    std::fs::write(&path, source).expect("program written");
    path.display().to_string()
}

#[test]
fn a_probe_trajectory_past_max_length_is_an_error_naming_the_length_and_the_state() {
    let checks = Checks {
        budget: Budget::states(100),
        max_length: 50,
        ..Checks::default()
    };
    let Err(diagnostics) = gfnc::validate_with(LONG_CHAIN, &[], &checks, &mut |_, _| {}) else {
        panic!("a trajectory of 10⁹ actions should pass no check of length 50");
    };
    assert_eq!(diagnostics[0].code, "gfn::env::too_long");
    let rendered = gfnc::diagnostic::render(
        &diagnostics,
        "chain.gfn",
        LONG_CHAIN,
        gfnc::diagnostic::Color::Never,
        100,
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn a_long_state_is_cut_short_in_the_length_error() {
    let source = "env wide
state { s: seq<0..2, 3000> }
action push(b in 0..2) when len(s) < 3000 { s.push(b) }
done when len(s) == 3000
reward 1.0
";
    let checks = Checks {
        budget: Budget::states(100),
        max_length: 2500,
        ..Checks::default()
    };
    let Err(diagnostics) = gfnc::validate_with(source, &[], &checks, &mut |_, _| {}) else {
        panic!("trajectories of 3000 actions should pass no check of length 2500");
    };
    assert_eq!(diagnostics[0].code, "gfn::env::too_long");
    assert!(diagnostics[0].message.contains("length 2501"));
    assert!(diagnostics[0].message.contains("characters in all"));
    assert!(
        diagnostics[0].message.len() < 600,
        "{}",
        diagnostics[0].message
    );
}

#[test]
fn check_of_a_long_chain_returns_within_the_probe_budget() {
    let file = program("chain.gfn", LONG_CHAIN);
    let started = Instant::now();
    // The default --max-length stops the probe's first trajectory.
    let out = gfnc_within(&["check", &file], 120);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("gfn::env::too_long"), "{stderr}");
    assert!(
        stderr.contains("length") && stderr.contains("--max-length"),
        "{stderr}"
    );
    // Without it, --probe-seconds is read inside the one trajectory.
    let out = gfnc_within(
        &[
            "check",
            &file,
            "--max-length",
            "1000000000",
            "--probe-seconds",
            "2",
            "--max-states",
            "1000",
        ],
        120,
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("stopped by --probe-seconds"), "{stdout}");
    assert!(started.elapsed() < Duration::from_secs(100));
}

#[test]
fn run_on_a_long_chain_stops_with_the_length_error() {
    let file = program("chain_run.gfn", LONG_CHAIN);
    let out_dir = std::env::temp_dir().join(format!("gfnc-limits-run-{}", std::process::id()));
    let out = gfnc_within(
        &[
            "run",
            &file,
            "--steps",
            "1",
            "--out",
            &out_dir.display().to_string(),
            "--force",
        ],
        120,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--max-length"), "{stderr}");
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn one_step_on_a_chain_whose_far_end_cycles_finishes_in_seconds() {
    let file = program("cycling.gfn", CYCLING_CHAIN);
    let out_dir = std::env::temp_dir().join(format!("gfnc-limits-cyc-{}", std::process::id()));
    let started = Instant::now();
    let out = gfnc_within(
        &[
            "run",
            &file,
            "--steps",
            "1",
            "--out",
            &out_dir.display().to_string(),
            "--force",
        ],
        120,
    );
    let stderr = text(&out.stderr);
    // No trajectory reaches the cycle within --max-length: the run says so.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("length"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(60));
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn the_exploration_stops_at_its_time_budget_with_the_reason() {
    let file = program(
        "grid.gfn",
        "env grid
state { x: [0..1000; 3] }
action step(i in 0..3) when x[i] < 999 { x[i] += 1 }
stop
reward 1.0
",
    );
    let started = Instant::now();
    let out = gfnc_within(
        &[
            "check",
            &file,
            "--explore-seconds",
            "0.5",
            "--probe-seconds",
            "0.5",
            "--max-states",
            "100000000",
        ],
        120,
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("(--explore-seconds)"), "{stdout}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_state_of_65536_fields_is_checked_within_seconds() {
    let source = "env wide
param D: int = 65536
state { x: [0..4; D] }
action step(i in 0..D) when x[i] < 3 { x[i] += 1 }
stop
reward 1.0 + float(sum(i in 0..D: x[i]))
";
    let file = program("wide.gfn", source);
    let started = Instant::now();
    let out = gfnc_within(
        &[
            "check",
            &file,
            "--explore-seconds",
            "2",
            "--probe-seconds",
            "2",
        ],
        240,
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("partial check"), "{stdout}");
    // A debug build is several times slower than a release one, whose figure is ~6 s.
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "{:?}",
        started.elapsed()
    );
}

/// The let memo is per state: values computed on one state are never read on another, even
/// through one workspace reused in any order (a stale memo would give the first state's
/// reward to every state).
#[test]
fn lets_computed_once_per_state_give_the_values_of_each_state() {
    let source = std::fs::read_to_string(crate::root().join("examples/bench/hp_natural.gfn"))
        .expect("readable");
    let overrides = [gfnc::Override::parse("N=8").expect("valid")];
    let checked = gfnc::validate(&source, &overrides).expect("checks");
    let env = checked.env;
    let dag = checked.dag.expect("the 8-residue space fits");
    let mut shared = gfnc::env::Workspace::without_reward_cache();
    let mut masks = vec![false; env.action_count()];
    let mut fresh_masks = vec![false; env.action_count()];
    for s in (0..dag.len()).rev().chain(0..dag.len()) {
        let state = dag.states.get(s);
        let mut fresh = gfnc::env::Workspace::without_reward_cache();
        env.forward_mask(state, &mut masks, &mut shared)
            .expect("mask");
        env.forward_mask(state, &mut fresh_masks, &mut fresh)
            .expect("mask");
        assert_eq!(masks, fresh_masks, "state {}", env.render(state));
        if dag.is_terminal(s) {
            let shared_reward = env.log_reward(state, &mut shared).expect("reward");
            let fresh_reward = env.log_reward(state, &mut fresh).expect("reward");
            assert_eq!(shared_reward, fresh_reward, "state {}", env.render(state));
        }
    }
}

/// The natural program (positions as lets over the moves) and the hand-optimised one
/// (coordinates in the state) describe one task: the same number of folds and the same Z.
#[test]
fn the_natural_and_the_hand_optimised_hp_programs_agree() {
    let read = |name: &str| {
        std::fs::read_to_string(crate::root().join("examples/bench").join(name)).expect("file")
    };
    let overrides = [gfnc::Override::parse("N=9").expect("valid")];
    let natural = gfnc::validate(&read("hp_natural.gfn"), &overrides).expect("checks");
    let stored = gfnc::validate(&read("hp_stored.gfn"), &overrides).expect("checks");
    let (natural, stored) = (natural.dag.expect("fits"), stored.dag.expect("fits"));
    assert_eq!(natural.len(), stored.len());
    assert_eq!(natural.terminal_count(), stored.terminal_count());
    assert!((natural.log_z - stored.log_z).abs() < 1e-9);
}

/// The natural 20-residue program starts training within seconds: the exploration stops at
/// its time budget, the probe at its own, and one step follows.
#[test]
fn one_step_of_the_natural_hp_program_finishes_under_a_kill_timeout() {
    let out_dir = std::env::temp_dir().join(format!("gfnc-limits-hp-{}", std::process::id()));
    let started = Instant::now();
    let out = gfnc_within(
        &[
            "run",
            "examples/bench/hp_natural.gfn",
            "--steps",
            "1",
            "--out",
            &out_dir.display().to_string(),
            "--force",
        ],
        240,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A debug build is several times slower than the release figure (about 8 s).
    assert!(
        started.elapsed() < Duration::from_secs(180),
        "{:?}",
        started.elapsed()
    );
    let _ = std::fs::remove_dir_all(&out_dir);
}

/// `--scorer-workers`: a batch is split among copies of the scorer, each answering its share;
/// the answers (and so everything computed from them) are those of one copy.
#[test]
fn scorer_workers_split_each_batch_and_agree_with_one() {
    let dir = std::env::temp_dir().join(format!("gfnc-workers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    // Each copy appends its process id to the log once per request.
    std::fs::write(
        dir.join("score.py"),
        "import json, os, sys
for line in sys.stdin:
    states = json.loads(line)
    with open('requests.log', 'a') as log:
        log.write(f'{os.getpid()} {len(states)}\\n')
    print(json.dumps([-0.5 * len(s['picked']) + 0.1 * sum(s['picked']) for s in states]), flush=True)
",
    )
    .expect("scorer");
    let program = dir.join("scored.gfn");
    std::fs::write(
        &program,
        "env scored
state { picked: set<0..8> }
action add(i in 0..8) when i not in picked and len(picked) < 4 { picked.insert(i) }
stop
log_reward extern(\"python3 score.py\")
",
    )
    .expect("program");
    let path = program.to_str().expect("path");
    let requests = || std::fs::read_to_string(dir.join("requests.log")).unwrap_or_default();
    let one = gfnc_within(&["enumerate", path, "--scorer-workers", "1"], 60);
    assert_eq!(one.status.code(), Some(0), "{}", text(&one.stderr));
    let single: std::collections::HashSet<String> = requests()
        .lines()
        .filter_map(|l| l.split(' ').next().map(str::to_string))
        .collect();
    assert_eq!(single.len(), 1, "{}", requests());
    std::fs::remove_file(dir.join("requests.log")).expect("log");
    let four = gfnc_within(&["enumerate", path, "--scorer-workers", "4"], 60);
    assert_eq!(four.status.code(), Some(0), "{}", text(&four.stderr));
    let log = requests();
    let copies: std::collections::HashSet<&str> =
        log.lines().filter_map(|l| l.split(' ').next()).collect();
    assert_eq!(copies.len(), 4, "{log}");
    let scored: usize = log
        .lines()
        .filter_map(|l| l.split(' ').nth(1)?.parse::<usize>().ok())
        .sum();
    assert_eq!(scored, 163, "every object scored once: {log}");
    // The same graph, log Z and top objects; only the timing line differs.
    let without_timing = |out: &[u8]| -> String {
        text(out)
            .lines()
            .filter(|l| !l.trim_start().starts_with('('))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(without_timing(&one.stdout), without_timing(&four.stdout));
    // Out of range: a usage error, not a panic.
    let zero = gfnc_within(&["enumerate", path, "--scorer-workers", "0"], 60);
    assert_eq!(zero.status.code(), Some(2), "{}", text(&zero.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}
