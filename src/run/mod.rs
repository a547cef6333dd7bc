//! The one machine: evaluates the lowered program's expressions on a state, without
//! allocating (values are `Copy`; collections are references into the state, the pool or the
//! machine's own stack).

mod machine;

pub use machine::{number, Fault, Machine, Scratch};
