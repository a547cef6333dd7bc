//! One invalid program per diagnostic path in `tests/diagnostics/`, each pinned by a snapshot
//! of its code, its span and the rendered message (no colour, width 100). A first line
//! `# set: NAME=VALUE ...` passes `--set` overrides.

use gfnc::diagnostic::{render, Color};
use gfnc::Override;

fn overrides_of(source: &str) -> Vec<Override> {
    source
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("# set:"))
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(Override::parse)
                .collect()
        })
        .unwrap_or_default()
}

/// Code, span and rendering of every diagnostic `gfnc check` gives for a file.
fn pinned(path: &std::path::Path) -> String {
    let source = std::fs::read_to_string(path).expect("readable");
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let diagnostics = match gfnc::validate(&source, &overrides_of(&source)) {
        Ok(_) => panic!("{name} should not check"),
        Err(diagnostics) => diagnostics,
    };
    let mut out = String::new();
    for d in &diagnostics {
        let span = d.span();
        out.push_str(&format!(
            "{} @ {}..{} `{}`\n",
            d.code,
            span.start,
            span.end,
            span.text(&source)
        ));
    }
    out.push_str("---\n");
    out.push_str(&render(&diagnostics, &name, &source, Color::Never, 100));
    out
}

#[test]
fn diagnostics() {
    insta::glob!("../diagnostics", "*.gfn", |path| insta::assert_snapshot!(
        pinned(path)
    ));
}

/// Errors found by compiling and enumerating the DAG: cycles, dead ends, rewards, parents.
#[test]
fn environment_errors() {
    insta::glob!("../env_errors", "*.gfn", |path| insta::assert_snapshot!(
        pinned(path)
    ));
}

/// Verbs a help line may start with when it quotes no code.
const ACTION_WORDS: &[&str] = &[
    "add", "allow", "break", "compare", "or", "pass", "scale", "call", "change", "check",
    "combine", "compute", "convert", "declare", "define", "divide", "drop", "encode", "ensure",
    "fix", "give", "guard", "index", "keep", "lower", "make", "move", "name", "number", "pick",
    "pin", "print", "raise", "reduce", "remove", "rename", "replace", "return", "rewrite", "see",
    "set", "split", "start", "store", "swap", "test", "use", "widen", "write",
];

#[test]
fn every_code_is_namespaced_and_every_diagnostic_has_help() {
    let files = [
        crate::gfn_files("tests/diagnostics"),
        crate::gfn_files("tests/env_errors"),
    ]
    .concat();
    let mut vague = Vec::new();
    for path in files {
        let source = std::fs::read_to_string(&path).expect("readable");
        let Err(diagnostics) = gfnc::validate(&source, &overrides_of(&source)) else {
            panic!("{} should not check", path.display());
        };
        for d in diagnostics {
            assert!(
                d.code.starts_with("gfn::"),
                "{}: code {}",
                path.display(),
                d.code
            );
            assert!(
                d.help.is_some(),
                "{}: {} has no help",
                path.display(),
                d.code
            );
            // A help line says what to do: it spells a fix in backticks or starts with a verb.
            let help = d.help.clone().unwrap_or_default();
            let acts = help.split([':', ';', ',']).any(|clause| {
                let first = clause
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_lowercase();
                ACTION_WORDS.contains(&first.as_str())
            });
            if !(help.contains('`') || help.contains("(...)") || acts) {
                vague.push(format!("{}: {}: {help}", path.display(), d.code));
            }
            assert!(
                !d.code.ends_with("internal"),
                "{}: internal error {}",
                path.display(),
                d.message
            );
        }
    }
    assert!(
        vague.is_empty(),
        "help lines that do not say what to do:\n{}",
        vague.join("\n")
    );
}

/// The checks of the DAG run on the reachable graph, whatever the type's bound: each program in
/// `tests/reachable/` reaches few states, but its type allows more than the budget of 10⁶.
#[test]
fn reachable_graph_errors() {
    insta::glob!("../reachable", "*.gfn", |path| {
        let source = std::fs::read_to_string(path).expect("readable");
        if let Ok(model) = gfnc::load(&source, &overrides_of(&source)) {
            assert!(
                model.state_count_bound() > 1e6,
                "{}: the type's bound should exceed the budget",
                path.display()
            );
        }
        insta::assert_snapshot!(pinned(path))
    });
}

/// Every file under `dir`, recursively, with its text (binary files are skipped).
fn texts_under(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            texts_under(&path, out);
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            out.push((path, text));
        }
    }
}

/// `gfn::check::type_mismatch` as its constant's path, `codes::check::TYPE_MISMATCH`.
fn constant_path(code: &str) -> String {
    let mut parts = code.split("::").skip(1);
    let stage = parts.next().unwrap_or("");
    let name = parts.next().unwrap_or("").to_uppercase();
    format!("codes::{stage}::{name}")
}

/// Codes no program is known to raise: bugs of gfnc reported rather than panicking, a thread
/// the operating system refuses, and the safety net behind the parent derivation (complete for
/// every effect, as `env::backward_masks_and_parents_agree_with_the_forward_edges` checks).
const UNREACHABLE_BY_DESIGN: &[&str] = &[
    "gfn::check::internal",
    "gfn::env::internal",
    "gfn::env::underived_parent",
    "gfn::internal::panic",
    "gfn::internal::thread",
];

/// Each code of `diagnostic::codes` is pinned by a snapshot or named by a test (in `tests/` or
/// a `#[cfg(test)]` module of `src/`), and has an anchored entry in `docs/reference.md`.
#[test]
fn every_code_has_a_test_and_a_reference_entry() {
    let root = crate::root();
    let mut tests = Vec::new();
    texts_under(&root.join("tests"), &mut tests);
    let mut sources = Vec::new();
    texts_under(&root.join("src"), &mut sources);
    let unit_tests: Vec<&str> = sources
        .iter()
        .filter_map(|(_, text)| text.split_once("#[cfg(test)]").map(|(_, tests)| tests))
        .collect();
    let reference = std::fs::read_to_string(root.join("docs/reference.md")).expect("readable");
    let mut untested = Vec::new();
    let mut undocumented = Vec::new();
    for &code in gfnc::diagnostic::codes::ALL {
        let constant = constant_path(code);
        let tested = tests.iter().any(|(_, text)| text.contains(code))
            || unit_tests
                .iter()
                .any(|text| text.contains(code) || text.contains(&constant));
        if !tested && !UNREACHABLE_BY_DESIGN.contains(&code) {
            untested.push(code);
        }
        let anchor = format!("<a id=\"{}\"></a>", code.replace("::", "-"));
        if !reference.contains(&anchor) || !reference.contains(&format!("`{code}`")) {
            undocumented.push(code);
        }
    }
    assert!(untested.is_empty(), "codes no test names: {untested:?}");
    assert!(
        undocumented.is_empty(),
        "codes without an entry in docs/reference.md#diagnostic-codes: {undocumented:?}"
    );
}
