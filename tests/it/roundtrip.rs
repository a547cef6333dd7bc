//! Parsing keeps structure: printing a parsed program with every compound expression in
//! parentheses, then parsing and printing again, gives the same text.

use gfnc::syntax::{parse, pretty};

fn roundtrip(source: &str) -> String {
    let first = pretty::program(&parse(source).expect("parses"));
    let second = pretty::program(&parse(&first).expect("the printed program parses"));
    assert_eq!(first, second, "printing is not a fixed point");
    first
}

#[test]
fn examples_round_trip() {
    for path in crate::gfn_files("examples") {
        let source = std::fs::read_to_string(&path).expect("readable");
        roundtrip(&source);
    }
}

#[test]
fn hypergrid_parses_as_expected() {
    let source =
        std::fs::read_to_string(crate::root().join("examples/hypergrid.gfn")).expect("readable");
    insta::assert_snapshot!(roundtrip(&source));
}

#[test]
fn precedence_follows_python() {
    let printed = roundtrip("env t\nconst a = not 1 + 2 * 3 ** -2 ** 2 < 4 == 5 and x or y in s\nconst b = -x ** 2 // 3 % 4\nconst c = if p then q else if r then s else t");
    insta::assert_snapshot!(printed);
}
