//! Every example in `examples/` is run through `gfnc check`'s pipeline, so that examples
//! cannot rot.

use crate::gfn_files;

/// The error an example is meant to show, from a `# expect: CODE` line.
fn expected_error(source: &str) -> Option<&str> {
    source
        .lines()
        .find_map(|line| line.strip_prefix("# expect:"))
        .map(str::trim)
}

/// Every example passes every check of `gfnc check`, except those written to show an error,
/// which must give exactly that error. Examples whose graph does not enumerate say so
/// ("does not enumerate" in their header) and get the partial checks.
#[test]
fn every_example_checks() {
    let files = gfn_files("examples");
    assert!(files.len() >= 6, "the six examples of the spec are missing");
    for path in files {
        let source = std::fs::read_to_string(&path).expect("readable");
        let folder = path.parent().expect("in examples/");
        let checks = gfnc::Checks::default();
        let validated = gfnc::validate_in(&source, &[], folder, &checks, &mut |_, _| {});
        match (validated, expected_error(&source)) {
            (Ok(validated), None) => {
                let large = source.contains("does not enumerate");
                assert_eq!(
                    validated.dag.is_some(),
                    !large,
                    "{} was {}checked exhaustively",
                    path.display(),
                    if large { "" } else { "not " }
                )
            }
            (Err(diagnostics), Some(code)) => {
                let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
                assert_eq!(codes, vec![code], "{}", path.display());
            }
            (Ok(_), Some(code)) => panic!("{} should fail with {code}", path.display()),
            (Err(diagnostics), None) => {
                let name = path.display().to_string();
                let rendered = gfnc::diagnostic::render(
                    &diagnostics,
                    &name,
                    &source,
                    gfnc::diagnostic::Color::Never,
                    100,
                );
                panic!("{name} does not check:\n{rendered}");
            }
        }
    }
}

#[test]
fn every_example_names_its_source_and_log_z() {
    for path in gfn_files("examples") {
        let source = std::fs::read_to_string(&path).expect("readable");
        assert!(
            source.starts_with('#'),
            "{} lacks a header comment",
            path.display()
        );
        assert!(
            source.contains("Exact log Z"),
            "{} does not state its exact log Z",
            path.display()
        );
    }
}

#[test]
fn hypergrid_params_fold_and_overrides_apply() {
    let source =
        std::fs::read_to_string(crate::root().join("examples/hypergrid.gfn")).expect("readable");
    let overrides = [
        gfnc::Override::parse("D=4").expect("valid"),
        gfnc::Override::parse("H=16").expect("valid"),
    ];
    let model = gfnc::load(&source, &overrides).expect("checks");
    assert_eq!(model.state_count_bound(), 65536.0);
    assert_eq!(model.actions[0].value_count(), 4);
    let d = model
        .params
        .iter()
        .find(|p| p.name == "D")
        .expect("D exists");
    assert!(d.overridden);
    assert_eq!(d.value, gfnc::check::Value::Int(4));
}

/// The 120-bit task runs with its test set, the way docs/large-spaces.md measures it, and
/// the test set is what make_bitseq120.py says: each of the 60 modes, then 119 flipped copies.
#[test]
fn bitseq120_runs_with_its_test_set() {
    let test_set = crate::root().join("examples/data/bitseq120_test.txt");
    let lines: Vec<String> = std::fs::read_to_string(&test_set)
        .expect("the test set")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 60 * 120);
    let dir = std::env::temp_dir().join(format!("gfnc-bitseq120-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    // The first mode's 120 strings: the whole file takes more than the 60 s budget of an
    // evaluation in a debug build on a loaded machine, and the correlations would be skipped.
    let first = dir.join("first_mode.txt");
    std::fs::write(&first, lines[..120].join("\n")).expect("written");
    let out_dir = dir.join("run");
    let out = crate::gfnc(&[
        "run",
        "examples/bitseq120.gfn",
        "--steps",
        "2",
        "--batch",
        "4",
        "--hidden",
        "16",
        "--log-z-init",
        "0",
        "--test-set",
        &first.display().to_string(),
        "--test-samples",
        "1",
        "--out",
        &out_dir.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::text(&out.stderr));
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("run.json")).expect("run.json"))
            .expect("json");
    let spearman = run["final_metrics"]["spearman"].as_f64();
    assert!(spearman.is_some_and(f64::is_finite), "{run}");
    let _ = std::fs::remove_dir_all(&dir);
}
