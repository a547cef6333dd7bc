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
        let words: Vec<&str> = source.split_whitespace().collect();
        for _ in 0..300 {
            let mut mutated = words.clone();
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(0..mutated.len());
                match rng.random_range(0..3) {
                    0 => {
                        mutated.remove(at);
                    }
                    1 => mutated.insert(at, TOKENS[rng.random_range(0..TOKENS.len())]),
                    _ => mutated[at] = TOKENS[rng.random_range(0..TOKENS.len())],
                }
            }
            front_end_survives(&mutated.join(" "));
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
