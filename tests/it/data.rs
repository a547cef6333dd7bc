//! Real rewards: `load` tables and their errors, array params and `--set`, external scorers
//! and each of their failures, the graph built-ins against brute force, and the large-space
//! metrics against exact values on a space small enough to enumerate.

use crate::{gfnc, text};
use gfnc::train::{Config, Trainer};
use gfnc::Override;
use std::path::{Path, PathBuf};

/// A fresh folder holding `files` (name, contents).
fn folder(name: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gfnc-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp folder");
    for (file, contents) in files {
        std::fs::write(dir.join(file), contents).expect("writes");
    }
    dir
}

fn check_in(dir: &Path, source: &str, overrides: &[&str]) -> Result<gfnc::Validated, Vec<String>> {
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|o| Override::parse(o).expect("NAME=VALUE"))
        .collect();
    gfnc::validate_in(
        source,
        &overrides,
        dir,
        &gfnc::Checks::default(),
        &mut |_, _| {},
    )
    .map_err(|d| {
        d.iter()
            .map(|d| format!("{} {}", d.code, d.message))
            .collect()
    })
}

const TABLE_PROGRAM: &str = "env table
const T = load(\"t.FORMAT\")
state { i: 0..4 }
action inc when i < 3 { i += 1 }
stop
reward float(T[i])
";

fn log_z(validated: &gfnc::Validated) -> f64 {
    validated.dag.as_ref().expect("enumerates").log_z
}

#[test]
fn every_format_loads_the_same_table() {
    // Rewards 1, 2, 3, 4: log Z = log 10 from each format.
    let npy = {
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }";
        let mut padded = header.as_bytes().to_vec();
        while !(10 + padded.len() + 1).is_multiple_of(64) {
            padded.push(b' ');
        }
        padded.push(b'\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(padded.len() as u16).to_le_bytes());
        out.extend_from_slice(&padded);
        for v in [1.0f64, 2.0, 3.0, 4.0] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    };
    let dir = folder(
        "formats",
        &[
            ("t.csv", b"reward\n1\n2\n3\n4\n"),
            ("t.json", b"[1, 2, 3, 4.0]"),
            ("t.npy", &npy),
        ],
    );
    for format in ["csv", "json", "npy"] {
        let source = TABLE_PROGRAM.replace("FORMAT", format);
        let validated = check_in(&dir, &source, &[]).unwrap_or_else(|e| panic!("{format}: {e:?}"));
        assert!((log_z(&validated) - 10f64.ln()).abs() < 1e-12, "{format}");
    }
}

#[test]
fn a_65536_row_table_checks_in_well_under_a_second() {
    let mut csv = String::from("score\n");
    for k in 0..65_536 {
        csv.push_str(&format!("{}\n", 1 + k % 7));
    }
    let dir = folder("big", &[("big.csv", csv.as_bytes())]);
    let source = "env big
const T = load(\"big.csv\")
state { s: seq<0..4, 8> }
action add(c in 0..4) when len(s) < 8 { s.push(c) }
done when len(s) == 8
reward float(T[sum(k in 0..8: s[k] * 4 ** (7 - k))])
";
    let validated = check_in(&dir, source, &[]).expect("checks");
    let dag = validated.dag.expect("enumerates");
    let expected: f64 = (0..65_536).map(|k| f64::from(1 + k % 7)).sum::<f64>().ln();
    assert!((dag.log_z - expected).abs() < 1e-9);
}

#[test]
fn load_errors_name_the_file_line_and_column() {
    let dir = folder(
        "errors",
        &[
            ("word.csv", b"1,2\n3,x\n"),
            ("ragged.csv", b"1,2\n3\n"),
            ("ragged.json", b"[[1, 2], [3]]"),
            ("bad.json", b"[1, 2"),
            ("mixed.json", b"[1, true]"),
            ("t.txt", b"1\n"),
            ("short.csv", b"1\n2\n"),
        ],
    );
    let cases = [
        ("word.csv", "line 2, column 2: `x` is not a number"),
        (
            "ragged.csv",
            "line 2: 1 columns where the rows above have 2",
        ),
        ("ragged.json", "at [1]: 1 elements where the first has 2"),
        ("bad.json", "line 1, column 5"),
        ("mixed.json", "mixes true/false with numbers"),
        ("t.txt", "load reads .csv, .json and .npy files"),
        ("missing.csv", "cannot read `missing.csv`"),
    ];
    for (file, expected) in cases {
        let source = format!(
            "env e\nconst T = load(\"{file}\")\nstate {{ i: 0..2 }}\nstop\nreward float(T[0][0])\n"
        );
        let errors = check_in(&dir, &source, &[]).err().expect("refused");
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("gfn::check::load") && e.contains(expected)),
            "{file}: {errors:?}"
        );
    }
    // A table indexed out of range is an error in the state that does it.
    let source = "env e\nconst T = load(\"short.csv\")\nstate { i: 0..4 }\naction inc when i < 3 { i += 1 }\nstop\nreward float(T[i])\n";
    let errors = check_in(&dir, source, &[]).err().expect("refused");
    assert!(
        errors.iter().any(|e| e.contains("out of range")),
        "{errors:?}"
    );
    // `load` outside a const, a string elsewhere.
    let source = "env e\nstate { i: 0..2 }\nstop\nreward float(load(\"short.csv\")[i])\n";
    let errors = check_in(&dir, source, &[]).err().expect("refused");
    assert!(
        errors[0].starts_with("gfn::check::load_not_constant"),
        "{errors:?}"
    );
    let source = "env e\nconst S = \"x\"\nstate { i: 0..2 }\nstop\nreward 1.0\n";
    let errors = check_in(&dir, source, &[]).err().expect("refused");
    assert!(
        errors[0].starts_with("gfn::check::misplaced_string"),
        "{errors:?}"
    );
}

