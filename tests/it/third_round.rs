//! The third hostile round, on what gfnc starts and how it stops: no scorer (nor anything a
//! scorer started) outlives gfnc, whatever way gfnc ends; scorers that misbehave are stopped
//! with a message; evaluation and compare stay within their budgets.

use crate::{gfnc, root, text};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gfnc-scorer-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// The pids of the processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<i32> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        // A zombie has an empty command line: it holds nothing and is not running.
        if String::from_utf8_lossy(&cmdline).contains(marker) {
            found.push(pid);
        }
    }
    found
}

fn wait_for(what: &str, seconds: u64, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(seconds),
            "{what}: not within {seconds} s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A scorer that starts a grandchild, and then either answers (`answer`) or hangs on its first
/// request; at the end of its input it sleeps on instead of exiting, as a careless scorer does.
fn careless_scorer(dir: &Path, marker: &str, answer: bool) {
    let script = format!(
        r#"import json, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{marker}-grandchild"])
for line in sys.stdin:
    if not {answer}:
        time.sleep(600)
    states = json.loads(line)
    print(json.dumps([1.0 + s["n"] for s in states]), flush=True)
time.sleep(600)
"#,
        answer = if answer { "True" } else { "False" }
    );
    std::fs::write(dir.join("careless.py"), script).expect("scorer");
    let program = format!(
        "env careless\nstate {{ n: 0..6 }}\naction up when n < 5 {{ n += 1 }}\nstop\nreward extern(\"python3 careless.py {marker}\")\n"
    );
    std::fs::write(dir.join("careless.gfn"), program).expect("program");
}

fn spawn(args: &[&str], stdout: Stdio) -> Child {
    Command::new(env!("CARGO_BIN_EXE_gfnc"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .expect("gfnc starts")
}

fn ends_with_gfnc(marker: &str) {
    wait_for(&format!("the processes of {marker} end"), 10, || {
        processes_with(marker).is_empty()
    });
}

#[test]
fn no_scorer_outlives_gfnc() {
    let dir = scratch("outlives");
    let file = dir.join("careless.gfn").display().to_string();
    let marker = format!("gfnc-marker-{}", std::process::id());
    // Killed (-9, TERM, INT) while waiting for a scorer that never answers.
    for (k, signal) in [libc::SIGKILL, libc::SIGTERM, libc::SIGINT]
        .iter()
        .enumerate()
    {
        let marker = format!("{marker}-{k}");
        careless_scorer(&dir, &marker, false);
        let command = if k == 0 { "run" } else { "check" };
        let out = dir.join(format!("run-{k}")).display().to_string();
        let mut args = vec![command, &file];
        if k == 0 {
            args.extend(["--steps", "5", "--hidden", "8", "--quiet", "--out", &out]);
        }
        let mut child = spawn(&args, Stdio::null());
        wait_for("the grandchild starts", 30, || {
            processes_with(&format!("{marker}-grandchild")).len() == 1
        });
        // SAFETY: a signal to the child this test started.
        unsafe {
            libc::kill(child.id() as i32, *signal);
        }
        let _ = child.wait();
        ends_with_gfnc(&marker);
    }
    // A closed pipe: `gfnc sample DIR | head -1` with a scorer that answers.
    let marker = format!("{marker}-pipe");
    careless_scorer(&dir, &marker, true);
    let run = dir.join("answered").display().to_string();
    let out = gfnc(&[
        "run", &file, "--steps", "5", "--hidden", "8", "--quiet", "--out", &run,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    ends_with_gfnc(&marker);
    let mut child = spawn(&["sample", &run, "-n", "100000"], Stdio::piped());
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("a line");
    assert!(!first.is_empty());
    // The pipe is closed here (the reader dropped), as `head -1` does.
    let status = child.wait().expect("gfnc ends");
    assert_eq!(status.code(), Some(0));
    ends_with_gfnc(&marker);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_scorer_that_never_ends_its_line_is_stopped() {
    let dir = scratch("endless");
    std::fs::write(
        dir.join("digits.py"),
        "import sys\nsys.stdin.readline()\nwhile True:\n    sys.stdout.write('1' * 65536)\n",
    )
    .expect("scorer");
    std::fs::write(
        dir.join("endless.gfn"),
        "env endless\nstate { n: 0..3 }\naction up when n < 2 { n += 1 }\nstop\nreward extern(\"python3 digits.py\")\n",
    )
    .expect("program");
    let start = Instant::now();
    let out = gfnc(&["check", &dir.join("endless.gfn").display().to_string()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("more than 16777216 bytes"), "{stderr}");
    assert!(start.elapsed() < Duration::from_secs(30));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn out_of_range_answers_are_named_as_such() {
    let dir = scratch("range");
    std::fs::write(
        dir.join("huge.py"),
        "import sys\nfor line in sys.stdin:\n    print('[' + ','.join(['1e999'] * line.count('{')) + ']', flush=True)\n",
    )
    .expect("scorer");
    std::fs::write(
        dir.join("huge.gfn"),
        "env huge\nstate { n: 0..3 }\naction up when n < 2 { n += 1 }\nstop\nreward extern(\"python3 huge.py\")\n",
    )
    .expect("program");
    let out = gfnc(&["check", &dir.join("huge.gfn").display().to_string()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("beyond the range"), "{stderr}");
    assert!(!stderr.contains("not a JSON array"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn wide_states_are_sent_in_requests_of_bounded_size() {
    // 2,048 objects of 8,192 bools would be one 100 MB line; the scorer here records the
    // longest line it receives.
    let dir = scratch("wide");
    std::fs::write(
        dir.join("count.py"),
        "import json, sys\nlongest = 0\nfor line in sys.stdin:\n    longest = max(longest, len(line))\n    open('longest.txt', 'w').write(str(longest))\n    print(json.dumps([1.0] * len(json.loads(line))), flush=True)\n",
    )
    .expect("scorer");
    std::fs::write(
        dir.join("wide.gfn"),
        "env wide\nstate { b: [bool; 8192], k: 0..12 }\naction flip(i in 0..11) when k == i and not b[i] { b[i] = true; k += 1 }\naction skip(i in 0..11) when k == i and not b[i] { k += 1 }\nstop when k == 11\nreward extern(\"python3 count.py\")\n",
    )
    .expect("program");
    let out = gfnc(&[
        "enumerate",
        &dir.join("wide.gfn").display().to_string(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let longest: usize = std::fs::read_to_string(dir.join("longest.txt"))
        .expect("the scorer ran")
        .trim()
        .parse()
        .expect("a number");
    assert!(longest <= 17 << 20, "a request of {longest} bytes");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_program_whose_initial_state_has_a_would_be_parent_is_valid() {
    let dir = scratch("s0");
    let file = dir.join("t.gfn");
    std::fs::write(
        &file,
        "env t\nstate { x: 0..5 = 1 }\naction up when x < 4 { x += 1 }\nstop\nreward 1.0 + x\n",
    )
    .expect("program");
    let file = file.display().to_string();
    let out = gfnc(&["check", &file]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Its parents are never used: s0 has none.
    let out = gfnc(&["inspect", &file, "--state", "x=1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = gfnc(&["enumerate", &file, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // x = 1..4: rewards 2 + 3 + 4 + 5.
    let log_z = value["log_z"].as_f64().expect("log Z");
    assert!((log_z - 14f64.ln()).abs() < 1e-9, "{log_z}");
    let out = gfnc(&[
        "run",
        &file,
        "--steps",
        "30",
        "--hidden",
        "8",
        "--quiet",
        "--pb",
        "learned",
        "--out",
        &dir.join("run").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inspect_reads_from_the_files_folder() {
    let dir = scratch("inspect");
    std::fs::create_dir_all(dir.join("sub")).expect("folder");
    std::fs::write(dir.join("sub/w.csv"), "7\n9\n").expect("table");
    std::fs::write(
        dir.join("sub/p.gfn"),
        "env p\nconst W = load(\"w.csv\")\nstate { x: 0..2 }\naction up when x < 1 { x += 1 }\nstop\nreward float(W[x])\n",
    )
    .expect("program");
    // Run from the repository root: the table is found beside the file, not here.
    let out = gfnc(&[
        "inspect",
        &dir.join("sub/p.gfn").display().to_string(),
        "--state",
        "x=1",
        "--scorer-timeout",
        "5",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains('9'), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn many_actions_explore_within_a_bound_of_states_times_actions() {
    let dir = scratch("actions");
    let file = dir.join("a.gfn");
    // 90 bytes, 60,000 actions, a chain of 60,001 states: 3.6·10⁹ guard tests if explored.
    std::fs::write(
        &file,
        "env a\nstate { x: 0..60001 }\naction a(i in 0..60000) when x == i { x = i + 1 }\nstop\nreward 1.0\n",
    )
    .expect("program");
    let start = Instant::now();
    let out = gfnc(&["check", &file.display().to_string(), "--probe-seconds", "2"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("states × actions"), "{stdout}");
    assert!(
        start.elapsed() < Duration::from_secs(90),
        "{:?}",
        start.elapsed()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn compare_locks_its_folder_and_estimates_its_memory() {
    let dir = scratch("compare");
    let out = gfnc(&[
        "compare",
        "examples/hypergrid.gfn",
        "--hidden",
        "16384",
        "--batch",
        "65536",
        "--out",
        &dir.join("big").display().to_string(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("would need about"), "{stderr}");
    let folder = dir.join("same").display().to_string();
    let mut first = spawn(
        &[
            "compare",
            "examples/hypergrid.gfn",
            "--budget",
            "100000000",
            "--methods",
            "tb",
            "--seeds",
            "1",
            "--hidden",
            "16",
            "--out",
            &folder,
        ],
        Stdio::null(),
    );
    wait_for("the first compare locks its folder", 60, || {
        dir.join("same/.lock").exists()
    });
    let out = gfnc(&["compare", "examples/hypergrid.gfn", "--out", &folder]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("in use by another gfnc process"),
        "{stderr}"
    );
    let _ = first.kill();
    let _ = first.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_interrupted_run_prints_its_summary() {
    let dir = scratch("interrupted");
    let out_dir = dir.join("run").display().to_string();
    let child = spawn(
        &[
            "run",
            "examples/hypergrid.gfn",
            "--steps",
            "100000000",
            "--hidden",
            "16",
            "--eval-every",
            "50",
            "--out",
            &out_dir,
        ],
        Stdio::piped(),
    );
    wait_for("a first checkpoint", 60, || {
        dir.join("run/checkpoint.json").exists()
    });
    // SAFETY: a signal to the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let output = child.wait_with_output().expect("gfnc ends");
    assert_eq!(output.status.code(), Some(130));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("log Z"), "{stdout}");
    assert!(stdout.contains("exact L1"), "{stdout}");
    // The whole graph is known: the correlations use the exact P_T.
    assert!(!stdout.contains("estimated"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn huge_rewards_print_as_powers_of_e() {
    let dir = scratch("huge");
    let file = dir.join("h.gfn");
    std::fs::write(
        &file,
        "env h\nstate { x: 0..4 }\naction up when x < 3 { x += 1 }\nstop\nlog_reward 800.0 + float(x)\n",
    )
    .expect("program");
    let out = gfnc(&[
        "run",
        &file.display().to_string(),
        "--steps",
        "20",
        "--hidden",
        "8",
        "--out",
        &dir.join("run").display().to_string(),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!stdout.contains("inf"), "{stdout}");
    assert!(stdout.contains("mean reward e^80"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn evaluation_keeps_to_its_budget_and_hears_the_stop_flag() {
    use gfnc::train::{Config, TrainError, Trainer};
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let source =
        std::fs::read_to_string(root().join("examples/bitseq_large.gfn")).expect("example");
    let model = gfnc::load_in(&source, &[], &root().join("examples")).expect("valid");
    let env = gfnc::env::Environment::new(&model).expect("compiles");
    let config = Config {
        hidden: 16,
        test_size: 64,
        ..Config::default()
    };
    // With a budget of nothing, the correlations are skipped, and say why.
    let mut trainer = Trainer::new(&env, config.clone(), None).expect("a trainer");
    trainer.set_correlation_seconds(0.0);
    trainer.train_step().expect("a step");
    let metrics = trainer.evaluate().expect("figures");
    assert!(metrics.spearman.is_none());
    assert!(trainer
        .correlations_skipped()
        .is_some_and(|why| why.contains("time budget")));
    // Within it, they are computed.
    let mut trainer = Trainer::new(&env, config.clone(), None).expect("a trainer");
    trainer.train_step().expect("a step");
    assert!(trainer.evaluate().expect("figures").spearman.is_some());
    // A raised flag stops the evaluation at once.
    let mut trainer = Trainer::new(&env, config, None).expect("a trainer");
    trainer.set_stop(Arc::new(AtomicBool::new(true)));
    trainer.train_step().expect("a step");
    assert!(matches!(trainer.evaluate(), Err(TrainError::Interrupted)));
}
