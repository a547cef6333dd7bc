//! Static checking: a parsed `ast::Program` becomes a typed,
//! resolved [`Model`] with params and consts folded, or a list of diagnostics.

mod actions;
mod calls;
mod checker;
mod constants;
mod data;
mod error;
mod expressions;
mod external;
mod items;
mod lets;
mod literals;
mod names;
mod state;

pub use crate::hir::{self, builtins, types};
pub use checker::check;
pub use hir::Model;
pub use types::{FieldType, Type, Value};

use crate::diagnostic::Diagnostic;

/// Parse and check a program with `--set` overrides, paths relative to the current folder
/// (the crate root's [`crate::load`]).
pub fn load(source: &str, overrides: &[Override]) -> Result<Model, Vec<Diagnostic>> {
    load_in(source, overrides, std::path::Path::new("."))
}

/// [`load`] for a file in folder `dir`: `load("PATH")` reads `dir/PATH` and scorers run in
/// `dir`.
pub fn load_in(
    source: &str,
    overrides: &[Override],
    dir: &std::path::Path,
) -> Result<Model, Vec<Diagnostic>> {
    crate::stack::with_large_stack(|| {
        let program = crate::syntax::parse::parse_here(source).map_err(|d| vec![d])?;
        check(&program, overrides, dir)
    })
}

/// `--set NAME=VALUE` from the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// The param to set, trimmed.
    pub name: String,
    /// The value as written, trimmed; parsed later by the param's declared type.
    pub value: String,
}

impl Override {
    /// Split `NAME=VALUE`; `None` when there is no `=` or no name.
    pub fn parse(text: &str) -> Option<Override> {
        let (name, value) = text.split_once('=')?;
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        Some(Override {
            name: name.to_string(),
            value: value.trim().to_string(),
        })
    }
}