#[test]
fn array_params_take_set_values_and_tables() {
    let dir = folder(
        "params",
        &[("w.csv", b"0.5\n1\n2\n"), ("w2.csv", b"1\n2\n")],
    );
    let source = "env w
param W: [float; 3] = [1, 2, 3]
state { i: 0..3 }
action inc when i < 2 { i += 1 }
stop
reward W[i]
";
    let sum_log = |values: [f64; 3]| values.iter().sum::<f64>().ln();
    let checked = check_in(&dir, source, &[]).expect("checks");
    assert!((log_z(&checked) - sum_log([1.0, 2.0, 3.0])).abs() < 1e-12);
    let checked = check_in(&dir, source, &["W=[1.5, 2, 0.25]"]).expect("checks");
    assert!((log_z(&checked) - sum_log([1.5, 2.0, 0.25])).abs() < 1e-12);
    let at = format!("W=@{}", dir.join("w.csv").display());
    let checked = check_in(&dir, source, &[&at]).expect("checks");
    assert!((log_z(&checked) - sum_log([0.5, 1.0, 2.0])).abs() < 1e-12);
    for bad in [
        "W=[1, 2]",
        "W=[true, false, true]",
        "W=3",
        "W=[1, 2",
        &format!("W=@{}", dir.join("w2.csv").display()),
    ] {
        let errors = check_in(&dir, source, &[bad]).err().expect("refused");
        assert!(
            errors[0].starts_with("gfn::check::set_wrong_type"),
            "{bad}: {errors:?}"
        );
    }
    // Lengths may use other params, set on the same command line.
    let source = "env w\nparam N: int = 2\nparam W: [int; N] = [1, 1]\nstate { i: 0..2 }\nstop\nreward float(sum(W))\n";
    check_in(&dir, source, &["W=[1, 2, 3]", "N=3"]).expect("N is set first");
    // A wrong declared value.
    let source = "env w\nparam W: [int; 2] = [1, 2, 3]\nstate { i: 0..2 }\nstop\nreward 1.0\n";
    let errors = check_in(&dir, source, &[]).err().expect("refused");
    assert!(
        errors[0].starts_with("gfn::check::type_mismatch"),
        "{errors:?}"
    );
}

const SCORER: &str = "import json, sys
mode = sys.argv[1] if len(sys.argv) > 1 else 'ok'
for line in sys.stdin:
    states = json.loads(line)
    if mode == 'crash': sys.exit(3)
    if mode == 'short': states = states[1:]
    if mode == 'hang':
        import time
        time.sleep(60)
    if mode == 'junk':
        print('hello', flush=True)
        continue
    if mode == 'string':
        print(json.dumps(['x' for s in states]), flush=True)
        continue
    sign = -1 if mode == 'negative' else 1
    print(json.dumps([sign * (1.0 + sum(s['x'])) for s in states]), flush=True)
    if mode == 'twice':
        print('scored', len(states), 'states', flush=True)
