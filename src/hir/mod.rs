//! The checked program: every name resolved to a slot, every expression typed, params and
//! consts folded to values. This is what lowering and the interpreter consume: the vocabulary
//! (types, values, operators, built-ins) shared by the checker, the compiler and the machine,
//! below all three.

pub mod builtins;
pub mod types;

use crate::span::Span;
pub use crate::syntax::ast::{AssignOp, BinaryOp, CompareOp, UnaryOp};
pub use types::{FieldType, Type, Value};

/// A checked environment.
#[derive(Clone, Debug)]
pub struct Model {
    /// The name given by `env NAME`.
    pub name: String,
    /// Params with their final values (after `--set`).
    pub params: Vec<Constant>,
    /// `const` items with their folded values.
    pub consts: Vec<Constant>,
    /// The state fields in declaration order; [`ExprKind::Field`] and [`Place::field`] index this.
    pub fields: Vec<Field>,
    /// One entry per `let` and argument types it is used with.
    pub lets: Vec<LetInstance>,
    /// The action families in file order (the order of the flat action space).
    pub actions: Vec<Action>,
    /// `Some(guard)` when a `stop` item exists; the guard is `None` for a bare `stop`.
    pub stop: Option<Option<Expr>>,
    /// The condition of `done when EXPR`, if the item exists.
    pub done: Option<Expr>,
    /// The `reward` or `log_reward` item.
    pub reward: Reward,
    /// The condition of `mode when EXPR`, if the item exists.
    pub mode: Option<Expr>,
    /// The key of `mode by KEY when EXPR`: which reference mode an object reaches.
    pub mode_key: Option<Expr>,
    /// The external scorers the reward calls; [`ExprKind::Extern`] indexes this.
    pub scorers: Vec<Scorer>,
    /// The folder of the `.gfn` file: `load` paths are relative to it and scorers run in it.
    pub dir: std::path::PathBuf,
}

/// What a compiled program keeps of its model: the names, values and inputs that the
/// environment, its renderings and the run directory speak of. The expressions stay with the
/// compiler, which lowered them into the program's code.
#[derive(Clone, Debug)]
pub struct Interface {
    /// The name given by `env NAME`.
    pub name: String,
    /// Params with their final values (after `--set`).
    pub params: Vec<Constant>,
    /// `const` items with their folded values.
    pub consts: Vec<Constant>,
    /// The state fields in declaration order.
    pub fields: Vec<Field>,
    /// The external scorers the reward calls.
    pub scorers: Vec<Scorer>,
    /// The folder of the `.gfn` file: scorers run in it.
    pub dir: std::path::PathBuf,
}

impl Model {
    /// What the compiled program keeps of this model.
    pub fn interface(&self) -> Interface {
        Interface {
            name: self.name.clone(),
            params: self.params.clone(),
            consts: self.consts.clone(),
            fields: self.fields.clone(),
            scorers: self.scorers.clone(),
            dir: self.dir.clone(),
        }
    }
}

/// An external scorer: `extern("COMMAND")` in the reward.
#[derive(Clone, Debug, PartialEq)]
pub struct Scorer {
    /// The command line, run by the shell in [`Model::dir`].
    pub command: String,
    /// The first call, for messages.
    pub span: Span,
    /// The reward item is exactly `reward extern(...)`: the scorer's answers are rewards and
    /// must be positive.
    pub is_reward: bool,
}

/// A param or const and its value.
#[derive(Clone, Debug)]
pub struct Constant {
    /// The name it is defined under.
    pub name: String,
    /// The folded value, promoted to `ty` (an int param declared `float` holds a float).
    pub value: Value,
    /// The declared type for params, the value's type for consts.
    pub ty: Type,
    /// For params: whether `--set` gave the value.
    pub overridden: bool,
    /// The name where it is defined.
    pub span: Span,
}

