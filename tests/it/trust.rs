//! Trust over the reachable graph: exact metrics and exhaustive checks follow the states that
//! exist, not the type's bound; beyond the budget the checks are partial, say so, and still
//! catch what they meet (the probe, the sentinel while training).

use crate::gfnc;
use gfnc::env::dag::Budget;
use gfnc::train::{Config, Objective, Trainer};
use gfnc::{Checks, Override};
use std::process::Output;

fn read(path: &str) -> String {
    std::fs::read_to_string(crate::root().join(path)).expect("readable")
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gfnc-trust-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "one JSON object expected ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn large_types_with_small_reachable_graphs_get_exact_metrics() {
    for (path, states) in [
        ("tests/programs/queens_2d.gfn", 54),
        ("tests/programs/expression_trees.gfn", 18_500),
    ] {
        let validated = gfnc::validate(&read(path), &[]).expect("valid");
        assert!(validated.model.state_count_bound() > 1e6);
        let dag = validated.dag.expect("the reachable graph fits");
        assert_eq!(dag.len(), states, "{path}");
        let dir = scratch(&format!("exact-{states}"));
        let out = gfnc(&[
            "run",
            path,
            "--steps",
            "30",
            "--samples",
            "20",
            "--json",
            "--out",
            &dir.display().to_string(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{path}");
        let value = json(&out);
        assert_eq!(value["exact"], true);
        assert!(value["l1"].as_f64().is_some(), "{path}: {value}");
        let samples = std::fs::read_to_string(dir.join("samples.csv")).expect("samples");
        assert!(samples.starts_with("state,reward,log_reward,log_probability\n"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn beyond_the_budget_every_output_says_the_checks_were_partial() {
    let dir = scratch("partial");
    let out = gfnc(&[
        "run",
        "examples/hypergrid.gfn",
        "--max-states",
        "50",
        "--steps",
        "20",
        "--samples",
        "5",
        "--json",
        "--out",
        &dir.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let value = json(&out);
    assert_eq!(value["exact"], false);
    assert_eq!(value["exact_reason"], "reachable states > 50");
    assert!(value["l1"].is_null());
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).expect("run.json"))
            .expect("JSON");
    assert_eq!(record["exact"], false);
    assert_eq!(record["exact_reason"], "reachable states > 50");
    // Without the whole graph the probability column is the trajectory's, and says so.
    let samples = std::fs::read_to_string(dir.join("samples.csv")).expect("samples");
    assert!(
        samples.starts_with("state,reward,log_reward,log_p_trajectory\n"),
        "{samples}"
    );
    let _ = std::fs::remove_dir_all(&dir);

    let check = gfnc(&[
        "check",
        "examples/hypergrid.gfn",
        "--max-states",
        "50",
        "--json",
    ]);
    assert_eq!(check.status.code(), Some(0));
    let value = json(&check);
    assert_eq!(value["exact"], false);
    assert_eq!(value["reason"], "reachable states > 50");
    assert_eq!(value["probe"]["trajectories"], 2000);
}

#[test]
fn the_probe_catches_an_orphan_parent_in_a_space_too_large_to_explore() {
    let source = read("tests/reachable/stack_permutations_orphan.gfn");
    let overrides = [Override::parse("N=9").expect("valid")];
    let checks = Checks {
        budget: Budget::states(1000),
        probe: 200,
        ..Checks::default()
    };
    let Err(diagnostics) = gfnc::validate_with(&source, &overrides, &checks, &mut |_, _| {}) else {
        panic!("the probe should find the unreachable parent");
    };
    assert_eq!(diagnostics[0].code, "gfn::env::orphan_parent");
    assert!(diagnostics[0].message.contains("backward walk"));
    // Without the probe the exploration alone cannot tell: the check is partial, not failed.
    let checks = Checks { probe: 0, ..checks };
    let validated = gfnc::validate_with(&source, &overrides, &checks, &mut |_, _| {})
        .expect("nothing met within 1000 states");
    assert_eq!(
        validated.partial.expect("partial").overflow.reason,
        "reachable states > 1000"
    );
}

#[test]
fn training_catches_an_orphan_parent_without_the_checks() {
    let source = read("tests/reachable/stack_permutations_orphan.gfn");
    let env = gfnc::env::Environment::from_source(&source, &[]).expect("compiles");
    let config = Config {
        objective: Objective::Tb,
        steps: 50,
        hidden: 32,
        ..Config::default()
    };
    let mut trainer = Trainer::new(&env, config, None).expect("trainer");
    let error = (0..50).find_map(|_| trainer.train_step().err());
    match error {
        Some(gfnc::train::TrainError::Env(e)) => assert_eq!(e.code, "gfn::env::orphan_parent"),
        other => panic!("expected the orphan to be caught while training, got {other:?}"),
    }
}

#[test]
fn a_cycle_is_found_early_in_a_huge_reachable_graph() {
    // 2^25 reachable boards: reported among the first states, with memory to spare.
    let out = gfnc(&[
        "enumerate",
        "tests/reachable/toggling_board_cycle.gfn",
        "--max-memory",
        "64",
        "--color",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gfn::env::cycle"));
}

#[test]
fn a_memory_budget_stops_the_exploration_with_its_reason() {
    let out = gfnc(&[
        "check",
        "examples/hypergrid.gfn",
        "--set",
        "D=4",
        "--set",
        "H=30",
        "--max-memory",
        "5",
        "--probe",
        "10",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("needs more than 5 MB (--max-memory)"),
        "{stdout}"
    );
}

#[test]
fn inspect_says_which_parents_are_reachable() {
    let out = gfnc(&[
        "inspect",
        "tests/reachable/orphan_parent.gfn",
        "--state",
        "pad=[0, 0, 0, 0, 0, 0, 0], x=4",
        "--color",
        "never",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("reach     reachable"), "{stdout}");
    assert!(
        stdout.contains("x=1   (NOT reachable from the initial state)"),
        "{stdout}"
    );
    assert!(stdout.contains("x=2   (reachable)"), "{stdout}");
    // The orphan makes the file invalid: reported after the state is shown.
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn unpinned_overwrites_are_refused_before_exploring() {
    let Err(diagnostics) = gfnc::validate(&read("tests/reachable/closure_unpinned.gfn"), &[])
    else {
        panic!("refused");
    };
    assert_eq!(diagnostics[0].code, "gfn::compile::parents");
    assert!(diagnostics[0].message.contains("32768 candidate states"));
    assert!(diagnostics[0]
        .help
        .as_deref()
        .is_some_and(|h| h.contains("compute the field with a `let`")));
}
