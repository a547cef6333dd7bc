//! Training for mode discovery (issue 16): schedules, log Z from an estimate, reward-prioritised
//! replay, local search, and a recipe that changes on --resume.

use crate::{gfnc, root, text};
use gfnc::env::dag;
use gfnc::env::Environment;
use gfnc::train::{Config, LogZInit, ReplayKeep, Trainer};

fn environment(name: &str) -> Environment {
    let source = std::fs::read_to_string(root().join("examples").join(format!("{name}.gfn")))
        .expect("example exists");
    Environment::from_source(&source, &[]).expect("compiles")
}

#[test]
fn log_z_starts_from_an_estimate_near_the_exact_one() {
    let env = environment("hypergrid");
    let dag = dag::enumerate(&env, 100_000).expect("enumerates");
    let truth = dag.log_z;
    let config = Config {
        hidden: 16,
        log_z_init: Some(LogZInit::Auto),
        ..Config::default()
    };
    let trainer = Trainer::new(&env, config, Some(dag)).expect("a trainer");
    let estimate = trainer.log_z_estimate.expect("an estimate");
    assert!((estimate - truth).abs() < 0.3, "{estimate} against {truth}");
    assert!((trainer.policy.log_z_value().expect("log Z") - estimate).abs() < 1e-5);
}

/// Each new training option learns a small example to a bound on the exact L1.
#[test]
fn schedules_best_replay_and_local_search_learn() {
    let env = environment("hypergrid");
    let recipes = [
        Config {
            explore: 0.5,
            explore_end: Some(0.0),
            temperature: 2.0,
            temperature_end: Some(1.0),
            warmup: 50,
            lr_schedule: gfnc::train::schedule::LrSchedule::Cosine,
            ..Config::default()
        },
        Config {
            replay: 64,
            replay_keep: ReplayKeep::Best,
            log_z_init: Some(LogZInit::Auto),
            ..Config::default()
        },
        Config {
            local_search: 3,
            ..Config::default()
        },
        Config {
            reward_exponent: 0.3,
            reward_exponent_end: Some(1.0),
            anneal: Some(300),
            ..Config::default()
        },
    ];
    for (k, recipe) in recipes.into_iter().enumerate() {
        let dag = dag::enumerate(&env, 100_000).expect("enumerates");
        let config = Config {
            steps: 600,
            hidden: 64,
            eval_every: 600,
            seed: 3,
            ..recipe
        };
        let mut trainer = Trainer::new(&env, config, Some(dag)).expect("a trainer");
        let before = trainer.evaluate().expect("figures").l1.expect("exact");
        for _ in 0..600 {
            trainer.train_step().expect("a step");
        }
        let after = trainer.evaluate().expect("figures").l1.expect("exact");
        assert!(
            after < 0.35 && after < before / 2.0,
            "recipe {k}: L1 {before} -> {after}"
        );
    }
}

/// Trained on R^β with β held at 3, log Z goes to the log Z of R^β, not of R: the exponent
/// reaches the loss (and the log Z estimate it starts from).
#[test]
fn a_reward_exponent_trains_on_the_tempered_reward() {
    let env = environment("hypergrid");
    let dag = dag::enumerate(&env, 100_000).expect("enumerates");
    let beta = 3.0;
    let terminal_log_rewards: Vec<f64> = (0..dag.len())
        .filter(|s| dag.is_terminal(*s))
        .map(|s| beta * dag.log_reward[s])
        .collect();
    let max = terminal_log_rewards.iter().fold(f64::MIN, |m, r| m.max(*r));
    let tempered = max
        + terminal_log_rewards
            .iter()
            .map(|r| (r - max).exp())
            .sum::<f64>()
            .ln();
    assert!(
        (tempered - dag.log_z).abs() > 0.5,
        "the test needs log Z_β ≠ log Z"
    );
    let config = Config {
        steps: 800,
        hidden: 64,
        seed: 5,
        reward_exponent: beta,
        ..Config::default()
    };
    let mut trainer = Trainer::new(&env, config, Some(dag)).expect("a trainer");
    let start = trainer.policy.log_z_value().expect("log Z");
    assert!(
        (start - tempered).abs() < 0.5,
        "estimate {start} against {tempered}"
    );
    for _ in 0..800 {
        trainer.train_step().expect("a step");
    }
    let learned = trainer.policy.log_z_value().expect("log Z");
    assert!(
        (learned - tempered).abs() < 0.2,
        "{learned} against {tempered}"
    );
}

