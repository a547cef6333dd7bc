//! How the parents of a state are derived, per action family (spec, "Semantics: the DAG"):
//! each effect is inverted (`+=` by `-=`, `insert` by `remove`, `push` by `pop`, an assignment
//! whose old value the `when` pins, an assignment affine in its own place such as
//! `x = 2 * x + b` by `(x - b) / 2`), or else every old value of the place is a candidate.
//! Candidates are verified at run time by re-stepping (see `env::parents`).

use super::Compiler;
use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::hir::types::{Type, Value};
use crate::hir::{self, CompareOp, ExprKind, Model};
use crate::ir::code::NodeId;
use crate::ir::layout::{Layout, Shape, ShapeId};
use crate::ir::{EffectCode, EffectOp, OldValues, ParentPlan};

/// Candidate parents beyond this many per state and action are refused at compile time: each is
/// verified by re-stepping, so more would make every backward step, check and loss crawl.
pub const MAX_CANDIDATES: f64 = 1024.0;

/// Which fields an expression reads, following lets.
fn mark_reads(expr: &hir::Expr, model: &Model, fields: &mut [bool], visiting: &mut Vec<usize>) {
    let mut visit = |e: &hir::Expr| mark_reads(e, model, fields, visiting);
    match &expr.kind {
        ExprKind::Const(_) | ExprKind::Local(_) => {}
        ExprKind::Field(index) => fields[*index] = true,
        // A scorer reads the whole state.
        ExprKind::Extern(_) => fields.iter_mut().for_each(|f| *f = true),
        ExprKind::Let(index, args) => {
            for arg in args {
                mark_reads(arg, model, fields, visiting);
            }
            if !visiting.contains(index) {
                visiting.push(*index);
                mark_reads(&model.lets[*index].body, model, fields, visiting);
                visiting.pop();
            }
        }
        ExprKind::Unary(_, a) | ExprKind::Repeat(a, _) => visit(a),
        ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
            visit(a);
            visit(b);
        }
        ExprKind::Compare(first, rest) => {
            visit(first);
            for (_, r) in rest {
                visit(r);
            }
        }
        ExprKind::If(c, a, b) => {
            visit(c);
            visit(a);
            visit(b);
        }
        ExprKind::Builtin(_, args) | ExprKind::Array(args) => {
            for a in args {
                visit(a);
            }
        }
        ExprKind::Range { lo, hi, .. } => {
            visit(lo);
            visit(hi);
        }
        ExprKind::Aggregate { domain, body, .. } => {
            visit(domain);
            visit(body);
        }
    }
}

fn reads_any(expr: &hir::Expr, model: &Model, written: &[bool]) -> bool {
    let mut fields = vec![false; written.len()];
    mark_reads(expr, model, &mut fields, &mut Vec::new());
    fields.iter().zip(written).any(|(r, w)| *r && *w)
}

/// Whether two expressions are the same up to spans.
fn same(a: &hir::Expr, b: &hir::Expr) -> bool {
    match (&a.kind, &b.kind) {
        (ExprKind::Const(x), ExprKind::Const(y)) => x == y,
        (ExprKind::Field(x), ExprKind::Field(y)) | (ExprKind::Local(x), ExprKind::Local(y)) => {
            x == y
        }
        (ExprKind::Index(x, i), ExprKind::Index(y, j)) => same(x, y) && same(i, j),
        (ExprKind::Binary(o, x1, x2), ExprKind::Binary(p, y1, y2)) => {
            o == p && same(x1, y1) && same(x2, y2)
        }
        (ExprKind::Unary(o, x), ExprKind::Unary(p, y)) => o == p && same(x, y),
        _ => false,
    }
}

/// Whether `expr` reads exactly the place `field[indices...]`.
fn is_place(expr: &hir::Expr, place: &hir::Place) -> bool {
    let mut e = expr;
    let mut indices = Vec::new();
    while let ExprKind::Index(base, index) = &e.kind {
        indices.push(index.as_ref());
        e = base;
    }
    indices.reverse();
    matches!(e.kind, ExprKind::Field(f) if f == place.field)
        && indices.len() == place.indices.len()
        && indices.iter().zip(&place.indices).all(|(a, b)| same(a, b))
}

/// The conjuncts of a guard: `a and (b and c)` → `[a, b, c]`.
fn conjuncts<'e>(expr: &'e hir::Expr, out: &mut Vec<&'e hir::Expr>) {
    match &expr.kind {
        ExprKind::Binary(hir::BinaryOp::And, a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        _ => out.push(expr),
    }
}

