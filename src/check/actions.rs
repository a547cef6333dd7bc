//! Actions and their effects; the `stop`, `done`, `mode` conditions and the reward.

use super::checker::*;
use super::error::*;
use super::names;
use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::hir::types::{FieldType, Type, Value};
use crate::hir::{self, ExprKind};
use crate::span::Span;
use crate::syntax::ast;

impl<'a> Checker<'a> {
    // -----------------------------------------------------------------------------------------
    // Actions and effects

    pub(super) fn check_action(
        &mut self,
        name: &ast::Ident,
        args: &[ast::ActionArg],
        guard: Option<&ast::Expr>,
        effects: &[ast::Effect],
        span: Span,
    ) -> Option<hir::Action> {
        self.locals.clear();
        let mut domains = Vec::new();
        let mut ok = true;
        for arg in args {
            let values = self.action_domain(name, arg);
            let ty = values
                .as_ref()
                .map(|(_, ty)| ty.clone())
                .unwrap_or(Type::Error);
            match values {
                Some((values, _)) => domains.push((arg.name.name.clone(), values)),
                None => ok = false,
            }
            self.bind_local(&arg.name, ty);
        }
        let guard = guard.map(|g| self.check_condition(g, "an action's `when` condition"));
        let mut checked_effects = Vec::new();
        for effect in effects {
            if let Some(e) = self.check_effect(effect) {
                checked_effects.push(e);
            }
        }
        self.check_places_written_once(&checked_effects);
        self.locals.clear();
        if effects.is_empty() {
            self.error(
                Diagnostic::new(codes::check::NO_EFFECT, format!("action `{}` changes nothing", name.name))
                    .label(name.span, "this action has no effects")
                    .help("an action that leaves the state as it is would be a cycle; give it an effect or remove it"),
            );
        }
        ok.then(|| hir::Action {
            name: name.name.clone(),
            args: domains,
            guard,
            effects: checked_effects,
            span,
            name_span: name.span,
        })
    }

    /// The values of an action argument's domain, which must be constant.
    pub(super) fn action_domain(
        &mut self,
        action: &ast::Ident,
        arg: &ast::ActionArg,
    ) -> Option<(Vec<Value>, Type)> {
        let saved = std::mem::take(&mut self.locals);
        let (domain, element) = self.check_domain(&arg.domain, Context::Constant);
        self.locals = saved;
        if element.is_error() {
            return None;
        }
        let values = match crate::compile::constant::domain(&domain) {
            Ok(values) => values,
            Err(e) => {
                self.error(eval_error(&e));
                return None;
            }
        };
        if values.is_empty() {
            self.error(
                Diagnostic::new(
                    codes::check::EMPTY_RANGE,
                    format!(
                        "`{}` in action `{}` has no values to take",
                        arg.name.name, action.name
                    ),
                )
                .label(arg.domain.span, "this domain is empty")
                .help(self.range_help(
                    "give the argument at least one value, e.g. `i in 0..N` with N at least 1",
                )),
            );
            return None;
        }
        if values.len() > MAX_VALUES {
            self.error(
                Diagnostic::new(
                    codes::check::TOO_LARGE,
                    format!(
                        "`{}` takes {} values; at most {MAX_VALUES} are accepted",
                        arg.name.name,
                        values.len()
                    ),
                )
                .label(arg.domain.span, "this domain is too large")
                .help("use a smaller domain"),
            );
            return None;
        }
        Some((values, element))
    }

    pub(super) fn check_effect(&mut self, effect: &ast::Effect) -> Option<hir::Effect> {
        let kind = match &effect.kind {
            ast::EffectKind::Assign { place, op, value } => {
                let target = self.check_place(place);
                let value = self.check_expr(value, Context::State);
                let place = target?;
                let want = place.ty.value_type();
                match op {
                    ast::AssignOp::Set => {
                        let set_from_array = matches!(place.ty, FieldType::Set { .. })
                            && matches!(&value.ty, Type::Array(t, _) if **t == Type::Int);
                        if !value.ty.fits(&want) && !set_from_array {
                            self.mismatch_in_assignment(&place, &value, &want);
                        }
                    }
                    ast::AssignOp::Add | ast::AssignOp::Sub => {
                        if want != Type::Int {
                            self.error(
                                Diagnostic::new(
                                    codes::check::TYPE_MISMATCH,
                                    format!(
                                        "`{}` only works on int places; this place is {}",
                                        if *op == ast::AssignOp::Add {
                                            "+="
                                        } else {
                                            "-="
                                        },
                                        place.ty
                                    ),
                                )
                                .label(place.span, format!("this is {}", place.ty))
                                .help("use `=` to assign a new value"),
                            );
                        } else if !value.ty.fits(&Type::Int) || value.ty == Type::Float {
                            self.mismatch_in_assignment(&place, &value, &want);
                        }
                    }
                }
                hir::EffectKind::Assign {
                    place,
                    op: *op,
                    value,
                }
            }
            ast::EffectKind::Method { place, method, arg } => {
                let target = self.check_place(place);
                let arg = arg.as_ref().map(|a| self.check_expr(a, Context::State));
                let place = target?;
                self.check_method_effect(place, method, arg, effect.span)?
            }
        };
        Some(hir::Effect {
            kind,
            span: effect.span,
        })
    }

