//! The `gfnc` binary's exit codes and output: 0 ok, 1 diagnostics, 2 bad usage.

use crate::{gfnc, text};

#[test]
fn check_ok_prints_a_summary_and_exits_0() {
    let out = gfnc(&["check", "examples/hypergrid.gfn"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn check_with_overrides() {
    let out = gfnc(&[
        "check",
        "examples/hypergrid.gfn",
        "--set",
        "D=4",
        "--set",
        "H=16",
    ]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(text(&out.stdout));
}

/// `in 0.6 s` as `in _ s`.
fn mask_seconds(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(" in ") {
        out.push_str(&rest[..at + 4]);
        rest = &rest[at + 4..];
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits > 0 && rest[digits..].starts_with(" s") {
            out.push('_');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn every_example_summary() {
    let mut all = String::new();
    for path in crate::gfn_files("examples") {
        // Relative paths, so that the snapshot does not depend on where the clone lives.
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let relative = format!("examples/{name}");
        // The probe of a graph too large to enumerate is bounded by count, not by time, so
        // that the summary is the same on any machine; its duration is masked.
        let out = gfnc(&[
            "check",
            "--color",
            "never",
            "--probe-seconds",
            "1000",
            &relative,
        ]);
        all.push_str(&format!(
            "$ gfnc check {relative} -> {:?}\n",
            out.status.code()
        ));
        all.push_str(&mask_seconds(&text(&out.stdout)));
        all.push_str(&text(&out.stderr));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn invalid_program_exits_1_with_diagnostics_on_stderr() {
    let out = gfnc(&[
        "check",
        "--color",
        "never",
        "tests/diagnostics/several_errors_sorted.gfn",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn bad_override_value_exits_1() {
    let out = gfnc(&[
        "check",
        "--color",
        "never",
        "examples/hypergrid.gfn",
        "--set",
        "H=0",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("gfn::check::empty_range"));
}

#[test]
fn color_always_colours() {
    let out = gfnc(&[
        "check",
        "--color",
        "always",
        "tests/diagnostics/unknown_name.gfn",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains('\u{1b}'),
        "no escape codes in coloured output"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(gfnc(&[]).status.code(), Some(2));
    assert_eq!(gfnc(&["check"]).status.code(), Some(2));
    assert_eq!(gfnc(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        gfnc(&["check", "examples/hypergrid.gfn", "--set", "D"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        gfnc(&["check", "--color", "sometimes", "examples/hypergrid.gfn"])
            .status
            .code(),
        Some(2)
    );
    let missing = gfnc(&["check", "no/such/file.gfn"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read"));
}

#[test]
fn binary_and_huge_files_do_not_panic() {
    let dir = std::env::temp_dir().join(format!("gfnc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let binary = dir.join("binary.gfn");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x41]).expect("write");
    let out = gfnc(&["check", &binary.display().to_string()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "non-UTF-8 input is refused as usage"
    );
    let huge = dir.join("huge.gfn");
    std::fs::write(
        &huge,
        "env t\n".to_string() + &"const a = 1\n".repeat(200_000),
    )
    .expect("write");
    let out = gfnc(&["check", &huge.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is larger than 1 MiB"));
    // Read through the cap: an endless input is refused, not swallowed.
    let out = gfnc(&["check", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2));
    let deep = dir.join("deep.gfn");
    std::fs::write(
        &deep,
        format!(
            "env t\nconst a = {}0",
            "if true then 1 else ".repeat(30_000)
        ),
    )
    .expect("write");
    let out = gfnc(&["check", &deep.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_is_partial_beyond_the_reachable_budget() {
    let out = gfnc(&[
        "check",
        "examples/hypergrid.gfn",
        "--set",
        "D=4",
        "--set",
        "H=40",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("partial check (exact: false): reachable states > 1000000"),
        "{stdout}"
    );
    assert!(
        stdout.contains("probe: 2000 random trajectories"),
        "{stdout}"
    );
}

#[test]
fn enumerate_prints_exact_figures() {
    let out = gfnc(&[
        "enumerate",
        "examples/hypergrid.gfn",
        "--set",
        "D=4",
        "--top",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let figures: Vec<&str> = stdout.lines().filter(|l| !l.starts_with('(')).collect();
    insta::assert_snapshot!(figures.join("\n"));
}

#[test]
fn enumerate_json_is_one_object_with_the_documented_keys() {
    let out = gfnc(&["enumerate", "examples/ising.gfn", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for key in [
        "env", "states", "terminal", "edges", "max_len", "log_z", "modes",
    ] {
        assert!(value.get(key).is_some(), "missing {key}");
    }
    assert_eq!(value["states"], 19683);
    assert_eq!(value["terminal"], 512);
    assert!((value["log_z"].as_f64().unwrap_or(0.0) - 7.891524502190668).abs() < 1e-9);
}

#[test]
fn enumerate_over_the_limit_exits_1() {
    let out = gfnc(&[
        "enumerate",
        "--color",
        "never",
        "examples/hypergrid.gfn",
        "--set",
        "D=4",
        "--max-states",
        "100",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("gfn::env::too_many_states"));
}

#[test]
fn inspect_shows_children_and_parents() {
    let out = gfnc(&["inspect", "examples/hypergrid.gfn", "--state", "x=[3, 5]"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!(text(&out.stdout));
    let bad = gfnc(&["inspect", "examples/hypergrid.gfn", "--state", "x=[9, 1]"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("9 is outside 0..8"));
}
