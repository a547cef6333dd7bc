//! Each effect's two sides, next to each other: how it changes a state (`apply`, for
//! [`Environment::step`]) and what the state held before it (`invert`, for
//! [`Environment::parents`]); and how values are written into a state's slots.

use super::{Context, EnvError, Environment, Workspace};
use crate::diagnostic::codes;
use crate::ir::code::NodeId;
use crate::ir::layout::{Shape, ShapeId};
use crate::ir::{EffectCode, EffectOp, OldValues, Val};
use crate::run::{Fault, Scratch};

impl Environment {
    /// Apply one effect of flat action `action` whose place starts at `slot`: `state` is read,
    /// `child` written.
    pub(super) fn apply(
        &self,
        effect: &EffectCode,
        action: usize,
        slot: usize,
        state: &[i32],
        child: &mut [i32],
        ws: &mut Workspace,
    ) -> Result<(), EnvError> {
        let machine = self.machine();
        let fault = |f: Fault| self.fault(f, state, Context::Effect(action));
        let out_of_range =
            |value: String| self.out_of_range(state, action, &effect.place, effect.span, value);
        match effect.op {
            EffectOp::Add(e) | EffectOp::Sub(e) => {
                let delta = machine.eval_int(e, state, &mut ws.scratch).map_err(fault)?;
                let delta = if matches!(effect.op, EffectOp::Sub(_)) {
                    -delta
                } else {
                    delta
                };
                let new = i64::from(state[slot]) + delta;
                self.write_int(effect.place.shape, slot, new, child)
                    .map_err(|_| out_of_range(new.to_string()))?;
            }
            EffectOp::Set(e) => {
                let value = machine.eval(e, state, &mut ws.scratch).map_err(fault)?;
                self.write_val(effect.place.shape, slot, value, state, child, &ws.scratch)
                    .map_err(&out_of_range)?;
            }
            EffectOp::Insert(e) | EffectOp::Remove(e) => {
                let member = machine.eval_int(e, state, &mut ws.scratch).map_err(fault)?;
                let Shape::Set { lo, hi } = *self.program.layout.shape(effect.place.shape) else {
                    return Err(self.internal("insert into a non-set"));
                };
                if member < i64::from(lo) || member >= i64::from(hi) {
                    return Err(out_of_range(format!("member {member}")));
                }
                child[slot + (member - i64::from(lo)) as usize] =
                    i32::from(matches!(effect.op, EffectOp::Insert(_)));
            }
            EffectOp::Push(e) => {
                let value = machine.eval(e, state, &mut ws.scratch).map_err(fault)?;
                let Shape::Seq {
                    element,
                    max,
                    stride,
                } = *self.program.layout.shape(effect.place.shape)
                else {
                    return Err(self.internal("push onto a non-sequence"));
                };
                let len = state[slot];
                if len < 0 || len as u32 >= max {
                    return Err(out_of_range(format!("a sequence of {} elements", len + 1)));
                }
                child[slot] = len + 1;
                let at = slot + 1 + len as usize * stride as usize;
                self.write_val(element, at, value, state, child, &ws.scratch)
                    .map_err(&out_of_range)?;
            }
            EffectOp::Pop => {
                let Shape::Seq { stride, .. } = *self.program.layout.shape(effect.place.shape)
                else {
                    return Err(self.internal("pop from a non-sequence"));
                };
                let len = state[slot];
                if len <= 0 {
                    let field = &self.program.interface.fields[effect.place.field].name;
                    return Err(EnvError::new(
                        codes::env::OUT_OF_RANGE,
                        format!(
                            "action `{}` would pop from `{field}`, which is empty, in state {}",
                            self.action_name(action),
                            self.render(state)
                        ),
                    )
                    .at(effect.span, "pops an empty sequence")
                    .help(format!(
                        "add `when len({field}) > 0` to action `{}`",
                        self.program.families[self.program.actions[action].family].name
                    )));
                }
                child[slot] = len - 1;
                let at = slot + 1 + (len - 1) as usize * stride as usize;
                child[at..at + stride as usize].fill(0);
            }
        }
        Ok(())
    }

