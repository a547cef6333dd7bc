//! The lowered program: the contract between the compiler and the machine. A flat state
//! [`layout`], the expression [`code`] arena, the flat action space, each action family's
//! effects and the plan by which its parents are derived. [`crate::compile`] builds it;
//! [`crate::run`] and [`crate::env`] execute it.

pub mod code;
mod dump;
pub mod fault;
pub mod layout;
mod value;

use crate::hir::{self, Interface};
use crate::span::Span;
use code::NodeId;
use layout::{Layout, ShapeId};
pub use value::Val;

#[derive(Clone, Debug)]
pub struct IndexStep {
    pub index: NodeId,
    pub stride: u32,
    /// The array's length; `None` for a sequence (its current length is read from the state).
    pub len: Option<u32>,
    /// The shape the step lands on.
    pub shape: ShapeId,
}

/// A place an effect writes: a field's first slot, then index steps.
#[derive(Clone, Debug)]
pub struct PlaceCode {
    pub field: usize,
    pub base: u32,
    pub field_shape: ShapeId,
    pub steps: Vec<IndexStep>,
    /// The shape of the place itself.
    pub shape: ShapeId,
    pub span: Span,
}

#[derive(Clone, Copy, Debug)]
pub enum EffectOp {
    Set(NodeId),
    Add(NodeId),
    Sub(NodeId),
    Insert(NodeId),
    Remove(NodeId),
    Push(NodeId),
    Pop,
}

#[derive(Clone, Debug)]
pub struct EffectCode {
    pub place: PlaceCode,
    pub op: EffectOp,
    pub span: Span,
}

/// An action family, compiled.
#[derive(Clone, Debug)]
pub struct ActionCode {
    pub name: String,
    /// Values per argument, in order (the flat actions of the family are their combinations).
    pub domains: Vec<usize>,
    pub guard: Option<NodeId>,
    pub effects: Vec<EffectCode>,
    /// The action's name where it is defined.
    pub span: Span,
    pub parents: ParentPlan,
    /// The guard as `field[arg] op k`, when it has that shape (see [`SlotTest`]).
    pub fast_guard: Option<SlotTest>,
    /// The only effect as `field[arg] += k` or `field += k`, when it has that shape.
    pub fast_effect: Option<SlotShift>,
}

/// `state[base + arg·stride] op rhs` for the family's first argument `arg` with `0 <= arg < len`:
/// the commonest guard, evaluated without the interpreter (by `SlotTest::holds`, in `run/`).
#[derive(Clone, Copy, Debug)]
pub struct SlotTest {
    pub base: u32,
    pub stride: u32,
    pub len: u32,
    pub op: hir::CompareOp,
    pub rhs: i64,
}

/// `state[base + arg·stride] += delta` (`stride` 0 for an unindexed int field), kept inside
/// `lo..hi`: the commonest effect, applied without the interpreter.
#[derive(Clone, Copy, Debug)]
pub struct SlotShift {
    pub base: u32,
    pub stride: u32,
    pub len: u32,
    pub delta: i64,
    pub lo: i32,
    pub hi: i32,
}

impl SlotShift {
    /// Apply to `child` (a copy of the state); `None` where the interpreter must decide.
    #[inline]
    pub fn apply(&self, state: &[i32], arg: i64, child: &mut [i32]) -> Option<()> {
        if arg < 0 || arg >= i64::from(self.len) {
            return None;
        }
        let slot = self.base as usize + arg as usize * self.stride as usize;
        let new = i64::from(*state.get(slot)?) + self.delta;
        if new < i64::from(self.lo) || new >= i64::from(self.hi) {
            return None;
        }
        *child.get_mut(slot)? = new as i32;
        Some(())
    }
}

/// One action of the flat action space: a family and the values of its arguments.
#[derive(Clone, Debug)]
pub struct FlatAction {
    pub family: usize,
    pub args: Vec<Val>,
    /// The first argument when it is an int (what the fast guard and effect index with).
    pub first_int: Option<i64>,
    /// `step(i=1)`: for display.
    pub name: String,
}

/// A lowered environment: what the compiler hands to the environment.
#[derive(Clone, Debug)]
pub struct Program {
    /// The names, values and inputs of the checked model (not its expressions).
    pub interface: Interface,
    pub layout: Layout,
    pub code: code::Code,
    pub families: Vec<ActionCode>,
    /// Every value of every family, in order; `stop` comes after these.
    pub actions: Vec<FlatAction>,
    /// `Some(guard)` when there is a `stop`.
    pub stop: Option<Option<NodeId>>,
    pub done: Option<NodeId>,
    pub reward: NodeId,
    pub reward_is_log: bool,
    pub mode: Option<NodeId>,
    /// The key of `mode by KEY`: an int per state.
    pub mode_key: Option<NodeId>,
    pub initial: Vec<i32>,
}

/// What an effect's place held before the action, given the child.
#[derive(Clone, Copy, Debug)]
pub enum OldValues {
    /// `+=`/`-=`: the old value is the new one minus `sign * delta`, with `delta` evaluated on
    /// the child (it reads nothing the action writes).
    Shift { delta: NodeId, sign: i64 },
    /// `=` with the old value pinned by the guard: the node gives it, evaluated on the child.
    Pinned(NodeId),
    /// `place = a * place + c`, with `a` and `c` reading nothing the action writes: the node
    /// is the right side, whose values with the place holding 0 and 1 give `c` and `a + c`; the
    /// old value is `(new - c) / a` where that divides exactly (every value when `a` is 0 and
    /// `new == c`).
    Affine(NodeId),
    /// `insert(e)`: the old set lacked `e`.
    Inserted(NodeId),
    /// `remove(e)`: the old set held `e`.
    Removed(NodeId),
    /// `push(e)`: the old sequence is the new one without its last element.
    Pushed,
    /// `pop()`: the old sequence had one more element, of any value.
    Popped,
    /// Any value of the place's shape.
    Any,
}

/// How to derive the parents of one action family.
#[derive(Clone, Debug)]
pub struct ParentPlan {
    /// Per effect, in order.
    pub old: Vec<OldValues>,
    /// Per effect: for `place = e` into a scalar place, with `e` reading nothing the action
    /// writes, `e` itself: a child whose place does not hold `e` has no parent by this action,
    /// which is decided before any candidate is built. The same for `seq.push(e)` of a scalar
    /// element, with the child's last element as the place (an empty child has no parent).
    pub expect: Vec<Option<NodeId>>,
}