/// A state field: `name: TYPE [= init]` inside `state { }`.
#[derive(Clone, Debug)]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// The field's type with its bounds resolved.
    pub ty: FieldType,
    /// The field's value in s0: the written initial value, or the type's default.
    pub init: Value,
    /// The field's name where it is declared.
    pub span: Span,
}

/// A `let` checked for one list of argument types.
#[derive(Clone, Debug)]
pub struct LetInstance {
    /// The `let`'s name (shared by all its instances).
    pub name: String,
    /// The argument types this instance was checked with; empty for `let n = ...`.
    pub arg_types: Vec<Type>,
    /// The body, whose locals `0..arg_types.len()` are the arguments.
    pub body: Expr,
    /// The whole `let` item.
    pub span: Span,
}

/// An action family: one action per value of its arguments.
#[derive(Clone, Debug)]
pub struct Action {
    /// The family's name, as in `action NAME(...)`.
    pub name: String,
    /// Each argument's name and its domain's values, in order; locals `0..args.len()`.
    pub args: Vec<(String, Vec<Value>)>,
    /// The `when` condition; `None` when the action is allowed everywhere but in `done` states.
    pub guard: Option<Expr>,
    /// The effects, applied simultaneously: all read the state before the action.
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

/// The `reward EXPR` or `log_reward EXPR` item.
#[derive(Clone, Debug)]
pub struct Reward {
    /// The reward expression, evaluated on terminal objects only.
    pub expr: Expr,
    /// `log_reward` rather than `reward`.
    pub is_log: bool,
}

/// A typed expression.
#[derive(Clone, Debug)]
pub struct Expr {
    /// What the expression computes.
    pub kind: ExprKind,
    /// Its static type.
    pub ty: Type,
    /// Where it was written.
    pub span: Span,
}

/// The forms of a checked expression.
#[derive(Clone, Debug)]
pub enum ExprKind {
    /// A value known when checking: a literal, or a param or const folded to its value.
    Const(Value),
    /// The value of the state field with this index in [`Model::fields`].
    Field(usize),
    /// A local slot: action arguments, `let` parameters, aggregate variables.
    Local(usize),
    /// A call of a let instance; the arguments fill its locals `0..n`.
    Let(usize, Vec<Expr>),
    /// `-a` or `not a`.
    Unary(UnaryOp, Box<Expr>),
    /// `a OP b` for arithmetic and `and`/`or`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// A comparison chain `a < b <= c`: the first operand and each further (operator, operand).
    Compare(Box<Expr>, Vec<(CompareOp, Expr)>),
    /// A conditional: `if c then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// Indexing `a[i]` of an array or sequence.
    Index(Box<Expr>, Box<Expr>),
    /// A built-in function call such as `abs(x)` or `min(a, b)`; also `c.len()`.
    Builtin(Builtin, Vec<Expr>),
    /// An array literal `[a, b, c]`.
    Array(Vec<Expr>),
    /// A repeated array `[value; N]`, with `N` folded to a constant.
    Repeat(Box<Expr>, usize),
    /// A range `lo..hi` or `lo..=hi`, only as a domain: of an aggregate, an action argument, or after `in`.
    Range {
        /// The lower bound, included.
        lo: Box<Expr>,
        /// The upper bound.
        hi: Box<Expr>,
        /// `..=` (upper bound included) rather than `..`.
        inclusive: bool,
    },
    /// `extern("COMMAND")`: the answer of scorer [`Model::scorers`]`[k]` for the state.
    Extern(usize),
    /// `sum(i in DOMAIN: body)` and the other aggregates.
    ///
    /// The variable lives in local `slot` while `body` is evaluated for each element of `domain`.
    Aggregate {
        /// Which aggregate: `sum`, `prod`, `min`, ...
        function: Aggregate,
        /// The local slot that holds the variable.
        slot: usize,
        /// A range, set, sequence or array whose elements the variable takes.
        domain: Box<Expr>,
        /// The expression aggregated, evaluated once per element.
        body: Box<Expr>,
    },
}

impl Expr {
    /// The expressions directly inside this one (a let call's arguments, not its body).
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Const(_) | ExprKind::Field(_) | ExprKind::Local(_) | ExprKind::Extern(_) => {
                Vec::new()
            }
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

/// A built-in function; its name, arity, signature and meaning are its entry in
/// [`builtins::TABLE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `abs(x)`: keeps the argument's type.
    Abs,
    /// `exp(x)`, a float.
    Exp,
    /// `log(x)`, the natural logarithm; an error for `x <= 0`.
    Log,
    /// `sqrt(x)`; exact for exact perfect squares, an error for `x < 0`.
    Sqrt,
    /// `sin(x)`, in radians.
    Sin,
    /// `cos(x)`, in radians.
    Cos,
    /// `tanh(x)`.
    Tanh,
    /// `floor(x)`, an int.
    Floor,
    /// `ceil(x)`, an int.
    Ceil,
    /// `round(x)`, an int; halves round to even, as in Python.
    Round,
    /// `float(x)` of a number or bool (`true` is 1).
    Float,
    /// `int(x)` of a number (truncated toward zero) or bool.
    Int,
    /// `len(c)`, `size(c)`, `c.len()` or `c.size()` of an array, set or sequence.
    Len,
    /// `min(a, b)`: the least of its arguments.
    Min,
    /// `max(a, b)`: the greatest of its arguments.
    Max,
    /// `reachable(adj, i, j)`: a directed path of one edge or more from `i` to `j` in the
    /// square `[[bool; N]; N]` adjacency matrix `adj` (`adj[a][b]`: an edge a → b).
    Reachable,
    /// `acyclic(adj)`: the square adjacency matrix has no directed cycle (self-loops included).
    Acyclic,
}

impl Builtin {
    /// The built-in called `name` in a `.gfn` file (`size` is `len`), if any.
    pub fn from_name(name: &str) -> Option<Builtin> {
        builtins::called(name)?.builtin()
    }
}

/// An aggregate over a domain, `f(i in DOMAIN: body)` or `f(collection)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    /// `sum`: the total of numeric bodies.
    Sum,
    /// `prod`: the product of numeric bodies.
    Prod,
    /// `min`: the least numeric body.
    Min,
    /// `max`: the greatest numeric body.
    Max,
    /// `all`: whether every bool body holds.
    All,
    /// `any`: whether some bool body holds.
    Any,
    /// `count`: how many bool bodies hold, an int.
    Count,
}