    /// The candidate parents one effect leaves for one candidate (the child's slots with the
    /// effects inverted so far), appended to `next`: the effect's `apply` undone.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn invert(
        &self,
        old: OldValues,
        slot: usize,
        shape: ShapeId,
        state: &[i32],
        args: &[Val],
        candidate: &[i32],
        next: &mut Vec<i32>,
        ws: &mut Workspace,
    ) -> Result<(), Fault> {
        let machine = self.machine();
        let w = candidate.len();
        // Each way out writes a copy of the candidate, then changes the copy in place.
        let copy = |next: &mut Vec<i32>| {
            next.extend_from_slice(candidate);
            next.len() - w
        };
        match old {
            OldValues::Shift { delta, sign } => {
                ws.scratch.start(args);
                let d = machine.eval_int(delta, state, &mut ws.scratch)?;
                let old = i64::from(state[slot]) - sign * d;
                if let Ok(old) = i32::try_from(old) {
                    let at = copy(next);
                    next[at + slot] = old;
                }
            }
            OldValues::Pinned(node) => {
                ws.scratch.start(args);
                let value = machine.eval(node, state, &mut ws.scratch)?;
                let at = copy(next);
                let written =
                    self.write_val(shape, slot, value, state, &mut next[at..], &ws.scratch);
                if written.is_err() {
                    next.truncate(at);
                }
            }
            OldValues::Affine(value) => {
                self.invert_affine(value, (slot, shape), (state, args, candidate), next, ws)?;
            }
            OldValues::Inserted(node) | OldValues::Removed(node) => {
                ws.scratch.start(args);
                let member = machine.eval_int(node, state, &mut ws.scratch)?;
                let Shape::Set { lo, hi } = *self.program.layout.shape(shape) else {
                    return Ok(());
                };
                if member < i64::from(lo) || member >= i64::from(hi) {
                    return Ok(());
                }
                let bit = slot + (member - i64::from(lo)) as usize;
                let inserted = matches!(old, OldValues::Inserted(_));
                // insert(e) leaves e in the child; remove(e) leaves it out.
                if (state[bit] != 0) == inserted {
                    let at = copy(next);
                    next[at + bit] = i32::from(!inserted);
                }
            }
            OldValues::Pushed => {
                let Shape::Seq { stride, .. } = *self.program.layout.shape(shape) else {
                    return Ok(());
                };
                let len = state[slot];
                if len > 0 {
                    let at = copy(next);
                    next[at + slot] = len - 1;
                    let from = at + slot + 1 + (len - 1) as usize * stride as usize;
                    next[from..from + stride as usize].fill(0);
                }
            }
            OldValues::Popped => {
                let Shape::Seq {
                    element,
                    max,
                    stride,
                } = *self.program.layout.shape(shape)
                else {
                    return Ok(());
                };
                let len = state[slot];
                if len >= 0 && (len as u32) < max {
                    let from = slot + 1 + len as usize * stride as usize;
                    for value in self.all_values(element) {
                        let at = copy(next);
                        next[at + slot] = len + 1;
                        next[at + from..at + from + stride as usize].copy_from_slice(&value);
                    }
                }
            }
            OldValues::Any => {
                let size = self.program.layout.size(shape) as usize;
                for value in self.all_values(shape) {
                    let at = copy(next);
                    next[at + slot..at + slot + size].copy_from_slice(&value);
                }
            }
        }
        Ok(())
    }

    /// The parent of `x = a·x + c`: `(new − c) / a` when that divides exactly (see
    /// `OldValues::Affine`).
    fn invert_affine(
        &self,
        value: NodeId,
        (slot, shape): (usize, ShapeId),
        (state, args, candidate): (&[i32], &[Val], &[i32]),
        next: &mut Vec<i32>,
        ws: &mut Workspace,
    ) -> Result<(), Fault> {
        let machine = self.machine();
        let w = candidate.len();
        let copy = |next: &mut Vec<i32>| {
            next.extend_from_slice(candidate);
            next.len() - w
        };
        let at = copy(next);
        // f(x) = a·x + c: its values with the place holding 0 and 1 give c and a + c
        // (what else it reads, the action does not write: the candidate has it).
        let mut f = |x: i32, next: &mut Vec<i32>| {
            next[at + slot] = x;
            ws.scratch.start(args);
            machine.eval_int(value, &next[at..at + w], &mut ws.scratch)
        };
        // An error here (an overflow at 0 or 1 that the parent's own value avoids) is
        // left to the re-stepping of candidates, which finds none.
        let (Ok(c), Ok(a_plus_c)) = (f(0, next), f(1, next)) else {
            next.truncate(at);
            return Ok(());
        };
        next.truncate(at);
        let (new, c) = (i128::from(state[slot]), i128::from(c));
        let a = i128::from(a_plus_c) - c;
        if a == 0 {
            // The place does not matter here: every old value, if the value assigned
            // is the new one (the compiler counted these candidates).
            if new == c {
                self.invert(
                    OldValues::Any,
                    slot,
                    shape,
                    state,
                    args,
                    candidate,
                    next,
                    ws,
                )?;
            }
        } else if (new - c) % a == 0 {
            if let Ok(old) = i32::try_from((new - c) / a) {
                let at = copy(next);
                next[at + slot] = old;
            }
        }
        Ok(())
    }

    pub(super) fn write_int(
        &self,
        shape: ShapeId,
        slot: usize,
        value: i64,
        out: &mut [i32],
    ) -> Result<(), ()> {
        match *self.program.layout.shape(shape) {
            Shape::Int { lo, hi } if value >= i64::from(lo) && value < i64::from(hi) => {
                out[slot] = value as i32;
                Ok(())
            }
            _ => Err(()),
        }
    }

    /// Write a value of `shape` at `slot`; on failure, the offending value as text.
    pub(super) fn write_val(
        &self,
        shape: ShapeId,
        slot: usize,
        value: Val,
        state: &[i32],
        out: &mut [i32],
        scratch: &Scratch,
    ) -> Result<(), String> {
        let layout = &self.program.layout;
        match (layout.shape(shape), value) {
            (Shape::Bool, Val::Bool(b)) => {
                out[slot] = i32::from(b);
                Ok(())
            }
            (Shape::Int { .. }, Val::Int(v)) => self
                .write_int(shape, slot, v, out)
                .map_err(|_| v.to_string()),
            (_, Val::Region { base, shape: from }) if layout.shape(from) == layout.shape(shape) => {
                let size = layout.size(shape) as usize;
                out[slot..slot + size].copy_from_slice(&state[base as usize..base as usize + size]);
                Ok(())
            }
            (
                Shape::Array {
                    element,
                    len,
                    stride,
                },
                collection,
            ) => {
                let items = self.collection_items(collection, state, scratch);
                if items.len() != *len as usize {
                    return Err(format!("an array of {} elements", items.len()));
                }
                for (k, item) in items.into_iter().enumerate() {
                    self.write_val(
                        *element,
                        slot + k * *stride as usize,
                        item,
                        state,
                        out,
                        scratch,
                    )?;
                }
                Ok(())
            }
            (Shape::Set { lo, hi }, collection) => {
                let (lo, hi) = (*lo, *hi);
                out[slot..slot + (hi - lo) as usize].fill(0);
                for item in self.collection_items(collection, state, scratch) {
                    match item {
                        Val::Int(m) if m >= i64::from(lo) && m < i64::from(hi) => {
                            out[slot + (m - i64::from(lo)) as usize] = 1
                        }
                        Val::Int(m) => return Err(format!("member {m}")),
                        _ => return Err("a set of non-integers".to_string()),
                    }
                }
                Ok(())
            }
            (
                Shape::Seq {
                    element,
                    max,
                    stride,
                },
                collection,
            ) => {
                let items = self.collection_items(collection, state, scratch);
                if items.len() > *max as usize {
                    return Err(format!("a sequence of {} elements", items.len()));
                }
                out[slot..slot + 1 + (*max * *stride) as usize].fill(0);
                out[slot] = items.len() as i32;
                for (k, item) in items.into_iter().enumerate() {
                    self.write_val(
                        *element,
                        slot + 1 + k * *stride as usize,
                        item,
                        state,
                        out,
                        scratch,
                    )?;
                }
                Ok(())
            }
            _ => Err("a value of another type".to_string()),
        }
    }

    /// The elements of a collection value (allocates: only whole-collection assignments use it).
    pub(super) fn collection_items(
        &self,
        collection: Val,
        state: &[i32],
        scratch: &Scratch,
    ) -> Vec<Val> {
        let layout = &self.program.layout;
        match collection {
            Val::Pool(index) => self.program.code.pool[index as usize].clone(),
            Val::Stack { start, len } => scratch_items(scratch, start, len),
            Val::Region { base, shape } => {
                let mut items = Vec::new();
                match layout.shape(shape) {
                    Shape::Array {
                        element,
                        len,
                        stride,
                    } => {
                        for k in 0..*len as usize {
                            items.push(region_element(
                                layout,
                                state,
                                base as usize + k * *stride as usize,
                                *element,
                            ));
                        }
                    }
                    Shape::Seq {
                        element, stride, ..
                    } => {
                        for k in 0..state[base as usize].max(0) as usize {
                            items.push(region_element(
                                layout,
                                state,
                                base as usize + 1 + k * *stride as usize,
                                *element,
                            ));
                        }
                    }
                    Shape::Set { lo, hi } => {
                        for k in 0..(hi - lo) as usize {
                            if state[base as usize + k] != 0 {
                                items.push(Val::Int(i64::from(*lo) + k as i64));
                            }
                        }
                    }
                    _ => {}
                }
                items
            }
            Val::Range { lo, hi } => (lo..hi).map(Val::Int).collect(),
            _ => Vec::new(),
        }
    }
}

