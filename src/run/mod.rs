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

impl crate::ir::SlotTest {
    /// The guard's value, or `None` where the interpreter must decide (and report errors):
    /// the comparison is the machine's own, [`crate::ops::int_compare`].
    #[inline]
    pub fn holds(&self, state: &[i32], arg: i64) -> Option<bool> {
        if arg < 0 || arg >= i64::from(self.len) {
            return None;
        }
        let x = i64::from(*state.get(self.base as usize + arg as usize * self.stride as usize)?);
        crate::ops::int_compare(self.op, x, self.rhs)
    }
}
