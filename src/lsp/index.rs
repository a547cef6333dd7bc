//! Where each name of a file is written and what it refers to, from the parsed AST.
//!
//! Hover and go-to-definition need to know, for the name under the cursor, which definition
//! it means. The language makes this simple (docs/language.md, "Names"): params, consts,
//! lets and state fields share one global namespace without shadowing, and the only locals
//! are action arguments, `let` parameters and aggregate variables, each visible inside its
//! item or aggregate. So a use resolves to the innermost local of that name whose scope
//! contains it, else to the global of that name.

use crate::span::Span;
use crate::syntax::ast::{
    Effect, EffectKind, Expr, ExprKind, Field, Ident, Item, ItemKind, Place, Program, StateType,
    StateTypeKind,
};

/// A name defined by the file.
#[derive(Clone, Debug)]
pub struct Definition {
    /// The name as written.
    pub name: String,
    /// The name where it is defined (what go-to-definition jumps to).
    pub span: Span,
    /// What kind of definition, with the source text hover shows when checking failed.
    pub kind: DefKind,
    /// Where a local is visible; `None` for globals and actions.
    pub scope: Option<Span>,
    /// The whole item that defines it.
    pub item: Span,
}

/// The kinds of definitions, with what is known of each from the source alone.
#[derive(Clone, Debug)]
pub enum DefKind {
    /// `param NAME: TYPE = EXPR`, type and value as written.
    Param { ty: Span, value: Span },
    /// `const NAME = EXPR`.
    Const { value: Span },
    /// A state field, its type as written.
    Field { ty: Span },
    /// `let NAME[(ARGS)] = EXPR`.
    Let,
    /// An action's argument: `NAME in DOMAIN` in `action ACTION(...)`.
    ActionArg { action: String, domain: Span },
    /// A parameter of `let LET(...)`.
    LetParam { let_name: String },
    /// The variable of an aggregate: `FUNCTION(NAME in DOMAIN: ...)`.
    AggregateVar { function: String, domain: Span },
    /// `action NAME`: actions live in a namespace of their own and are never used by name.
    Action,
}

impl DefKind {
    fn is_global(&self) -> bool {
        matches!(
            self,
            DefKind::Param { .. } | DefKind::Const { .. } | DefKind::Field { .. } | DefKind::Let
        )
    }
}

/// How a name is written at one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Where a definition names itself (index into [`Index::definitions`]).
    Defines(usize),
    /// A name read in an expression or written as the root of an effect's place.
    Name,
    /// The function of a call or aggregate: a `let`, or a built-in unless the file defines it.
    Call,
    /// A method after `.`: `c.len()`, `S.insert(e)`.
    Method,
}

/// One name written in the file.
#[derive(Clone, Debug)]
pub struct Occurrence {
    /// The name.
    pub name: String,
    /// Where it is written.
    pub span: Span,
    /// What it does there.
    pub role: Role,
}

