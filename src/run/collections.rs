//! Collections on the machine: reading a state's slots, the positions and elements of arrays,
//! sets, sequences, ranges and constants, membership, equality and comparison of values.

use super::machine::{fault, Machine, Scratch};
use crate::hir::CompareOp;
use crate::ir::code::NodeId;
use crate::ir::fault::MAX_AGGREGATE_ELEMENTS;
use crate::ir::fault::{Fault, FaultKind};
use crate::ir::layout::{Shape, ShapeId};
use crate::ir::Val;
use crate::ops::number;
use std::cmp::Ordering;

impl Machine<'_> {
    #[inline]
    pub(super) fn read_slot(
        &self,
        state: &[i32],
        slot: usize,
        shape: ShapeId,
        node: NodeId,
    ) -> Result<Val, Fault> {
        match self.layout.shape(shape) {
            Shape::Bool => match state.get(slot) {
                Some(v) => Ok(Val::Bool(*v != 0)),
                None => self.internal(node, "a slot outside the state"),
            },
            Shape::Int { .. } => match state.get(slot) {
                Some(v) => Ok(Val::Int(i64::from(*v))),
                None => self.internal(node, "a slot outside the state"),
            },
            _ => Ok(Val::Region {
                base: slot as u32,
                shape,
            }),
        }
    }

    /// The number of positions of a collection (for sets: the size of the universe).
    #[inline]
    pub(super) fn positions(
        &self,
        collection: Val,
        state: &[i32],
        node: NodeId,
    ) -> Result<usize, Fault> {
        Ok(match collection {
            Val::Region { base, shape } => match self.layout.shape(shape) {
                Shape::Array { len, .. } => *len as usize,
                Shape::Set { lo, hi } => (hi - lo) as usize,
                Shape::Seq { .. } => state.get(base as usize).copied().unwrap_or(0).max(0) as usize,
                _ => return self.internal(node, "a scalar used as a collection"),
            },
            Val::Pool(index) => self.code.pool[index as usize].len(),
            Val::Stack { len, .. } => len as usize,
            Val::Range { lo, hi } => {
                let n = hi.saturating_sub(lo).max(0);
                if n > MAX_AGGREGATE_ELEMENTS {
                    return fault(self.code.span(node), FaultKind::TooManyElements);
                }
                n as usize
            }
            _ => return self.internal(node, "a scalar used as a collection"),
        })
    }

    /// The element at a position; `None` for a set position whose member is absent.
    #[inline]
    pub(super) fn element(
        &self,
        collection: Val,
        position: usize,
        state: &[i32],
        scratch: &Scratch,
        node: NodeId,
    ) -> Result<Option<Val>, Fault> {
        Ok(Some(match collection {
            Val::Region { base, shape } => match self.layout.shape(shape) {
                Shape::Array {
                    element, stride, ..
                } => self.read_slot(
                    state,
                    base as usize + position * *stride as usize,
                    *element,
                    node,
                )?,
                Shape::Seq {
                    element, stride, ..
                } => self.read_slot(
                    state,
                    base as usize + 1 + position * *stride as usize,
                    *element,
                    node,
                )?,
                Shape::Set { lo, .. } => {
                    if state.get(base as usize + position).copied().unwrap_or(0) == 0 {
                        return Ok(None);
                    }
                    Val::Int(i64::from(*lo) + position as i64)
                }
                _ => return self.internal(node, "a scalar used as a collection"),
            },
            Val::Pool(index) => self.code.pool[index as usize][position],
            Val::Stack { start, .. } => scratch.stack[start as usize + position],
            Val::Range { lo, .. } => Val::Int(lo + position as i64),
            _ => return self.internal(node, "a scalar used as a collection"),
        }))
    }

    #[inline]
    pub(super) fn length(
        &self,
        collection: Val,
        state: &[i32],
        node: NodeId,
    ) -> Result<i64, Fault> {
        if let Val::Region { base, shape } = collection {
            if let Shape::Set { lo, hi } = self.layout.shape(shape) {
                let slots = state
                    .get(base as usize..base as usize + (hi - lo) as usize)
                    .unwrap_or(&[]);
                return Ok(slots.iter().filter(|v| **v != 0).count() as i64);
            }
        }
        Ok(self.positions(collection, state, node)? as i64)
    }

    #[inline]
    pub(super) fn contains(
        &self,
        collection: Val,
        value: Val,
        state: &[i32],
        scratch: &Scratch,
        node: NodeId,
    ) -> Result<bool, Fault> {
        match collection {
            Val::Range { lo, hi } => match value {
                Val::Int(v) => Ok(lo <= v && v < hi),
                _ => self.internal(node, "membership of a non-int in a range"),
            },
            Val::Region { base, shape }
                if matches!(self.layout.shape(shape), Shape::Set { .. }) =>
            {
                let (Shape::Set { lo, hi }, Val::Int(v)) = (self.layout.shape(shape), value) else {
                    return self.internal(node, "membership of a non-int in a set");
                };
                if v < i64::from(*lo) || v >= i64::from(*hi) {
                    return Ok(false);
                }
                Ok(state
                    .get(base as usize + (v - i64::from(*lo)) as usize)
                    .copied()
                    .unwrap_or(0)
                    != 0)
            }
            _ => {
                for position in 0..self.positions(collection, state, node)? {
                    if let Some(element) =
                        self.element(collection, position, state, scratch, node)?
                    {
                        if self.equal(element, value, state, scratch, node)? {
                            return Ok(true);
                        }
                    }
                }
                Ok(false)
            }
        }
    }

    #[inline]
    pub(super) fn equal(
        &self,
        a: Val,
        b: Val,
        state: &[i32],
        scratch: &Scratch,
        node: NodeId,
    ) -> Result<bool, Fault> {
        match (a, b) {
            (Val::Bool(x), Val::Bool(y)) => Ok(x == y),
            (Val::Int(x), Val::Int(y)) => Ok(x == y),
            (Val::Int(_) | Val::Num(_), Val::Int(_) | Val::Num(_)) => {
                Ok(number(a).compare(number(b)) == Some(Ordering::Equal))
            }
            (Val::Bool(_), _)
            | (_, Val::Bool(_))
            | (Val::Int(_) | Val::Num(_), _)
            | (_, Val::Int(_) | Val::Num(_)) => Ok(false),
            _ => {
                let is_set = |v: Val| matches!(v, Val::Region { shape, .. } if matches!(self.layout.shape(shape), Shape::Set { .. }));
                if is_set(a) || is_set(b) {
                    // Sets are equal when each holds the other's members.
                    if self.length(a, state, node)? != self.length(b, state, node)? {
                        return Ok(false);
                    }
                    for position in 0..self.positions(a, state, node)? {
                        if let Some(element) = self.element(a, position, state, scratch, node)? {
                            if !self.contains(b, element, state, scratch, node)? {
                                return Ok(false);
                            }
                        }
                    }
                    return Ok(true);
                }
                let n = self.positions(a, state, node)?;
                if n != self.positions(b, state, node)? {
                    return Ok(false);
                }
                for position in 0..n {
                    let x = self.element(a, position, state, scratch, node)?;
                    let y = self.element(b, position, state, scratch, node)?;
                    match (x, y) {
                        (Some(x), Some(y)) if self.equal(x, y, state, scratch, node)? => {}
                        _ => return Ok(false),
                    }
                }
                Ok(true)
            }
        }
    }

    #[inline]
    pub(super) fn compare(
        &self,
        op: CompareOp,
        a: Val,
        b: Val,
        state: &[i32],
        scratch: &Scratch,
        node: NodeId,
    ) -> Result<bool, Fault> {
        if let (Val::Int(x), Val::Int(y)) = (a, b) {
            return match crate::ops::int_compare(op, x, y) {
                Some(holds) => Ok(holds),
                None => self.internal(node, "membership in an int"),
            };
        }
        let ordering = || number(a).compare(number(b));
        Ok(match op {
            CompareOp::Eq => self.equal(a, b, state, scratch, node)?,
            CompareOp::Ne => !self.equal(a, b, state, scratch, node)?,
            CompareOp::Lt => ordering() == Some(Ordering::Less),
            CompareOp::Le => matches!(ordering(), Some(Ordering::Less | Ordering::Equal)),
            CompareOp::Gt => ordering() == Some(Ordering::Greater),
            CompareOp::Ge => matches!(ordering(), Some(Ordering::Greater | Ordering::Equal)),
            CompareOp::In => self.contains(b, a, state, scratch, node)?,
            CompareOp::NotIn => !self.contains(b, a, state, scratch, node)?,
        })
    }
}
