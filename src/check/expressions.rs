//! Expressions: names, operators, comparisons, domains and aggregates.

use super::checker::*;
use super::error::*;
use super::names;
use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::hir::types::{Type, Value};
use crate::hir::{self, Aggregate, ExprKind};
use crate::span::Span;
use crate::syntax::ast::{self, BinaryOp, CompareOp, UnaryOp};

impl<'a> Checker<'a> {
    // -----------------------------------------------------------------------------------------
    // Expressions

    pub(super) fn bind_local(&mut self, name: &ast::Ident, ty: Type) {
        if names::is_reserved(&name.name) {
            self.error(reserved(name));
        } else if let Some((global, span)) = self.globals.get(name.name.as_str()).copied() {
            self.error(
                Diagnostic::new(
                    codes::check::SHADOWED_NAME,
                    format!("`{}` is already {}", name.name, global.describe()),
                )
                .label(name.span, "this name hides it")
                .label(span, "defined here")
                .help("names are not shadowed in .gfn files, so that every use means one thing; pick another name"),
            );
        } else if self.locals.iter().any(|l| l.name == name.name) {
            self.error(
                Diagnostic::new(
                    codes::check::SHADOWED_NAME,
                    format!("`{}` is already a variable here", name.name),
                )
                .label(name.span, "this name hides it")
                .help("pick another name for the inner variable"),
            );
        }
        self.locals.push(Local {
            name: name.name.clone(),
            ty,
        });
    }

    pub(super) fn unknown_name(&self, name: &ast::Ident) -> Diagnostic {
        let mut candidates: Vec<&str> = self.globals.keys().copied().collect();
        candidates.extend(self.locals.iter().map(|l| l.name.as_str()));
        candidates.sort_unstable();
        let mut d = Diagnostic::new(
            codes::check::UNKNOWN_NAME,
            format!("unknown name `{}`", name.name),
        )
        .label(name.span, "not defined anywhere in this file");
        // Python's and Rust's spellings of what .gfn writes otherwise.
        let habit = match name.name.as_str() {
            "True" | "TRUE" => Some("booleans are lowercase in .gfn: write `true`"),
            "False" | "FALSE" => Some("booleans are lowercase in .gfn: write `false`"),
            "None" | "null" | "nil" => {
                Some("there is no null value in .gfn: use a bool field or a sentinel int")
            }
            "inf" | "INFINITY" | "nan" | "NAN" => {
                Some("rewards are finite: use a large finite number, or write `log_reward`")
            }
            "pi" | "PI" => Some("there is no `pi` built in: define `const PI = 3.141592653589793`"),
            "self" => Some("fields are named directly in .gfn: write `x`, not `self.x`"),
            _ => None,
        };
        if let Some(habit) = habit {
            d = d.help(habit);
        } else if let Some(close) = names::closest(&name.name, candidates) {
            d = d.help(format!("did you mean `{close}`?"));
        } else {
            d = d.help("define it with `param`, `const`, `let` or as a state field");
        }
        d
    }

    pub(super) fn expect_int(&mut self, expr: &hir::Expr, what: &str) {
        match expr.ty {
            Type::Int | Type::Error => {}
            Type::Bool => self.error(bool_as_number(expr, what)),
            ref other => {
                let other = other.clone();
                self.error(
                    Diagnostic::new(
                        codes::check::TYPE_MISMATCH,
                        format!("{what} must be an int, not {other}"),
                    )
                    .label(expr.span, format!("this is {other}"))
                    .help(if other == Type::Float {
                        "convert with floor(...), round(...) or int(...)"
                    } else {
                        "use an integer expression"
                    }),
                );
            }
        }
    }

    pub(super) fn expect_number(&mut self, expr: &hir::Expr, what: &str) -> bool {
        match expr.ty {
            Type::Int | Type::Float | Type::Error => true,
            Type::Bool => {
                self.error(bool_as_number(expr, what));
                false
            }
            ref other => {
                let other = other.clone();
                self.error(
                    Diagnostic::new(
                        codes::check::TYPE_MISMATCH,
                        format!("{what} must be a number, not {other}"),
                    )
                    .label(expr.span, format!("this is {other}"))
                    .help("reduce it to a number, e.g. with sum(...) or len(...)"),
                );
                false
            }
        }
    }

