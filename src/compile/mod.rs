//! Lowering: a checked [`Model`] → an [`ir::Program`](crate::ir::Program) with a flat state layout,
//! compiled expressions, the flat action space and, for each action family, the plan by which
//! its parents are derived.

pub mod constant;
mod inverse;
mod limits;
mod lower;
mod per_action;

pub use limits::MAX_EXPANDED_DEPTH;
pub use lower::{CompileError, Compiler};

use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::hir::{self, Model};
use crate::ir::code::{self, NodeId};
use crate::ir::layout::{Layout, Shape};
use crate::ir::{
    ActionCode, EffectCode, EffectOp, FlatAction, IndexStep, OldValues, ParentPlan, PlaceCode,
    Program, SlotShift, SlotTest, Val,
};
use crate::span::Span;

/// One step of resolving an indexed place: `x[i]` on an array or a sequence.
fn compile_error(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(codes::compile::UNSUPPORTED, message.into())
        .label(span, "here")
        .help("rewrite this part; see docs/reference.md for what the compiler supports")
}

/// Lower a checked model.
pub fn compile(model: &Model) -> Result<Program, Vec<Diagnostic>> {
    let field_types: Vec<_> = model.fields.iter().map(|f| f.ty.clone()).collect();
    let layout = Layout::new(&field_types).map_err(|e| {
        vec![Diagnostic::new(codes::compile::LAYOUT, e.message)
            .label(model.fields[e.field].span, "this field")
            .help("use smaller bounds")]
    })?;
    limits::check(model)?;
    check_action_space(model)?;
    let mut compiler = Compiler::new(&model.lets, &layout);
    let errors = |e: CompileError| vec![compile_error(e.span, e.message)];
    compiler.compile_lets().map_err(errors)?;
    let optional = |compiler: &mut Compiler,
                    e: &Option<hir::Expr>|
     -> Result<Option<NodeId>, Vec<Diagnostic>> {
        match e {
            Some(e) => Ok(Some(compiler.expr(e).map_err(errors)?)),
            None => Ok(None),
        }
    };
    let stop = match &model.stop {
        Some(guard) => Some(optional(&mut compiler, guard)?),
        None => None,
    };
    let done = optional(&mut compiler, &model.done)?;
    let mode = optional(&mut compiler, &model.mode)?;
    let mode_key = optional(&mut compiler, &model.mode_key)?;
    // `reward exp(E)` is `log_reward E`: the log is exact, and a reward like exp(-800) that a
    // 64-bit float cannot hold is no problem.
    let (reward_expr, reward_is_log) = match &model.reward.expr.kind {
        hir::ExprKind::Builtin(hir::Builtin::Exp, args)
            if !model.reward.is_log && args.len() == 1 =>
        {
            (&args[0], true)
        }
        _ => (&model.reward.expr, model.reward.is_log),
    };
    let reward = compiler.expr(reward_expr).map_err(errors)?;
    let mut families = Vec::new();
    let mut actions = Vec::new();
    let mut precomputer = per_action::Precomputer::default();
    for (index, action) in model.actions.iter().enumerate() {
        let guard = optional(&mut compiler, &action.guard)?;
        let mut effects = Vec::new();
        for effect in &action.effects {
            effects.push(compile_effect(&mut compiler, &layout, effect).map_err(errors)?);
        }
        let parents = inverse::plan(model, action, &effects, &mut compiler, &layout)?;
        let roots = family_roots(guard, &effects, &parents);
        precomputer.family(&mut compiler.code, &layout, action, &roots);
        let fast_guard = guard.and_then(|g| slot_test(&compiler.code, g));
        let fast_effect = match effects.as_slice() {
            [only] => slot_shift(&compiler.code, &layout, only),
            _ => None,
        };
        families.push(ActionCode {
            name: action.name.clone(),
            domains: action.args.iter().map(|(_, values)| values.len()).collect(),
            guard,
            effects,
            span: action.name_span,
            parents,
            fast_guard,
            fast_effect,
        });
        for values in argument_combinations(&action.args) {
            let args: Vec<Val> = values.iter().map(|v| compiler.code.constant(v)).collect();
            let shown: Vec<String> = action
                .args
                .iter()
                .zip(&values)
                .map(|((name, _), v)| format!("{name}={v}"))
                .collect();
            let name = if shown.is_empty() {
                action.name.clone()
            } else {
                format!("{}({})", action.name, shown.join(", "))
            };
            let first_int = match args.first() {
                Some(Val::Int(i)) => Some(*i),
                _ => None,
            };
            actions.push(FlatAction {
                family: index,
                args,
                first_int,
                name,
            });
        }
    }
    let mut initial = vec![0; layout.width];
    for (field, (base, shape)) in model.fields.iter().zip(&layout.fields) {
        layout.write_value(*shape, &field.init, &mut initial, *base as usize);
    }
    Ok(Program {
        interface: model.interface(),
        code: compiler.code,
        layout,
        families,
        actions,
        stop,
        done,
        reward,
        reward_is_log,
        mode,
        mode_key,
        initial,
    })
}

/// Every node a family evaluates with its arguments bound: the guard, the effects' values and
/// indices, and the parent plan's nodes.
fn family_roots(
    guard: Option<NodeId>,
    effects: &[EffectCode],
    parents: &ParentPlan,
) -> Vec<NodeId> {
    let mut roots: Vec<NodeId> = guard.into_iter().collect();
    for effect in effects {
        roots.extend(effect.place.steps.iter().map(|step| step.index));
        match effect.op {
            EffectOp::Set(e)
            | EffectOp::Add(e)
            | EffectOp::Sub(e)
            | EffectOp::Insert(e)
            | EffectOp::Remove(e)
            | EffectOp::Push(e) => roots.push(e),
            EffectOp::Pop => {}
        }
    }
    for old in &parents.old {
        match old {
            OldValues::Shift { delta: e, .. }
            | OldValues::Pinned(e)
            | OldValues::Affine(e)
            | OldValues::Inserted(e)
            | OldValues::Removed(e) => roots.push(*e),
            OldValues::Pushed | OldValues::Popped | OldValues::Any => {}
        }
    }
    roots.extend(parents.expect.iter().flatten());
    roots
}

