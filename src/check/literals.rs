//! Literals: integers, exact decimals, array literals and repeated arrays.

use super::checker::*;
use super::error::*;
use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::hir::types::{Type, Value};
use crate::hir::{self, ExprKind};
use crate::number::Number;
use crate::syntax::ast::{self};

impl<'a> Checker<'a> {
    /// `[value; count]` with a constant count.
    pub(super) fn check_repeat_literal(&mut self, expr: &ast::Expr, context: Context) -> hir::Expr {
        let span = expr.span;
        let typed = |kind, ty| hir::Expr { kind, ty, span };
        match &expr.kind {
            ast::ExprKind::Repeat { value, count } => {
                let value = self.check_expr(value, context);
                let saved = std::mem::take(&mut self.locals);
                let n = self.constant_length(count, "the count of a repeated array");
                self.locals = saved;
                match n {
                    Some(n) => {
                        let ty = Type::Array(Box::new(value.ty.clone()), n);
                        if !self.fits_in_memory(&ty, span) {
                            return error_expr(span);
                        }
                        typed(ExprKind::Repeat(Box::new(value), n), ty)
                    }
                    None => error_expr(span),
                }
            }
            _ => error_expr(span),
        }
    }

    /// An array literal: elements of one type.
    pub(super) fn check_array_literal(&mut self, expr: &ast::Expr, context: Context) -> hir::Expr {
        let span = expr.span;
        let typed = |kind, ty| hir::Expr { kind, ty, span };
        match &expr.kind {
            ast::ExprKind::Array(items) => {
                let items: Vec<hir::Expr> =
                    items.iter().map(|i| self.check_expr(i, context)).collect();
                let mut element = Type::Error;
                for item in &items {
                    match element.unify(&item.ty) {
                        Some(t) => element = t,
                        None => {
                            self.error(
                                Diagnostic::new(
                                    codes::check::TYPE_MISMATCH,
                                    format!(
                                        "array elements must have one type; found {element} and {}",
                                        item.ty
                                    ),
                                )
                                .label(item.span, format!("this is {}", item.ty))
                                .help("make all elements the same type"),
                            );
                            return error_expr(span);
                        }
                    }
                }
                let n = items.len();
                let ty = Type::Array(Box::new(element), n);
                if !self.fits_in_memory(&ty, span) {
                    return error_expr(span);
                }
                typed(ExprKind::Array(items), ty)
            }
            _ => error_expr(span),
        }
    }

    /// A float literal, read exactly.
    pub(super) fn check_float_literal(&mut self, expr: &ast::Expr) -> hir::Expr {
        let span = expr.span;
        let typed = |kind, ty| hir::Expr { kind, ty, span };
        match &expr.kind {
            ast::ExprKind::Float(text) => {
                match Number::parse_decimal(text).filter(|n| n.to_f64().is_finite()) {
                    Some(n) => typed(ExprKind::Const(Value::Float(n)), Type::Float),
                    None => {
                        self.error(
                            Diagnostic::new(
                                codes::check::LITERAL_OUT_OF_RANGE,
                                "this number is too large for a 64-bit float",
                            )
                            .label(span, "too large")
                            .help("write a float within about ±1.8e308, or use `log_reward` with the log of a huge reward"),
                        );
                        error_expr(span)
                    }
                }
            }
            _ => error_expr(span),
        }
    }

    /// An integer literal too large for 64 bits.
    pub(super) fn check_int_literal(&mut self, expr: &ast::Expr) -> hir::Expr {
        let span = expr.span;
        match &expr.kind {
            ast::ExprKind::Int(None) => {
                self.error(
                    Diagnostic::new(
                        codes::check::LITERAL_OUT_OF_RANGE,
                        "this integer does not fit in 64 bits",
                    )
                    .label(span, "too large")
                    .help(format!(
                        "write an integer between {} and {}, or a float for larger values",
                        i64::MIN,
                        i64::MAX
                    )),
                );
                error_expr(span)
            }
            _ => error_expr(span),
        }
    }
}
