//! Calls: built-in functions, aggregates called as functions, and methods.

use super::checker::*;
use super::error::*;
use super::names;
use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::hir::builtins;
use crate::hir::types::Type;
use crate::hir::{self, Aggregate, Builtin, ExprKind};
use crate::span::Span;
use crate::syntax::ast::{self, CompareOp};

impl<'a> Checker<'a> {
    pub(super) fn check_call(
        &mut self,
        function: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        context: Context,
    ) -> hir::Expr {
        // `load`, `extern` and the graph built-ins are not reserved (existing programs use
        // such names): a definition of the file's own takes precedence.
        let defined = self.globals.contains_key(function.name.as_str());
        match function.name.as_str() {
            "load" if !defined => return self.check_load(args, span, context),
            "extern" if !defined => return self.check_extern(args, span),
            "adjacency" if !defined => return self.check_adjacency(args, span),
            _ => {}
        }
        match self.globals.get(function.name.as_str()).copied() {
            Some((Global::Let(i), _)) => {
                return self.call_let(i, function, Some(args), span, context)
            }
            Some((global, def)) => {
                self.error(
                    Diagnostic::new(
                        codes::check::NOT_CALLABLE,
                        format!(
                            "`{}` is {}, not a function",
                            function.name,
                            global.describe()
                        ),
                    )
                    .label(function.span, "called here")
                    .label(def, "defined here")
                    .help("index arrays with `x[i]`; define functions with `let f(i) = ...`"),
                );
                return error_expr(span);
            }
            None => {}
        }
        let checked: Vec<hir::Expr> = args.iter().map(|a| self.check_expr(a, context)).collect();
        // sum(x), min(x), all(x) over a collection, as in Python.
        if let (Some(aggregate), [collection]) =
            (Aggregate::from_name(&function.name), checked.as_slice())
        {
            if matches!(collection.ty, Type::Array(..) | Type::Seq(_) | Type::Set) {
                return self.aggregate_over(aggregate, &function.name, collection.clone(), span);
            }
        }
        let Some((entry, builtin)) =
            builtins::called(&function.name).and_then(|entry| Some((entry, entry.builtin()?)))
        else {
            self.unknown_function(function, span);
            return error_expr(span);
        };
        if !entry.arity.accepts(checked.len()) {
            self.error(
                Diagnostic::new(
                    codes::check::WRONG_ARITY,
                    format!(
                        "`{}` takes {} but is given {}",
                        function.name,
                        entry.arity.describe(),
                        checked.len()
                    ),
                )
                .label(span, "called here")
                .help(if builtin == Builtin::Reachable {
                    "write `reachable(ADJ, FROM, TO)` with ADJ a [[bool; N]; N] matrix".to_string()
                } else if entry.aggregate().is_some() {
                    format!(
                        "write `{}(a, b)` or `{}(i in DOMAIN: EXPR)`",
                        function.name, function.name
                    )
                } else {
                    format!("write `{}(x)`", function.name)
                }),
            );
            return error_expr(span);
        }
        let Some(ty) = self.builtin_type(builtin, &function.name, &checked) else {
            return error_expr(span);
        };
        hir::Expr {
            kind: ExprKind::Builtin(builtin, checked),
            ty,
            span,
        }
    }

    /// A call of a name that is no built-in, aggregate or let.
    fn unknown_function(&mut self, function: &ast::Ident, span: Span) {
        if Aggregate::from_name(&function.name).is_some() {
            self.error(
                Diagnostic::new(
                    codes::check::WRONG_ARITY,
                    format!(
                        "`{}` takes a collection or `VAR in DOMAIN: EXPR`",
                        function.name
                    ),
                )
                .label(span, "called here")
                .help(format!(
                    "write `{}(i in 0..N: EXPR)` or `{}(ARRAY)`",
                    function.name, function.name
                )),
            );
        } else {
            let mut candidates: Vec<&str> = builtins::reserved().collect();
            candidates.extend(self.lets.iter().map(|l| l.name.name.as_str()));
            let mut d = Diagnostic::new(
                codes::check::UNKNOWN_NAME,
                format!("unknown function `{}`", function.name),
            )
            .label(function.span, "no function has this name");
            d = match names::closest(&function.name, candidates) {
                Some(close) => d.help(format!("did you mean `{close}`?")),
                None => d.help("define it with `let NAME(ARG) = ...`"),
            };
            self.error(d);
        }
    }

    /// `sum(x)` as `sum(v in x: v)`.
    pub(super) fn aggregate_over(
        &mut self,
        aggregate: Aggregate,
        name: &str,
        collection: hir::Expr,
        span: Span,
    ) -> hir::Expr {
        let element = match &collection.ty {
            Type::Array(t, _) | Type::Seq(t) => (**t).clone(),
            _ => Type::Int,
        };
        let slot = self.locals.len();
        let body = hir::Expr {
            kind: ExprKind::Local(slot),
            ty: element,
            span: collection.span,
        };
        let ty = self.aggregate_type(aggregate, name, &body);
        hir::Expr {
            kind: ExprKind::Aggregate {
                function: aggregate,
                slot,
                domain: Box::new(collection),
                body: Box::new(body),
            },
            ty,
            span,
        }
    }

