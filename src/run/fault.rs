//! Why an evaluation failed, and where: the one error type of the machine, which the checker
//! (constants) and the environment (guards, effects, rewards) turn into diagnostics.

use crate::number::ArithError;
use crate::span::Span;

/// Aggregates over more elements than this are refused rather than left to run for hours.
pub const MAX_AGGREGATE_ELEMENTS: i64 = 10_000_000;

/// The aggregate elements one constant may visit in all (about a second of evaluation).
pub const MAX_CONSTANT_WORK: u64 = 10_000_000;

/// A failed evaluation: what went wrong, at which expression.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{kind}")]
pub struct Fault {
    /// The expression whose evaluation failed.
    pub span: Span,
    /// What went wrong.
    pub kind: FaultKind,
}

/// What went wrong in an evaluation.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FaultKind {
    /// Division by zero, overflow, or a value outside a function's domain: `1 // 0`.
    #[error("{0}")]
    Arith(ArithError),
    /// `[1, 2][2]`.
    #[error("index {index} is out of range for length {len}")]
    IndexOutOfRange {
        /// The index evaluated.
        index: i64,
        /// The collection's length.
        len: usize,
    },
    /// `min(i in 0..0: i)`.
    #[error("min or max of no elements")]
    EmptyAggregate,
    /// `sum(i in 0..10^12: i)`.
    #[error("an aggregate over more than {MAX_AGGREGATE_ELEMENTS} elements")]
    TooManyElements,
    /// A constant whose aggregates visit more than [`MAX_CONSTANT_WORK`] elements in all:
    /// `sum(a in 0..N: sum(b in 0..N: a * b))` with N = 10^5.
    #[error("more than {MAX_CONSTANT_WORK} aggregate elements to evaluate")]
    TooMuchWork,
    /// A value of an unexpected shape: a compiler bug, reported rather than panicking.
    #[error("internal error: {0}")]
    Internal(&'static str),
}
