//! The one machine: evaluates the lowered program's expressions on a state, without
//! allocating (values are `Copy`; collections are references into the state, the pool or the
//! machine's own stack). The checker folds its constants with it too ([`crate::compile::constant`]).

mod collections;
mod graphs;
mod machine;

pub use crate::ir::fault::{
    Fault, FaultKind, FaultStage, MAX_AGGREGATE_ELEMENTS, MAX_CONSTANT_WORK,
};
pub use machine::{Machine, Scratch};
