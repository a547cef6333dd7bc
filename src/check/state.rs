//! The state: field types, bounds, initial values and the limits of a state.

use super::checker::*;
use super::error::*;
use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::hir;
use crate::hir::types::{FieldType, Type, Value};
use crate::span::Span;
use crate::syntax::ast::{self, ItemKind};

impl<'a> Checker<'a> {
    // -----------------------------------------------------------------------------------------
    // State

    pub(super) fn check_state(&mut self) {
        let program = self.program;
        let mut seen = false;
        for item in &program.items {
            let ItemKind::State(fields) = &item.kind else {
                continue;
            };
            if seen {
                continue;
            }
            seen = true;
            let mut slots = 0.0;
            let mut all_typed = true;
            for (index, field) in fields.iter().enumerate() {
                let Some(ty) = self.field_type(&field.ty) else {
                    all_typed = false;
                    continue;
                };
                slots += slot_count(&ty);
                if slots > MAX_STATE_SLOTS {
                    self.error(
                        Diagnostic::new(
                            codes::check::TOO_LARGE,
                            format!("the state holds more than {MAX_STATE_SLOTS} values"),
                        )
                        .label(
                            field.ty.span,
                            format!("`{}` alone holds {}", field.name.name, slot_count(&ty)),
                        )
                        .help("make the arrays, sets and sequences smaller"),
                    );
                    return;
                }
                let init = match &field.init {
                    None => Some(ty.default_value()),
                    Some(expr) => self.initial_value(field, expr, &ty),
                };
                // A name defined twice keeps its first field; the duplicate was reported.
                let is_registered = matches!(
                    self.globals.get(field.name.name.as_str()),
                    Some((Global::Field(i), _)) if *i == index
                );
                // A bad initial value was reported; the default keeps later checks going.
                if is_registered {
                    self.fields[index] = Some(hir::Field {
                        name: field.name.name.clone(),
                        init: init.unwrap_or_else(|| ty.default_value()),
                        ty,
                        span: field.name.span,
                    });
                }
            }
            if all_typed && slots == 0.0 {
                self.error(
                    Diagnostic::new(codes::check::EMPTY_STATE, "the state holds no values")
                        .label(item.keyword, "every state would be the same")
                        .help(self.range_help("declare at least one field with at least one element, e.g. `state { x: 0..N }`")),
                );
            }
        }
    }

    pub(super) fn initial_value(
        &mut self,
        field: &ast::Field,
        expr: &ast::Expr,
        ty: &FieldType,
    ) -> Option<Value> {
        let checked = self.check_expr(expr, Context::Constant);
        let want = ty.value_type();
        let set_from_array = matches!(ty, FieldType::Set { .. })
            && matches!(&checked.ty, Type::Array(t, _) if **t == Type::Int || t.is_error());
        if !checked.ty.fits(&want) && !set_from_array {
            self.error(
                Diagnostic::new(
                    codes::check::TYPE_MISMATCH,
                    format!("the initial value of `{}` is {}, but the field is {}", field.name.name, checked.ty, ty),
                )
                .label(checked.span, format!("this is {}", checked.ty))
                .label(field.ty.span, format!("the field is {ty}"))
                .help("give a value of the field's type, or leave out `= ...` to start from the default"),
            );
            return None;
        }
        let value = self.evaluate(&checked)?;
        let value = match (ty, value) {
            (FieldType::Seq(..), Value::Array(items)) => Value::Seq(items),
            (FieldType::Set { .. }, Value::Array(items)) => {
                let mut members: Vec<i64> = items.iter().filter_map(Value::as_int).collect();
                members.sort_unstable();
                members.dedup();
                Value::Set(members)
            }
            (_, v) => v,
        };
        if let Err(reason) = ty.admits(&value) {
            self.error(
                Diagnostic::new(
                    codes::check::INITIAL_OUT_OF_RANGE,
                    format!(
                        "the initial value of `{}` is not in its type: {reason}",
                        field.name.name
                    ),
                )
                .label(checked.span, format!("this is {value}"))
                .label(field.ty.span, format!("the field is {ty}"))
                .help("change the initial value or widen the field's type"),
            );
            return None;
        }
        Some(value)
    }

