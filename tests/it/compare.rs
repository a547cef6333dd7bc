//! `gfnc compare` and its baselines: MaxEnt's exact distribution is R·paths normalised, REINFORCE
//! raises the expected reward, the CSV and JSON hold every method and metric, bad usage exits 2.
//! (Metropolis–Hastings' stationary distribution is proven exactly in src/compare/mcmc.rs.)

use crate::{gfnc, text};
use gfnc::train::{Config, Objective, Trainer};

fn trained(name: &str, objective: Objective, steps: usize) -> (gfnc::Validated, Vec<f64>) {
    let source = std::fs::read_to_string(crate::root().join(format!("examples/{name}.gfn")))
        .expect("readable");
    let validated = gfnc::validate(&source, &[]).expect("checks");
    let dag = validated.dag.clone().expect("enumerates");
    let mut trainer = Trainer::new(
        &validated.env,
        Config {
            objective,
            steps,
            hidden: 64,
            ..Config::default()
        },
        Some(dag.clone()),
    )
    .expect("trainer");
    for _ in 0..steps {
        trainer.train_step().expect("trains");
    }
    let mut ws = gfnc::env::Workspace::new();
    let forward = gfnc::train::objective::forward_probabilities(
        &validated.env,
        &trainer.policy,
        dag.states.slots(),
        &mut ws,
    )
    .expect("probabilities");
    let p = dag.terminal_distribution(&forward, validated.env.action_count());
    (validated, p)
}

#[test]
fn maxent_samples_reward_times_paths() {
    let (validated, p) = trained("subsets", Objective::Maxent, 1500);
    let dag = validated.dag.expect("enumerates");
    // Paths from s0 to each state, in topological order.
    let mut paths = vec![0.0f64; dag.len()];
    paths[0] = 1.0;
    for &s in &dag.order {
        let here = paths[s as usize];
        for (_, child) in dag.edges(s as usize) {
            paths[child] += here;
        }
    }
    let terminal: Vec<usize> = (0..dag.len())
        .filter(|&k| !dag.log_reward[k].is_nan())
        .collect();
    let weight = |k: usize| dag.log_reward[k].exp() * paths[k];
    let z: f64 = terminal.iter().map(|&k| weight(k)).sum();
    let to_paths: f64 = terminal.iter().map(|&k| (p[k] - weight(k) / z).abs()).sum();
    let rz: f64 = terminal.iter().map(|&k| dag.log_reward[k].exp()).sum();
    let to_reward: f64 = terminal
        .iter()
        .map(|&k| (p[k] - dag.log_reward[k].exp() / rz).abs())
        .sum();
    assert!(to_paths < 0.1, "L1 to R·paths/Z' = {to_paths}");
    assert!(
        to_reward > 5.0 * to_paths,
        "L1 to R/Z = {to_reward}, to R·paths = {to_paths}"
    );
}

#[test]
fn reinforce_raises_the_expected_reward() {
    let expected = |(validated, p): (gfnc::Validated, Vec<f64>)| -> f64 {
        let dag = validated.dag.expect("enumerates");
        (0..dag.len())
            .filter(|&k| !dag.log_reward[k].is_nan())
            .map(|k| p[k] * dag.log_reward[k].exp())
            .sum()
    };
    let before = expected(trained("hypergrid", Objective::Reinforce, 1));
    let after = expected(trained("hypergrid", Objective::Reinforce, 400));
    assert!(after > 1.5 * before, "E[R] {before} -> {after}");
}

#[test]
fn compare_writes_every_method_and_metric() {
    let dir = std::env::temp_dir().join(format!("gfnc-compare-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.display().to_string();
    let run = gfnc(&[
        "compare",
        "examples/subsets.gfn",
        "--methods",
        "tb,db,subtb,fm,mcmc,ppo,maxent,random",
        "--budget",
        "320",
        "--seeds",
        "2",
        "--points",
        "4",
        "--hidden",
        "16",
        "--out",
        &out,
        "--json",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).expect("one JSON object");
    let results = json["results"].as_array().expect("results");
    assert_eq!(results.len(), 16, "8 methods x 2 seeds");
    for r in results {
        for key in [
            "method",
            "seed",
            "states_visited",
            "modes_found",
            "modes_total",
            "distinct",
            "l1",
            "top_k_reward",
            "states_to_all_modes",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
        assert_eq!(r["states_visited"], 320);
        assert!(
            r["l1"].as_f64().is_some(),
            "exact L1 on an enumerable space: {r}"
        );
    }
    let csv = std::fs::read_to_string(dir.join("compare.csv")).expect("compare.csv");
    for method in ["tb", "db", "subtb", "fm", "mcmc", "ppo", "maxent", "random"] {
        for metric in ["modes_found", "distinct", "l1", "top_k_reward"] {
            assert!(
                csv.lines()
                    .any(|l| l.starts_with(&format!("{method},"))
                        && l.contains(&format!(",{metric},"))),
                "{method} {metric}"
            );
        }
    }
    let summary = std::fs::read_to_string(dir.join("summary.md")).expect("summary.md");
    assert!(summary.contains("| mcmc |") && summary.contains("exact L1"));
    // Usage errors.
    for args in [
        vec!["compare", "examples/subsets.gfn", "--methods", "tb,sgd"],
        vec!["compare", "examples/subsets.gfn", "--methods", "tb,tb"],
        vec!["compare", "examples/subsets.gfn", "--budget", "0"],
        vec!["compare", "examples/missing.gfn"],
    ] {
        let run = gfnc(&args);
        assert_eq!(
            run.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&run.stderr)
        );
        assert!(!text(&run.stderr).contains("panicked"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