fn region_element(
    layout: &crate::ir::layout::Layout,
    state: &[i32],
    slot: usize,
    shape: ShapeId,
) -> Val {
    match layout.shape(shape) {
        Shape::Bool => Val::Bool(state[slot] != 0),
        Shape::Int { .. } => Val::Int(i64::from(state[slot])),
        _ => Val::Region {
            base: slot as u32,
            shape,
        },
    }
}

fn scratch_items(scratch: &Scratch, start: u32, len: u32) -> Vec<Val> {
    scratch.stack_slice(start, len).to_vec()
}

#[cfg(test)]
mod tests {
    use crate::env::{dag, Environment, Workspace};
    use crate::ir::OldValues;

    /// Every edge of the program's DAG, stepped forward by `apply`, comes back by `invert`: the
    /// parents derived for the child by the edge's action are exactly its source.
    fn apply_then_invert(program: &str) {
        let env = Environment::from_source(program, &[]).expect("compiles");
        let graph = dag::enumerate(&env, 10_000).expect("enumerates");
        let mut ws = Workspace::new();
        let mut found = Vec::new();
        let mut edges = 0;
        for s in 0..graph.len() {
            for (action, c) in graph.edges(s) {
                found.clear();
                let count = env
                    .parents(graph.states.get(c), action, &mut found, &mut ws)
                    .expect("parents");
                assert_eq!(
                    count,
                    1,
                    "{program}: one parent by `{}`",
                    env.action_name(action)
                );
                assert_eq!(found.as_slice(), graph.states.get(s), "{program}");
                edges += 1;
            }
        }
        assert!(edges > 0, "{program}: no edge exercised");
    }