/// What a name under the cursor refers to.
pub enum Target<'a> {
    /// A definition of the file.
    Definition(&'a Definition),
    /// A built-in function or aggregate called by this name.
    Builtin(&'a str),
    /// A built-in method or effect method.
    Method(&'a str),
}

/// Every definition and every written name of a parsed file.
#[derive(Debug, Default)]
pub struct Index {
    /// Definitions in file order.
    pub definitions: Vec<Definition>,
    /// Names in the order the walk meets them (not sorted: lookups scan, files are small).
    pub occurrences: Vec<Occurrence>,
}

impl Index {
    /// Index a parsed program.
    pub fn new(program: &Program) -> Index {
        let mut index = Index::default();
        for item in &program.items {
            index.item(item);
        }
        index
    }

    /// The name written at byte `offset` (its span contains it or ends at it, so that a cursor
    /// just after a name still finds it).
    pub fn at(&self, offset: usize) -> Option<&Occurrence> {
        let offset = u32::try_from(offset).ok()?;
        // Names never overlap; should one end exactly where another starts, the one the cursor
        // is inside wins over the one it follows.
        self.occurrences
            .iter()
            .filter(|o| o.span.start <= offset && offset <= o.span.end)
            .min_by_key(|o| u32::from(o.span.end == offset))
    }

    /// What an occurrence refers to, if anything known.
    pub fn resolve<'a>(&'a self, occurrence: &'a Occurrence) -> Option<Target<'a>> {
        match occurrence.role {
            Role::Defines(k) => self.definitions.get(k).map(Target::Definition),
            Role::Method => Some(Target::Method(&occurrence.name)),
            Role::Name | Role::Call => {
                let name = occurrence.name.as_str();
                let at = occurrence.span;
                let local = self
                    .definitions
                    .iter()
                    .filter(|d| d.name == name)
                    .filter_map(|d| d.scope.map(|scope| (scope, d)))
                    .filter(|(scope, _)| scope.start <= at.start && at.end <= scope.end)
                    .min_by_key(|(scope, _)| scope.len())
                    .map(|(_, d)| d);
                let global = || {
                    self.definitions
                        .iter()
                        .find(|d| d.name == name && d.kind.is_global())
                };
                match local.or_else(global) {
                    Some(definition) => Some(Target::Definition(definition)),
                    None if occurrence.role == Role::Call => Some(Target::Builtin(name)),
                    None => None,
                }
            }
        }
    }

    fn define(&mut self, name: &Ident, kind: DefKind, scope: Option<Span>, item: Span) {
        let k = self.definitions.len();
        self.definitions.push(Definition {
            name: name.name.clone(),
            span: name.span,
            kind,
            scope,
            item,
        });
        self.occurrences.push(Occurrence {
            name: name.name.clone(),
            span: name.span,
            role: Role::Defines(k),
        });
    }

    fn mention(&mut self, name: &Ident, role: Role) {
        self.occurrences.push(Occurrence {
            name: name.name.clone(),
            span: name.span,
            role,
        });
    }

    fn item(&mut self, item: &Item) {
        let whole = item.span;
        match &item.kind {
            ItemKind::Env(_) => {}
            ItemKind::Param {
                name,
                dims,
                ty_span,
                value,
                ..
            } => {
                let kind = DefKind::Param {
                    ty: *ty_span,
                    value: value.span,
                };
                self.define(name, kind, None, whole);
                for dim in dims {
                    self.expr(dim);
                }
                self.expr(value);
            }
            ItemKind::Const { name, value } => {
                self.define(name, DefKind::Const { value: value.span }, None, whole);
                self.expr(value);
            }
            ItemKind::State(fields) => {
                for Field { name, ty, init } in fields {
                    self.define(name, DefKind::Field { ty: ty.span }, None, whole);
                    self.state_type(ty);
                    if let Some(init) = init {
                        self.expr(init);
                    }
                }
            }
            ItemKind::Let { name, params, body } => {
                self.define(name, DefKind::Let, None, whole);
                for param in params.iter().flatten() {
                    let kind = DefKind::LetParam {
                        let_name: name.name.clone(),
                    };
                    self.define(param, kind, Some(whole), whole);
                }
                self.expr(body);
            }
            ItemKind::Action {
                name,
                args,
                guard,
                effects,
            } => {
                self.define(name, DefKind::Action, None, whole);
                for arg in args {
                    let kind = DefKind::ActionArg {
                        action: name.name.clone(),
                        domain: arg.domain.span,
                    };
                    self.define(&arg.name, kind, Some(whole), whole);
                    self.expr(&arg.domain);
                }
                if let Some(guard) = guard {
                    self.expr(guard);
                }
                for effect in effects {
                    self.effect(effect);
                }
            }
            ItemKind::Stop(guard) => {
                if let Some(guard) = guard {
                    self.expr(guard);
                }
            }
            ItemKind::Done(e)
            | ItemKind::Reward(e)
            | ItemKind::LogReward(e)
            | ItemKind::Mode(e, None) => self.expr(e),
            ItemKind::Mode(e, Some(key)) => {
                self.expr(key);
                self.expr(e)
            }
        }
    }

    fn state_type(&mut self, ty: &StateType) {
        match &ty.kind {
            StateTypeKind::Bool => {}
            StateTypeKind::Range { lo, hi, .. } => {
                self.expr(lo);
                self.expr(hi);
            }
            StateTypeKind::Array { element, len } => {
                self.state_type(element);
                self.expr(len);
            }
            StateTypeKind::Set { universe } => self.state_type(universe),
            StateTypeKind::Seq { element, max_len } => {
                self.state_type(element);
                self.expr(max_len);
            }
        }
    }

    fn effect(&mut self, effect: &Effect) {
        match &effect.kind {
            EffectKind::Assign { place, value, .. } => {
                self.place(place);
                self.expr(value);
            }
            EffectKind::Method { place, method, arg } => {
                self.place(place);
                self.mention(method, Role::Method);
                if let Some(arg) = arg {
                    self.expr(arg);
                }
            }
        }
    }

    fn place(&mut self, place: &Place) {
        self.mention(&place.root, Role::Name);
        for index in &place.indices {
            self.expr(index);
        }
    }

    /// Recursion is bounded by the parser's depth limits (256 operations, 64 brackets), and
    /// the caller runs on the front end's large stack.
    fn expr(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Str(_) => {}
            ExprKind::Name(name) => self.mention(name, Role::Name),
            ExprKind::Array(items) => items.iter().for_each(|e| self.expr(e)),
            ExprKind::Repeat { value, count } => {
                self.expr(value);
                self.expr(count);
            }
            ExprKind::Unary(_, e) => self.expr(e),
            ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Compare(first, rest) => {
                self.expr(first);
                rest.iter().for_each(|(_, _, e)| self.expr(e));
            }
            ExprKind::Range { lo, hi, .. } => {
                self.expr(lo);
                self.expr(hi);
            }
            ExprKind::If(c, a, b) => {
                self.expr(c);
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Call(function, args) => {
                self.mention(function, Role::Call);
                args.iter().for_each(|e| self.expr(e));
            }
            ExprKind::Method(receiver, method, args) => {
                self.expr(receiver);
                self.mention(method, Role::Method);
                args.iter().for_each(|e| self.expr(e));
            }
            ExprKind::Aggregate {
                function,
                variable,
                domain,
                body,
            } => {
                self.mention(function, Role::Call);
                let kind = DefKind::AggregateVar {
                    function: function.name.clone(),
                    domain: domain.span,
                };
                // The variable is visible in the body only, but the domain cannot use it
                // anyway (no shadowing), so the aggregate's span is the scope.
                self.define(variable, kind, Some(expr.span), expr.span);
                self.expr(domain);
                self.expr(body);
            }
        }
    }
}