    pub(super) fn expect_bool(&mut self, expr: &hir::Expr, what: &str) -> bool {
        match expr.ty {
            Type::Bool | Type::Error => true,
            ref other => {
                let other = other.clone();
                self.error(
                    Diagnostic::new(
                        codes::check::TYPE_MISMATCH,
                        format!("{what} must be a bool, not {other}"),
                    )
                    .label(expr.span, format!("this is {other}"))
                    .help(if other.is_numeric() {
                        "compare explicitly, e.g. `x != 0`"
                    } else {
                        "write a condition"
                    }),
                );
                false
            }
        }
    }

    pub(super) fn check_expr(&mut self, expr: &ast::Expr, context: Context) -> hir::Expr {
        let span = expr.span;
        let typed = |kind, ty| hir::Expr { kind, ty, span };
        match &expr.kind {
            ast::ExprKind::Int(Some(v)) => typed(ExprKind::Const(Value::Int(*v)), Type::Int),
            ast::ExprKind::Int(..) => self.check_int_literal(expr),
            ast::ExprKind::Float(..) => self.check_float_literal(expr),
            ast::ExprKind::Bool(b) => typed(ExprKind::Const(Value::Bool(*b)), Type::Bool),
            ast::ExprKind::Str(_) => {
                self.error(
                    Diagnostic::new(
                        codes::check::MISPLACED_STRING,
                        "a string can only be the path of `load` or the command of `extern`",
                    )
                    .label(span, "a string here")
                    .help("values are numbers, bools and arrays; read a table with `const T = load(\"table.csv\")`"),
                );
                error_expr(span)
            }
            ast::ExprKind::Name(name) => self.check_name(name, context),
            ast::ExprKind::Array(..) => self.check_array_literal(expr, context),
            ast::ExprKind::Repeat { .. } => self.check_repeat_literal(expr, context),
            ast::ExprKind::Unary(..) => self.check_unary(expr, context),
            ast::ExprKind::Binary(op, a, b) => self.check_binary(*op, a, b, span, context),
            ast::ExprKind::Compare(first, rest) => self.check_compare(first, rest, span, context),
            ast::ExprKind::Range { .. } => {
                self.error(
                    Diagnostic::new(codes::check::RANGE_OUTSIDE_DOMAIN, "a range is not a value")
                        .label(span, "this range")
                        .help("ranges appear in state types, action arguments (`i in 0..N`), aggregates (`sum(i in 0..N: ...)`) and after `in`"),
                );
                error_expr(span)
            }
            ast::ExprKind::If(..) => self.check_conditional(expr, context),
            ast::ExprKind::Index(..) => self.check_index(expr, context),
            ast::ExprKind::Call(function, args) => self.check_call(function, args, span, context),
            ast::ExprKind::Method(receiver, method, args) => {
                self.check_method(receiver, method, args, span, context)
            }
            ast::ExprKind::Aggregate {
                function,
                variable,
                domain,
                body,
            } => self.check_aggregate(function, variable, domain, body, span, context),
        }
    }

    /// `a[i]`: an array, sequence or constant collection indexed by an int.
    fn check_index(&mut self, expr: &ast::Expr, context: Context) -> hir::Expr {
        let span = expr.span;
        let typed = |kind, ty| hir::Expr { kind, ty, span };
        match &expr.kind {
            ast::ExprKind::Index(base, index) => {
                let base = self.check_expr(base, context);
                let index = self.check_expr(index, context);
                self.expect_int(&index, "an index");
                let ty = match &base.ty {
                    Type::Array(t, n) => {
                        if let ExprKind::Const(Value::Int(i)) = index.kind {
                            if i < 0 || i as u64 >= *n as u64 {
                                self.error(
                                    Diagnostic::new(
                                        codes::check::INDEX_OUT_OF_RANGE,
                                        format!(
                                            "index {i} is out of range for an array of length {n}"
                                        ),
                                    )
                                    .label(index.span, format!("valid indices are 0..{n}"))
                                    .help("index from 0 to the length minus 1 (negative indices are not allowed)"),
                                );
                                return error_expr(span);
                            }
                        }
                        (**t).clone()
                    }
                    Type::Seq(t) => (**t).clone(),
                    Type::Error => Type::Error,
                    other => {
                        let other = other.clone();
                        self.error(
                            Diagnostic::new(
                                codes::check::NOT_INDEXABLE,
                                format!("a value of type {other} cannot be indexed"),
                            )
                            .label(base.span, format!("this is {other}"))
                            .help(if other == Type::Set {
                                "test membership with `e in S` instead"
                            } else {
                                "index only arrays and sequences; a scalar has no elements"
                            }),
                        );
                        return error_expr(span);
                    }
                };
                typed(ExprKind::Index(Box::new(base), Box::new(index)), ty)
            }
            _ => error_expr(span),
        }
    }