    #[test]
    fn each_effect_is_inverted_by_its_own_plan() {
        for program in [
            // += and -= (a shift)
            "env t\nstate { x: 0..9 }\naction up(k in 1..3) when x + k < 9 { x += k }\nstop\nreward 1.0",
            "env t\nstate { x: 0..9 = 8 }\naction down when x > 0 { x -= 2 * (x % 2) + 1 }\nstop\nreward 1.0",
            // = with the old value pinned by the guard, == and bare bool forms
            "env t\nstate { x: [0..4; 3] }\naction set(i in 0..3, v in 1..4) when x[i] == 0 { x[i] = v }\nstop\nreward 1.0",
            "env t\nstate { b: [bool; 3] }\naction on(i in 0..3) when not b[i] { b[i] = true }\nstop\nreward 1.0",
            // = with an unpinned old value (every value a candidate, verified)
            "env t\nstate { x: 0..5, d: bool }\naction finish when not d and x < 4 { x = x + 1; d = true }\naction grow when not d and x < 4 { x += 1 }\nstop\nreward 1.0",
            // insert and remove
            "env t\nstate { s: set<0..4> }\naction add(i in 0..4) when i not in s and len(s) < 2 { s.insert(i) }\nstop\nreward 1.0",
            "env t\nstate { s: set<0..3> = [0, 1, 2] }\naction drop(i in 0..3) when i in s { s.remove(i) }\nstop\nreward 1.0",
            // push and pop
            "env t\nstate { q: seq<0..3, 3> }\naction put(v in 0..3) when len(q) < 3 { q.push(v) }\nstop\nreward 1.0",
            // pop loses the value: it is kept by a push elsewhere, which makes the parent unique
            "env t\nstate { q: seq<0..3, 3> = [2, 0, 1], out: seq<0..3, 3> }\naction take when len(q) > 0 { out.push(q[len(q) - 1]); q.pop() }\nstop\nreward 1.0",
            // = affine in its own place: (new - c) / a
            "env t\nstate { node: 1..64, depth: 0..6 }\naction child(b in 0..2) when depth < 5 { node = 2 * node + b; depth += 1 }\nstop\nreward 1.0",
            "env t\nstate { x: -20..20 = 0, n: 0..4 }\naction flip(k in 1..3) when n < 3 and -20 <= k - 3 * x and k - 3 * x < 20 { x = k - 3 * x; n += 1 }\nstop\nreward 1.0",
            "env t\nstate { x: 1..200, n: 0..4, y: 0..3 = 2 }\naction scale(m in 2..4, b in 0..2) when n < 3 { x = b + x * m + y; n += 1 }\nstop\nreward 1.0",
            "env t\nstate { x: [1..100; 3] }\naction grow(i in 0..3) when x[i] < 30 { x[i] = -(1 - x[i]) * 3 + 4 }\nstop\nreward 1.0",
        ] {
            apply_then_invert(program);
        }
    }

