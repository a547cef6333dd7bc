//! Random bytes and random token soups through the front end never panic. Seeded, so a
//! failure reproduces; the failing input is printed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TOKENS: &[&str] = &[
    "env",
    "param",
    "const",
    "state",
    "let",
    "action",
    "when",
    "stop",
    "done",
    "reward",
    "log_reward",
    "mode",
    "in",
    "not",
    "and",
    "or",
    "if",
    "then",
    "else",
    "true",
    "false",
    "int",
    "float",
    "bool",
    "set",
    "seq",
    "x",
    "y",
    "N",
    "H",
    "D",
    "i",
    "sum",
    "all",
    "min",
    "count",
    "len",
    "abs",
    "exp",
    "insert",
    "push",
    "pop",
    "0",
    "1",
    "7",
    "0.5",
    "1e-3",
    "99999999999999999999",
    "1e999",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    ",",
    ";",
    ":",
    ".",
    "..",
    "..=",
    "=",
    "==",
    "!=",
    "<=",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "+=",
    "-=",
    "#",
    "\n",
    " ",
];

/// Replace, insert or delete a few whitespace-separated tokens, keeping line breaks (so that
/// comments stay comments and the mutant stays close to a real program).
fn mutate(source: &str, rng: &mut StdRng, edits: usize) -> String {
    let mut lines: Vec<Vec<&str>> = source
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    for _ in 0..edits {
        let line = rng.random_range(0..lines.len());
        let words = &mut lines[line];
        let token = TOKENS[rng.random_range(0..TOKENS.len())];
        match (rng.random_range(0..3), words.len()) {
            (_, 0) | (0, _) => {
                let at = rng.random_range(0..=words.len());
                words.insert(at, token);
            }
            (1, n) => {
                words.remove(rng.random_range(0..n));
            }
            (_, n) => words[rng.random_range(0..n)] = token,
        }
    }
    lines
        .iter()
        .map(|l| l.join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn front_end_survives(source: &str) {
    let result = std::panic::catch_unwind(|| {
        let _ = gfnc::load(source, &[]);
    });
    assert!(result.is_ok(), "the front end panicked on {source:?}");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = StdRng::seed_from_u64(1);
    for _ in 0..2000 {
        let len = rng.random_range(0..200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        front_end_survives(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn random_token_soups_never_panic() {
    let mut rng = StdRng::seed_from_u64(2);
    for _ in 0..3000 {
        let len = rng.random_range(0..80);
        let source: Vec<&str> = (0..len)
            .map(|_| TOKENS[rng.random_range(0..TOKENS.len())])
            .collect();
        front_end_survives(&source.join(" "));
    }
}

#[test]
fn mutated_examples_never_panic() {
    let mut rng = StdRng::seed_from_u64(3);
    for path in crate::gfn_files("examples") {
        let source = std::fs::read_to_string(&path).expect("readable");
        for _ in 0..300 {
            let edits = rng.random_range(1..4);
            front_end_survives(&mutate(&source, &mut rng, edits));
        }
    }
}

#[test]
fn brackets_at_the_limit_on_a_test_thread() {
    front_end_survives(&format!(
        "env t\nconst a = {}1{}",
        "(".repeat(64),
        ")".repeat(64)
    ));
}

#[test]
fn long_chain_at_the_limit_on_a_test_thread() {
    front_end_survives(&format!("env t\nconst a = {}", vec!["1"; 250].join(" + ")));
}

#[test]
fn many_nots_at_the_limit_on_a_test_thread() {
    front_end_survives(&format!("env t\nconst a = {}true", "not ".repeat(250)));
}

#[test]
fn deep_ifs_on_a_test_thread() {
    front_end_survives(&format!(
        "env t\nconst a = {}0",
        "if true then 1 else ".repeat(40_000)
    ));
}

/// Mutated examples that still compile are walked through the whole environment API: no
/// input may make masks, steps, parents, rewards, encodings or rendering panic.
#[test]
fn mutated_environments_never_panic() {
    use gfnc::env::{dag, Environment, Workspace};
    let mut rng = StdRng::seed_from_u64(4);
    let mut compiled = 0;
    for path in crate::gfn_files("examples") {
        let source = std::fs::read_to_string(&path).expect("readable");
        // Scorers run a process per program: their failures are tested in data.rs.
        if source.contains("extern(") {
            continue;
        }
        for _ in 0..150 {
            let text = mutate(&source, &mut rng, 1);
            let walk_seed = rng.random::<u64>();
            let result = std::panic::catch_unwind(|| {
                let Ok(env) = Environment::from_source(&text, &[]) else {
                    return false;
                };
                let small = dag::enumerate(&env, 2000).is_ok();
                if small {
                    // A few training steps on a small network: the trainer must not panic either.
                    let config = gfnc::train::Config {
                        hidden: 8,
                        batch: 4,
                        steps: 2,
                        replay: 8,
                        ..Default::default()
                    };
                    if let Ok(mut trainer) = gfnc::train::Trainer::new(&env, config, None) {
                        for _ in 0..3 {
                            if trainer.train_step().is_err() {
                                break;
                            }
                        }
                    }
                }
                let mut rng = StdRng::seed_from_u64(walk_seed);
                let mut ws = Workspace::new();
                let (w, a) = (env.width(), env.action_count());
                let mut state = env.initial_state().to_vec();
                let mut child = vec![0; w];
                let mut mask = vec![false; a];
                let mut features = vec![0.0; env.encoding_width()];
                let mut parents = Vec::new();
                for _ in 0..30 {
                    env.encode(&state, &mut features);
                    let _ = env.parse_state(&env.render(&state));
                    let _ = env.backward_mask(&state, &mut mask, &mut ws);
                    let _ = env.parents(&state, rng.random_range(0..a), &mut parents, &mut ws);
                    let _ = env.log_reward(&state, &mut ws);
                    let _ = env.is_mode(&state, &mut ws);
                    if env.forward_mask(&state, &mut mask, &mut ws).is_err() {
                        break;
                    }
                    let allowed: Vec<usize> = (0..a - 1).filter(|k| mask[*k]).collect();
                    if allowed.is_empty() {
                        break;
                    }
                    if env
                        .step(
                            &state,
                            allowed[rng.random_range(0..allowed.len())],
                            &mut child,
                            &mut ws,
                        )
                        .is_err()
                    {
                        break;
                    }
                    state.copy_from_slice(&child);
                }
                true
            });
            match result {
                Ok(true) => compiled += 1,
                Ok(false) => {}
                Err(_) => panic!("the environment panicked on:\n{text}"),
            }
        }
    }
    assert!(
        compiled > 50,
        "too few mutants compiled ({compiled}) for the test to mean much"
    );
}
