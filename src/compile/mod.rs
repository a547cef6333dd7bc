//! Lowering: a checked [`Model`] → a [`Compiled`] environment with a flat state layout,
//! compiled expressions, the flat action space and, for each action family, the plan by which
//! its parents are derived.

pub mod code;
mod inverse;
mod limits;

pub use limits::{MAX_EXPANDED_DEPTH, MAX_EXPANDED_SIZE};
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
    /// The guard as `field[arg] op k`, when it has that shape (see [`SlotTest`]).
    pub fast_guard: Option<SlotTest>,
    /// The only effect as `field[arg] += k` or `field += k`, when it has that shape.
    pub fast_effect: Option<SlotShift>,
}

/// `state[base + arg·stride] op rhs` for the family's first argument `arg` with `0 <= arg < len`:
/// the commonest guard, evaluated without the interpreter.
#[derive(Clone, Copy, Debug)]
pub struct SlotTest {
    pub base: u32,
    pub stride: u32,
    pub len: u32,
    pub op: hir::CompareOp,
    pub rhs: i64,
}

impl SlotTest {
    /// The guard's value, or `None` where the interpreter must decide (and report errors).
    #[inline]
    pub fn holds(&self, state: &[i32], arg: i64) -> Option<bool> {
        if arg < 0 || arg >= i64::from(self.len) {
            return None;
        }
        let x = i64::from(*state.get(self.base as usize + arg as usize * self.stride as usize)?);
        Some(match self.op {
            hir::CompareOp::Eq => x == self.rhs,
            hir::CompareOp::Ne => x != self.rhs,
            hir::CompareOp::Lt => x < self.rhs,
            hir::CompareOp::Le => x <= self.rhs,
            hir::CompareOp::Gt => x > self.rhs,
            hir::CompareOp::Ge => x >= self.rhs,
            hir::CompareOp::In | hir::CompareOp::NotIn => return None,
        })
    }
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
    limits::check(model)?;
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
        let fast_guard = guard.and_then(|g| slot_test(&compiler.code, g));
        let fast_effect = match effects.as_slice() {
            [only] => slot_shift(&compiler.code, &layout, only),
            _ => None,
        };
        families.push(ActionCode {
            name: action.name.clone(),
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