    /// `if c then a else b`: a bool condition, branches of one type.
    fn check_conditional(&mut self, expr: &ast::Expr, context: Context) -> hir::Expr {
        let span = expr.span;
        let typed = |kind, ty| hir::Expr { kind, ty, span };
        match &expr.kind {
            ast::ExprKind::If(c, a, b) => {
                let c = self.check_expr(c, context);
                let a = self.check_expr(a, context);
                let b = self.check_expr(b, context);
                if !self.expect_bool(&c, "the condition of `if`") {
                    return error_expr(span);
                }
                match a.ty.unify(&b.ty) {
                    Some(ty) => typed(ExprKind::If(Box::new(c), Box::new(a), Box::new(b)), ty),
                    None => {
                        self.error(
                            Diagnostic::new(
                                codes::check::TYPE_MISMATCH,
                                format!(
                                    "the branches of `if` have different types: {} and {}",
                                    a.ty, b.ty
                                ),
                            )
                            .label(a.span, format!("this is {}", a.ty))
                            .label(b.span, format!("this is {}", b.ty))
                            .help("make both branches give the same type (an int and a float mix: write `float(x)`)"),
                        );
                        error_expr(span)
                    }
                }
            }
            _ => error_expr(span),
        }
    }

    /// `-x` and `not b`.
    fn check_unary(&mut self, expr: &ast::Expr, context: Context) -> hir::Expr {
        let span = expr.span;
        let typed = |kind, ty| hir::Expr { kind, ty, span };
        match &expr.kind {
            ast::ExprKind::Unary(op, operand) => {
                let operand = self.check_expr(operand, context);
                let ty = match op {
                    UnaryOp::Neg => {
                        if !self.expect_number(&operand, "the operand of `-`") {
                            return error_expr(span);
                        }
                        operand.ty.clone()
                    }
                    UnaryOp::Not => {
                        if !self.expect_bool(&operand, "the operand of `not`") {
                            return error_expr(span);
                        }
                        Type::Bool
                    }
                };
                typed(ExprKind::Unary(*op, Box::new(operand)), ty)
            }
            _ => error_expr(span),
        }
    }

    pub(super) fn check_name(&mut self, name: &ast::Ident, context: Context) -> hir::Expr {
        let span = name.span;
        if let Some(slot) = self.locals.iter().rposition(|l| l.name == name.name) {
            let ty = self.locals[slot].ty.clone();
            return hir::Expr {
                kind: ExprKind::Local(slot),
                ty,
                span,
            };
        }
        match self.globals.get(name.name.as_str()).copied() {
            Some((Global::Param(i) | Global::Const(i), _)) => {
                match self.resolve_constant(i, Some(span)) {
                    (Some(value), ty) => hir::Expr {
                        kind: ExprKind::Const(value),
                        ty,
                        span,
                    },
                    (None, _) => error_expr(span),
                }
            }
            Some((Global::Field(i), _)) => {
                if context == Context::Constant {
                    self.error(not_constant(name, "a state field"));
                    return error_expr(span);
                }
                match self.fields.get(i).cloned().flatten() {
                    Some(field) => hir::Expr {
                        kind: ExprKind::Field(i),
                        ty: field.ty.value_type(),
                        span,
                    },
                    None => error_expr(span),
                }
            }
            Some((Global::Let(i), _)) => self.call_let(i, name, None, span, context),
            None => {
                if names::is_reserved(&name.name) {
                    self.error(
                        Diagnostic::new(
                            codes::check::NOT_A_VALUE,
                            format!("`{}` is a function, not a value", name.name),
                        )
                        .label(span, "used as a value")
                        .help(format!("call it, e.g. `{}(x)`", name.name)),
                    );
                } else {
                    self.error(self.unknown_name(name));
                }
                error_expr(span)
            }
        }
    }

