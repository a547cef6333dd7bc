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
