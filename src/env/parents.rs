//! Derived parents: candidates from each effect's inversion plan, kept only if they are valid
//! states where the action is allowed and steps back to the child.

use super::{Context, EnvError, Environment, Workspace};
use crate::diagnostic::codes;
use crate::ir::layout::{Shape, ShapeId};
use crate::ir::Val;

impl Environment {
    /// The verified parents of `state` by flat action `action` (not `stop`), appended back to
    /// back to `out`; returns how many.
    pub fn parents(
        &self,
        state: &[i32],
        action: usize,
        out: &mut Vec<i32>,
        ws: &mut Workspace,
    ) -> Result<usize, EnvError> {
        let w = self.width();
        // `stop` leads out of the DAG, to no state: nothing is its child.
        let Some(flat) = self.program.actions.get(action) else {
            return Ok(0);
        };
        // Backward trajectories end at s0: whatever would step into it is never a parent (a
        // reachable one would be a cycle, which exploration reports; an unreachable one is
        // never visited), so `x: 0..5 = 1` with `x += 1` is a valid program.
        if state == self.initial_state() {
            return Ok(0);
        }
        let family = &self.program.families[flat.family];
        if !self.may_have_parent(flat, state, ws) {
            return Ok(0);
        }
        let mut candidates = std::mem::take(&mut ws.candidates);
        candidates.clear();
        candidates.extend_from_slice(state);
        let mut inverted = std::mem::take(&mut ws.inverted);
        inverted.clear();
        for (effect, old) in family.effects.iter().zip(&family.parents.old) {
            ws.scratch.start(&flat.args);
            let fault = |f| self.fault(f, state, Context::Parent(&flat.name));
            // Indices read nothing the action writes (the plan ensures it), so the child gives them.
            let slot = match self.resolve(&effect.place, state, ws) {
                Ok(slot) => slot,
                Err(_) => {
                    // No parent can have stepped through an index that is out of range.
                    candidates.clear();
                    break;
                }
            };
            let shape = effect.place.shape;
            inverted.push((slot, shape.0));
            let mut next = std::mem::take(&mut ws.next_candidates);
            next.clear();
            for candidate in candidates.chunks_exact(w) {
                self.invert(
                    *old, slot, shape, state, &flat.args, candidate, &mut next, ws,
                )
                .map_err(fault)?;
            }
            ws.next_candidates = std::mem::replace(&mut candidates, next);
        }
        let mut found = 0;
        let start = out.len();
        let mut child = std::mem::take(&mut ws.verify);
        child.resize(w, 0);
        for candidate in candidates.chunks_exact(w) {
            if !self.verified_parent(candidate, action, (state, &inverted), &mut child, ws)? {
                continue;
            }
            let duplicate = out[start..].chunks_exact(w).any(|p| p == candidate);
            if !duplicate {
                out.extend_from_slice(candidate);
                found += 1;
            }
        }
        ws.verify = child;
        ws.candidates = candidates;
        ws.inverted = inverted;
        Ok(found)
    }

    /// False when an assignment of the action left its place with another value than the one
    /// it assigns: then no state steps to `state` by it. Decided on the child alone, before any
    /// candidate is copied (a wide state costs its width per candidate).
    fn may_have_parent(
        &self,
        flat: &crate::ir::FlatAction,
        state: &[i32],
        ws: &mut Workspace,
    ) -> bool {
        let family = &self.program.families[flat.family];
        let machine = self.machine();
        for (effect, expect) in family.effects.iter().zip(&family.parents.expect) {
            let Some(node) = expect else { continue };
            ws.scratch.start(&flat.args);
            let Ok(slot) = self.resolve(&effect.place, state, ws) else {
                return false;
            };
            ws.scratch.start(&flat.args);
            let held = match *self.program.layout.shape(effect.place.shape) {
                // A push: the child's last element (bitseq120's 256 word actions were each
                // inverted and stepped again to find the one parent of a state).
                Shape::Seq { stride, .. } => {
                    let len = state[slot];
                    if len <= 0 {
                        return false;
                    }
                    state[slot + 1 + (len - 1) as usize * stride as usize]
                }
                _ => state[slot],
            };
            let held = i64::from(held);
            match machine.eval(*node, state, &mut ws.scratch) {
                Ok(Val::Bool(b)) if held != i64::from(b) => return false,
                Ok(Val::Int(i)) if held != i => return false,
                _ => {}
            }
        }
        true
    }

    /// Whether `candidate` is a valid state, not `done`, where `action` is allowed and steps
    /// to `child_expected`.
    fn verified_parent(
        &self,
        candidate: &[i32],
        action: usize,
        (child_expected, inverted): (&[i32], &[(usize, u32)]),
        child: &mut [i32],
        ws: &mut Workspace,
    ) -> Result<bool, EnvError> {
        let layout = &self.program.layout;
        // A candidate differs from the child only in the places the action writes, and the
        // child is a valid state (steps check what they write): checking those places alone
        // keeps a state of 65,536 slots, whose parents are derived for each of its actions,
        // from costing its width per action twice over.
        let valid = inverted
            .iter()
            .all(|(slot, shape)| layout.is_valid(ShapeId(*shape), candidate, *slot));
        if !valid || candidate == child_expected {
            return Ok(false);
        }
        // A candidate on which the model itself fails cannot have been stepped from.
        if !matches!(self.is_done(candidate, ws), Ok(false)) {
            return Ok(false);
        }
        if !matches!(self.guard_holds(candidate, action, ws), Ok(true)) {
            return Ok(false);
        }
        Ok(self.step(candidate, action, child, ws).is_ok() && child == child_expected)
    }