    pub(super) fn mismatch_in_assignment(
        &mut self,
        place: &hir::Place,
        value: &hir::Expr,
        want: &Type,
    ) {
        let help = match (&value.ty, want) {
            (Type::Float, Type::Int) => {
                "state fields hold integers: convert with floor(...), round(...) or int(...)"
                    .to_string()
            }
            (Type::Bool, Type::Int) => "convert with int(...)".to_string(),
            _ => format!("assign a value of type {want}"),
        };
        self.error(
            Diagnostic::new(
                codes::check::TYPE_MISMATCH,
                format!("cannot store {} in a place of type {}", value.ty, place.ty),
            )
            .label(value.span, format!("this is {}", value.ty))
            .label(place.span, format!("this place is {}", place.ty))
            .help(help),
        );
    }

    pub(super) fn check_method_effect(
        &mut self,
        place: hir::Place,
        method: &ast::Ident,
        arg: Option<hir::Expr>,
        span: Span,
    ) -> Option<hir::EffectKind> {
        let expected_place = match method.name.as_str() {
            "insert" | "remove" => "set",
            "push" | "pop" => "seq",
            _ => {
                let help = match names::closest(&method.name, crate::hir::builtins::effects()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "effects on sets are `insert(e)` and `remove(e)`; on sequences `push(e)` and `pop()`".to_string(),
                };
                self.error(
                    Diagnostic::new(
                        codes::check::UNKNOWN_METHOD,
                        format!("there is no effect `.{}(...)`", method.name),
                    )
                    .label(method.span, "unknown effect")
                    .help(help),
                );
                return None;
            }
        };
        let place_ok = matches!(
            (&place.ty, expected_place),
            (FieldType::Set { .. }, "set") | (FieldType::Seq(..), "seq")
        );
        if !place_ok {
            self.error(
                Diagnostic::new(
                    codes::check::TYPE_MISMATCH,
                    format!(
                        "`.{}(...)` needs a {expected_place} field; this place is {}",
                        method.name, place.ty
                    ),
                )
                .label(place.span, format!("this is {}", place.ty))
                .help(format!(
                    "declare the field as `{expected_place}<...>`, or assign with `=`"
                )),
            );
            return None;
        }
        let wants_arg = method.name != "pop";
        match (&arg, wants_arg) {
            (None, true) | (Some(_), false) => {
                self.error(
                    Diagnostic::new(
                        codes::check::WRONG_ARITY,
                        format!(
                            "`.{}` takes {}",
                            method.name,
                            arity_text(usize::from(wants_arg))
                        ),
                    )
                    .label(span, "called here")
                    .help(if wants_arg {
                        format!("write `{}(VALUE)`", method.name)
                    } else {
                        "write `pop()`".to_string()
                    }),
                );
                return None;
            }
            _ => {}
        }
        let element = match &place.ty {
            FieldType::Seq(t, _) => t.value_type(),
            _ => Type::Int,
        };
        if let Some(arg) = &arg {
            if !arg.ty.fits(&element) || (element == Type::Int && arg.ty == Type::Float) {
                self.error(
                    Diagnostic::new(
                        codes::check::TYPE_MISMATCH,
                        format!("`.{}` needs {element}, found {}", method.name, arg.ty),
                    )
                    .label(arg.span, format!("this is {}", arg.ty))
                    .help(format!("the {expected_place}'s elements are {element}")),
                );
                return None;
            }
        }
        Some(match (method.name.as_str(), arg) {
            ("insert", Some(a)) => hir::EffectKind::Insert(place, a),
            ("remove", Some(a)) => hir::EffectKind::Remove(place, a),
            ("push", Some(a)) => hir::EffectKind::Push(place, a),
            _ => hir::EffectKind::Pop(place),
        })
    }