    pub(super) fn check_binary(
        &mut self,
        op: BinaryOp,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
        context: Context,
    ) -> hir::Expr {
        let a = self.check_expr(a, context);
        let b = self.check_expr(b, context);
        let symbol = op.symbol();
        let ty = match op {
            BinaryOp::And | BinaryOp::Or => {
                let ok_a = self.expect_bool(&a, &format!("an operand of `{symbol}`"));
                let ok_b = self.expect_bool(&b, &format!("an operand of `{symbol}`"));
                if !(ok_a && ok_b) {
                    return error_expr(span);
                }
                Type::Bool
            }
            _ => {
                let what = format!("an operand of `{symbol}`");
                let ok_a = self.expect_number(&a, &what);
                let ok_b = self.expect_number(&b, &what);
                if !(ok_a && ok_b) {
                    return error_expr(span);
                }
                let both_int = a.ty != Type::Float && b.ty != Type::Float;
                match op {
                    BinaryOp::Div => Type::Float,
                    BinaryOp::FloorDiv | BinaryOp::Rem => {
                        if !both_int {
                            let float_side = if a.ty == Type::Float { &a } else { &b };
                            self.error(
                                Diagnostic::new(
                                    codes::check::INTEGER_ONLY,
                                    format!("`{symbol}` works on integers only"),
                                )
                                .label(float_side.span, "this is a float")
                                .help(
                                    if op == BinaryOp::FloorDiv {
                                        "use floor(a / b) for floats"
                                    } else {
                                        "convert the operands with int(...) or floor(...)"
                                    },
                                ),
                            );
                            return error_expr(span);
                        }
                        Type::Int
                    }
                    _ if a.ty.is_error() || b.ty.is_error() => Type::Error,
                    _ if both_int => Type::Int,
                    _ => Type::Float,
                }
            }
        };
        hir::Expr {
            kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
            ty,
            span,
        }
    }

    pub(super) fn check_compare(
        &mut self,
        first: &ast::Expr,
        rest: &[(CompareOp, Span, ast::Expr)],
        span: Span,
        context: Context,
    ) -> hir::Expr {
        let first = self.check_expr(first, context);
        let mut left_ty = first.ty.clone();
        let mut left_span = first.span;
        let mut checked_rest = Vec::new();
        let mut ok = true;
        for (op, op_span, operand) in rest {
            match op {
                CompareOp::In | CompareOp::NotIn => {
                    let (domain, element) = self.check_domain(operand, context);
                    if !left_ty.fits(&element) && !element.fits(&left_ty) {
                        self.error(
                            Diagnostic::new(
                                codes::check::TYPE_MISMATCH,
                                format!(
                                    "`{}` tests a {left_ty} against elements of type {element}",
                                    op.symbol()
                                ),
                            )
                            .label(left_span, format!("this is {left_ty}"))
                            .label(*op_span, format!("elements here are {element}"))
                            .help("test a value of the collection's element type"),
                        );
                        ok = false;
                    }
                    left_ty = domain.ty.clone();
                    left_span = domain.span;
                    checked_rest.push((*op, domain));
                }
                _ => {
                    let right = self.check_expr(operand, context);
                    let ordered = !matches!(op, CompareOp::Eq | CompareOp::Ne);
                    let comparable = if ordered {
                        left_ty.is_numeric() && right.ty.is_numeric()
                    } else {
                        left_ty.unify(&right.ty).is_some() && !matches!(left_ty, Type::Range)
                    };
                    if !comparable {
                        let (code, help) =
                            if ordered && (left_ty == Type::Bool || right.ty == Type::Bool) {
                                (
                                codes::check::BOOL_AS_NUMBER,
                                "bools have no order; convert with int(...) to compare as numbers",
                            )
                            } else {
                                (
                                    codes::check::TYPE_MISMATCH,
                                    "compare values of the same type",
                                )
                            };
                        self.error(
                            Diagnostic::new(
                                code,
                                format!(
                                    "cannot compare {left_ty} with {} using `{}`",
                                    right.ty,
                                    op.symbol()
                                ),
                            )
                            .label(left_span, format!("this is {left_ty}"))
                            .label(right.span, format!("this is {}", right.ty))
                            .help(help),
                        );
                        ok = false;
                    }
                    left_ty = right.ty.clone();
                    left_span = right.span;
                    checked_rest.push((*op, right));
                }
            }
        }
        if !ok {
            return error_expr(span);
        }
        hir::Expr {
            kind: ExprKind::Compare(Box::new(first), checked_rest),
            ty: Type::Bool,
            span,
        }
    }

