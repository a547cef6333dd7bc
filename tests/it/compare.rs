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
        "tb,db,subtb,fm,mcmc,mcts,reinforce,maxent,random",
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
    assert_eq!(results.len(), 18, "9 methods x 2 seeds");
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
    for method in [
        "tb",
        "db",
        "subtb",
        "fm",
        "mcmc",
        "mcts",
        "reinforce",
        "maxent",
        "random",
    ] {
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
    assert!(summary.contains("| mcmc |") && summary.contains("| mcts |"));
    assert!(summary.contains("L1 to R/Z") && summary.contains("sample standard deviation"));
    // How each L1 was measured: the chains' histogram is empirical, the samplers' P_T exact.
    assert!(csv.starts_with("method,seed,states_visited,metric,value,l1_kind\n"));
    assert!(csv
        .lines()
        .any(|l| l.starts_with("mcmc,") && l.contains(",l1,") && l.ends_with(",empirical")));
    assert!(csv
        .lines()
        .any(|l| l.starts_with("mcts,") && l.contains(",l1,") && l.ends_with(",exact")));
    assert!(summary.contains("(empirical)"));
    // The objects grouped by paths: 6 singletons and ∅ (1 path), 15 pairs (2), 20 triples (6).
    let objects = std::fs::read_to_string(dir.join("objects.md")).expect("objects.md");
    for group in ["| 1 | 7 |", "| 2 | 15 |", "| 6 | 20 |"] {
        assert!(objects.contains(group), "{group} in {objects}");
    }
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
    // `ppo` was REINFORCE under another name: refused with the new name, not run.
    let run = gfnc(&["compare", "examples/subsets.gfn", "--methods", "tb,ppo"]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run.stderr));
    assert!(
        text(&run.stderr).contains("`ppo` was renamed `reinforce`"),
        "{}",
        text(&run.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `compare` takes `run`'s training options (one definition of each flag), refuses a bad value
/// as `run` does, and warns, as `run` does, when a method's learned log Z ends far from the
/// exact one.
#[test]
fn compare_takes_the_training_options_and_warns_about_log_z() {
    let dir = std::env::temp_dir().join(format!("gfnc-compare-opts-{}", std::process::id()));
    let out = dir.display().to_string();
    let run = gfnc(&[
        "compare",
        "examples/subsets.gfn",
        "--methods",
        "tb,maxent",
        "--budget",
        "320",
        "--seeds",
        "1",
        "--hidden",
        "16",
        "--layers",
        "1",
        "--pb",
        "learned",
        "--explore",
        "0.5:0",
        "--replay",
        "32",
        "--replay-keep",
        "best",
        "--log-z-init=-20",
        "--lr-logz",
        "0.001",
        "--out",
        &out,
        "--force",
    ]);
    let stderr = text(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    // Exact log Z 5.72; started at −20 and moved by a learning rate of 0.001, it stays far.
    assert!(
        stderr.contains("warning: tb seed 0: the learned log Z")
            && stderr.contains("below the exact"),
        "{stderr}"
    );
    // MaxEnt's log Z is not R's: it is judged only on whether it still moves.
    assert!(
        !stderr.contains("maxent seed 0: the learned log Z"),
        "{stderr}"
    );
    let summary = std::fs::read_to_string(dir.join("summary.md")).expect("summary.md");
    assert!(summary.contains("## Warnings"), "{summary}");
    for bad in [["--explore", "2"], ["--lr-logz", "0"], ["--replay", "3"]] {
        let run = gfnc(&[
            "compare",
            "examples/subsets.gfn",
            bad[0],
            bad[1],
            "--out",
            &out,
            "--force",
        ]);
        assert_eq!(run.status.code(), Some(2), "{bad:?}: {}", text(&run.stderr));
        assert!(
            text(&run.stderr).contains(bad[0]),
            "{bad:?}: {}",
            text(&run.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without `mode` objects the summary and the pictures leave modes out rather than count
/// 0 of 0.
#[test]
fn compare_without_modes_says_nothing_of_modes() {
    let dir = std::env::temp_dir().join(format!("gfnc-compare-nomodes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("folder");
    let file = dir.join("sets.gfn");
    std::fs::write(
        &file,
        "env sets\nstate { c: set<0..3> }\naction add(i in 0..3) when i not in c { c.insert(i) }\nstop\nreward 1.0 + float(len(c))\n",
    )
    .expect("written");
    let out = dir.join("out");
    let run = gfnc(&[
        "compare",
        &file.display().to_string(),
        "--methods",
        "mcts,random",
        "--budget",
        "200",
        "--seeds",
        "1",
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let summary = std::fs::read_to_string(out.join("summary.md")).expect("summary.md");
    assert!(!summary.contains("modes found"), "{summary}");
    assert!(!summary.contains("of 1 seeds"), "{summary}");
    assert!(summary.contains("no `mode` objects"), "{summary}");
    let svg = std::fs::read_to_string(out.join("compare.svg")).expect("compare.svg");
    assert!(!svg.contains("modes found"));
    assert!(!svg.contains("e-17"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGTERM during a compare writes the runs finished before it (csv, summary, pictures),
/// says so, and exits 130.
#[test]
fn an_interrupted_compare_writes_what_finished() {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("gfnc-compare-stop-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gfnc"))
        .args([
            "compare",
            "examples/subsets.gfn",
            "--methods",
            "random,tb",
            "--budget",
            "100000",
            "--seeds",
            "1",
            "--out",
            &dir.display().to_string(),
        ])
        .current_dir(crate::root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("gfnc starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    // The uniform policy's run is over when its line is printed; tb's 6,250 steps are not.
    for line in lines.by_ref() {
        if line.expect("a line").contains("random seed 0:") {
            break;
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let output = child.wait_with_output().expect("exits");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted during tb seed 0"), "{stderr}");
    let csv = std::fs::read_to_string(dir.join("compare.csv")).expect("compare.csv");
    assert!(
        csv.lines().any(|l| l.starts_with("random,0,100000,")),
        "{csv}"
    );
    assert!(
        !csv.lines().any(|l| l.starts_with("tb,")),
        "the unfinished run is dropped"
    );
    let summary = std::fs::read_to_string(dir.join("summary.md")).expect("summary.md");
    assert!(summary.contains("| random |") && summary.contains("Interrupted"));
    assert!(dir.join("compare.svg").exists(), "{rest:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