    /// The candidates `invert` leaves for one effect of `program`'s first family, given a child.
    fn affine_candidates(program: &str, action: usize, child: &str) -> Vec<String> {
        let env = Environment::from_source(program, &[]).expect("compiles");
        let family = &env.program.families[0];
        let old = family.parents.old[0];
        assert!(matches!(old, OldValues::Affine(_)), "{old:?}");
        let state = env.parse_state(child).expect("a state");
        let mut ws = Workspace::new();
        let flat = &env.program.actions[action];
        ws.scratch.start(&flat.args);
        let place = &family.effects[0].place;
        let slot = env.resolve(place, &state, &mut ws).expect("resolves");
        let mut next = Vec::new();
        env.invert(
            old,
            slot,
            place.shape,
            &state,
            &flat.args,
            &state,
            &mut next,
            &mut ws,
        )
        .expect("inverts");
        next.chunks_exact(env.width())
            .map(|c| env.render(c))
            .collect()
    }

    #[test]
    fn affine_old_values_divide_exactly_or_are_not_there() {
        let tree = "env t\nstate { node: 1..64, depth: 0..6 }\naction child(b in 0..2) when depth < 5 { node = 2 * node + b; depth += 1 }\nstop\nreward 1.0";
        // child(b=1): 11 = 2·5 + 1; 10 = 2·4.5 + 1 is no parent.
        assert_eq!(
            affine_candidates(tree, 1, "node=11, depth=3"),
            ["node=5, depth=3"]
        );
        assert!(affine_candidates(tree, 1, "node=10, depth=3").is_empty());
        assert_eq!(
            affine_candidates(tree, 0, "node=10, depth=3"),
            ["node=5, depth=3"]
        );
        // Out of the field's range: left to the checks of the candidate (`parents` drops it).
        assert_eq!(
            affine_candidates(tree, 1, "node=1, depth=3"),
            ["node=0, depth=3"]
        );
        let env = Environment::from_source(tree, &[]).expect("compiles");
        let state = env.parse_state("node=1, depth=3").expect("a state");
        let mut found = Vec::new();
        let count = env.parents(&state, 1, &mut found, &mut Workspace::new());
        assert_eq!(count, Ok(0));
    }

    #[test]
    fn an_affine_coefficient_of_zero_leaves_every_old_value() {
        // m = 0 assigns 1 whatever x held; m = 1 is x + 1.
        let program = "env t\nstate { x: 0..4, n: 0..3 }\naction set(m in 0..2) when n < 2 { x = m * x + 1; n += 1 }\nstop\nreward 1.0";
        assert_eq!(
            affine_candidates(program, 0, "x=1, n=1"),
            ["x=0, n=1", "x=1, n=1", "x=2, n=1", "x=3, n=1"]
        );
        assert!(affine_candidates(program, 0, "x=2, n=1").is_empty());
        assert_eq!(affine_candidates(program, 1, "x=2, n=1"), ["x=1, n=1"]);
    }
}