/// A guard conjunct that pins the place's old value: `place == e` (or `e == place`) whose `e`
/// reads nothing the action writes, or a bool place tested bare (`place`, `not place`).
fn pinned_value(
    guard: Option<&hir::Expr>,
    place: &hir::Place,
    model: &Model,
    written: &[bool],
) -> Option<hir::Expr> {
    let mut parts = Vec::new();
    conjuncts(guard?, &mut parts);
    let constant = |value: bool, span| hir::Expr {
        kind: ExprKind::Const(crate::hir::types::Value::Bool(value)),
        ty: crate::hir::types::Type::Bool,
        span,
    };
    parts.into_iter().find_map(|part| match &part.kind {
        ExprKind::Compare(first, rest) if rest.len() == 1 && rest[0].0 == CompareOp::Eq => {
            let second = &rest[0].1;
            if is_place(first, place) && !reads_any(second, model, written) {
                Some(second.clone())
            } else if is_place(second, place) && !reads_any(first, model, written) {
                Some(first.as_ref().clone())
            } else {
                None
            }
        }
        ExprKind::Unary(hir::UnaryOp::Not, inner) if is_place(inner, place) => {
            Some(constant(false, part.span))
        }
        _ if part.ty == crate::hir::types::Type::Bool && is_place(part, place) => {
            Some(constant(true, part.span))
        }
        _ => None,
    })
}

/// What is known of the coefficient `a` of `place = a * place + c` before run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coefficient {
    /// Its value.
    Known(i64),
    /// Not known, but never 0 (a product of nonzero constants and arguments whose domains lack 0).
    NonZero,
    /// May be 0 for some action or state.
    Varies,
}

impl Coefficient {
    fn add(self, other: Coefficient) -> Coefficient {
        match (self, other) {
            (Coefficient::Known(a), Coefficient::Known(b)) => a
                .checked_add(b)
                .map_or(Coefficient::Varies, Coefficient::Known),
            (x, Coefficient::Known(0)) | (Coefficient::Known(0), x) => x,
            _ => Coefficient::Varies,
        }
    }

    fn negate(self) -> Coefficient {
        match self {
            Coefficient::Known(a) => a
                .checked_neg()
                .map_or(Coefficient::Varies, Coefficient::Known),
            other => other,
        }
    }

    fn times(self, other: Coefficient) -> Coefficient {
        use Coefficient::*;
        match (self, other) {
            (Known(0), _) | (_, Known(0)) => Known(0),
            (Known(a), Known(b)) => a.checked_mul(b).map_or(Varies, Known),
            (Known(_) | NonZero, Known(_) | NonZero) => NonZero,
            _ => Varies,
        }
    }
}

/// The coefficient of `place` in `value` when `value` is `a * place + c` with `a` and `c`
/// reading nothing the action writes (the place read only where it is `place` itself); `None`
/// when it is not of that form, or when the place does not occur in it.
fn affine(
    value: &hir::Expr,
    place: &hir::Place,
    action: &hir::Action,
    model: &Model,
    written: &[bool],
) -> Option<Coefficient> {
    fn walk(
        e: &hir::Expr,
        place: &hir::Place,
        action: &hir::Action,
        model: &Model,
        written: &[bool],
    ) -> Option<Coefficient> {
        if is_place(e, place) {
            return Some(Coefficient::Known(1));
        }
        if !reads_any(e, model, written) {
            return Some(Coefficient::Known(0));
        }
        if e.ty != Type::Int {
            return None;
        }
        let recur = |e: &hir::Expr| walk(e, place, action, model, written);
        match &e.kind {
            ExprKind::Binary(hir::BinaryOp::Add, a, b) => Some(recur(a)?.add(recur(b)?)),
            ExprKind::Binary(hir::BinaryOp::Sub, a, b) => Some(recur(a)?.add(recur(b)?.negate())),
            ExprKind::Unary(hir::UnaryOp::Neg, a) => Some(recur(a)?.negate()),
            ExprKind::Binary(hir::BinaryOp::Mul, a, b) => {
                let (factor, rest) = if !reads_any(a, model, written) {
                    (a, b)
                } else if !reads_any(b, model, written) {
                    (b, a)
                } else {
                    return None;
                };
                Some(recur(rest)?.times(factor_coefficient(factor, action)))
            }
            _ => None,
        }
    }
    if value.ty != Type::Int {
        return None;
    }
    match walk(value, place, action, model, written)? {
        Coefficient::Known(0) => None,
        coefficient => Some(coefficient),
    }
}