";

fn scorer_program(command: &str, item: &str) -> String {
    format!(
        "env scored
state {{ x: [0..3; 3] }}
action inc(i in 0..3) when x[i] < 2 {{ x[i] += 1 }}
stop
{item} extern(\"{command}\")
"
    )
}

#[test]
fn a_scorer_gives_the_same_rewards_as_the_expression() {
    let dir = folder("scorer", &[("score.py", SCORER.as_bytes())]);
    let scored =
        check_in(&dir, &scorer_program("python3 score.py", "reward"), &[]).expect("checks");
    let written = gfnc::validate(
        "env e\nstate { x: [0..3; 3] }\naction inc(i in 0..3) when x[i] < 2 { x[i] += 1 }\nstop\nreward 1.0 + float(sum(x))\n",
        &[],
    )
    .expect("checks");
    assert!((log_z(&scored) - log_z(&written)).abs() < 1e-12);
    // Combined with other terms, and as a log reward.
    let scored = check_in(
        &dir,
        &scorer_program("python3 score.py", "log_reward 0.5 *"),
        &[],
    )
    .expect("checks");
    assert!(log_z(&scored).is_finite());
    // Training asks in batches and trains to the same target.
    let mut trainer = Trainer::new(
        &scored.env,
        Config {
            steps: 50,
            hidden: 32,
            ..Config::default()
        },
        scored.dag,
    )
    .expect("trainer");
    for _ in 0..50 {
        trainer.train_step().expect("trains");
    }
    assert!(trainer.evaluate().expect("evaluates").l1.expect("exact") < 2.0);
}

#[test]
fn every_scorer_failure_is_a_located_error() {
    let dir = folder("failures", &[("score.py", SCORER.as_bytes())]);
    let cases = [
        (
            "crash",
            "reward",
            "exited (exit status: 3) before answering",
        ),
        ("short", "reward", "answered 26 numbers for 27 states"),
        (
            "junk",
            "reward",
            "answered `hello`, which is not a JSON array",
        ),
        ("string", "reward", "not a finite number"),
        ("negative", "reward", "answered the reward -1 for state"),
        ("hang", "reward", "did not answer a batch of 27 states"),
    ];
    for (mode, item, expected) in cases {
        let file = dir.join(format!("{mode}.gfn"));
        std::fs::write(
            &file,
            scorer_program(&format!("python3 score.py {mode}"), item),
        )
        .expect("writes");
        let path = file.display().to_string();
        let out = gfnc(&["check", "--color", "never", "--scorer-timeout", "1", &path]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{mode}: {stderr}");
        assert!(stderr.contains("gfn::env::scorer"), "{mode}: {stderr}");
        assert!(stderr.contains(expected), "{mode}: {stderr}");
        assert!(
            stderr.contains(&format!("python3 score.py {mode}")),
            "{mode}: {stderr}"
        );
    }
    // Two lines per request: the second request finds the extra line (with the graph too
    // small to enumerate, training asks batch by batch; log Z starts at 0 so that no estimate
    // asks for every object in one request first).
    let file = dir.join("twice.gfn");
    std::fs::write(&file, scorer_program("python3 score.py twice", "reward")).expect("writes");
    let run_dir = dir.join("run-twice").display().to_string();
    let out = gfnc(&[
        "run",
        &file.display().to_string(),
        "--log-z-init",
        "0",
        "--max-states",
        "5",
        "--probe",
        "0",
        "--steps",
        "5",
        "--quiet",
        "--force",
        "--out",
        &run_dir,
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // Debugging output after an answer: found before the next request, or (when it comes
    // late) read as the next answer, which is not a JSON array.
    assert!(
        stderr.contains("a line nobody asked for") || stderr.contains("not a JSON array"),
        "{stderr}"
    );
    // A negative answer is fine as a log reward.
    let file = dir.join("log.gfn");
    std::fs::write(
        &file,
        scorer_program("python3 score.py negative", "log_reward"),
    )
    .expect("writes");
    let out = gfnc(&["check", &file.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // `extern` outside the reward.
    let source =
        "env e\nstate { i: 0..2 }\nstop when extern(\"python3 score.py\") > 0\nreward 1.0\n";
    let errors = check_in(&dir, source, &[]).err().expect("refused");
    assert!(
        errors[0].starts_with("gfn::check::extern_outside_reward"),
        "{errors:?}"
    );
}

/// The number of labelled DAGs on n nodes (OEIS A003024): 1, 3, 25, 543, 29281.
#[test]
fn dag_structures_count_as_brute_force_says() {
    let source = "env dags
param N: int = 3
state { adj: [[bool; N]; N] }
action add(i in 0..N, j in 0..N) when i != j and not adj[i][j] and not reachable(adj, j, i) { adj[i][j] = true }
stop
reward 1.0
mode when acyclic(adj)
";
    for (n, dags) in [(2, 3usize), (3, 25), (4, 543), (5, 29_281)] {
        let validated = gfnc::validate(
            source,
            &[Override::parse(&format!("N={n}")).expect("valid")],
        )
        .expect("checks");
        let dag = validated.dag.expect("enumerates");
        assert_eq!(dag.len(), dags, "N={n}");
        assert_eq!(dag.mode_count(), dags, "every state is acyclic, N={n}");
    }
    // adjacency() builds the matrix of an edge list; a node out of range is refused.
    let source = "env e
const A = adjacency(3, [[0, 1], [1, 2]])
state { i: 0..3 }
action inc when i < 2 and A[i][i + 1] { i += 1 }
stop
reward 1.0 + float(i)
mode when reachable(A, 0, i) and acyclic(A)
";
    let dag = gfnc::validate(source, &[])
        .expect("checks")
        .dag
        .expect("enumerates");
    assert_eq!((dag.len(), dag.mode_count()), (3, 2));
    let bad = source.replace("[1, 2]]", "[1, 3]]");
    let errors = gfnc::validate(&bad, &[]).err().expect("refused");
    assert_eq!(errors[0].code, "gfn::check::adjacency_node");
}

/// On a space small enough to enumerate, the importance-sampled log P_T of every object
/// agrees with the exact one, and the correlation metrics are reported next to the exact L1.
#[test]
fn large_space_metrics_agree_with_exact_values() {
    let source =
        std::fs::read_to_string(crate::root().join("examples/subsets.gfn")).expect("readable");
    let validated = gfnc::validate(&source, &[]).expect("checks");
    let env = &validated.env;
    let dag = validated.dag.expect("enumerates");
    let terminals: Vec<usize> = (0..dag.len())
        .filter(|&k| !dag.log_reward[k].is_nan())
        .collect();
    let mut trainer = Trainer::new(
        env,
        Config {
            steps: 200,
            hidden: 32,
            ..Config::default()
        },
        Some(dag),
    )
    .expect("trainer");
    for _ in 0..200 {
        trainer.train_step().expect("trains");
    }
    let metrics = trainer.evaluate().expect("evaluates");
    assert!(metrics.l1.is_some() && metrics.spearman.is_some() && metrics.pearson.is_some());
    assert!(metrics.distinct > 0 && metrics.top_k_reward.is_some());
    let (exact, objects) = {
        let dag = trainer.dag.as_ref().expect("kept");
        let mut ws = gfnc::env::Workspace::new();
        let forward = gfnc::train::objective::forward_probabilities(
            env,
            &trainer.policy,
            dag.states.slots(),
            &mut ws,
        )
        .expect("probabilities");
        let p = dag.terminal_distribution(&forward, env.action_count());
        let exact: Vec<f64> = terminals.iter().map(|&k| p[k].ln()).collect();
        let objects: Vec<i32> = terminals
            .iter()
            .flat_map(|&k| dag.states.get(k).to_vec())
            .collect();
        (exact, objects)
    };
    let estimated = trainer
        .estimate_log_pt(&objects, 256, 7)
        .expect("estimates");
    let w = env.width();
    for (k, truth) in exact.iter().enumerate() {
        assert!(
            (estimated[k] - truth).abs() < 0.15,
            "{}: estimated {} exact {truth}",
            env.render(&objects[k * w..(k + 1) * w]),
            estimated[k]
        );
    }
}
