//! The values of the lowered program: scalars, and collections by reference (a region of the
//! state, a constant in the pool, elements on the machine's stack, a range). `Copy`, so that
//! evaluation never allocates.

use super::layout::ShapeId;
use crate::number::Number;

/// A value of the lowered program.
#[derive(Clone, Copy, Debug)]
pub enum Val {
    Bool(bool),
    Int(i64),
    Num(Number),
    /// A collection in the state: its first slot and its shape.
    Region {
        base: u32,
        shape: ShapeId,
    },
    /// A constant collection: an index into [`Code::pool`].
    Pool(u32),
    /// Array-literal elements on the scratch stack.
    Stack {
        start: u32,
        len: u32,
    },
    /// Integers `lo <= v < hi`.
    Range {
        lo: i64,
        hi: i64,
    },
}
