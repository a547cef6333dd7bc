//! The abstract syntax tree of a `.gfn` file, as written: names are unresolved, every node has a span.

use crate::span::Span;

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A whole file.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub items: Vec<Item>,
}

/// A top-level item; `span` covers the whole item, `keyword` its first word.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
    pub keyword: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    Env(Ident),
    Param {
        name: Ident,
        ty: ParamType,
        /// Array lengths, outermost first: `[[float; 3]; 2]` is `Float` with `[2, 3]`.
        dims: Vec<Expr>,
        ty_span: Span,
        value: Expr,
    },
    Const {
        name: Ident,
        value: Expr,
    },
    State(Vec<Field>),
    Let {
        name: Ident,
        /// `None` for `let n = ...`, `Some` (possibly empty) for `let f(...) = ...`.
        params: Option<Vec<Ident>>,
        body: Expr,
    },
    Action {
        name: Ident,
        args: Vec<ActionArg>,
        guard: Option<Expr>,
        effects: Vec<Effect>,
    },
    Stop(Option<Expr>),
    Done(Expr),
    Reward(Expr),
    LogReward(Expr),
    /// `mode [by KEY] when COND`: the condition, and the key naming the mode reached.
    Mode(Expr, Option<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    Int,
    Float,
    Bool,
}

/// `name: TYPE [= init]` inside `state { }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: Ident,
    pub ty: StateType,
    pub init: Option<Expr>,
}

/// A state type as written; bounds are still expressions.
#[derive(Clone, Debug, PartialEq)]
pub struct StateType {
    pub kind: StateTypeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StateTypeKind {
    Bool,
    Range {
        lo: Expr,
        hi: Expr,
        inclusive: bool,
    },
    Array {
        element: Box<StateType>,
        len: Expr,
    },
    Set {
        universe: Box<StateType>,
    },
    Seq {
        element: Box<StateType>,
        max_len: Expr,
    },
}

/// `name in DOMAIN` in an action's argument list.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionArg {
    pub name: Ident,
    pub domain: Expr,
}

/// One effect of an action.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    pub kind: EffectKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EffectKind {
    Assign {
        place: Place,
        op: AssignOp,
        value: Expr,
    },
    /// `place.method(arg)`: `insert`, `remove`, `push`, `pop`.
    Method {
        place: Place,
        method: Ident,
        arg: Option<Expr>,
    },
}

/// The operator of an assignment effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    /// `place = value`.
    Set,
    /// `place += value` (int places only).
    Add,
    /// `place -= value` (int places only).
    Sub,
}

/// A field, possibly indexed: `x[i][j]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    pub root: Ident,
    pub indices: Vec<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer literal; `None` when it does not fit in 64 bits (the checker reports it).
    Int(Option<i64>),
    /// A decimal literal, kept as written so the checker can read it exactly.
    Float(String),
    Bool(bool),
    /// A string `"..."`: only the path of `load(...)` or the command of `extern(...)`.
    Str(String),
    Name(Ident),
    Array(Vec<Expr>),
    /// `[value; count]`
    Repeat {
        value: Box<Expr>,
        count: Box<Expr>,
    },
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `a < b <= c`: the first operand and each further (operator, operand).
    Compare(Box<Expr>, Vec<(CompareOp, Span, Expr)>),
    Range {
        lo: Box<Expr>,
        hi: Box<Expr>,
        inclusive: bool,
    },
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Index(Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Expr>),
    Method(Box<Expr>, Ident, Vec<Expr>),
    /// `sum(i in DOMAIN: body)` and the other aggregates; `function` is the aggregate's name.
    Aggregate {
        function: Ident,
        variable: Ident,
        domain: Box<Expr>,
        body: Box<Expr>,
    },
}

/// A prefix operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// Negation: `-a`.
    Neg,
    /// Logical negation: `not a`.
    Not,
}

/// An infix operator other than a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a or b`, evaluating `b` only when `a` is false.
    Or,
    /// `a and b`, evaluating `b` only when `a` is true.
    And,
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b`: always a float, never truncated.
    Div,
    /// `a // b`: integer division rounding toward negative infinity, as in Python.
    FloorDiv,
    /// `a % b`: the integer remainder with the sign of `b`, as in Python.
    Rem,
    /// `a ** b`, right-associative.
    Pow,
}

impl BinaryOp {
    /// The operator as written in a `.gfn` file.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::FloorDiv => "//",
            BinaryOp::Rem => "%",
            BinaryOp::Pow => "**",
        }
    }
}

/// A comparison operator; comparisons chain as in Python.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `a == b`.
    Eq,
    /// `a != b`.
    Ne,
    /// `a < b`.
    Lt,
    /// `a <= b`.
    Le,
    /// `a > b`.
    Gt,
    /// `a >= b`.
    Ge,
    /// `e in D`: membership in a range, set, sequence or array.
    In,
    /// `e not in D`.
    NotIn,
}

impl CompareOp {
    /// The operator as written in a `.gfn` file.
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::In => "in",
            CompareOp::NotIn => "not in",
        }
    }
}