    /// The parent of `state` by `action`: `Ok(false)` when there is none, an error when two
    /// different parents share the action into this state.
    pub fn parent(
        &self,
        state: &[i32],
        action: usize,
        out: &mut [i32],
        ws: &mut Workspace,
    ) -> Result<bool, EnvError> {
        let mut found = Vec::new();
        match self.parents(state, action, &mut found, ws)? {
            0 => Ok(false),
            1 => {
                out.copy_from_slice(&found);
                Ok(true)
            }
            _ => Err(self.non_injective(state, action, &found)),
        }
    }

    /// A forward edge whose parent the inversion plan did not find.
    pub(super) fn underived_parent(
        &self,
        parent: &[i32],
        child: &[i32],
        action: usize,
    ) -> EnvError {
        EnvError::new(
            codes::env::UNDERIVED_PARENT,
            format!(
                "the parent {} of state {} by action `{}` could not be derived",
                self.render(parent),
                self.render(child),
                self.action_name(action)
            ),
        )
        .at(
            self.program.families[self.program.actions[action].family].span,
            "its effects could not be inverted",
        )
        .help("pin overwritten values in the `when` (e.g. `when x == 0 { x = v }`)")
    }

    pub(super) fn non_injective(&self, child: &[i32], action: usize, parents: &[i32]) -> EnvError {
        let w = self.width();
        let shown: Vec<String> = parents
            .chunks_exact(w)
            .take(2)
            .map(|p| self.render(p))
            .collect();
        let family = &self.program.families[self.program.actions[action].family];
        EnvError::new(codes::env::NON_INJECTIVE, format!(
                "action `{}` leads to state {} from two different states, {} and {}",
                self.action_name(action),
                self.render(child),
                shown.first().map(String::as_str).unwrap_or("?"),
                shown.get(1).map(String::as_str).unwrap_or("?"),
            ))
                .at(family.span, "this action is not injective")
                .help(
                    "a backward policy identifies each edge by its action; pin the overwritten value in the `when` (e.g. `when x == 0`) or split the action",
                )
    }

    /// The backward mask over the flat action space: action `a` is allowed at `state` when some
    /// state steps to it by `a`. `stop` is never allowed backward. Two parents by one action
    /// are an error (`gfn::env::non_injective`): every caller checks the state it derives.
    pub fn backward_mask(
        &self,
        state: &[i32],
        mask: &mut [bool],
        ws: &mut Workspace,
    ) -> Result<(), EnvError> {
        mask.fill(false);
        let mut found = Vec::new();
        for (action, allowed) in mask[..self.program.actions.len()].iter_mut().enumerate() {
            found.clear();
            let count = self.parents(state, action, &mut found, ws)?;
            if count > 1 {
                return Err(self.non_injective(state, action, &found));
            }
            *allowed = count > 0;
        }
        Ok(())
    }

    /// Every value of a shape, as slot vectors (bounded by the compiler's candidate limit).
    pub(super) fn all_values(&self, shape: ShapeId) -> Vec<Vec<i32>> {
        let layout = &self.program.layout;
        match layout.shape(shape) {
            Shape::Bool => vec![vec![0], vec![1]],
            Shape::Int { lo, hi } => (*lo..*hi).map(|v| vec![v]).collect(),
            Shape::Set { lo, hi } => {
                let n = (hi - lo) as usize;
                (0..1u64 << n)
                    .map(|bits| (0..n).map(|k| ((bits >> k) & 1) as i32).collect())
                    .collect()
            }
            Shape::Array { element, len, .. } => {
                let elements = self.all_values(*element);
                let mut values = vec![Vec::new()];
                for _ in 0..*len {
                    values = extend_each(&values, &elements);
                }
                values
            }
            Shape::Seq {
                element,
                max,
                stride,
            } => {
                let elements = self.all_values(*element);
                let mut values = Vec::new();
                let mut bodies: Vec<Vec<i32>> = vec![Vec::new()];
                for len in 0..=*max {
                    for body in &bodies {
                        let mut v = vec![0; 1 + (*max * *stride) as usize];
                        v[0] = len as i32;
                        v[1..1 + body.len()].copy_from_slice(body);
                        values.push(v);
                    }
                    bodies = extend_each(&bodies, &elements);
                }
                values
            }
        }
    }
}

/// Every prefix followed by every element: one more position of a cartesian product.
fn extend_each(prefixes: &[Vec<i32>], elements: &[Vec<i32>]) -> Vec<Vec<i32>> {
    prefixes
        .iter()
        .flat_map(|prefix| {
            elements
                .iter()
                .map(move |e| [prefix.as_slice(), e].concat())
        })
        .collect()
}
