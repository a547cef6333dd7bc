//! Training: every example learns in a short seeded run, runs repeat exactly, resuming continues
//! exactly, and `gfnc run` / `gfnc sample` round trip through a run directory.

use crate::gfnc;
use gfnc::env::dag;
use gfnc::env::Environment;
use gfnc::train::{Config, Objective, Trainer};
use std::process::Command;

fn environment(name: &str) -> Environment {
    let source =
        std::fs::read_to_string(crate::root().join("examples").join(format!("{name}.gfn")))
            .expect("example exists");
    Environment::from_source(&source, &[]).expect("compiles")
}

fn short(objective: Objective, steps: usize) -> Config {
    Config {
        objective,
        steps,
        hidden: 64,
        eval_every: steps,
        seed: 7,
        ..Config::default()
    }
}

/// Exact L1 of the untrained policy, then after `steps` iterations.
fn l1_before_and_after(name: &str, config: Config) -> (f64, f64) {
    let env = environment(name);
    let dag = dag::enumerate(&env, 100_000).expect("enumerates");
    let steps = config.steps;
    let mut trainer = Trainer::new(&env, config, Some(dag)).expect("trainer");
    let before = trainer.evaluate().expect("evaluates").l1.expect("exact");
    for _ in 0..steps {
        trainer.train_step().expect("trains");
    }
    let after = trainer.evaluate().expect("evaluates").l1.expect("exact");
    (before, after)
}

#[test]
fn every_example_learns_with_tb() {
    for (name, steps) in [
        ("hypergrid", 300),
        ("subsets", 300),
        ("bitseq", 300),
        ("ising", 400),
        ("graphs", 300),
        ("knapsack", 300),
    ] {
        let (before, after) = l1_before_and_after(name, short(Objective::Tb, steps));
        assert!(
            after < 0.5 * before,
            "{name}: exact L1 {before:.4} → {after:.4}"
        );
    }
}

#[test]
fn every_objective_learns_on_hypergrid() {
    for objective in [Objective::Db, Objective::Subtb, Objective::Fm] {
        let (before, after) = l1_before_and_after("hypergrid", short(objective, 300));
        assert!(
            after < 0.5 * before,
            "{objective:?}: exact L1 {before:.4} → {after:.4}"
        );
    }
}

#[test]
fn learned_backward_policy_exploration_and_replay_train() {
    let config = Config {
        learned_backward: true,
        explore: 0.05,
        replay: 200,
        ..short(Objective::Subtb, 300)
    };
    let (before, after) = l1_before_and_after("hypergrid", config);
    assert!(after < 0.5 * before, "exact L1 {before:.4} → {after:.4}");
}

fn losses(env: &Environment, config: Config, steps: usize) -> Vec<f64> {
    let mut trainer = Trainer::new(env, config, None).expect("trainer");
    (0..steps)
        .map(|_| trainer.train_step().expect("trains"))
        .collect()
}

#[test]
fn a_seed_repeats_a_run_exactly() {
    let env = environment("subsets");
    let config = Config {
        replay: 64,
        explore: 0.1,
        ..short(Objective::Tb, 30)
    };
    assert_eq!(
        losses(&env, config.clone(), 30),
        losses(&env, config.clone(), 30)
    );
    let other = Config {
        seed: 8,
        ..config.clone()
    };
    assert_ne!(losses(&env, config, 30), losses(&env, other, 30));
}

