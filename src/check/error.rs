//! Diagnostics the checker builds in several places, and small helpers shared by its parts.

use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::hir::types::{FieldType, Type, Value};
use crate::hir::{self, ExprKind};
use crate::number::Number;
use crate::run::{Fault, FaultStage};
use crate::span::Span;
use crate::syntax::ast;

pub(super) fn error_expr(span: Span) -> hir::Expr {
    hir::Expr {
        kind: ExprKind::Const(Value::Bool(false)),
        ty: Type::Error,
        span,
    }
}

/// Parse a float given on the command line (`0.1`, `1e-3`, `-2`).
pub(super) fn parse_float_text(text: &str) -> Option<Number> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if !digits
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    let n = Number::parse_decimal(digits).filter(|n| n.to_f64().is_finite())?;
    Some(if negative { -n } else { n })
}

pub(super) fn slot_count(ty: &FieldType) -> f64 {
    match ty {
        FieldType::Bool | FieldType::Int { .. } => 1.0,
        FieldType::Array(t, n) => slot_count(t) * *n as f64,
        FieldType::Set { lo, hi } => (*hi as f64) - (*lo as f64),
        FieldType::Seq(t, n) => 1.0 + slot_count(t) * *n as f64,
    }
}

/// Whether two places can be proven to overlap: the same field, and index by index the same
/// constant or the same expression text, until one of them stops.
pub(super) fn may_be_same_place(a: &hir::Place, b: &hir::Place) -> bool {
    if a.field != b.field {
        return false;
    }
    a.indices
        .iter()
        .zip(&b.indices)
        .all(|(x, y)| same_index(x, y))
}

pub(super) fn same_index(x: &hir::Expr, y: &hir::Expr) -> bool {
    match (&x.kind, &y.kind) {
        (ExprKind::Const(a), ExprKind::Const(b)) => a == b,
        (ExprKind::Local(a), ExprKind::Local(b)) => a == b,
        (ExprKind::Field(a), ExprKind::Field(b)) => a == b,
        _ => false,
    }
}

pub(super) fn reserved(name: &ast::Ident) -> Diagnostic {
    Diagnostic::new(
        codes::check::RESERVED_NAME,
        format!("`{}` is a built-in name and cannot be redefined", name.name),
    )
    .label(name.span, "reserved")
    .help(format!(
        "pick another name, such as `{}_` or `my_{}`",
        name.name, name.name
    ))
}

pub(super) fn non_state_place(name: &ast::Ident, what: &str) -> Diagnostic {
    Diagnostic::new(
        codes::check::EFFECT_ON_NON_STATE,
        format!(
            "`{}` is {what}; effects can only change state fields",
            name.name
        ),
    )
    .label(name.span, "not a state field")
    .help("declare it inside `state { ... }` if it should change")
}

pub(super) fn not_constant(name: &ast::Ident, what: &str) -> Diagnostic {
    Diagnostic::new(codes::check::NOT_CONSTANT, format!("`{}` is {what}, but a constant is needed here", name.name))
        .label(name.span, "not a constant")
        .help("use only literals, params and consts in bounds, lengths, domains, initial values, params and consts; compute state-dependent values in a `let`")
}

pub(super) fn bool_as_number(expr: &hir::Expr, what: &str) -> Diagnostic {
    Diagnostic::new(
        codes::check::BOOL_AS_NUMBER,
        format!("{what} must be a number, but this is a bool"),
    )
    .label(expr.span, "this is a bool")
    .help("a bool is never a number implicitly: convert it with float(...) or int(...)")
}

pub(super) fn eval_error(error: &Fault) -> Diagnostic {
    let code = error.kind.code(FaultStage::Checking);
    Diagnostic::new(
        code,
        format!("this constant cannot be computed: {}", error.kind),
    )
    .label(error.span, error.kind.to_string())
    .help("constants are computed when the file is checked; change the params or the expression")
}
