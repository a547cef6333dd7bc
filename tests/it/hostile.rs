//! The hostile campaign, fast subset: kills at random moments, damaged and foreign run
//! directories, flags that would be ignored, closed pipes and full disks, absurd sizes under a
//! memory limit. Every case ends with a clear message and exit 1 or 2 (or 0 when nothing is
//! wrong), never a panic (101), an abort (134) or lost data.

use crate::{gfnc, text};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gfnc-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

pub(crate) fn never_crashes(out: &Output, what: &str) {
    let code = out.status.code();
    assert!(
        matches!(code, Some(0..=2) | Some(130)),
        "{what}: exit {code:?}\n{}",
        text(&out.stderr)
    );
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{what}: {}",
        text(&out.stderr)
    );
}

/// A short hypergrid run's flags, into `dir`.
pub(crate) fn run_args(dir: &Path, steps: usize) -> Vec<String> {
    [
        "run",
        "examples/hypergrid.gfn",
        "--hidden",
        "32",
        "--eval-every",
        "10",
        "--replay",
        "32",
        "--seed",
        "3",
        "--samples",
        "10",
        "--quiet",
        "--steps",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        steps.to_string(),
        "--out".to_string(),
        dir.display().to_string(),
    ])
    .collect()
}

/// metrics.csv without the wall-clock column.
fn metrics_without_time(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("metrics.csv"))
        .expect("metrics.csv")
        .lines()
        .map(|line| {
            let mut cells: Vec<&str> = line.split(',').collect();
            cells.remove(2);
            cells.join(",")
        })
        .collect()
}

fn final_figures(dir: &Path) -> serde_json::Value {
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).expect("run.json"))
            .expect("JSON");
    let m = &record["final_metrics"];
    serde_json::json!([
        m["step"],
        m["loss"],
        m["log_z"],
        m["l1"],
        m["empirical_l1"],
        m["modes_found"]
    ])
}

/// Killed (SIGKILL or SIGTERM) at random moments and resumed until done, a run ends exactly as
/// an uninterrupted one: same metrics rows, same final figures.
#[test]
fn kills_at_random_moments_then_resume_equal_an_uninterrupted_run() {
    killed_and_resumed(&[libc::SIGKILL, libc::SIGTERM, libc::SIGKILL], 7);
}

/// The full campaign (`cargo test -- --ignored`, run by CI): twenty runs, each killed four times.
#[test]
#[ignore]
fn kills_full_campaign() {
    let signals: Vec<i32> = (0..20)
        .map(|k| {
            if k % 3 == 1 {
                libc::SIGTERM
            } else {
                libc::SIGKILL
            }
        })
        .collect();
    killed_and_resumed(&signals, 11);
}

