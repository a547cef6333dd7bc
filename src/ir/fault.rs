//! Why an evaluation failed, and where: the one error type of the machine, which the checker
//! (constants) and the environment (guards, effects, rewards) turn into diagnostics.

use crate::diagnostic::codes;
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

/// When a fault happened, which decides its code's stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultStage {
    /// While the checker folds a constant: `gfn::check::*`.
    Checking,
    /// While the environment runs the model: `gfn::env::*`.
    Running,
}

impl FaultKind {
    /// The diagnostic code of this fault at `stage`: the one mapping from faults to codes.
    pub fn code(&self, stage: FaultStage) -> &'static str {
        use codes::{check, env};
        let (checking, running) = match self {
            FaultKind::Arith(ArithError::DivisionByZero) => {
                (check::DIVISION_BY_ZERO, env::DIVISION_BY_ZERO)
            }
            FaultKind::Arith(ArithError::Overflow) => (check::OVERFLOW, env::OVERFLOW),
            FaultKind::Arith(_) => (check::DOMAIN_ERROR, env::DOMAIN_ERROR),
            FaultKind::IndexOutOfRange { .. } => {
                (check::INDEX_OUT_OF_RANGE, env::INDEX_OUT_OF_RANGE)
            }
            FaultKind::EmptyAggregate => (check::EMPTY_AGGREGATE, env::EMPTY_AGGREGATE),
            FaultKind::TooManyElements | FaultKind::TooMuchWork => {
                (check::TOO_LARGE, env::TOO_LARGE)
            }
            FaultKind::Internal(_) => (check::INTERNAL, env::INTERNAL),
        };
        match stage {
            FaultStage::Checking => checking,
            FaultStage::Running => running,
        }
    }
}