/// What is known of a factor that reads nothing the action writes.
fn factor_coefficient(factor: &hir::Expr, action: &hir::Action) -> Coefficient {
    match &factor.kind {
        ExprKind::Const(Value::Int(k)) => Coefficient::Known(*k),
        // At an effect's top level a local is an action argument.
        ExprKind::Local(slot) => match action.args.get(*slot) {
            Some((_, domain)) if !domain.contains(&Value::Int(0)) => Coefficient::NonZero,
            _ => Coefficient::Varies,
        },
        // `(2 * 3)`: closed, so its value is known now (an error is left to run time).
        _ if closed(factor) => match super::constant::evaluate(factor) {
            Ok(Value::Int(k)) => Coefficient::Known(k),
            _ => Coefficient::Varies,
        },
        _ => Coefficient::Varies,
    }
}

/// Whether an expression reads no state, no local and no let: a constant.
fn closed(e: &hir::Expr) -> bool {
    !matches!(
        e.kind,
        ExprKind::Field(_)
            | ExprKind::Local(_)
            | ExprKind::Let(..)
            | ExprKind::Extern(_)
            | ExprKind::Aggregate { .. }
    ) && e.children().into_iter().all(closed)
}

/// The number of values of a shape, as a float.
pub fn cardinality(layout: &Layout, shape: ShapeId) -> f64 {
    match layout.shape(shape) {
        Shape::Bool => 2.0,
        Shape::Int { lo, hi } => f64::from(hi - lo),
        Shape::Array { element, len, .. } => cardinality(layout, *element).powi(*len as i32),
        Shape::Set { lo, hi } => 2f64.powi(hi - lo),
        Shape::Seq { element, max, .. } => {
            let c = cardinality(layout, *element);
            (0..=*max).map(|k| c.powi(k as i32)).sum()
        }
    }
}

/// Plan the inversion of one action family.
pub fn plan(
    model: &Model,
    action: &hir::Action,
    effects: &[EffectCode],
    compiler: &mut Compiler,
    layout: &Layout,
) -> Result<ParentPlan, Vec<Diagnostic>> {
    let mut written = vec![false; model.fields.len()];
    for effect in effects {
        written[effect.place.field] = true;
    }
    let mut old = Vec::new();
    let mut expect = Vec::new();
    let mut errors = Vec::new();
    // Places whose old value is not known, and how many values each could have held.
    let mut unknown = Vec::new();
    for (effect, checked) in effects.iter().zip(&action.effects) {
        let place = match &checked.kind {
            hir::EffectKind::Assign { place, .. }
            | hir::EffectKind::Insert(place, _)
            | hir::EffectKind::Remove(place, _)
            | hir::EffectKind::Push(place, _)
            | hir::EffectKind::Pop(place) => place,
        };
        if let Some(index) = place.indices.iter().find(|i| reads_any(i, model, &written)) {
            errors.push(
                Diagnostic::new(
                    codes::compile::PARENTS,
                    format!("cannot derive the parents of action `{}`: this index reads a field the action writes", action.name),
                )
                .label(index.span, "reads a field this action changes")
                .help("index with action arguments or fields the action does not write"),
            );
            continue;
        }
        let invertible = |e: &hir::Expr| !reads_any(e, model, &written);
        let mut coefficient_may_vanish = false;
        let plan = match &checked.kind {
            hir::EffectKind::Assign { op, value, .. } => match op {
                hir::AssignOp::Add | hir::AssignOp::Sub if invertible(value) => OldValues::Shift {
                    delta: node(compiler, value, &mut errors),
                    sign: if *op == hir::AssignOp::Add { 1 } else { -1 },
                },
                hir::AssignOp::Set => {
                    match pinned_value(action.guard.as_ref(), place, model, &written) {
                        Some(pin) => OldValues::Pinned(node(compiler, &pin, &mut errors)),
                        None => match (
                            effect.op,
                            layout.shape(effect.place.shape),
                            affine(value, place, action, model, &written),
                        ) {
                            (EffectOp::Set(right), Shape::Int { .. }, Some(coefficient)) => {
                                coefficient_may_vanish = coefficient == Coefficient::Varies;
                                OldValues::Affine(right)
                            }
                            _ => OldValues::Any,
                        },
                    }
                }
                _ => OldValues::Any,
            },
            hir::EffectKind::Insert(_, v) if invertible(v) => {
                OldValues::Inserted(node(compiler, v, &mut errors))
            }
            hir::EffectKind::Remove(_, v) if invertible(v) => {
                OldValues::Removed(node(compiler, v, &mut errors))
            }
            hir::EffectKind::Insert(..) | hir::EffectKind::Remove(..) => OldValues::Any,
            hir::EffectKind::Push(..) => OldValues::Pushed,
            hir::EffectKind::Pop(_) => OldValues::Popped,
        };
        let candidates = candidate_count(&plan, coefficient_may_vanish, layout, effect);
        if candidates > 1.0 {
            unknown.push((effect.place.span, candidates));
        }
        old.push(plan);
        expect.push(match &checked.kind {
            hir::EffectKind::Assign {
                op: hir::AssignOp::Set,
                value,
                ..
            } if invertible(value)
                && matches!(
                    layout.shape(effect.place.shape),
                    Shape::Bool | Shape::Int { .. }
                ) =>
            {
                Some(node(compiler, value, &mut errors))
            }
            // The pushed value is the child's last element: a scalar one is checked first too.
            hir::EffectKind::Push(_, value)
                if invertible(value)
                    && matches!(
                        layout.shape(effect.place.shape),
                        Shape::Seq { element, .. }
                            if matches!(layout.shape(*element), Shape::Bool | Shape::Int { .. })
                    ) =>
            {
                Some(node(compiler, value, &mut errors))
            }
            _ => None,
        });
    }
    errors.extend(candidate_limit(&action.name, &unknown));
    if errors.is_empty() {
        Ok(ParentPlan { old, expect })
    } else {
        Err(errors)
    }
}

