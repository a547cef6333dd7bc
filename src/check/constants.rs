//! Params and consts: each worked out once, on demand, with cycles reported.

use super::checker::*;
use super::error::*;
use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::hir;
use crate::hir::types::{Type, Value};
use crate::span::Span;
use crate::syntax::ast;

impl<'a> Checker<'a> {
    /// The value of a param or const, evaluating it (and what it uses) on first use.
    pub(super) fn resolve_constant(
        &mut self,
        index: usize,
        use_span: Option<Span>,
    ) -> (Option<Value>, Type) {
        match self.constants[index].state.clone() {
            Resolution::Done(value, ty) => return (Some(value), ty),
            Resolution::Failed => return (None, Type::Error),
            Resolution::InProgress => {
                let name = self.constants[index].name;
                let mut d = Diagnostic::new(
                    codes::check::RECURSIVE_DEFINITION,
                    format!("`{}` is defined in terms of itself", name.name),
                );
                if let Some(use_span) = use_span {
                    d = d.label(use_span, "used here while its value is being computed");
                }
                self.error(
                    d.label(name.span, "defined here")
                        .help("break the cycle: a value may only use names defined without it"),
                );
                self.constants[index].state = Resolution::Failed;
                return (None, Type::Error);
            }
            Resolution::Pending => {}
        }
        self.constants[index].state = Resolution::InProgress;
        let def_expr = self.constants[index].value;
        let declared = self.constants[index].declared;
        let saved_locals = std::mem::take(&mut self.locals);
        let checked = self.check_expr(def_expr, Context::Constant);
        self.locals = saved_locals;
        if matches!(self.constants[index].state, Resolution::Failed) {
            return (None, Type::Error);
        }
        let mut ty = checked.ty.clone();
        if let Some((declared, ty_span)) = declared {
            let Some(want) = self.declared_type(index, declared) else {
                self.constants[index].state = Resolution::Failed;
                return (None, Type::Error);
            };
            if !checked.ty.fits(&want) {
                self.error(
                    Diagnostic::new(
                        codes::check::TYPE_MISMATCH,
                        format!(
                            "the param is declared {want} but its value is {}",
                            checked.ty
                        ),
                    )
                    .label(checked.span, format!("this is {}", checked.ty))
                    .label(ty_span, format!("declared {want} here"))
                    .help(match want {
                        Type::Int => "write a whole number, or declare the param `float`",
                        _ => "change the value or the declared type so that they agree",
                    }),
                );
                self.constants[index].state = Resolution::Failed;
                return (None, Type::Error);
            }
            if !checked.ty.is_error() {
                ty = want;
            }
        }
        if ty.is_error() {
            self.constants[index].state = Resolution::Failed;
            return (None, Type::Error);
        }
        match self.evaluate(&checked).map(|v| v.promote(&ty)) {
            Some(value) => {
                self.constants[index].state = Resolution::Done(value.clone(), ty.clone());
                (Some(value), ty)
            }
            None => {
                self.constants[index].state = Resolution::Failed;
                (None, Type::Error)
            }
        }
    }

    /// The type a param is declared with: `int`, or `[[float; 3]; N]` with its lengths folded.
    pub(super) fn declared_type(&mut self, index: usize, scalar: ast::ParamType) -> Option<Type> {
        let mut ty = match scalar {
            ast::ParamType::Int => Type::Int,
            ast::ParamType::Float => Type::Float,
            ast::ParamType::Bool => Type::Bool,
        };
        let dims = self.constants[index].dims;
        for dim in dims.iter().rev() {
            let saved = std::mem::take(&mut self.locals);
            let n = self.constant_length(dim, "the length of an array param");
            self.locals = saved;
            ty = Type::Array(Box::new(ty), n?);
        }
        Some(ty)
    }

    /// Evaluate a constant expression, reporting a failure as a diagnostic.
    pub(super) fn evaluate(&mut self, expr: &hir::Expr) -> Option<Value> {
        if expr.ty.is_error() {
            return None;
        }
        match crate::compile::constant::evaluate(expr) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(eval_error(&e));
                None
            }
        }
    }
}
