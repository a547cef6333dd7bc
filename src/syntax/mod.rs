//! The `.gfn` surface syntax: the AST ([`ast`]) and the parser that builds it ([`parse`]).

pub mod ast;
mod errors;
mod expressions;
pub mod parse;
#[cfg(test)]
mod pretty;

#[cfg(test)]
pub use parse::parse;