#[test]
fn resuming_continues_exactly() {
    let env = environment("hypergrid");
    // Replay and exploration included: the buffer is part of the checkpoint.
    let config = Config {
        replay: 64,
        explore: 0.1,
        ..short(Objective::Tb, 40)
    };
    let straight = losses(&env, config.clone(), 40);
    let path = std::env::temp_dir().join(format!("gfnc-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    let dir = gfnc::train::rundir::RunDir::create(&path, false).expect("run directory");
    let mut first = Trainer::new(&env, config.clone(), None).expect("trainer");
    let mut resumed_losses: Vec<f64> = (0..20)
        .map(|_| first.train_step().expect("trains"))
        .collect();
    dir.save(&first, &[], "hash").expect("saves");
    let mut second = Trainer::new(&env, config, None).expect("trainer");
    dir.load(&mut second, "hash").expect("restores");
    assert_eq!(second.step, 20);
    assert!(
        dir.load(
            &mut Trainer::new(&env, short(Objective::Tb, 40), None).expect("trainer"),
            "other"
        )
        .is_err(),
        "a checkpoint of another source is refused"
    );
    resumed_losses.extend((0..20).map(|_| second.train_step().expect("trains")));
    assert_eq!(straight, resumed_losses);
    let _ = std::fs::remove_dir_all(&path);
}

#[test]
fn run_then_sample_round_trip() {
    let dir = std::env::temp_dir().join(format!("gfnc-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.display().to_string();
    let run = gfnc(&[
        "run",
        "examples/knapsack.gfn",
        "--steps",
        "30",
        "--hidden",
        "32",
        "--eval-every",
        "10",
        "--out",
        &out,
        "--json",
        "--samples",
        "50",
    ]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).expect("one JSON object");
    for key in [
        "steps",
        "trajectories",
        "seconds",
        "loss",
        "log_z",
        "log_z_true",
        "l1",
        "modes_found",
        "modes_total",
    ] {
        assert!(summary.get(key).is_some(), "missing {key}");
    }
    assert_eq!(summary["steps"], 30);
    assert_eq!(summary["trajectories"], 480);
    for file in [
        "metrics.csv",
        "checkpoint.json",
        "run.json",
        "samples.csv",
        "env.gfn",
    ] {
        assert!(dir.join(file).exists(), "{file} missing");
    }
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).expect("metrics");
    assert!(metrics.starts_with("step,trajectories,seconds,loss,log_z,l1,tv"));
    assert_eq!(
        metrics.lines().count(),
        4,
        "a header and one row per evaluation"
    );
    let sample = gfnc(&[
        "sample", &out, "-n", "25", "--format", "jsonl", "--seed", "3",
    ]);
    assert_eq!(
        sample.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sample.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&sample.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 25);
    let env = environment("knapsack");
    for line in &lines {
        let state = env
            .parse_state(line["state"].as_str().expect("a state"))
            .expect("a valid state");
        let mut ws = gfnc::env::Workspace::new();
        assert!(
            env.is_done(&state, &mut ws).expect("evaluates"),
            "samples are terminal objects"
        );
        assert!(line["log_probability"].as_f64().expect("a number") <= 0.0);
    }
    let again = gfnc(&[
        "sample", &out, "-n", "25", "--format", "jsonl", "--seed", "3",
    ]);
    assert_eq!(sample.stdout, again.stdout, "sampling with a seed repeats");
    let csv = gfnc(&["sample", &out, "-n", "5"]);
    assert!(
        String::from_utf8_lossy(&csv.stdout).starts_with("state,reward,log_reward,log_probability")
    );
    let resumed = gfnc(&["run", "--resume", &out, "--steps", "40", "--quiet"]);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).expect("metrics");
    assert!(
        metrics.lines().last().unwrap_or("").starts_with("40,640,"),
        "{metrics}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_reports_bad_input_without_panicking() {
    let missing = gfnc(&["run", "no/such.gfn"]);
    assert_eq!(missing.status.code(), Some(2));
    let invalid = gfnc(&[
        "run",
        "--color",
        "never",
        "examples/spins_with_a_bug.gfn",
        "--steps",
        "5",
    ]);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("gfn::env::cycle"));
    let bad = gfnc(&["run", "examples/hypergrid.gfn", "--explore", "2"]);
    assert_eq!(bad.status.code(), Some(2));
    let no_run = gfnc(&["sample", "no/such/run"]);
    assert_eq!(no_run.status.code(), Some(2));
}

#[test]
fn a_non_finite_loss_stops_with_a_diagnostic() {
    let env = environment("hypergrid");
    let config = Config {
        lr: 1e30,
        lr_log_z: 1e30,
        ..short(Objective::Tb, 50)
    };
    let mut trainer = Trainer::new(&env, config, None).expect("trainer");
    let error = (0..50).find_map(|_| trainer.train_step().err());
    match error {
        Some(gfnc::train::TrainError::NonFinite { step, .. }) => assert!(step >= 1),
        other => panic!("expected a non-finite loss, got {other:?}"),
    }
}

#[test]
fn ctrl_c_stops_after_a_step_and_keeps_a_checkpoint() {
    let dir = std::env::temp_dir().join(format!("gfnc-interrupt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gfnc"))
        .args([
            "run",
            "examples/hypergrid.gfn",
            "--steps",
            "100000000",
            "--hidden",
            "32",
            "--eval-every",
            "20",
            "--quiet",
            "--samples",
            "10",
            "--out",
            &out,
        ])
        .current_dir(crate::root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("gfnc starts");
    // Wait for the first checkpoint, then interrupt as a terminal's Ctrl-C would.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !dir.join("checkpoint.json").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // SAFETY: kill only sends a signal to the child we started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().expect("gfnc exits");
    assert_eq!(status.code(), Some(130));
    let progress: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("checkpoint.json")).expect("checkpoint"),
    )
    .expect("JSON");
    let step = progress["step"].as_u64().expect("a step");
    assert!(step >= 20);
    // The checkpoint is of the stopping step; metrics rows stay on the --eval-every grid, so
    // that the resumed run's rows are an uninterrupted run's.
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).expect("metrics");
    let last_row: u64 = metrics
        .lines()
        .last()
        .and_then(|l| l.split(',').next())
        .and_then(|s| s.parse().ok())
        .expect("a row");
    assert!(
        last_row.is_multiple_of(20) && last_row <= step,
        "{last_row} vs {step}"
    );
    let resumed = gfnc(&[
        "run",
        "--resume",
        &out,
        "--steps",
        &(step + 5).to_string(),
        "--quiet",
    ]);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_cycle_in_a_space_too_large_to_check_is_caught_while_sampling() {
    let source = std::fs::read_to_string(crate::root().join("examples/spins_with_a_bug.gfn"))
        .expect("example");
    let overrides = [gfnc::Override::parse("N=11").expect("valid")];
    // The checks find the cycle among the first states they explore...
    let Err(diagnostics) = gfnc::validate(&source, &overrides) else {
        panic!("the cycle should be found by the checks");
    };
    assert_eq!(diagnostics[0].code, "gfn::env::cycle");
    // ...and sampling finds it without them.
    let env = gfnc::env::Environment::from_source(&source, &overrides).expect("compiles");
    let mut trainer = Trainer::new(&env, short(Objective::Tb, 20), None).expect("trainer");
    let error = (0..20).find_map(|_| trainer.train_step().err());
    match error {
        Some(gfnc::train::TrainError::Env(e)) => assert_eq!(e.code, "gfn::env::cycle"),
        other => panic!("expected the cycle to be caught, got {other:?}"),
    }
}

#[test]
fn a_separate_backward_network_trains() {
    let config = Config {
        learned_backward: true,
        separate_backward: true,
        ..short(Objective::Tb, 300)
    };
    let (before, after) = l1_before_and_after("hypergrid", config);
    assert!(after < 0.5 * before, "exact L1 {before:.4} → {after:.4}");
}

/// `--correlation-seconds`: checked like the other options, recorded in run.json when given
/// (and left out at its default, so that older runs' records hash as before).
#[test]
fn correlation_seconds_is_checked_and_recorded() {
    let bad = gfnc(&[
        "run",
        "examples/hypergrid.gfn",
        "--correlation-seconds",
        "0",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--correlation-seconds"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let dir = std::env::temp_dir().join(format!("gfnc-correlation-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.display().to_string();
    for (seconds, recorded) in [(None, None), (Some("7.5"), Some(7.5))] {
        let mut args = vec![
            "run",
            "examples/hypergrid.gfn",
            "--steps",
            "5",
            "--hidden",
            "16",
            "--samples",
            "0",
            "--quiet",
            "--force",
            "--out",
            &out,
        ];
        if let Some(seconds) = seconds {
            args.extend(["--correlation-seconds", seconds]);
        }
        let run = gfnc(&args);
        assert_eq!(
            run.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let record: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).expect("run.json"))
                .expect("JSON");
        assert_eq!(
            record["config"]
                .get("correlation_seconds")
                .and_then(|v| v.as_f64()),
            recorded,
            "{record}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
