//! The checked program: every name resolved to a slot, every expression typed, params and
//! consts folded to values. This is what lowering and the interpreter consume.

use super::types::{FieldType, Type, Value};
use crate::span::Span;
pub use crate::syntax::ast::{AssignOp, BinaryOp, CompareOp, UnaryOp};

/// A checked environment.
#[derive(Clone, Debug)]
pub struct Model {
    pub name: String,
    /// Params with their final values (after `--set`).
    pub params: Vec<Constant>,
    pub consts: Vec<Constant>,
    pub fields: Vec<Field>,
    /// One entry per `let` and argument types it is used with.
    pub lets: Vec<LetInstance>,
    pub actions: Vec<Action>,
    /// `Some(guard)` when a `stop` item exists; the guard is `None` for a bare `stop`.
    pub stop: Option<Option<Expr>>,
    pub done: Option<Expr>,
    pub reward: Reward,
    pub mode: Option<Expr>,
}

/// A param or const and its value.
#[derive(Clone, Debug)]
pub struct Constant {
    pub name: String,
    pub value: Value,
    pub ty: Type,
    /// For params: whether `--set` gave the value.
    pub overridden: bool,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
    pub init: Value,
    pub span: Span,
}

/// A `let` checked for one list of argument types.
#[derive(Clone, Debug)]
pub struct LetInstance {
    pub name: String,
    pub arg_types: Vec<Type>,
    pub body: Expr,
    pub span: Span,
}

/// An action family: one action per value of its arguments.
#[derive(Clone, Debug)]
pub struct Action {
    pub name: String,
    /// Each argument's name and its domain's values, in order; locals `0..args.len()`.
    pub args: Vec<(String, Vec<Value>)>,
    pub guard: Option<Expr>,
    pub effects: Vec<Effect>,
    /// The whole item.
    pub span: Span,
    /// The action's name where it is defined.
    pub name_span: Span,
}

impl Action {
    /// The number of actions in the family: the product of the domain sizes.
    pub fn value_count(&self) -> usize {
        self.args.iter().map(|(_, d)| d.len()).product()
    }
}

#[derive(Clone, Debug)]
pub struct Reward {
    pub expr: Expr,
    /// `log_reward` rather than `reward`.
    pub is_log: bool,
}

/// A typed expression.
#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Const(Value),
    Field(usize),
    /// A local slot: action arguments, `let` parameters, aggregate variables.
    Local(usize),
    /// A call of a let instance; the arguments fill its locals `0..n`.
    Let(usize, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Compare(Box<Expr>, Vec<(CompareOp, Expr)>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Index(Box<Expr>, Box<Expr>),
    Builtin(Builtin, Vec<Expr>),
    Array(Vec<Expr>),
    Repeat(Box<Expr>, usize),
    Range {
        lo: Box<Expr>,
        hi: Box<Expr>,
        inclusive: bool,
    },
    /// The variable lives in local `slot` while `body` is evaluated for each element of `domain`.
    Aggregate {
        function: Aggregate,
        slot: usize,
        domain: Box<Expr>,
        body: Box<Expr>,
    },
}

impl Expr {
    /// The expressions directly inside this one (a let call's arguments, not its body).
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Const(_) | ExprKind::Field(_) | ExprKind::Local(_) => Vec::new(),
            ExprKind::Let(_, args) | ExprKind::Builtin(_, args) | ExprKind::Array(args) => {
                args.iter().collect()
            }
            ExprKind::Unary(_, a) | ExprKind::Repeat(a, _) => vec![a],
            ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => vec![a, b],
            ExprKind::Compare(first, rest) => std::iter::once(first.as_ref())
                .chain(rest.iter().map(|(_, e)| e))
                .collect(),
            ExprKind::If(c, a, b) => vec![c, a, b],
            ExprKind::Range { lo, hi, .. } => vec![lo, hi],
            ExprKind::Aggregate { domain, body, .. } => vec![domain, body],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Abs,
    Exp,
    Log,
    Sqrt,
    Sin,
    Cos,
    Tanh,
    Floor,
    Ceil,
    Round,
    Float,
    Int,
    Len,
    Min,
    Max,
}

impl Builtin {
    pub fn from_name(name: &str) -> Option<Builtin> {
        Some(match name {
            "abs" => Builtin::Abs,
            "exp" => Builtin::Exp,
            "log" => Builtin::Log,
            "sqrt" => Builtin::Sqrt,
            "sin" => Builtin::Sin,
            "cos" => Builtin::Cos,
            "tanh" => Builtin::Tanh,
            "floor" => Builtin::Floor,
            "ceil" => Builtin::Ceil,
            "round" => Builtin::Round,
            "float" => Builtin::Float,
            "int" => Builtin::Int,
            "len" | "size" => Builtin::Len,
            "min" => Builtin::Min,
            "max" => Builtin::Max,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Prod,
    Min,
    Max,
    All,
    Any,
    Count,
}

impl Aggregate {
    pub fn from_name(name: &str) -> Option<Aggregate> {
        Some(match name {
            "sum" => Aggregate::Sum,
            "prod" => Aggregate::Prod,
            "min" => Aggregate::Min,
            "max" => Aggregate::Max,
            "all" => Aggregate::All,
            "any" => Aggregate::Any,
            "count" => Aggregate::Count,
            _ => return None,
        })
    }
}

/// A state field, possibly indexed, that an effect writes.
#[derive(Clone, Debug)]
pub struct Place {
    pub field: usize,
    pub indices: Vec<Expr>,
    /// The type of the place itself (an element's type when indexed).
    pub ty: FieldType,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Effect {
    pub kind: EffectKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum EffectKind {
    Assign {
        place: Place,
        op: AssignOp,
        value: Expr,
    },
    Insert(Place, Expr),
    Remove(Place, Expr),
    Push(Place, Expr),
    Pop(Place),
}

impl Model {
    /// An upper bound on the number of states: the product of the field domains.
    pub fn state_count_bound(&self) -> f64 {
        self.fields.iter().map(|f| f.ty.cardinality()).product()
    }

    /// The initial state s0, field by field.
    pub fn initial_state(&self) -> Vec<Value> {
        self.fields.iter().map(|f| f.init.clone()).collect()
    }
}