/// The most flat actions (values of every family, `stop` aside): the policy has one output per
/// action, and a space of millions would not fit a run anyway.
pub const MAX_ACTIONS: f64 = 65_536.0;

/// Refuse an action space too large to lay out, before its combinations are built.
fn check_action_space(model: &Model) -> Result<(), Vec<Diagnostic>> {
    let mut total = 0.0;
    for action in &model.actions {
        let values: f64 = action.args.iter().map(|(_, d)| d.len() as f64).product();
        total += values;
        if total > MAX_ACTIONS {
            return Err(vec![Diagnostic::new(
                codes::compile::TOO_LARGE,
                format!(
                    "the flat action space has more than {MAX_ACTIONS} actions (`{}` alone takes {values:.0} values)",
                    action.name
                ),
            )
            .label(action.name_span, "too many argument values")
            .help("the policy has one output per action: narrow the argument domains, or split the choice into several steps")]);
        }
    }
    Ok(())
}

/// Every combination of argument values, the last argument varying fastest.
fn argument_combinations(args: &[(String, Vec<crate::hir::Value>)]) -> Vec<Vec<crate::hir::Value>> {
    let mut combinations = vec![Vec::new()];
    for (_, domain) in args {
        let mut next = Vec::with_capacity(combinations.len() * domain.len());
        for prefix in &combinations {
            for value in domain {
                let mut c = prefix.clone();
                c.push(value.clone());
                next.push(c);
            }
        }
        combinations = next;
    }
    combinations
}

fn compile_effect(
    compiler: &mut Compiler,
    layout: &Layout,
    effect: &hir::Effect,
) -> Result<EffectCode, CompileError> {
    use hir::EffectKind as K;
    let (place, op) = match &effect.kind {
        K::Assign { place, op, value } => {
            let value = compiler.expr(value)?;
            let op = match op {
                hir::AssignOp::Set => EffectOp::Set(value),
                hir::AssignOp::Add => EffectOp::Add(value),
                hir::AssignOp::Sub => EffectOp::Sub(value),
            };
            (place, op)
        }
        K::Insert(place, value) => (place, EffectOp::Insert(compiler.expr(value)?)),
        K::Remove(place, value) => (place, EffectOp::Remove(compiler.expr(value)?)),
        K::Push(place, value) => (place, EffectOp::Push(compiler.expr(value)?)),
        K::Pop(place) => (place, EffectOp::Pop),
    };
    Ok(EffectCode {
        place: compile_place(compiler, layout, place)?,
        op,
        span: effect.span,
    })
}

fn compile_place(
    compiler: &mut Compiler,
    layout: &Layout,
    place: &hir::Place,
) -> Result<PlaceCode, CompileError> {
    let (base, field_shape) = layout.fields[place.field];
    let mut shape = field_shape;
    let mut steps = Vec::new();
    for index in &place.indices {
        let index = compiler.expr(index)?;
        let (element, stride, len) = match layout.shape(shape) {
            Shape::Array {
                element,
                stride,
                len,
            } => (*element, *stride, Some(*len)),
            Shape::Seq {
                element, stride, ..
            } => (*element, *stride, None),
            _ => {
                return Err(CompileError {
                    span: place.span,
                    message: "indexing a value that is not an array".to_string(),
                })
            }
        };
        steps.push(IndexStep {
            index,
            stride,
            len,
            shape: element,
        });
        shape = element;
    }
    Ok(PlaceCode {
        field: place.field,
        base,
        field_shape,
        steps,
        shape,
        span: place.span,
    })
}

/// A guard node `field[local 0] op k` as a [`SlotTest`].
fn slot_test(code: &code::Code, guard: NodeId) -> Option<SlotTest> {
    match code.node(guard) {
        code::Node::SlotCompare {
            base,
            stride,
            len,
            slot: 0,
            op,
            rhs,
            ..
        } => Some(SlotTest {
            base: *base,
            stride: *stride,
            len: *len,
            op: *op,
            rhs: *rhs,
        }),
        _ => None,
    }
}

/// An effect `field[local 0] += k`, `-= k`, or `field += k` on an int place, as a [`SlotShift`].
fn slot_shift(code: &code::Code, layout: &Layout, effect: &EffectCode) -> Option<SlotShift> {
    let delta = match effect.op {
        EffectOp::Add(node) | EffectOp::Sub(node) => match code.node(node) {
            code::Node::Const(Val::Int(k)) => {
                if matches!(effect.op, EffectOp::Sub(_)) {
                    k.checked_neg()?
                } else {
                    *k
                }
            }
            _ => return None,
        },
        _ => return None,
    };
    let Shape::Int { lo, hi } = *layout.shape(effect.place.shape) else {
        return None;
    };
    let (stride, len) = match effect.place.steps.as_slice() {
        [] => (0, u32::MAX),
        [step] => match (code.node(step.index), step.len) {
            (code::Node::Local(0), Some(len)) => (step.stride, len),
            _ => return None,
        },
        _ => return None,
    };
    Some(SlotShift {
        base: effect.place.base,
        stride,
        len,
        delta,
        lo,
        hi,
    })
}