#[test]
fn a_resumed_run_may_change_its_recipe_and_records_it() {
    let dir = std::env::temp_dir().join(format!("gfnc-recipe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.display().to_string();
    let run = gfnc(&[
        "run",
        "examples/hypergrid.gfn",
        "--steps",
        "40",
        "--hidden",
        "16",
        "--eval-every",
        "20",
        "--quiet",
        "--out",
        &out,
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let resumed = gfnc(&[
        "run",
        "--resume",
        &out,
        "--steps",
        "80",
        "--explore",
        "0.5:0",
        "--replay",
        "32",
        "--replay-keep",
        "best",
        "--local-search",
        "2",
        "--quiet",
    ]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).expect("run.json"))
            .expect("JSON");
    assert_eq!(record["config"]["explore"], 0.5);
    assert_eq!(record["config"]["explore_end"], 0.0);
    assert_eq!(record["config"]["replay_keep"], "best");
    assert_eq!(record["recipe_changes"][0]["step"], 40);
    let flags = record["recipe_changes"][0]["flags"].to_string();
    assert!(flags.contains("--explore 0.5:0"), "{flags}");
    // What fixes the network is still refused.
    let refused = gfnc(&["run", "--resume", &out, "--steps", "100", "--hidden", "32"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("--hidden"));
    // And the resumed run goes on from where it is.
    let again = gfnc(&["run", "--resume", &out, "--steps", "100", "--quiet"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn modes_are_counted_by_their_key() {
    // Three reference modes (the right edge, the top edge, the corner), reached by 7 states.
    let source = "env k\nstate { x: 0..4, y: 0..4 }\naction right when x < 3 { x += 1 }\naction up when y < 3 { y += 1 }\nstop\nreward 1.0 + 4.0 * float(x == 3 or y == 3)\nmode by 2 * int(x == 3) + int(y == 3) when x == 3 or y == 3\n";
    let env = Environment::from_source(source, &[]).expect("compiles");
    let dag = dag::enumerate(&env, 1000).expect("enumerates");
    assert_eq!(dag.mode_count(), 3);
    assert_eq!(dag.mode.iter().filter(|m| **m).count(), 7);
    let config = Config {
        steps: 200,
        hidden: 32,
        ..Config::default()
    };
    let mut trainer = Trainer::new(&env, config, Some(dag)).expect("a trainer");
    for _ in 0..200 {
        trainer.train_step().expect("a step");
    }
    let metrics = trainer.evaluate().expect("figures");
    assert_eq!(metrics.modes_total, Some(3));
    assert_eq!(metrics.modes_found, 3);
    assert_eq!(metrics.mode_objects, 7);
    // Printed back as written.
    let file = std::env::temp_dir().join(format!("gfnc-keys-{}.gfn", std::process::id()));
    std::fs::write(&file, source).expect("write");
    let out = gfnc(&["enumerate", &file.display().to_string()]);
    assert!(
        text(&out.stdout).contains("modes: 3 keys over 7 states"),
        "{}",
        text(&out.stdout)
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn replay_is_on_by_default_only_where_the_space_is_large() {
    let dir = std::env::temp_dir().join(format!("gfnc-auto-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let replay_of = |example: &str, extra: &[&str]| {
        let out = dir.join(example);
        let path = root().join("examples").join(format!("{example}.gfn"));
        let mut args = vec![
            "run",
            path.to_str().expect("path"),
            "--steps",
            "2",
            "--out",
            out.to_str().expect("out"),
        ];
        args.extend_from_slice(extra);
        let run = gfnc(&args);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
        let record: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json"))
                .expect("JSON");
        (record["config"]["replay"].clone(), text(&run.stderr))
    };
    // 64 terminal objects: no replay, and nothing said.
    let (replay, stderr) = replay_of("hypergrid", &[]);
    assert_eq!(replay, 0);
    assert!(!stderr.contains("replay"), "{stderr}");
    // 2^60 objects, too many to count: replay on, and the run says so.
    let (replay, stderr) = replay_of("bitseq_large", &[]);
    assert_eq!(replay, 1000);
    assert!(stderr.contains("replay 1000 by default"), "{stderr}");
    // Given, it is what was given.
    std::fs::remove_dir_all(dir.join("bitseq_large")).expect("remove");
    let (replay, _) = replay_of("bitseq_large", &["--replay", "0"]);
    assert_eq!(replay, 0);
    let _ = std::fs::remove_dir_all(&dir);
}
