//! Lets: checked per list of argument types, as instances.

use super::checker::*;
use super::error::*;
use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::hir::types::Type;
use crate::hir::{self, ExprKind};
use crate::span::Span;
use crate::syntax::ast;

impl<'a> Checker<'a> {
    // -----------------------------------------------------------------------------------------
    // Lets

    /// Lets never called are still checked (with unknown argument types) so that their errors show.
    pub(super) fn check_unused_lets(&mut self) {
        for index in 0..self.lets.len() {
            if self.instance_of.keys().any(|(l, _)| *l == index) {
                continue;
            }
            let arity = self.lets[index].params.map(|p| p.len()).unwrap_or(0);
            let span = self.lets[index].name.span;
            let saved = std::mem::take(&mut self.locals);
            self.let_instance(index, vec![Type::Error; arity], span);
            self.locals = saved;
        }
    }

    /// The instance of let `index` for these argument types, checking its body the first time.
    pub(super) fn let_instance(
        &mut self,
        index: usize,
        arg_types: Vec<Type>,
        use_span: Span,
    ) -> Option<(usize, Type)> {
        let key = (
            index,
            arg_types
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(","),
        );
        let def_name = self.lets[index].name;
        // The recursion test comes first: an instance being checked is registered but empty.
        if self.let_stack.contains(&index) {
            self.error(
                Diagnostic::new(codes::check::RECURSIVE_DEFINITION, format!("`{}` is defined in terms of itself", def_name.name))
                    .label(use_span, "used here inside its own definition")
                    .label(def_name.span, "defined here")
                    .help("lets cannot be recursive; write the computation with an aggregate such as sum(...) instead"),
            );
            return None;
        }
        if let Some(instance) = self.instance_of.get(&key) {
            return self.instances[*instance]
                .as_ref()
                .map(|i| (*instance, i.body.ty.clone()));
        }
        if self.let_stack.len() >= crate::compile::MAX_EXPANDED_DEPTH {
            self.error(
                Diagnostic::new(
                    codes::check::TOO_DEEP,
                    format!(
                        "lets nest more than {} deep here: `{}` uses a let that uses a let, and so on",
                        crate::compile::MAX_EXPANDED_DEPTH,
                        def_name.name
                    ),
                )
                .label(use_span, "used here, too deep")
                .help("compute the value in fewer steps (an aggregate such as sum(...) instead of a chain of lets)"),
            );
            return None;
        }
        let slot = self.instances.len();
        self.instances.push(None);
        self.instance_of.insert(key, slot);
        self.let_stack.push(index);
        let saved = std::mem::take(&mut self.locals);
        let params = self.lets[index].params.unwrap_or(&[]);
        for (param, ty) in params.iter().zip(&arg_types) {
            self.bind_local(param, ty.clone());
        }
        let body = self.check_expr(self.lets[index].body, Context::State);
        self.locals = saved;
        self.let_stack.pop();
        let ty = body.ty.clone();
        self.instances[slot] = Some(hir::LetInstance {
            name: def_name.name.clone(),
            arg_types,
            body,
            span: self.lets[index].span,
        });
        Some((slot, ty))
    }

    pub(super) fn call_let(
        &mut self,
        index: usize,
        name: &ast::Ident,
        args: Option<&[ast::Expr]>,
        span: Span,
        context: Context,
    ) -> hir::Expr {
        let def = &self.lets[index];
        let arity = def.params.map(|p| p.len());
        let given = args.map(|a| a.len());
        let def_span = def.name.span;
        let mut checked_args = Vec::new();
        for arg in args.unwrap_or(&[]) {
            checked_args.push(self.check_expr(arg, context));
        }
        if arity != given {
            let (message, help) = match (arity, given) {
                (None, Some(_)) => (
                    format!("`{}` is a value, not a function", name.name),
                    format!("write `{}` without parentheses", name.name),
                ),
                (Some(n), None) => (
                    format!("`{}` takes {}", name.name, arity_text(n)),
                    format!("call it as `{}({})`", name.name, vec!["..."; n].join(", ")),
                ),
                (Some(n), Some(m)) => (
                    format!("`{}` takes {} but is given {m}", name.name, arity_text(n)),
                    "pass one value per parameter".to_string(),
                ),
                (None, None) => (String::new(), String::new()),
            };
            self.error(
                Diagnostic::new(codes::check::WRONG_ARITY, message)
                    .label(span, "used here")
                    .label(def_span, "defined here")
                    .help(help),
            );
            return error_expr(span);
        }
        if context == Context::Constant {
            self.error(not_constant(name, "a let, which is evaluated on the state"));
            return error_expr(span);
        }
        let arg_types = checked_args.iter().map(|a| a.ty.clone()).collect();
        match self.let_instance(index, arg_types, span) {
            Some((instance, ty)) => hir::Expr {
                kind: ExprKind::Let(instance, checked_args),
                ty,
                span,
            },
            None => error_expr(span),
        }
    }
}