    pub(super) fn check_place(&mut self, place: &ast::Place) -> Option<hir::Place> {
        let root = &place.root;
        let mut indices = Vec::new();
        for index in &place.indices {
            indices.push(self.check_expr(index, Context::State));
        }
        if let Some(local) = self.locals.iter().find(|l| l.name == root.name) {
            let _ = local;
            self.error(non_state_place(root, "an action argument"));
            return None;
        }
        let field = match self.globals.get(root.name.as_str()).copied() {
            Some((Global::Field(index), _)) => index,
            Some((global, _)) => {
                self.error(non_state_place(root, global.describe()));
                return None;
            }
            None => {
                self.error(self.unknown_name(root));
                return None;
            }
        };
        let mut ty = self.fields.get(field).cloned().flatten()?.ty;
        for index in &indices {
            self.expect_int(index, "an index");
            ty = match ty {
                FieldType::Array(element, _) | FieldType::Seq(element, _) => *element,
                other => {
                    self.error(
                        Diagnostic::new(
                            codes::check::NOT_INDEXABLE,
                            format!("a place of type {other} cannot be indexed"),
                        )
                        .label(index.span, "this index")
                        .help("only arrays and sequences have elements"),
                    );
                    return None;
                }
            };
        }
        Some(hir::Place {
            field,
            indices,
            ty,
            span: place.span,
        })
    }

    /// One action may not write the same place twice (simultaneous updates would be ambiguous).
    pub(super) fn check_places_written_once(&mut self, effects: &[hir::Effect]) {
        let place_of = |e: &hir::Effect| -> hir::Place {
            match &e.kind {
                hir::EffectKind::Assign { place, .. }
                | hir::EffectKind::Insert(place, _)
                | hir::EffectKind::Remove(place, _)
                | hir::EffectKind::Push(place, _)
                | hir::EffectKind::Pop(place) => place.clone(),
            }
        };
        let places: Vec<hir::Place> = effects.iter().map(place_of).collect();
        for (j, later) in places.iter().enumerate() {
            if let Some(earlier) = places[..j].iter().find(|p| may_be_same_place(p, later)) {
                self.error(
                    Diagnostic::new(codes::check::PLACE_WRITTEN_TWICE, "this action writes the same place twice")
                        .label(later.span, "written again here")
                        .label(earlier.span, "first written here")
                        .help("all right-hand sides read the state before the action; combine the two effects into one"),
                );
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Conditions and reward

    pub(super) fn check_condition(&mut self, expr: &ast::Expr, what: &str) -> hir::Expr {
        let checked = self.check_expr(expr, Context::State);
        if !matches!(checked.ty, Type::Bool | Type::Error) {
            let help = if checked.ty.is_numeric() {
                "compare explicitly, e.g. `x > 0`"
            } else {
                "write a condition that is true or false"
            };
            self.error(
                Diagnostic::new(
                    codes::check::GUARD_NOT_BOOL,
                    format!("{what} must be a bool, but it is {}", checked.ty),
                )
                .label(checked.span, format!("this is {}", checked.ty))
                .help(help),
            );
        }
        checked
    }

    /// The key of `mode by KEY when COND`: an int naming the reference mode reached.
    pub(super) fn check_mode_key(&mut self, expr: &ast::Expr) -> hir::Expr {
        let checked = self.check_expr(expr, Context::State);
        if !matches!(checked.ty, Type::Int | Type::Error) {
            self.error(
                Diagnostic::new(
                    "gfn::check::type_mismatch",
                    format!(
                        "the key of `mode by KEY` must be an int, but it is {}",
                        checked.ty
                    ),
                )
                .label(checked.span, format!("this is {}", checked.ty))
                .help("name the mode an object reaches by a number, e.g. `mode by nearest_mode when nearest <= DELTA`"),
            );
        }
        checked
    }

    pub(super) fn check_reward(&mut self, expr: &ast::Expr, is_log: bool) -> hir::Expr {
        self.reward_context = Some(is_log);
        let mut checked = self.check_expr(expr, Context::State);
        self.reward_context = None;
        if let (false, ExprKind::Extern(k)) = (is_log, &checked.kind) {
            self.scorers[*k].is_reward = true;
        }
        let word = if is_log { "log_reward" } else { "reward" };
        match checked.ty {
            Type::Int => checked.ty = Type::Float,
            Type::Float | Type::Error => {}
            Type::Bool => self.error(
                Diagnostic::new(
                    codes::check::BOOL_AS_NUMBER,
                    format!("the {word} is a bool, not a number"),
                )
                .label(checked.span, "this is a bool")
                .help("convert it with float(...), e.g. `reward 0.1 + float(x == 3)`"),
            ),
            ref other => {
                let other = other.clone();
                self.error(
                    Diagnostic::new(
                        codes::check::TYPE_MISMATCH,
                        format!("the {word} must be a number, not {other}"),
                    )
                    .label(checked.span, format!("this is {other}"))
                    .help("reduce it to one number, e.g. with sum(...)"),
                )
            }
        }
        checked
    }
}