    /// A domain (`A..B`, a set, a sequence or an array) and the type of its elements.
    pub(super) fn check_domain(&mut self, expr: &ast::Expr, context: Context) -> (hir::Expr, Type) {
        if let ast::ExprKind::Range { lo, hi, inclusive } = &expr.kind {
            let lo = self.check_expr(lo, context);
            let hi = self.check_expr(hi, context);
            self.expect_int(&lo, "a range bound");
            self.expect_int(&hi, "a range bound");
            let ty = if lo.ty.is_error() || hi.ty.is_error() {
                Type::Error
            } else {
                Type::Int
            };
            let range = hir::Expr {
                kind: ExprKind::Range {
                    lo: Box::new(lo),
                    hi: Box::new(hi),
                    inclusive: *inclusive,
                },
                ty: Type::Range,
                span: expr.span,
            };
            return (range, ty);
        }
        let domain = self.check_expr(expr, context);
        let element = match &domain.ty {
            Type::Set => Type::Int,
            Type::Array(t, _) | Type::Seq(t) => (**t).clone(),
            Type::Error => Type::Error,
            other => {
                let other = other.clone();
                self.error(
                    Diagnostic::new(
                        codes::check::NOT_A_DOMAIN,
                        format!("a value of type {other} has no elements to range over"),
                    )
                    .label(domain.span, format!("this is {other}"))
                    .help(if other == Type::Int {
                        "write a range such as `0..N`"
                    } else {
                        "use a range, a set, a sequence or an array"
                    }),
                );
                Type::Error
            }
        };
        (domain, element)
    }

    pub(super) fn check_aggregate(
        &mut self,
        function: &ast::Ident,
        variable: &ast::Ident,
        domain: &ast::Expr,
        body: &ast::Expr,
        span: Span,
        context: Context,
    ) -> hir::Expr {
        let Some(aggregate) = Aggregate::from_name(&function.name) else {
            let help = match names::closest(&function.name, crate::hir::builtins::aggregates()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!(
                    "use one of the aggregates: {}",
                    crate::hir::builtins::aggregates()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            self.error(
                Diagnostic::new(
                    codes::check::UNKNOWN_AGGREGATE,
                    format!("`{}` is not an aggregate", function.name),
                )
                .label(function.span, "not an aggregate")
                .help(help),
            );
            return error_expr(span);
        };
        let (domain, element) = self.check_domain(domain, context);
        let slot = self.locals.len();
        self.bind_local(variable, element);
        let body = self.check_expr(body, context);
        self.locals.truncate(slot);
        let ty = self.aggregate_type(aggregate, &function.name, &body);
        hir::Expr {
            kind: ExprKind::Aggregate {
                function: aggregate,
                slot,
                domain: Box::new(domain),
                body: Box::new(body),
            },
            ty,
            span,
        }
    }

    pub(super) fn aggregate_type(
        &mut self,
        aggregate: Aggregate,
        name: &str,
        body: &hir::Expr,
    ) -> Type {
        match aggregate {
            Aggregate::Sum | Aggregate::Prod | Aggregate::Min | Aggregate::Max => {
                if body.ty == Type::Bool && aggregate == Aggregate::Sum {
                    self.error(
                        Diagnostic::new(
                            codes::check::BOOL_AS_NUMBER,
                            format!("`{name}` adds numbers, but this is a bool"),
                        )
                        .label(body.span, "this is a bool")
                        .help("use count(...) to count how often a condition holds"),
                    );
                    return Type::Error;
                }
                if self.expect_number(body, &format!("the body of `{name}`")) {
                    body.ty.clone()
                } else {
                    Type::Error
                }
            }
            Aggregate::All | Aggregate::Any | Aggregate::Count => {
                if !self.expect_bool(body, &format!("the body of `{name}`")) {
                    return Type::Error;
                }
                if aggregate == Aggregate::Count {
                    Type::Int
                } else {
                    Type::Bool
                }
            }
        }
    }
}