    pub(super) fn field_type(&mut self, st: &ast::StateType) -> Option<FieldType> {
        match &st.kind {
            ast::StateTypeKind::Bool => Some(FieldType::Bool),
            ast::StateTypeKind::Range { lo, hi, inclusive } => {
                let lo_value = self.constant_int(lo, "a bound of a state type");
                let hi_value = self.constant_int(hi, "a bound of a state type");
                let (lo_value, hi_value) = (lo_value?, hi_value?);
                let end = if *inclusive {
                    hi_value.checked_add(1)
                } else {
                    Some(hi_value)
                };
                let Some(end) = end.filter(|end| *end > lo_value) else {
                    let op = if *inclusive { "..=" } else { ".." };
                    self.error(
                        Diagnostic::new(
                            codes::check::EMPTY_RANGE,
                            format!("the range {lo_value}{op}{hi_value} has no values"),
                        )
                        .label(st.span, format!("this is {lo_value}{op}{hi_value}"))
                        .help(self.range_help(
                            "a field needs at least one value: `A..B` holds A <= v < B",
                        )),
                    );
                    return None;
                };
                Some(FieldType::Int {
                    lo: lo_value,
                    hi: end,
                })
            }
            ast::StateTypeKind::Array { element, len } => {
                let element = self.field_type(element);
                let n = self.constant_length(len, "the length of an array");
                Some(FieldType::Array(Box::new(element?), n?))
            }
            ast::StateTypeKind::Set { universe } => match self.field_type(universe)? {
                FieldType::Int { lo, hi } => Some(FieldType::Set { lo, hi }),
                _ => None,
            },
            ast::StateTypeKind::Seq { element, max_len } => {
                let element = self.field_type(element);
                let n = self.constant_length(max_len, "the length of a sequence");
                Some(FieldType::Seq(Box::new(element?), n?))
            }
        }
    }

    pub(super) fn range_help(&self, base: &str) -> String {
        if self.overrides.is_empty() {
            base.to_string()
        } else {
            let set: Vec<String> = self
                .overrides
                .iter()
                .map(|o| format!("{}={}", o.name, o.value))
                .collect();
            format!(
                "{base}; check the values given with --set ({})",
                set.join(", ")
            )
        }
    }

    /// A constant integer, as state bounds and lengths need.
    pub(super) fn constant_int(&mut self, expr: &ast::Expr, what: &str) -> Option<i64> {
        let checked = self.check_expr(expr, Context::Constant);
        match checked.ty {
            Type::Int => {}
            Type::Error => return None,
            Type::Float => {
                self.error(
                    Diagnostic::new(codes::check::FLOAT_IN_STATE, format!("{what} must be an integer, not a float"))
                        .label(checked.span, "this is a float")
                        .help("states hold integers and bools only, so that every state space is finite; scale the range to integers"),
                );
                return None;
            }
            other => {
                self.error(
                    Diagnostic::new(
                        codes::check::TYPE_MISMATCH,
                        format!("{what} must be an integer, not {other}"),
                    )
                    .label(checked.span, format!("this is {other}"))
                    .help("write an integer expression of params and consts"),
                );
                return None;
            }
        }
        self.evaluate(&checked)?.as_int()
    }

    /// An array value of more than [`MAX_VALUES`] scalars in all is refused where it is built,
    /// before `[[0; 100000]; 100000]` is evaluated into ten billion values.
    pub(super) fn fits_in_memory(&mut self, ty: &Type, span: Span) -> bool {
        fn scalars(ty: &Type) -> f64 {
            match ty {
                Type::Array(element, n) => scalars(element) * *n as f64,
                _ => 1.0,
            }
        }
        let count = scalars(ty);
        if count <= MAX_VALUES as f64 {
            return true;
        }
        self.error(
            Diagnostic::new(
                codes::check::TOO_LARGE,
                format!(
                    "this array holds {count:.3e} values in all; at most {MAX_VALUES} are accepted"
                ),
            )
            .label(span, format!("{ty}"))
            .help("make it smaller"),
        );
        false
    }

    pub(super) fn constant_length(&mut self, expr: &ast::Expr, what: &str) -> Option<usize> {
        self.constant_length_at_most(expr, what, MAX_VALUES)
    }

    /// [`Self::constant_length`] with a smaller limit of its own (`adjacency`'s node count,
    /// whose square is the number of values).
    pub(super) fn constant_length_at_most(
        &mut self,
        expr: &ast::Expr,
        what: &str,
        limit: usize,
    ) -> Option<usize> {
        let n = self.constant_int(expr, what)?;
        match usize::try_from(n) {
            Ok(n) if n <= limit => Some(n),
            Ok(_) => {
                self.error(
                    Diagnostic::new(
                        codes::check::TOO_LARGE,
                        format!("{what} is {n}; at most {limit} is accepted"),
                    )
                    .label(expr.span, format!("this is {n}"))
                    .help("make it smaller"),
                );
                None
            }
            Err(_) => {
                self.error(
                    Diagnostic::new(
                        codes::check::NEGATIVE_LENGTH,
                        format!("{what} is negative ({n})"),
                    )
                    .label(expr.span, format!("this is {n}"))
                    .help(self.range_help("give a length of 0 or more")),
                );
                None
            }
        }
    }
}
