//! Bounds on expressions once lets are substituted. A let is a macro: `let d1 = d0 + d0` used
//! in `let d2 = d1 + d1` doubles at each line, and a chain of ten thousand lets nests ten
//! thousand deep. Both are measured here, let by let in dependency order (no recursion through
//! lets), and refused with a diagnostic before anything is lowered or evaluated.

use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::hir::{Expr, ExprKind, Model};

/// The most operations one expression may stand for once its lets are substituted.
pub const MAX_EXPANDED_SIZE: f64 = 1e6;

/// The deepest an expression may nest once its lets are substituted (evaluation recurses).
pub const MAX_EXPANDED_DEPTH: usize = 512;

/// Size (operations, as a float so that it cannot overflow) and depth of expanded expressions.
#[derive(Clone, Copy)]
struct Measure {
    size: f64,
    depth: usize,
}

/// The let instances an expression calls directly.
fn calls(expr: &Expr, out: &mut Vec<usize>) {
    if let ExprKind::Let(index, _) = &expr.kind {
        out.push(*index);
    }
    for child in expr.children() {
        calls(child, out);
    }
}

fn measure(expr: &Expr, lets: &[Option<Measure>]) -> Measure {
    let mut size = 1.0;
    let mut depth = 0;
    if let ExprKind::Let(index, _) = &expr.kind {
        if let Some(body) = lets.get(*index).copied().flatten() {
            size += body.size;
            depth = body.depth;
        }
    }
    for child in expr.children() {
        let m = measure(child, lets);
        size += m.size;
        depth = depth.max(m.depth);
    }
    Measure {
        size,
        depth: depth + 1,
    }
}

/// Let instances, callees before callers (iteratively: a chain of lets is no deeper here).
fn dependency_order(model: &Model) -> Vec<usize> {
    let n = model.lets.len();
    let callees: Vec<Vec<usize>> = model
        .lets
        .iter()
        .map(|l| {
            let mut out = Vec::new();
            calls(&l.body, &mut out);
            out
        })
        .collect();
    let mut order = Vec::with_capacity(n);
    let mut state = vec![0u8; n]; // 0 new, 1 in progress, 2 done
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some((node, next)) = stack.pop() {
            if let Some(&callee) = callees[node].get(next) {
                stack.push((node, next + 1));
                if callee < n && state[callee] == 0 {
                    state[callee] = 1;
                    stack.push((callee, 0));
                }
            } else {
                state[node] = 2;
                order.push(node);
            }
        }
    }
    order
}

fn too_large(what: &str, expr: &Expr, m: Measure) -> Diagnostic {
    let (problem, label) = if m.depth > MAX_EXPANDED_DEPTH {
        (
            format!(
                "{what} nests {} deep once its lets are substituted (at most {MAX_EXPANDED_DEPTH})",
                m.depth
            ),
            "nests too deep",
        )
    } else {
        (
            format!(
                "{what} stands for {:.3e} operations once its lets are substituted (at most {MAX_EXPANDED_SIZE:.0e})",
                m.size
            ),
            "too large once expanded",
        )
    };
    Diagnostic::new(codes::compile::TOO_LARGE, problem)
        .label(expr.span, label)
        .help("a let is substituted wherever it is used: a let used twice by the next one doubles at each step, and each let in a chain adds a level; compute the value in fewer steps, or keep it in a state field")
}

/// Refuse expressions that are too large or too deep once expanded.
pub fn check(model: &Model) -> Result<(), Vec<Diagnostic>> {
    let mut lets: Vec<Option<Measure>> = vec![None; model.lets.len()];
    for index in dependency_order(model) {
        let instance = &model.lets[index];
        let m = measure(&instance.body, &lets);
        if m.size > MAX_EXPANDED_SIZE || m.depth > MAX_EXPANDED_DEPTH {
            return Err(vec![too_large(
                &format!("let `{}`", instance.name),
                &instance.body,
                m,
            )]);
        }
        lets[index] = Some(m);
    }
    let mut top: Vec<(&str, &Expr)> = vec![("the reward", &model.reward.expr)];
    if let Some(Some(stop)) = &model.stop {
        top.push(("the `stop` condition", stop));
    }
    if let Some(done) = &model.done {
        top.push(("the `done` condition", done));
    }
    if let Some(mode) = &model.mode {
        top.push(("the `mode` condition", mode));
    }
    if let Some(key) = &model.mode_key {
        top.push(("the key of `mode by`", key));
    }
    for action in &model.actions {
        if let Some(guard) = &action.guard {
            top.push(("a `when`", guard));
        }
        for effect in &action.effects {
            use crate::hir::EffectKind;
            let (place, value) = match &effect.kind {
                EffectKind::Assign { place, value, .. }
                | EffectKind::Insert(place, value)
                | EffectKind::Remove(place, value)
                | EffectKind::Push(place, value) => (place, Some(value)),
                EffectKind::Pop(place) => (place, None),
            };
            top.extend(place.indices.iter().map(|i| ("an index", i)));
            top.extend(value.map(|v| ("an effect", v)));
        }
    }
    for (what, expr) in top {
        let m = measure(expr, &lets);
        if m.size > MAX_EXPANDED_SIZE || m.depth > MAX_EXPANDED_DEPTH {
            return Err(vec![too_large(what, expr, m)]);
        }
    }
    Ok(())
}
