//! The hostile round on run directories (issue 21): damaged, newer, linked and forged
//! checkpoints, a user's own run.json, sampling a run in progress, and a resume after the
//! inputs or the project's folder changed. Every case ends with a clear message and nothing of
//! the run removed or rewritten.

use crate::{gfnc, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gfnc-rundir-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

use crate::hostile::{never_crashes, run_args};

fn trained(dir: &Path, steps: usize) {
    let args = run_args(dir, steps);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = gfnc(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// gfnc with a deadline: a read that never ends (a link to `/dev/zero`) fails the test
/// instead of hanging it.
fn gfnc_within(args: &[&str], seconds: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gfnc"))
        .args(args)
        .current_dir(crate::root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while child.try_wait().expect("waits").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gfnc {args:?} ran past {seconds} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// Every file under `dir` with its bytes (but the lock, which holds the last user's pid).
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("folder").flatten() {
            let path = entry.path();
            let kind = entry.file_type().expect("type");
            if kind.is_dir() {
                folders.push(path.clone());
                files.push((path, Vec::new()));
            } else if path.file_name().is_some_and(|n| n != ".lock") {
                let bytes = if kind.is_symlink() {
                    std::fs::read_link(&path)
                        .expect("link")
                        .display()
                        .to_string()
                        .into_bytes()
                } else {
                    std::fs::read(&path).expect("file")
                };
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    files
}

/// Refused with exit 2 and `needle` in the message.
fn refused(out: &Output, needle: &str, what: &str) {
    never_crashes(out, what);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{what}: {needle:?} not in {stderr}"
    );
}

fn resume(dir: &Path, steps: usize) -> Output {
    gfnc_within(
        &[
            "run",
            "--resume",
            &dir.display().to_string(),
            "--steps",
            &steps.to_string(),
            "--quiet",
        ],
        120,
    )
}

/// The manifest as JSON, and the checkpoint folder it names.
fn manifest(dir: &Path) -> (serde_json::Value, PathBuf) {
    let value: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("checkpoint.json")).expect("manifest"),
    )
    .expect("JSON");
    let folder = dir.join(value["folder"].as_str().expect("folder"));
    (value, folder)
}

/// Replace a checkpoint file by `bytes` and record its size and checksum in the manifest, as a
/// forger would.
fn forge(dir: &Path, name: &str, bytes: &[u8]) {
    let (mut value, folder) = manifest(dir);
    std::fs::write(folder.join(name), bytes).expect("write");
    for entry in value["files"].as_array_mut().expect("files") {
        if entry["name"] == name {
            entry["bytes"] = serde_json::json!(bytes.len());
            entry["fnv64"] = serde_json::json!(gfnc::train::rundir::checksum(bytes));
        }
    }
    std::fs::write(
        dir.join("checkpoint.json"),
        serde_json::to_string_pretty(&value).expect("JSON"),
    )
    .expect("write");
}

fn state_json(dir: &Path) -> serde_json::Value {
    let (_, folder) = manifest(dir);
    serde_json::from_slice(&std::fs::read(folder.join("state.json")).expect("state")).expect("JSON")
}

/// Finding 1 and 4: a damaged or newer manifest, or a forged checkpoint, makes `--resume`
/// refuse before it deletes or rewrites anything (run.json, checkpoint folders, debris).
#[test]
fn a_refused_resume_leaves_the_run_as_it_was() {
    let dir = scratch("refused");
    let run = dir.join("run");
    trained(&run, 20);
    let original = std::fs::read(run.join("checkpoint.json")).expect("manifest");
    for (what, text) in [
        (
            "newer format",
            String::from_utf8(original.clone())
                .expect("text")
                .replace("\"format\": 1", "\"format\": 2"),
        ),
        ("damaged", "{\"format\": 1, \"step\": ".to_string()),
    ] {
        std::fs::write(run.join("checkpoint.json"), &text).expect("write");
        let before = snapshot(&run);
        let out = resume(&run, 30);
        refused(&out, "checkpoint.json", what);
        assert_eq!(snapshot(&run), before, "{what}: the directory changed");
    }
    std::fs::write(run.join("checkpoint.json"), &original).expect("restore");
    // A forged state (Adam's counts gone), checksums recomputed: refused, run.json untouched.
    let mut state = state_json(&run);
    state["adam_steps"] = serde_json::json!([]);
    forge(
        &run,
        "state.json",
        &serde_json::to_vec(&state).expect("JSON"),
    );
    let before = snapshot(&run);
    let out = resume(&run, 30);
    refused(&out, "Adam's step counts", "adam_steps: []");
    assert_eq!(snapshot(&run), before, "a refused resume changed the run");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 2: run-directory files that are links to `/dev/zero` are refused at once, not read
/// to the end of memory.
#[test]
fn files_linked_to_devices_are_refused_without_reading_them() {
    let dir = scratch("devices");
    let run = dir.join("run");
    trained(&run, 20);
    let (_, folder) = manifest(&run);
    for file in [
        folder.join("model.safetensors"),
        folder.join("state.json"),
        run.join("checkpoint.json"),
        run.join("run.json"),
        run.join("env.gfn"),
    ] {
        let saved = dir.join("saved");
        std::fs::rename(&file, &saved).expect("move");
        std::os::unix::fs::symlink("/dev/zero", &file).expect("link");
        for args in [
            vec!["sample".to_string(), run.display().to_string()],
            vec![
                "run".to_string(),
                "--resume".to_string(),
                run.display().to_string(),
                "--steps".to_string(),
                "30".to_string(),
            ],
        ] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let started = Instant::now();
            let out = gfnc_within(&args, 60);
            let what = format!("{} linked to /dev/zero, {}", file.display(), args[0]);
            never_crashes(&out, &what);
            assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out.stderr));
            assert!(
                text(&out.stderr).contains("it is a device"),
                "{what}: {}",
                text(&out.stderr)
            );
            assert!(started.elapsed() < Duration::from_secs(30), "{what}: slow");
        }
        std::fs::remove_file(&file).expect("unlink");
        std::fs::rename(&saved, &file).expect("restore");
    }
    // `gfnc plot` reads metrics.csv and samples.csv: neither is read from a device.
    for name in ["metrics.csv", "samples.csv"] {
        let file = run.join(name);
        let saved = dir.join("saved");
        std::fs::rename(&file, &saved).expect("move");
        std::os::unix::fs::symlink("/dev/zero", &file).expect("link");
        let out = gfnc_within(
            &[
                "plot",
                &run.display().to_string(),
                "--out",
                &dir.join("pictures").display().to_string(),
            ],
            60,
        );
        never_crashes(&out, name);
        // metrics.csv is refused; a samples.csv that is not a file only costs its pictures.
        let refused = text(&out.stderr).contains("not a regular file");
        let skipped = name == "samples.csv" && text(&out.stderr).contains("no samples.csv");
        assert!(refused || skipped, "{name}: {}", text(&out.stderr));
        std::fs::remove_file(&file).expect("unlink");
        std::fs::rename(&saved, &file).expect("restore");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 3: forged checkpoints whose checksums were recomputed are refused with a checkpoint
/// error naming what is wrong.
#[test]
fn forged_checkpoints_are_refused() {
    let dir = scratch("forged");
    let run = dir.join("run");
    trained(&run, 20);
    let (_, folder) = manifest(&run);
    let read = |name: &str| std::fs::read(folder.join(name)).expect("file");
    let (state, model, optimizer) = (
        read("state.json"),
        read("model.safetensors"),
        read("optimizer.safetensors"),
    );
    let restore = || {
        forge(&run, "state.json", &state);
        forge(&run, "model.safetensors", &model);
        forge(&run, "optimizer.safetensors", &optimizer);
    };
    let with_state = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut value: serde_json::Value = serde_json::from_slice(&state).expect("JSON");
        edit(&mut value);
        forge(
            &run,
            "state.json",
            &serde_json::to_vec(&value).expect("JSON"),
        );
    };
    for (adam_steps, needle) in [
        (serde_json::json!([]), "Adam's step counts"),
        (serde_json::json!([-5, -5]), "Adam's step counts"),
        (
            serde_json::json!([2147483647, 2147483647]),
            "Adam's step counts",
        ),
        (
            serde_json::json!([4294967296u64, 1]),
            "state.json is not valid",
        ),
    ] {
        with_state(&|s| s["adam_steps"] = adam_steps.clone());
        let out = resume(&run, 30);
        refused(&out, needle, &format!("adam_steps {adam_steps}"));
    }
    with_state(&|s| s["metrics"] = serde_json::json!([]));
    let out = resume(&run, 30);
    refused(&out, "metrics history", "metrics: []");
    restore();
    // Finite weights ×1e30: sample refuses rather than print NaN probabilities.
    let tensors = |bytes: &[u8]| {
        candle_core::safetensors::load_buffer(bytes, &candle_core::Device::Cpu).expect("tensors")
    };
    let scaled: std::collections::HashMap<String, candle_core::Tensor> = tensors(&model)
        .into_iter()
        .map(|(name, t)| (name, (t * 1e30).expect("scaled")))
        .collect();
    let path = dir.join("scaled.safetensors");
    candle_core::safetensors::save(&scaled, &path).expect("save");
    forge(
        &run,
        "model.safetensors",
        &std::fs::read(&path).expect("read"),
    );
    let out = gfnc_within(&["sample", &run.display().to_string(), "-n", "5"], 60);
    refused(&out, "model.safetensors", "weights ×1e30");
    assert!(!text(&out.stdout).contains("NaN"), "{}", text(&out.stdout));
    restore();
    // A negative second moment.
    let mut moments = tensors(&optimizer);
    let name = moments
        .keys()
        .filter(|k| k.ends_with(".v"))
        .min()
        .cloned()
        .expect("a second moment");
    let negative = (moments[&name].clone() - 1.0).expect("negative");
    moments.insert(name, negative);
    candle_core::safetensors::save(&moments, &path).expect("save");
    forge(
        &run,
        "optimizer.safetensors",
        &std::fs::read(&path).expect("read"),
    );
    let out = resume(&run, 30);
    refused(&out, "never negative", "negative second moment");
    restore();
    // Restored, the run resumes.
    let out = resume(&run, 30);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 5: a folder holding the user's own run.json is not a gfnc run; --force is not
/// advised and does not remove it.
#[test]
fn a_users_own_run_json_is_not_a_run() {
    let dir = scratch("foreign");
    let out_dir = dir.join("mine");
    std::fs::create_dir_all(&out_dir).expect("dir");
    std::fs::write(out_dir.join("run.json"), "{\"hello\": 1}").expect("write");
    let out_flag = out_dir.display().to_string();
    for force in [false, true] {
        let mut args = vec![
            "run",
            "examples/hypergrid.gfn",
            "--steps",
            "5",
            "--quiet",
            "--out",
            &out_flag,
        ];
        if force {
            args.push("--force");
        }
        let out = gfnc_within(&args, 120);
        never_crashes(&out, "foreign run.json");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("not a gfnc run directory"), "{stderr}");
        assert!(!stderr.contains("--force"), "{stderr}");
        assert_eq!(
            std::fs::read_to_string(out_dir.join("run.json")).expect("kept"),
            "{\"hello\": 1}"
        );
    }
    let out = gfnc_within(&["run", "--resume", &out_flag], 60);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("not a gfnc run directory"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 6: sampling a run in progress never reads a mix of two checkpoints.
#[test]
fn sampling_a_run_in_progress_reads_one_checkpoint() {
    let dir = scratch("race");
    let run = dir.join("run");
    let mut args = run_args(&run, 100_000);
    args[5] = "1".to_string(); // --eval-every 1: a checkpoint replaced at every step
    let mut child = Command::new(env!("CARGO_BIN_EXE_gfnc"))
        .args(&args)
        .current_dir(crate::root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !run.join("checkpoint.json").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let run_text = run.display().to_string();
    let mut failures = Vec::new();
    let started = Instant::now();
    for _ in 0..25 {
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
        let out = gfnc_within(&["sample", &run_text, "-n", "3"], 60);
        if out.status.code() != Some(0) {
            failures.push(text(&out.stderr));
        }
    }
    // SAFETY: sends a signal to the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    let _ = child.wait();
    assert!(failures.is_empty(), "{failures:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Findings 7 and 8: an override recorded in run.json is named as run.json's, not as a flag;
/// a manifest naming a missing folder names it.
#[test]
fn messages_name_the_run_files_at_fault() {
    let dir = scratch("messages");
    let run = dir.join("run");
    trained(&run, 20);
    let record = std::fs::read_to_string(run.join("run.json")).expect("run.json");
    let mut value: serde_json::Value = serde_json::from_str(&record).expect("JSON");
    value["overrides"] = serde_json::json!(["Q=1"]);
    std::fs::write(
        run.join("run.json"),
        serde_json::to_string_pretty(&value).expect("JSON"),
    )
    .expect("write");
    let out = resume(&run, 30);
    never_crashes(&out, "unknown override");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("run.json records the override Q"),
        "{stderr}"
    );
    assert!(!stderr.contains("--set Q"), "{stderr}");
    std::fs::write(run.join("run.json"), &record).expect("restore");
    let (_, folder) = manifest(&run);
    let manifest_text = std::fs::read_to_string(run.join("checkpoint.json")).expect("manifest");
    std::fs::rename(&folder, dir.join("moved")).expect("move");
    let out = resume(&run, 30);
    let name = folder
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();
    refused(&out, &name, "missing folder");
    assert!(
        text(&out.stderr).contains("missing"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(run.join("checkpoint.json")).expect("kept"),
        manifest_text
    );
    let _ = std::fs::remove_dir_all(&dir);
}

const TABLES: &str = "env tables
param W: [float; 3] = [1, 2, 3]
const T = load(\"t.csv\")
state { i: 0..3 }
action inc when i < 2 { i += 1 }
stop
reward W[i] * float(T[i])
";

/// A project folder with a table-driven environment, trained for 20 steps into `project/run`.
fn table_project(dir: &Path) -> (PathBuf, PathBuf) {
    let project = dir.join("project");
    std::fs::create_dir_all(&project).expect("project");
    std::fs::write(project.join("tables.gfn"), TABLES).expect("write");
    std::fs::write(project.join("t.csv"), "1\n2\n3\n").expect("write");
    std::fs::write(project.join("w.csv"), "0.5\n1\n2\n").expect("write");
    let run = project.join("run");
    let out = gfnc(&[
        "run",
        &project.join("tables.gfn").display().to_string(),
        "--set",
        &format!("W=@{}", project.join("w.csv").display()),
        "--steps",
        "20",
        "--eval-every",
        "10",
        "--hidden",
        "16",
        "--quiet",
        "--out",
        &run.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    (project, run)
}

/// Finding 9: a resume after a `--set W=@file` file or a `load` table changed is refused,
/// naming what changed; a record without the inputs (an older gfnc) resumes with a warning.
#[test]
fn a_resume_after_the_inputs_changed_is_refused() {
    let dir = scratch("inputs");
    let (project, run) = table_project(&dir);
    let record = std::fs::read(run.join("run.json")).expect("run.json");
    std::fs::write(project.join("w.csv"), "5\n1\n2\n").expect("write");
    let before = snapshot(&run);
    let out = resume(&run, 30);
    refused(&out, "param `W`", "changed --set file");
    assert!(text(&out.stderr).contains("w.csv"), "{}", text(&out.stderr));
    assert_eq!(snapshot(&run), before);
    std::fs::write(project.join("w.csv"), "0.5\n1\n2\n").expect("restore");
    std::fs::write(project.join("t.csv"), "1\n2\n9\n").expect("write");
    let out = resume(&run, 30);
    refused(&out, "const `T`", "changed load table");
    let out = gfnc_within(&["sample", &run.display().to_string(), "-n", "3"], 60);
    refused(&out, "const `T`", "sample after a table changed");
    std::fs::write(project.join("t.csv"), "1\n2\n3\n").expect("restore");
    assert_eq!(
        std::fs::read(run.join("run.json")).expect("run.json"),
        record
    );
    // A record of an older gfnc, without inputs: resumed, with a warning.
    let mut value: serde_json::Value = serde_json::from_slice(&record).expect("JSON");
    value.as_object_mut().expect("object").remove("inputs");
    std::fs::write(
        run.join("run.json"),
        serde_json::to_string_pretty(&value).expect("JSON"),
    )
    .expect("write");
    let out = resume(&run, 30);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot verify"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 10: after the project folder moved, a resume says the recorded folder is gone and
/// names the folder it looked in when a table cannot be read.
#[test]
fn a_resume_after_the_project_moved_names_the_folder() {
    let dir = scratch("moved");
    let (project, run) = table_project(&dir);
    let moved = dir.join("elsewhere");
    std::fs::rename(&project, &moved).expect("move");
    let out = resume(&moved.join("run"), 30);
    never_crashes(&out, "moved project");
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("no longer exists"), "{stderr}");
    assert!(stderr.contains(&project.display().to_string()), "{stderr}");
    let _ = (run, std::fs::remove_dir_all(&dir));
}
