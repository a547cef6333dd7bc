//! Lowering: a checked [`Model`] → a [`Compiled`] environment with a flat state layout,
//! compiled expressions, the flat action space and, for each action family, the plan by which
//! its parents are derived.

pub mod code;
mod inverse;
pub mod layout;
pub mod vm;

use crate::check::hir::{self, Model};
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use code::{Compiler, NodeId};
pub use inverse::{OldValues, ParentPlan};
use layout::{Layout, Shape, ShapeId};
use vm::Val;

/// One step of resolving an indexed place: `x[i]` on an array or a sequence.
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
    pub guard: Option<NodeId>,
    pub effects: Vec<EffectCode>,
    /// The action's name where it is defined.
    pub span: Span,
    pub parents: ParentPlan,
}

/// One action of the flat action space: a family and the values of its arguments.
#[derive(Clone, Debug)]
pub struct FlatAction {
    pub family: usize,
    pub args: Vec<Val>,
    /// `step(i=1)`: for display.
    pub name: String,
}

/// A compiled environment.
#[derive(Clone, Debug)]
pub struct Compiled {
    pub model: Model,
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
    pub initial: Vec<i32>,
}

fn compile_error(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new("gfn::compile::unsupported", message.into())
        .label(span, "here")
        .help("rewrite this part; see docs/language.md for what the compiler supports")
}

/// Lower a checked model.
pub fn compile(model: &Model) -> Result<Compiled, Vec<Diagnostic>> {
    let field_types: Vec<_> = model.fields.iter().map(|f| f.ty.clone()).collect();
    let layout = Layout::new(&field_types).map_err(|e| {
        vec![Diagnostic::new("gfn::compile::layout", e.message)
            .label(model.fields[e.field].span, "this field")
            .help("use smaller bounds")]
    })?;
    let mut compiler = Compiler::new(model, &layout);
    let errors = |e: code::CompileError| vec![compile_error(e.span, e.message)];
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
    let reward = compiler.expr(&model.reward.expr).map_err(errors)?;
    let mut families = Vec::new();
    let mut actions = Vec::new();
    for (index, action) in model.actions.iter().enumerate() {
        let guard = optional(&mut compiler, &action.guard)?;
        let mut effects = Vec::new();
        for effect in &action.effects {
            effects.push(compile_effect(&mut compiler, &layout, effect).map_err(errors)?);
        }
        let parents = inverse::plan(model, action, &effects, &mut compiler, &layout)?;
        families.push(ActionCode {
            name: action.name.clone(),
            guard,
            effects,
            span: action.name_span,
            parents,
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
            actions.push(FlatAction {
                family: index,
                args,
                name,
            });
        }
    }
    let mut initial = vec![0; layout.width];
    for (field, (base, shape)) in model.fields.iter().zip(&layout.fields) {
        layout.write_value(*shape, &field.init, &mut initial, *base as usize);
    }
    Ok(Compiled {
        model: model.clone(),
        code: compiler.code,
        layout,
        families,
        actions,
        stop,
        done,
        reward,
        reward_is_log: model.reward.is_log,
        mode,
        initial,
    })
}

/// Every combination of argument values, the last argument varying fastest.
fn argument_combinations(
    args: &[(String, Vec<crate::check::Value>)],
) -> Vec<Vec<crate::check::Value>> {
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
) -> Result<EffectCode, code::CompileError> {
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
) -> Result<PlaceCode, code::CompileError> {
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
                return Err(code::CompileError {
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