fn killed_and_resumed(signals: &[i32], seed: u64) {
    let steps = 3000;
    let straight = scratch(&format!("straight-{seed}"));
    let out = Command::new(env!("CARGO_BIN_EXE_gfnc"))
        .args(run_args(&straight, steps))
        .current_dir(crate::root())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut rng = StdRng::seed_from_u64(seed);
    for (trial, signal) in signals.iter().enumerate() {
        let dir = scratch(&format!("killed-{seed}-{trial}"));
        let mut kills = 0;
        loop {
            let resuming = dir.join("checkpoint.json").exists();
            let args: Vec<String> = if resuming {
                vec![
                    "run".into(),
                    "--resume".into(),
                    dir.display().to_string(),
                    "--quiet".into(),
                ]
            } else {
                let mut a = run_args(&dir, steps);
                a.push("--force".into());
                a
            };
            let mut child = Command::new(env!("CARGO_BIN_EXE_gfnc"))
                .args(&args)
                .current_dir(crate::root())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("starts");
            if kills < 4 {
                std::thread::sleep(Duration::from_millis(rng.random_range(10..800)));
                if child.try_wait().ok().flatten().is_none() {
                    // SAFETY: sends a signal to the child this test started.
                    unsafe {
                        libc::kill(child.id() as i32, *signal);
                    }
                    kills += 1;
                }
            }
            let out = child.wait_with_output().expect("exits");
            let code = out.status.code();
            assert!(
                matches!(code, None | Some(0) | Some(130)),
                "trial {trial}: exit {code:?}: {}",
                text(&out.stderr)
            );
            if code == Some(0) {
                break;
            }
        }
        assert!(kills > 0, "trial {trial}: no signal landed mid-run");
        let (expected, got) = (metrics_without_time(&straight), metrics_without_time(&dir));
        let first_difference = expected
            .iter()
            .zip(&got)
            .find(|(e, g)| e != g)
            .map(|(e, g)| format!("expected {e}\n     got {g}"));
        assert!(
            expected.len() == got.len() && first_difference.is_none(),
            "trial {trial}: metrics differ from the uninterrupted run ({} vs {} rows): {first_difference:?}",
            expected.len(),
            got.len()
        );
        assert_eq!(
            final_figures(&straight),
            final_figures(&dir),
            "trial {trial}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    let _ = std::fs::remove_dir_all(&straight);
}

#[test]
fn a_run_directory_is_owned() {
    let dir = scratch("owned");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("notes.txt"), "mine").expect("write");
    let out = gfnc(
        &run_args(&dir, 20)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is not empty"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("--force"));
    // --force writes the run beside the user's file and leaves that file alone.
    let mut args = run_args(&dir, 20);
    args.push("--force".into());
    let out = gfnc(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).expect("kept"),
        "mine"
    );
    // A second run into a run directory points to --resume.
    let out = gfnc(
        &run_args(&dir, 20)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--resume"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_second_process_is_kept_out_of_a_run_in_progress() {
    let dir = scratch("locked");
    let mut first = Command::new(env!("CARGO_BIN_EXE_gfnc"))
        .args(run_args(&dir, 100_000_000))
        .current_dir(crate::root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !dir.join("checkpoint.json").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = gfnc(&[
        "run",
        "--resume",
        &dir.display().to_string(),
        "--steps",
        "200000000",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("in use by another gfnc process"),
        "{}",
        text(&out.stderr)
    );
    let _ = first.kill();
    let _ = first.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resume_refuses_what_it_would_ignore_and_changes_nothing_when_done() {
    let dir = scratch("resume");
    let path = dir.display().to_string();
    let out = gfnc(
        &run_args(&dir, 20)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(0));
    let record = std::fs::read(dir.join("run.json")).expect("run.json");
    // Nothing to do: said, exit 0, nothing rewritten.
    let out = gfnc(&["run", "--resume", &path]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("nothing to do"));
    let out = gfnc(&["run", "--resume", &path, "--steps", "10"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read(dir.join("run.json")).expect("run.json"),
        record
    );
    // Flags that would change the run are refused, not ignored.
    for flag in [
        vec!["--lr", "0.5"],
        vec!["--batch", "4"],
        vec!["--objective", "db"],
        vec!["examples/hypergrid.gfn"],
        vec!["--out", "elsewhere"],
    ] {
        let mut args = vec!["run", "--resume", &path, "--steps", "40"];
        args.extend(flag.iter());
        let out = gfnc(&args);
        assert_eq!(out.status.code(), Some(2), "{flag:?}");
        assert!(
            text(&out.stderr).contains("cannot change a run on --resume"),
            "{flag:?}"
        );
    }
    let out = gfnc(&[
        "run",
        "--resume",
        &path,
        "--steps",
        "40",
        "--trajectories",
        "48",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not both"));
    // The run is intact: it samples and extends.
    let out = gfnc(&["sample", &path, "-n", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = gfnc(&["run", "--resume", &path, "--steps", "30", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn damaged_run_directories_are_refused_with_the_file_named() {
    let dir = scratch("damaged");
    let path = dir.display().to_string();
    let out = gfnc(
        &run_args(&dir, 20)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(0));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("checkpoint.json")).expect("manifest"),
    )
    .expect("JSON");
    let folder = dir.join(manifest["folder"].as_str().expect("folder"));
    let resume = || gfnc(&["run", "--resume", &path, "--steps", "30", "--quiet"]);
    let refused = |out: &Output, needle: &str| {
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(needle),
            "{needle}: {}",
            text(&out.stderr)
        );
    };
    // A damaged tensor file.
    let model = folder.join("model.safetensors");
    let original = std::fs::read(&model).expect("model");
    let mut bytes = original.clone();
    let k = bytes.len() - 5;
    bytes[k] ^= 0xff;
    std::fs::write(&model, &bytes).expect("write");
    refused(&resume(), "does not match its checksum");
    refused(&gfnc(&["sample", &path]), "does not match its checksum");
    std::fs::write(&model, &original).expect("restore");
    // An edited environment.
    let source = std::fs::read_to_string(dir.join("env.gfn")).expect("env.gfn");
    std::fs::write(
        dir.join("env.gfn"),
        source.replace("R0: float = 0.1", "R0: float = 0.2"),
    )
    .expect("write");
    refused(&resume(), "changed since the checkpoint");
    std::fs::write(dir.join("env.gfn"), &source).expect("restore");
    // An invalid configuration.
    let record = std::fs::read_to_string(dir.join("run.json")).expect("run.json");
    std::fs::write(
        dir.join("run.json"),
        record.replace("\"explore\": 0.0", "\"explore\": 5.0"),
    )
    .expect("write");
    refused(&resume(), "invalid configuration");
    std::fs::write(dir.join("run.json"), &record).expect("restore");
    // A damaged metrics.csv is rebuilt from the checkpoint's own copy.
    std::fs::write(dir.join("metrics.csv"), "garbage\n").expect("write");
    let out = resume();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).expect("metrics");
    assert!(
        metrics.lines().nth(1).is_some_and(|l| l.starts_with("10,")),
        "{metrics}"
    );
    // A replay buffer holding a value no state has, checksums recomputed: refused all the same.
    let manifest_path = dir.join("checkpoint.json");
    let manifest_text = std::fs::read_to_string(&manifest_path).expect("manifest");
    let manifest: serde_json::Value = serde_json::from_str(&manifest_text).expect("JSON");
    let folder = dir.join(manifest["folder"].as_str().expect("folder"));
    let state_path = folder.join("state.json");
    let state_bytes = std::fs::read(&state_path).expect("state");
    let state: serde_json::Value = serde_json::from_slice(&state_bytes).expect("JSON");
    let mut forged = state.clone();
    forged["replay"]["states"][0] = serde_json::json!(99);
    forged["replay"]["states"][1] = serde_json::json!(99);
    let forged_bytes = serde_json::to_vec(&forged).expect("JSON");
    std::fs::write(&state_path, &forged_bytes).expect("write");
    let mut text = std::fs::read_to_string(&manifest_path).expect("manifest");
    let entry = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["name"] == "state.json")
        .expect("state entry");
    text = text
        .replace(
            entry["fnv64"].as_str().expect("sum"),
            &gfnc::train::rundir::checksum(&forged_bytes),
        )
        .replace(
            &format!("\"bytes\": {}", entry["bytes"]),
            &format!("\"bytes\": {}", forged_bytes.len()),
        );
    std::fs::write(&manifest_path, text).expect("write");
    refused(&resume(), "not a state of this environment");
    std::fs::write(&state_path, &state_bytes).expect("restore");
    std::fs::write(&manifest_path, &manifest_text).expect("restore");
    // Weights that are not finite, in a checkpoint whose checksums agree: refused all the same.
    let manifest_path = dir.join("checkpoint.json");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).expect("manifest"))
            .expect("JSON");
    let folder = dir.join(manifest["folder"].as_str().expect("folder"));
    let model = folder.join("model.safetensors");
    let mut tensors =
        candle_core::safetensors::load(&model, &candle_core::Device::Cpu).expect("tensors");
    let name = tensors.keys().min().cloned().expect("a tensor");
    let poisoned = (tensors[&name].clone() * f64::NAN).expect("NaN");
    tensors.insert(name, poisoned);
    candle_core::safetensors::save(&tensors, &model).expect("save");
    let bytes = std::fs::read(&model).expect("model");
    let mut text = std::fs::read_to_string(&manifest_path).expect("manifest");
    let entry = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["name"] == "model.safetensors")
        .expect("model entry");
    text = text
        .replace(
            entry["fnv64"].as_str().expect("sum"),
            &gfnc::train::rundir::checksum(&bytes),
        )
        .replace(
            &format!("\"bytes\": {}", entry["bytes"]),
            &format!("\"bytes\": {}", bytes.len()),
        );
    std::fs::write(&manifest_path, text).expect("write");
    refused(&gfnc(&["sample", &path]), "holds NaN");

    // A missing manifest: no complete checkpoint.
    std::fs::remove_file(dir.join("checkpoint.json")).expect("remove");
    refused(&resume(), "no complete checkpoint");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn closed_pipes_end_quietly_and_full_disks_are_errors() {
    let dir = scratch("pipes");
    let path = dir.display().to_string();
    let out = gfnc(
        &run_args(&dir, 20)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(0));
    for args in [
        vec!["sample", path.as_str(), "-n", "20000"],
        vec!["enumerate", "examples/ising.gfn", "--top", "100000"],
        vec!["inspect", "examples/ising.gfn"],
    ] {
        // `| head -0`: the reader is gone before the first line.
        let mut child = Command::new(env!("CARGO_BIN_EXE_gfnc"))
            .args(&args)
            .current_dir(crate::root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("exits");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).contains("panicked"));
    }
    if Path::new("/dev/full").exists() {
        let full = || {
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full")
        };
        let out = Command::new(env!("CARGO_BIN_EXE_gfnc"))
            .args(["check", "examples/hypergrid.gfn"])
            .current_dir(crate::root())
            .stdout(full())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains("cannot write the output"));
        let out = Command::new(env!("CARGO_BIN_EXE_gfnc"))
            .args(["check", "tests/env_errors/cycle.gfn"])
            .current_dir(crate::root())
            .stderr(full())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A run on a small tmpfs that fills up keeps its last complete checkpoint (where this machine
/// lets the test mount one; skipped otherwise).
#[test]
fn a_full_disk_keeps_the_last_complete_checkpoint() {
    let mount = scratch("tmpfs");
    std::fs::create_dir_all(&mount).expect("dir");
    let mounted = Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            "size=360k",
            "tmpfs",
            &mount.display().to_string(),
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !mounted {
        let _ = std::fs::remove_dir_all(&mount);
        return;
    }
    let dir = mount.join("run");
    let out = gfnc(&[
        "run",
        "examples/hypergrid.gfn",
        "--hidden",
        "128",
        "--eval-every",
        "5",
        "--steps",
        "200",
        "--quiet",
        "--out",
        &dir.display().to_string(),
    ]);
    // The last complete checkpoint is still there and usable.
    let sampled = gfnc(&["sample", &dir.display().to_string(), "-n", "2"]);
    let _ = Command::new("umount").arg(&mount).output();
    let _ = std::fs::remove_dir_all(&mount);
    assert_eq!(sampled.status.code(), Some(0), "{}", text(&sampled.stderr));
    never_crashes(&out, "disk full");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("No space left"),
        "{}",
        text(&out.stderr)
    );
}

/// Absurd inputs under a 4 GB address-space limit: refused up front with a figure, never an
/// allocation failure.
#[test]
fn absurd_sizes_are_refused_under_a_memory_limit() {
    let dir = scratch("absurd");
    std::fs::create_dir_all(&dir).expect("dir");
    let head = "env t\nstate { x: 0..3 }\naction up when x < 2 { x += 1 }\nstop\n";
    let mut chain = format!("{head}let l0 = float(x)\n");
    for i in 1..10_000 {
        chain.push_str(&format!("let l{i} = l{} + 1.0\n", i - 1));
    }
    chain.push_str("reward 1.0 + l9999\n");
    let mut doubling = format!("{head}let d0 = float(x)\n");
    for i in 1..31 {
        doubling.push_str(&format!("let d{i} = d{} + d{}\n", i - 1, i - 1));
    }
    doubling.push_str("reward 1.0 + d30\n");
    let files = [
        ("chain.gfn", chain),
        ("doubling.gfn", doubling),
        (
            "repeat.gfn",
            format!("env t\nconst A = [[0; 100000]; 100000]\n{}reward 1.0 + float(A[0][x])\n", &head[6..]),
        ),
        (
            "wide.gfn",
            format!("{head}reward 1.0 {}+ y\n", " ".repeat(70_000)),
        ),
        (
            "huge_field.gfn",
            "env t\nstate { x: 0..1000000000 }\naction up when x < 2 { x += 1 }\nstop\nreward 1.0\n"
                .to_string(),
        ),
        (
            "huge_space.gfn",
            "env t\nstate { x: [0..10; 100] }\naction up(i in 0..100) when x[i] < 9 { x[i] += 1 }\nstop\nreward 1.0\n"
                .to_string(),
        ),
    ];
    let binary = env!("CARGO_BIN_EXE_gfnc");
    let limited = |args: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -v 4000000; exec {binary} {args}"))
            .current_dir(crate::root())
            .output()
            .expect("sh runs")
    };
    for (name, source) in &files {
        let file = dir.join(name);
        std::fs::write(&file, source).expect("write");
        let file = file.display().to_string();
        for command in ["check", "enumerate --max-memory 1000", "inspect"] {
            let out = limited(&format!("{command} {file} --color never"));
            never_crashes(&out, &format!("{command} {name}"));
        }
        let out = limited(&format!(
            "run {file} --steps 5 --quiet --force --out {}/run-{name}",
            dir.display()
        ));
        never_crashes(&out, &format!("run {name}"));
    }
    for flags in [
        "--hidden 16384 --layers 64",
        "--batch 65536 --hidden 4096",
        "--batch 99999999999999999999",
        "--steps 0",
        "--trajectories 0",
        "--samples 18446744073709551615",
        "--threads 0",
    ] {
        let out = limited(&format!(
            "run examples/hypergrid.gfn {flags} --quiet --out {}/flags",
            dir.display()
        ));
        never_crashes(&out, flags);
        assert_eq!(out.status.code(), Some(2), "{flags}: {}", text(&out.stderr));
    }
    for args in [
        "bench env --batch 0",
        "bench env --trajectories 0",
        "bench train --iterations 0",
        "sample /nonexistent",
        "enumerate /dev/zero",
    ] {
        let out = limited(args);
        assert_eq!(out.status.code(), Some(2), "{args}: {}", text(&out.stderr));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_diverging_run_says_why_and_what_is_kept() {
    let dir = scratch("nan");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("huge.gfn");
    std::fs::write(
        &file,
        "env huge\nstate { x: 0..4 }\naction up when x < 3 { x += 1 }\nstop\nlog_reward 300.0 * float(x)\n",
    )
    .expect("write");
    let out = gfnc(&[
        "run",
        &file.display().to_string(),
        "--steps",
        "200",
        "--eval-every",
        "1",
        "--quiet",
        "--out",
        &dir.join("run").display().to_string(),
    ]);
    if out.status.code() == Some(0) {
        // Training survived these rewards on this machine: nothing to explain.
        return;
    }
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("gfn::train::diverged"), "{stderr}");
    assert!(stderr.contains("rescale the reward"), "{stderr}");
    assert!(stderr.contains("checkpoint"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a hostile tester found once, kept fixed.
#[test]
fn earlier_findings_stay_fixed() {
    let dir = scratch("findings");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = |name: &str| dir.join(name).display().to_string();
    // Flow matching on batches that never leave s0.
    let out = gfnc(&[
        "run",
        "examples/hypergrid.gfn",
        "--objective",
        "fm",
        "--batch",
        "1",
        "--steps",
        "60",
        "--hidden",
        "16",
        "--quiet",
        "--out",
        &path("fm"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Exactness follows the resumed exploration.
    let out = gfnc(&[
        "run",
        "--resume",
        &path("fm"),
        "--steps",
        "80",
        "--max-states",
        "10",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(value["exact"], false);
    assert!(value["l1"].is_null());
    // A .lock that is a symbolic link is refused, and what it points to is left alone.
    std::fs::write(dir.join("victim.txt"), "precious").expect("write");
    std::fs::remove_file(dir.join("fm/.lock")).expect("lock");
    std::os::unix::fs::symlink(dir.join("victim.txt"), dir.join("fm/.lock")).expect("symlink");
    let out = gfnc(&["run", "--resume", &path("fm"), "--steps", "100"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("symbolic link"));
    assert_eq!(
        std::fs::read_to_string(dir.join("victim.txt")).expect("kept"),
        "precious"
    );
    // --force keeps a user's own file inside checkpoints/.
    std::fs::remove_file(dir.join("fm/.lock")).expect("unlink");
    std::fs::write(dir.join("fm/checkpoints/notes"), "mine").expect("write");
    let out = gfnc(&[
        "run",
        "examples/hypergrid.gfn",
        "--steps",
        "20",
        "--hidden",
        "16",
        "--quiet",
        "--force",
        "--out",
        &path("fm"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("fm/checkpoints/notes")).expect("kept"),
        "mine"
    );
    // A manifest that points outside its directory.
    let manifest = std::fs::read_to_string(dir.join("fm/checkpoint.json")).expect("manifest");
    std::fs::write(
        dir.join("fm/checkpoint.json"),
        manifest.replace("\"checkpoints/step-", "\"../other/checkpoints/step-"),
    )
    .expect("write");
    let out = gfnc(&["sample", &path("fm")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a checkpoint folder"));
    // --out naming a file; --set twice; --probe-seconds NaN.
    std::fs::write(dir.join("afile"), "x").expect("write");
    let out = gfnc(&["run", "examples/hypergrid.gfn", "--out", &path("afile")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is not a directory"));
    let out = gfnc(&[
        "check",
        "examples/hypergrid.gfn",
        "--set",
        "H=4",
        "--set",
        "H=5",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("given twice"));
    let out = gfnc(&["check", "examples/hypergrid.gfn", "--probe-seconds", "NaN"]);
    assert_eq!(out.status.code(), Some(2));
    // check --json on an invalid file still prints one object.
    let out = gfnc(&["check", "tests/env_errors/cycle.gfn", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(value["ok"], false);
    // A wide state with few reachable states checks at once (no quadratic parent derivation).
    std::fs::write(
        dir.join("wide.gfn"),
        "env wide\nstate { b: [0..2; 65536] }\naction set(i in 0..65536) when b[i] == 0 and i == 0 { b[i] = 1 }\nstop\nreward 1.0\n",
    )
    .expect("write");
    let out = gfnc(&["check", &path("wide.gfn")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // reward exp(E) keeps its log exactly, beyond what a float holds.
    std::fs::write(
        dir.join("tiny.gfn"),
        "env tiny\nstate { x: 0..3 }\naction up when x < 2 { x += 1 }\nstop\nreward exp(-800.0 * float(x))\n",
    )
    .expect("write");
    let out = gfnc(&["enumerate", &path("tiny.gfn"), "--json", "--top", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(value["top"][2]["log_reward"], -1600.0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// What the second hostile round found, kept fixed.
#[test]
fn second_round_findings_stay_fixed() {
    let dir = scratch("round2");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = |name: &str| dir.join(name).display().to_string();
    // --max-memory holds for wide states.
    std::fs::write(
        dir.join("wide.gfn"),
        "env w\nstate { x: [0..2; 65535], n: 0..3 }\naction flip(i in 0..65535) when x[i] == 0 and n < 2 { x[i] = 1\n n += 1 }\nstop\nreward 1.0 + float(n)\n",
    )
    .expect("write");
    let out = gfnc(&[
        "check",
        &path("wide.gfn"),
        "--max-memory",
        "200",
        "--probe",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("needs more than 200 MB"),
        "{}",
        text(&out.stdout)
    );
    // A state that would step into s0 is no parent of it (backward trajectories end at s0;
    // the third round found this valid program refused), with or without the probe.
    std::fs::write(
        dir.join("s0.gfn"),
        "env s0\nparam L: int = 24\nstate { s: seq<0..2, L> = [1] }\naction append(b in 0..2) when len(s) < L { s.push(b) }\nstop\nreward 1.0\n",
    )
    .expect("write");
    let out = gfnc(&["check", &path("s0.gfn"), "--color", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("gfn::env::orphan_parent"));
    // A resumed run keeps its --max-states and --samples.
    let run = path("kept");
    let out = gfnc(&[
        "run",
        "examples/hypergrid.gfn",
        "--steps",
        "20",
        "--hidden",
        "16",
        "--max-states",
        "10",
        "--samples",
        "5",
        "--quiet",
        "--out",
        &run,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = gfnc(&["run", "--resume", &run, "--steps", "30", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(value["exact"], false);
    let samples = std::fs::read_to_string(dir.join("kept/samples.csv")).expect("samples");
    assert_eq!(samples.lines().count(), 6);
    // An edited configuration in run.json is refused.
    let record = std::fs::read_to_string(dir.join("kept/run.json")).expect("run.json");
    std::fs::write(
        dir.join("kept/run.json"),
        record.replace("\"lr\": 0.001", "\"lr\": 0.002"),
    )
    .expect("write");
    let out = gfnc(&["run", "--resume", &run, "--steps", "40"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("configuration differs"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(dir.join("kept/run.json"), &record).expect("restore");
    // A checkpoints folder that is a symbolic link is refused.
    std::fs::rename(dir.join("kept/checkpoints"), dir.join("elsewhere")).expect("move");
    std::os::unix::fs::symlink(dir.join("elsewhere"), dir.join("kept/checkpoints")).expect("link");
    let out = gfnc(&["run", "--resume", &run, "--steps", "40"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("symbolic link"));
    // Stopped while drawing its samples, a run is finished by --resume.
    let drawn = path("drawn");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gfnc"))
        .args([
            "run",
            "examples/hypergrid.gfn",
            "--steps",
            "20",
            "--hidden",
            "16",
            "--samples",
            "400000",
            "--quiet",
            "--out",
            &drawn,
        ])
        .current_dir(crate::root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let at_last_step = || {
        std::fs::read_to_string(dir.join("drawn/checkpoint.json"))
            .is_ok_and(|m| m.contains("\"step\": 20"))
    };
    while !at_last_step() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: sends a signal to the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let _ = child.wait();
    let out = gfnc(&["run", "--resume", &drawn, "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let samples = std::fs::read_to_string(dir.join("drawn/samples.csv")).expect("samples");
    assert_eq!(samples.lines().count(), 400_001);
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("drawn/run.json")).expect("run.json"),
    )
    .expect("JSON");
    assert!(!record["final_metrics"].is_null());
    let _ = std::fs::remove_dir_all(&dir);
}
