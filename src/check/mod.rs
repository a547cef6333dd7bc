//! Static checking: a parsed `ast::Program` becomes a typed,
//! resolved [`Model`] with params and consts folded, or a list of diagnostics.

mod actions;
pub mod builtins;
mod calls;
mod checker;
mod constants;
mod data;
mod error;
mod expressions;
mod external;
pub mod hir;
mod items;
mod lets;
mod literals;
mod names;
mod state;
pub mod types;

pub use checker::check;
pub use hir::Model;
pub use types::{FieldType, Type, Value};

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