    pub(super) fn builtin_type(
        &mut self,
        builtin: Builtin,
        name: &str,
        args: &[hir::Expr],
    ) -> Option<Type> {
        let what = format!("the argument of `{name}`");
        let first = args.first()?;
        match builtin {
            Builtin::Abs => self.expect_number(first, &what).then(|| first.ty.clone()),
            Builtin::Exp
            | Builtin::Log
            | Builtin::Sqrt
            | Builtin::Sin
            | Builtin::Cos
            | Builtin::Tanh => self.expect_number(first, &what).then_some(Type::Float),
            Builtin::Floor | Builtin::Ceil | Builtin::Round => {
                self.expect_number(first, &what).then_some(Type::Int)
            }
            Builtin::Float | Builtin::Int => match first.ty {
                Type::Bool | Type::Int | Type::Float | Type::Error => {
                    Some(if builtin == Builtin::Float {
                        Type::Float
                    } else {
                        Type::Int
                    })
                }
                ref other => {
                    let other = other.clone();
                    self.error(
                        Diagnostic::new(
                            codes::check::TYPE_MISMATCH,
                            format!("`{name}` converts a bool or a number, not {other}"),
                        )
                        .label(first.span, format!("this is {other}"))
                        .help("reduce the collection first, e.g. with sum(...) or len(...)"),
                    );
                    None
                }
            },
            Builtin::Len => match first.ty {
                Type::Array(..) | Type::Seq(_) | Type::Set | Type::Error => Some(Type::Int),
                ref other => {
                    let other = other.clone();
                    self.error(
                        Diagnostic::new(
                            codes::check::TYPE_MISMATCH,
                            format!("`{name}` needs an array, set or sequence, not {other}"),
                        )
                        .label(first.span, format!("this is {other}"))
                        .help("only collections have a length"),
                    );
                    None
                }
            },
            Builtin::Min | Builtin::Max => {
                // Every argument is checked, so each wrong one is reported.
                let ok = args
                    .iter()
                    .fold(true, |ok, arg| self.expect_number(arg, &what) & ok);
                let unified = args[1..].iter().fold(first.ty.clone(), |ty, arg| {
                    ty.unify(&arg.ty).unwrap_or(Type::Float)
                });
                ok.then_some(unified)
            }
            Builtin::Reachable | Builtin::Acyclic => {
                let square = self.expect_adjacency(first, name);
                let mut ok = square;
                for node in &args[1..] {
                    if !matches!(node.ty, Type::Int | Type::Error) {
                        self.error(
                            Diagnostic::new(
                                codes::check::TYPE_MISMATCH,
                                format!("the nodes of `{name}` are ints, not {}", node.ty),
                            )
                            .label(node.span, format!("this is {}", node.ty))
                            .help("name nodes by their index 0..N in the matrix"),
                        );
                        ok = false;
                    }
                }
                ok.then_some(Type::Bool)
            }
        }
    }

    /// The first argument of a graph built-in: a square bool matrix of at most 64 nodes.
    fn expect_adjacency(&mut self, adj: &hir::Expr, name: &str) -> bool {
        match &adj.ty {
            Type::Error => true,
            Type::Array(row, n) if **row == Type::Array(Box::new(Type::Bool), *n) && *n <= 64 => {
                true
            }
            other => {
                let other = other.clone();
                let why = match &other {
                    Type::Array(row, n) if **row == Type::Array(Box::new(Type::Bool), *n) => {
                        format!("`{name}` handles graphs of at most 64 nodes, not {n}")
                    }
                    _ => format!(
                        "`{name}` needs a square adjacency matrix [[bool; N]; N], not {other}"
                    ),
                };
                self.error(
                    Diagnostic::new(codes::check::TYPE_MISMATCH, why)
                        .label(adj.span, format!("this is {other}"))
                        .help("adj[a][b] is true when there is an edge a -> b; build one from an edge list with `adjacency(N, EDGES)`"),
                );
                false
            }
        }
    }

    pub(super) fn check_method(
        &mut self,
        receiver: &ast::Expr,
        method: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        context: Context,
    ) -> hir::Expr {
        let receiver_checked = self.check_expr(receiver, context);
        match (method.name.as_str(), args) {
            ("len" | "size", []) => {
                let args = vec![receiver_checked];
                match self.builtin_type(Builtin::Len, &method.name, &args) {
                    Some(ty) => hir::Expr {
                        kind: ExprKind::Builtin(Builtin::Len, args),
                        ty,
                        span,
                    },
                    None => error_expr(span),
                }
            }
            ("contains", [element]) => {
                // S.contains(e) is e in S.
                let rest = vec![(CompareOp::In, method.span, receiver.clone())];
                self.check_compare(element, &rest, span, context)
            }
            ("insert" | "remove" | "push" | "pop", _) => {
                self.error(
                    Diagnostic::new(
                        codes::check::EFFECT_IN_EXPRESSION,
                        format!(
                            "`.{}(...)` changes the state and cannot be used in an expression",
                            method.name
                        ),
                    )
                    .label(method.span, "an effect")
                    .help("write effects inside an action's `{ ... }`"),
                );
                error_expr(span)
            }
            ("len" | "size" | "contains", _) => {
                let n = usize::from(method.name == "contains");
                self.error(
                    Diagnostic::new(
                        codes::check::WRONG_ARITY,
                        format!("`.{}` takes {}", method.name, arity_text(n)),
                    )
                    .label(span, "called here")
                    .help(if n == 1 {
                        "write `S.contains(e)`"
                    } else {
                        "write `s.len()`"
                    }),
                );
                error_expr(span)
            }
            _ => {
                let help = match names::closest(&method.name, builtins::methods()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "the methods are `.len()`, `.size()` and `.contains(e)`".to_string(),
                };
                self.error(
                    Diagnostic::new(
                        codes::check::UNKNOWN_METHOD,
                        format!("there is no method `.{}`", method.name),
                    )
                    .label(method.span, "unknown method")
                    .help(help),
                );
                error_expr(span)
            }
        }
    }
}