/// How many old values a place may have held under its plan (1 when it is known).
fn candidate_count(
    plan: &OldValues,
    coefficient_may_vanish: bool,
    layout: &Layout,
    effect: &EffectCode,
) -> f64 {
    match plan {
        OldValues::Any => cardinality(layout, effect.place.shape),
        // One candidate, unless the coefficient may be 0 (every old value then).
        OldValues::Affine(_) if coefficient_may_vanish => cardinality(layout, effect.place.shape),
        OldValues::Popped => match layout.shape(effect.place.shape) {
            Shape::Seq { element, .. } => cardinality(layout, *element),
            _ => 1.0,
        },
        _ => 1.0,
    }
}

/// The diagnostic for an action whose unpinned places make more candidate parents per state
/// than [`MAX_CANDIDATES`] (`unknown`: each such place and how many values it could have held).
fn candidate_limit(action: &str, unknown: &[(crate::span::Span, f64)]) -> Option<Diagnostic> {
    let product: f64 = unknown.iter().map(|(_, c)| c).product();
    if product <= MAX_CANDIDATES {
        return None;
    }
    let (first, _) = unknown[0];
    let places = if unknown.len() == 1 {
        "the old value of this place is not known".to_string()
    } else {
        format!("the old values of {} places are not known", unknown.len())
    };
    let mut diagnostic = Diagnostic::new(
        codes::compile::PARENTS,
        format!(
            "deriving the parents of action `{}` would try {} candidate states per state (at most {} are allowed): {places}",
            action,
            count_text(product),
            MAX_CANDIDATES
        ),
    )
    .label(first, "its old value is not known");
    for (span, _) in unknown.iter().skip(1).take(3) {
        diagnostic = diagnostic.label(*span, "and this one's");
    }
    Some(diagnostic.help(
        "pin each old value in the action's `when` (e.g. `when x[i] == 0 { x[i] = v }`), or compute the field with a `let` instead of storing it",
    ))
}

/// A count exactly below 2^53, in scientific form above.
fn count_text(count: f64) -> String {
    if count < 9.0e15 {
        format!("{}", count as u64)
    } else {
        format!("{count:.3e}")
    }
}

