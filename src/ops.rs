//! The scalar semantics of the language, in one place: arithmetic on ints and numbers, integer
//! comparisons, and the built-in functions of one argument. The machine ([`crate::run`]) calls
//! these while running a program and while folding its constants.

use crate::hir::{BinaryOp, Builtin, CompareOp};
use crate::ir::Val;
use crate::number::{int, ArithError, Number};
use std::cmp::Ordering;

/// A scalar as a number (ints promote; anything else is 0, which the checker rules out).
#[inline]
pub fn number(v: Val) -> Number {
    match v {
        Val::Int(i) => Number::from(i),
        Val::Num(n) => n,
        _ => Number::from(0),
    }
}

/// `x op y` on ints (`+ - * // % **`), `None` for an operator that is not one of those.
#[inline]
pub fn int_binary(op: BinaryOp, x: i64, y: i64) -> Option<Result<i64, ArithError>> {
    Some(match op {
        BinaryOp::Add => int::add(x, y),
        BinaryOp::Sub => int::sub(x, y),
        BinaryOp::Mul => int::mul(x, y),
        BinaryOp::FloorDiv => int::floor_div(x, y),
        BinaryOp::Rem => int::rem(x, y),
        BinaryOp::Pow => int::pow(x, y),
        _ => return None,
    })
}

/// `x op y` on numbers (`+ - * / **`), exact while it can be; `None` for another operator.
#[inline]
pub fn number_binary(op: BinaryOp, x: Number, y: Number) -> Option<Result<Number, ArithError>> {
    Some(match op {
        BinaryOp::Add => Ok(x + y),
        BinaryOp::Sub => Ok(x - y),
        BinaryOp::Mul => Ok(x * y),
        BinaryOp::Div => x.checked_div(y),
        BinaryOp::Pow => x.pow(y),
        _ => return None,
    })
}

/// `x op y` on ints for an ordering or equality operator; `None` for membership.
#[inline]
pub fn int_compare(op: CompareOp, x: i64, y: i64) -> Option<bool> {
    Some(match op {
        CompareOp::Eq => x == y,
        CompareOp::Ne => x != y,
        CompareOp::Lt => x < y,
        CompareOp::Le => x <= y,
        CompareOp::Gt => x > y,
        CompareOp::Ge => x >= y,
        CompareOp::In | CompareOp::NotIn => return None,
    })
}

/// `min(x, y)` or `max(x, y)` of two numbers: the first on a tie (and when either is NaN, the
/// second); `None` for another built-in. `min(a, b, c)` folds this from the left.
#[inline]
pub fn extremum(function: Builtin, x: Val, y: Val) -> Option<Val> {
    let ordering = match (x, y) {
        (Val::Int(a), Val::Int(b)) => Some(a.cmp(&b)),
        _ => number(x).compare(number(y)),
    };
    let keep_first = match function {
        Builtin::Min => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
        Builtin::Max => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
        _ => return None,
    };
    Some(if keep_first { x } else { y })
}

/// A built-in function of one scalar argument; `None` for `len`, `min`, `max` (the machine's).
#[inline]
pub fn unary_builtin(function: Builtin, x: Val) -> Option<Result<Val, ArithError>> {
    let transcendental = |f: fn(f64) -> f64, ok: fn(f64) -> bool| {
        let v = number(x).to_f64();
        if ok(v) {
            Ok(Val::Num(Number::Float(f(v))))
        } else {
            Err(ArithError::Domain)
        }
    };
    Some(match function {
        Builtin::Abs => match x {
            Val::Int(i) => i.checked_abs().map(Val::Int).ok_or(ArithError::Overflow),
            v => Ok(Val::Num(number(v).abs())),
        },
        Builtin::Exp => transcendental(f64::exp, |_| true),
        Builtin::Log => transcendental(f64::ln, |v| v > 0.0),
        Builtin::Sin => transcendental(f64::sin, |_| true),
        Builtin::Cos => transcendental(f64::cos, |_| true),
        Builtin::Tanh => transcendental(f64::tanh, |_| true),
        Builtin::Sqrt => {
            let n = number(x);
            if n.compare(Number::from(0)) == Some(Ordering::Less) {
                Err(ArithError::Domain)
            } else {
                Ok(Val::Num(n.sqrt()))
            }
        }
        Builtin::Floor | Builtin::Ceil | Builtin::Round => match x {
            Val::Int(i) => Ok(Val::Int(i)),
            v => {
                let n = number(v);
                match function {
                    Builtin::Floor => n.floor(),
                    Builtin::Ceil => n.ceil(),
                    _ => n.round(),
                }
                .map(Val::Int)
            }
        },
        Builtin::Float => Ok(Val::Num(match x {
            Val::Bool(b) => Number::from(i64::from(b)),
            v => number(v),
        })),
        Builtin::Int => match x {
            Val::Bool(b) => Ok(Val::Int(i64::from(b))),
            Val::Int(i) => Ok(Val::Int(i)),
            v => number(v).truncate().map(Val::Int),
        },
        Builtin::Len | Builtin::Min | Builtin::Max | Builtin::Reachable | Builtin::Acyclic => {
            return None
        }
    })
}
