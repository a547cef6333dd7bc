//! The `.gfn` surface syntax: the AST ([`ast`]) and the parser that builds it ([`parse`]).

pub mod ast;
mod errors;
mod expressions;
pub mod parse;
pub mod pretty;

pub use parse::parse;