fn node(compiler: &mut Compiler, e: &hir::Expr, errors: &mut Vec<Diagnostic>) -> NodeId {
    match compiler.expr(e) {
        Ok(id) => id,
        Err(error) => {
            errors.push(
                Diagnostic::new(codes::compile::UNSUPPORTED, error.message)
                    .label(error.span, "here")
                    .help("rewrite this part"),
            );
            NodeId(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::codes;
    use crate::env::Environment;
    use crate::ir::OldValues;

    /// The plan of the first effect of `action` over `state`.
    fn first_plan(state: &str, action: &str) -> Result<OldValues, String> {
        let source = format!("env t\nstate {{ {state} }}\n{action}\nstop\nreward 1.0");
        match Environment::from_source(&source, &[]) {
            Ok(env) => Ok(env.program.families[0].parents.old[0]),
            Err(d) => Err(d.iter().map(|d| d.code).collect::<Vec<_>>().join(", ")),
        }
    }

    fn is_affine(state: &str, action: &str) -> bool {
        matches!(first_plan(state, action), Ok(OldValues::Affine(_)))
    }

    #[test]
    fn assignments_affine_in_their_place_are_inverted() {
        let scalar = "x: 0..16, y: 0..3, n: 0..4";
        for action in [
            "action a(b in 0..2) when n < 2 { x = 2 * x + 1 + b; n += 1 }",
            "action a(b in 0..2) when n < 2 { x = x * 2 - b + y; n += 1 }",
            "action a when n < 2 { x = -(3 - x) * (0 - 2); n += 1 }",
            "action a(k in 1..3) when n < 2 { x = k * x; n += 1 }",
            "action a(k in 0..3) when n < 2 { x = k * (x + 1); n += 1 }",
            "action a when n < 2 { x = y * x + 1; n += 1 }",
            "action a when n < 2 { x = (2 * 3) * x - (x + 1) * 4; n += 1 }",
        ] {
            assert!(
                is_affine(scalar, action),
                "{action}: {:?}",
                first_plan(scalar, action)
            );
        }
        for action in [
            // Not affine, or the place cancels, or another written field is read.
            "action a when n < 2 { x = x * x; n += 1 }",
            "action a when n < 2 { x = x // 2; n += 1 }",
            "action a when n < 2 { x = x % 4 + 1; n += 1 }",
            "action a when n < 2 { x = x - x + 3; n += 1 }",
            "action a when n < 2 { x = 2 * x + n; n += 1 }",
            "action a when n < 2 { x = 2 * x + y; y = 1; n += 1 }",
        ] {
            let plan = first_plan(scalar, action);
            assert!(matches!(plan, Ok(OldValues::Any)), "{action}: {plan:?}");
        }
        // An element by its own index is its place; another element of the field is not.
        let array = "x: [0..16; 3], n: 0..4";
        assert!(is_affine(
            array,
            "action a(i in 0..3) when n < 2 { x[i] = 3 * x[i] + 1; n += 1 }"
        ));
        let other = first_plan(
            array,
            "action a(i in 0..2) when n < 2 { x[i] = 3 * x[i + 1] + 1; n += 1 }",
        );
        assert!(!matches!(other, Ok(OldValues::Affine(_))), "{other:?}");
        // A bool place is never affine, even assigned to itself.
        let flag = first_plan("b: bool, n: 0..4", "action a when n < 2 { b = b; n += 1 }");
        assert!(matches!(flag, Ok(OldValues::Any)), "{flag:?}");
        // A guard that pins the old value wins: one candidate, no division.
        let pinned = first_plan(
            scalar,
            "action a when x == 1 and n < 2 { x = 2 * x; n += 1 }",
        );
        assert!(matches!(pinned, Ok(OldValues::Pinned(_))), "{pinned:?}");
    }

    #[test]
    fn only_a_coefficient_that_may_be_zero_counts_every_old_value() {
        // 2^20 old values: far beyond the candidate limit, unless the inversion is exact.
        let wide = "x: 1..1048577, n: 0..4, y: 0..3";
        for action in [
            "action a(b in 0..2) when n < 3 { x = 2 * x + b; n += 1 }",
            "action a(k in 2..4) when n < 3 { x = k * x; n += 1 }",
            "action a(k in [-1, 2]) when n < 3 and k * x > 0 { x = 1 - k * (0 - x) + 1; n += 1 }",
            "action a when n < 3 { x = 2 * 3 * x; n += 1 }",
        ] {
            assert!(
                is_affine(wide, action),
                "{action}: {:?}",
                first_plan(wide, action)
            );
        }
        for action in [
            "action a(k in 0..3) when n < 3 { x = k * x + 1; n += 1 }",
            "action a when n < 3 { x = y * x + 1; n += 1 }",
        ] {
            let plan = first_plan(wide, action);
            assert_eq!(
                plan.map(|_| ()),
                Err(codes::compile::PARENTS.to_string()),
                "{action}"
            );
        }
    }
}
