//! Every example in `examples/` must check, so that examples cannot rot.

use crate::gfn_files;

#[test]
fn every_example_checks() {
    let files = gfn_files("examples");
    assert!(files.len() >= 6, "the six examples of the spec are missing");
    for path in files {
        let source = std::fs::read_to_string(&path).expect("readable");
        if let Err(diagnostics) = gfnc::load(&source, &[]) {
            let rendered = gfnc::diagnostic::render(
                &diagnostics,
                &path.display().to_string(),
                &source,
                gfnc::diagnostic::Color::Never,
                100,
            );
            panic!("{} does not check:\n{rendered}", path.display());
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