impl Aggregate {
    /// The aggregate called `name` in a `.gfn` file, if any.
    pub fn from_name(name: &str) -> Option<Aggregate> {
        builtins::called(name)?.aggregate()
    }
}

/// A state field, possibly indexed, that an effect writes.
#[derive(Clone, Debug)]
pub struct Place {
    /// The written field's index in [`Model::fields`].
    pub field: usize,
    /// The index expressions, outermost first: `x[i][j]` has `[i, j]`.
    pub indices: Vec<Expr>,
    /// The type of the place itself (an element's type when indexed).
    pub ty: FieldType,
    /// Where the place was written.
    pub span: Span,
}

/// One effect of an action.
#[derive(Clone, Debug)]
pub struct Effect {
    /// What the effect does.
    pub kind: EffectKind,
    /// Where it was written.
    pub span: Span,
}

/// The forms of an effect; every right-hand side reads the state before the action.
#[derive(Clone, Debug)]
pub enum EffectKind {
    /// `place = value`, `place += value` or `place -= value`.
    Assign {
        /// The field or element written.
        place: Place,
        /// `=`, `+=` or `-=`.
        op: AssignOp,
        /// The right-hand side.
        value: Expr,
    },
    /// `S.insert(e)`: add an element to a set field.
    Insert(Place, Expr),
    /// `S.remove(e)`: take an element out of a set field.
    Remove(Place, Expr),
    /// `Q.push(e)`: append an element to a sequence field.
    Push(Place, Expr),
    /// `Q.pop()`: drop the last element of a sequence field.
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
