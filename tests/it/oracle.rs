//! An independent oracle for the compiled code: a direct tree evaluator of checked expressions on
//! [`Value`]s, written apart from the product's one machine, so that the compiled guards and
//! rewards can be compared with it.

#![allow(dead_code)]

use gfnc::check::hir::*;
use gfnc::check::types::{Type, Value};
use gfnc::number::{int, ArithError, Number};
use gfnc::span::Span;
use std::cmp::Ordering;

/// Aggregates over more elements than this are refused rather than left to run for hours.
pub const MAX_AGGREGATE_ELEMENTS: i64 = 10_000_000;

/// Where the evaluator reads the state and the `let` bodies.
pub trait Scope {
    /// The value of a state field; `None` where there is no state (constant contexts).
    fn field(&self, index: usize) -> Option<&Value>;
    /// A `let` instance's body; `None` in constant contexts.
    fn let_body(&self, index: usize) -> Option<&Expr>;
}

/// A scope with no state: only constants can be evaluated.
pub struct NoState;

impl Scope for NoState {
    fn field(&self, _: usize) -> Option<&Value> {
        None
    }
    fn let_body(&self, _: usize) -> Option<&Expr> {
        None
    }
}

/// Why an expression has no value, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    pub span: Span,
    pub kind: EvalErrorKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EvalErrorKind {
    Arith(ArithError),
    IndexOutOfRange {
        index: i64,
        len: usize,
    },
    EmptyAggregate,
    TooManyElements,
    /// The expression reads the state where no state exists.
    NotConstant,
    /// A value of an unexpected shape: a checker bug, reported rather than panicking.
    Internal(&'static str),
}

impl std::fmt::Display for EvalErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalErrorKind::Arith(e) => write!(f, "{e}"),
            EvalErrorKind::IndexOutOfRange { index, len } => {
                write!(f, "index {index} is out of range for length {len}")
            }
            EvalErrorKind::EmptyAggregate => f.write_str("min or max of no elements"),
            EvalErrorKind::TooManyElements => write!(
                f,
                "an aggregate over more than {MAX_AGGREGATE_ELEMENTS} elements"
            ),
            EvalErrorKind::NotConstant => f.write_str("the value depends on the state"),
            EvalErrorKind::Internal(what) => write!(f, "internal error: {what}"),
        }
    }
}

fn fail<T>(span: Span, kind: EvalErrorKind) -> Result<T, EvalError> {
    Err(EvalError { span, kind })
}

fn arith<T>(span: Span, result: Result<T, ArithError>) -> Result<T, EvalError> {
    result.map_err(|e| EvalError {
        span,
        kind: EvalErrorKind::Arith(e),
    })
}

/// Evaluate `expr`; `locals` holds action arguments, let parameters and aggregate variables.
pub fn eval(expr: &Expr, scope: &dyn Scope, locals: &mut Vec<Value>) -> Result<Value, EvalError> {
    let span = expr.span;
    let internal = |what| fail(span, EvalErrorKind::Internal(what));
    match &expr.kind {
        ExprKind::Const(v) => Ok(v.clone()),
        // Scorers run outside; the oracle covers what the file computes itself.
        ExprKind::Extern(_) => internal("an external scorer"),
        ExprKind::Field(i) => match scope.field(*i) {
            Some(v) => Ok(v.clone()),
            None => fail(span, EvalErrorKind::NotConstant),
        },
        ExprKind::Local(slot) => match locals.get(*slot) {
            Some(v) => Ok(v.clone()),
            None => internal("unbound local"),
        },
        ExprKind::Let(index, args) => {
            let Some(body) = scope.let_body(*index) else {
                return fail(span, EvalErrorKind::NotConstant);
            };
            let mut frame = Vec::with_capacity(args.len());
            for arg in args {
                frame.push(eval(arg, scope, locals)?);
            }
            eval(body, scope, &mut frame)
        }
        ExprKind::Unary(op, operand) => {
            let v = eval(operand, scope, locals)?;
            match (op, v) {
                (UnaryOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
                (UnaryOp::Neg, Value::Int(i)) => Ok(Value::Int(arith(span, int::neg(i))?)),
                (UnaryOp::Neg, Value::Float(n)) => Ok(Value::Float(-n)),
                _ => internal("operand of a unary operator"),
            }
        }
        ExprKind::Binary(BinaryOp::And, a, b) => {
            if eval_bool(a, scope, locals)? {
                Ok(Value::Bool(eval_bool(b, scope, locals)?))
            } else {
                Ok(Value::Bool(false))
            }
        }
        ExprKind::Binary(BinaryOp::Or, a, b) => {
            if eval_bool(a, scope, locals)? {
                Ok(Value::Bool(true))
            } else {
                Ok(Value::Bool(eval_bool(b, scope, locals)?))
            }
        }
        ExprKind::Binary(op, a, b) => {
            let x = eval(a, scope, locals)?;
            let y = eval(b, scope, locals)?;
            binary(*op, &x, &y, span)
        }
        ExprKind::Compare(first, rest) => {
            let mut left = eval(first, scope, locals)?;
            for (op, operand) in rest {
                let holds = match (op, &operand.kind) {
                    (CompareOp::In | CompareOp::NotIn, ExprKind::Range { lo, hi, inclusive }) => {
                        let v = int_of(&left, span)?;
                        let lo = int_of(&eval(lo, scope, locals)?, span)?;
                        let hi = int_of(&eval(hi, scope, locals)?, span)?;
                        let inside = lo <= v && (if *inclusive { v <= hi } else { v < hi });
                        inside == (*op == CompareOp::In)
                    }
                    _ => {
                        let right = eval(operand, scope, locals)?;
                        let holds = compare(*op, &left, &right, span)?;
                        left = right;
                        holds
                    }
                };
                if !holds {
                    return Ok(Value::Bool(false));
                }
            }
            Ok(Value::Bool(true))
        }
        ExprKind::If(c, a, b) => {
            if eval_bool(c, scope, locals)? {
                promote(eval(a, scope, locals)?, &expr.ty)
            } else {
                promote(eval(b, scope, locals)?, &expr.ty)
            }
        }
        ExprKind::Index(base, index) => {
            let base = eval(base, scope, locals)?;
            let i = int_of(&eval(index, scope, locals)?, index.span)?;
            match base {
                Value::Array(items) | Value::Seq(items) => {
                    match usize::try_from(i).ok().and_then(|i| items.get(i)) {
                        Some(v) => Ok(v.clone()),
                        None => fail(
                            index.span,
                            EvalErrorKind::IndexOutOfRange {
                                index: i,
                                len: items.len(),
                            },
                        ),
                    }
                }
                _ => internal("indexing a value that is not an array"),
            }
        }
        ExprKind::Builtin(builtin, args) => {
            let mut values = Vec::with_capacity(args.len());
            for arg in args {
                values.push(eval(arg, scope, locals)?);
            }
            call_builtin(*builtin, &values, &expr.ty, span)
        }
        ExprKind::Array(items) => {
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                values.push(promote(eval(item, scope, locals)?, element_type(&expr.ty))?);
            }
            Ok(Value::Array(values))
        }
        ExprKind::Repeat(value, count) => {
            let v = promote(eval(value, scope, locals)?, element_type(&expr.ty))?;
            Ok(Value::Array(vec![v; *count]))
        }
        ExprKind::Range { .. } => internal("a range used as a value"),
        ExprKind::Aggregate {
            function,
            slot,
            domain,
            body,
        } => {
            let elements = domain_elements(domain, scope, locals)?;
            if locals.len() <= *slot {
                locals.resize(*slot + 1, Value::Bool(false));
            }
            let mut result: Option<Value> = match function {
                Aggregate::Sum => Some(zero_of(&expr.ty, 0)),
                Aggregate::Prod => Some(zero_of(&expr.ty, 1)),
                Aggregate::Count => Some(Value::Int(0)),
                Aggregate::All => Some(Value::Bool(true)),
                Aggregate::Any => Some(Value::Bool(false)),
                Aggregate::Min | Aggregate::Max => None,
            };
            for element in elements {
                locals[*slot] = element;
                let v = eval(body, scope, locals)?;
                result = Some(match (function, result) {
                    (Aggregate::Sum, Some(acc)) => binary(BinaryOp::Add, &acc, &v, span)?,
                    (Aggregate::Prod, Some(acc)) => binary(BinaryOp::Mul, &acc, &v, span)?,
                    (Aggregate::Count, Some(Value::Int(n))) => {
                        Value::Int(n + i64::from(v.as_bool() == Some(true)))
                    }
                    (Aggregate::All, _) if v.as_bool() == Some(false) => {
                        return Ok(Value::Bool(false))
                    }
                    (Aggregate::Any, _) if v.as_bool() == Some(true) => {
                        return Ok(Value::Bool(true))
                    }
                    (Aggregate::All | Aggregate::Any, acc) => acc.unwrap_or(Value::Bool(false)),
                    (Aggregate::Min | Aggregate::Max, None) => v,
                    (Aggregate::Min, Some(acc)) => {
                        let keep = compare(CompareOp::Le, &acc, &v, span)?;
                        if keep {
                            acc
                        } else {
                            v
                        }
                    }
                    (Aggregate::Max, Some(acc)) => {
                        let keep = compare(CompareOp::Ge, &acc, &v, span)?;
                        if keep {
                            acc
                        } else {
                            v
                        }
                    }
                    _ => return internal("aggregate accumulator"),
                });
            }
            match result {
                Some(v) => promote(v, &expr.ty),
                None => fail(span, EvalErrorKind::EmptyAggregate),
            }
        }
    }
}

fn element_type(ty: &Type) -> &Type {
    match ty {
        Type::Array(t, _) | Type::Seq(t) => t,
        other => other,
    }
}

fn zero_of(ty: &Type, value: i64) -> Value {
    match ty {
        Type::Float => Value::Float(Number::from(value)),
        _ => Value::Int(value),
    }
}

/// Ints stored where a float is expected become floats, so that values carry their static type.
pub fn promote(value: Value, ty: &Type) -> Result<Value, EvalError> {
    Ok(match (value, ty) {
        (Value::Int(i), Type::Float) => Value::Float(Number::from(i)),
        (Value::Array(items), Type::Array(t, _)) => Value::Array(
            items
                .into_iter()
                .map(|v| promote(v, t))
                .collect::<Result<_, _>>()?,
        ),
        (v, _) => v,
    })
}

fn eval_bool(expr: &Expr, scope: &dyn Scope, locals: &mut Vec<Value>) -> Result<bool, EvalError> {
    match eval(expr, scope, locals)? {
        Value::Bool(b) => Ok(b),
        _ => fail(
            expr.span,
            EvalErrorKind::Internal("a condition that is not a bool"),
        ),
    }
}

fn int_of(value: &Value, span: Span) -> Result<i64, EvalError> {
    value.as_int().ok_or(EvalError {
        span,
        kind: EvalErrorKind::Internal("an integer was expected"),
    })
}

fn number_of(value: &Value, span: Span) -> Result<Number, EvalError> {
    value.as_number().ok_or(EvalError {
        span,
        kind: EvalErrorKind::Internal("a number was expected"),
    })
}

/// The elements an aggregate ranges over.
pub fn domain_elements(
    domain: &Expr,
    scope: &dyn Scope,
    locals: &mut Vec<Value>,
) -> Result<Vec<Value>, EvalError> {
    if let ExprKind::Range { lo, hi, inclusive } = &domain.kind {
        let lo = int_of(&eval(lo, scope, locals)?, domain.span)?;
        let hi = int_of(&eval(hi, scope, locals)?, domain.span)?;
        let hi = if *inclusive { hi.saturating_add(1) } else { hi };
        if hi.saturating_sub(lo) > MAX_AGGREGATE_ELEMENTS {
            return fail(domain.span, EvalErrorKind::TooManyElements);
        }
        return Ok((lo..hi).map(Value::Int).collect());
    }
    match eval(domain, scope, locals)?.elements() {
        Some(items) => Ok(items),
        None => fail(
            domain.span,
            EvalErrorKind::Internal("a domain that is not a collection"),
        ),
    }
}

/// Arithmetic on two values, ints staying ints except under `/`.
pub fn binary(op: BinaryOp, x: &Value, y: &Value, span: Span) -> Result<Value, EvalError> {
    if let (Value::Int(a), Value::Int(b)) = (x, y) {
        let (a, b) = (*a, *b);
        let r = match op {
            BinaryOp::Add => int::add(a, b),
            BinaryOp::Sub => int::sub(a, b),
            BinaryOp::Mul => int::mul(a, b),
            BinaryOp::FloorDiv => int::floor_div(a, b),
            BinaryOp::Rem => int::rem(a, b),
            BinaryOp::Pow => int::pow(a, b),
            BinaryOp::Div => {
                return Ok(Value::Float(arith(
                    span,
                    Number::from(a).checked_div(Number::from(b)),
                )?))
            }
            BinaryOp::And | BinaryOp::Or => {
                return fail(span, EvalErrorKind::Internal("logic on numbers"))
            }
        };
        return Ok(Value::Int(arith(span, r)?));
    }
    let a = number_of(x, span)?;
    let b = number_of(y, span)?;
    let r = match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => arith(span, a.checked_div(b))?,
        BinaryOp::Pow => arith(span, a.pow(b))?,
        _ => return fail(span, EvalErrorKind::Internal("integer operator on floats")),
    };
    Ok(Value::Float(r))
}

/// One comparison of a chain.
pub fn compare(op: CompareOp, x: &Value, y: &Value, span: Span) -> Result<bool, EvalError> {
    let ordering = |x: &Value, y: &Value| -> Result<Option<Ordering>, EvalError> {
        Ok(number_of(x, span)?.compare(number_of(y, span)?))
    };
    Ok(match op {
        CompareOp::Eq => x == y,
        CompareOp::Ne => x != y,
        CompareOp::Lt => ordering(x, y)? == Some(Ordering::Less),
        CompareOp::Le => matches!(ordering(x, y)?, Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Gt => ordering(x, y)? == Some(Ordering::Greater),
        CompareOp::Ge => matches!(ordering(x, y)?, Some(Ordering::Greater | Ordering::Equal)),
        CompareOp::In | CompareOp::NotIn => {
            let Some(items) = y.elements() else {
                return fail(
                    span,
                    EvalErrorKind::Internal("membership in a non-collection"),
                );
            };
            items.contains(x) == (op == CompareOp::In)
        }
    })
}

fn call_builtin(
    builtin: Builtin,
    args: &[Value],
    ty: &Type,
    span: Span,
) -> Result<Value, EvalError> {
    let first = args.first().ok_or(EvalError {
        span,
        kind: EvalErrorKind::Internal("builtin without arguments"),
    })?;
    let float = |f: fn(f64) -> f64, domain_ok: fn(f64) -> bool| -> Result<Value, EvalError> {
        let x = number_of(first, span)?.to_f64();
        if !domain_ok(x) {
            return fail(span, EvalErrorKind::Arith(ArithError::Domain));
        }
        Ok(Value::Float(Number::Float(f(x))))
    };
    match builtin {
        Builtin::Abs => match first {
            Value::Int(i) => Ok(Value::Int(arith(
                span,
                i.checked_abs().ok_or(ArithError::Overflow),
            )?)),
            other => Ok(Value::Float(number_of(other, span)?.abs())),
        },
        Builtin::Exp => float(f64::exp, |_| true),
        Builtin::Log => float(f64::ln, |x| x > 0.0),
        Builtin::Sqrt => match number_of(first, span)? {
            // sqrt of a perfect square stays exact, so `sqrt(4) == 2` holds.
            n if n.compare(Number::from(0)) == Some(Ordering::Less) => {
                fail(span, EvalErrorKind::Arith(ArithError::Domain))
            }
            n => Ok(Value::Float(n.sqrt())),
        },
        Builtin::Sin => float(f64::sin, |_| true),
        Builtin::Cos => float(f64::cos, |_| true),
        Builtin::Tanh => float(f64::tanh, |_| true),
        Builtin::Floor | Builtin::Ceil | Builtin::Round => match first {
            Value::Int(i) => Ok(Value::Int(*i)),
            other => {
                let n = number_of(other, span)?;
                let r = match builtin {
                    Builtin::Floor => n.floor(),
                    Builtin::Ceil => n.ceil(),
                    _ => n.round(),
                };
                Ok(Value::Int(arith(span, r)?))
            }
        },
        Builtin::Float => match first {
            Value::Bool(b) => Ok(Value::Float(Number::from(i64::from(*b)))),
            other => Ok(Value::Float(number_of(other, span)?)),
        },
        Builtin::Int => match first {
            Value::Bool(b) => Ok(Value::Int(i64::from(*b))),
            Value::Int(i) => Ok(Value::Int(*i)),
            other => Ok(Value::Int(arith(span, number_of(other, span)?.truncate())?)),
        },
        Builtin::Len => match first.elements() {
            Some(items) => Ok(Value::Int(items.len() as i64)),
            None => fail(span, EvalErrorKind::Internal("len of a non-collection")),
        },
        Builtin::Min | Builtin::Max => {
            let op = if builtin == Builtin::Min {
                CompareOp::Le
            } else {
                CompareOp::Ge
            };
            let mut pick = first;
            for next in &args[1..] {
                if !compare(op, pick, next, span)? {
                    pick = next;
                }
            }
            promote(pick.clone(), ty)
        }
        Builtin::Reachable | Builtin::Acyclic => {
            let matrix = matrix_of(first, span)?;
            let n = matrix.len();
            let node = |k: usize| -> Result<usize, EvalError> {
                match args.get(k) {
                    Some(Value::Int(i)) if (0..n as i64).contains(i) => Ok(*i as usize),
                    Some(Value::Int(i)) => {
                        fail(span, EvalErrorKind::IndexOutOfRange { index: *i, len: n })
                    }
                    _ => fail(span, EvalErrorKind::Internal("a node that is not an int")),
                }
            };
            // Depth-first search from each successor: independent of the machine's bit sets.
            let reaches = |from: usize, to: usize| {
                let mut seen = vec![false; n];
                let mut stack: Vec<usize> = (0..n).filter(|&b| matrix[from][b]).collect();
                while let Some(a) = stack.pop() {
                    if a == to {
                        return true;
                    }
                    if !std::mem::replace(&mut seen[a], true) {
                        stack.extend((0..n).filter(|&b| matrix[a][b]));
                    }
                }
                false
            };
            Ok(Value::Bool(if builtin == Builtin::Reachable {
                reaches(node(1)?, node(2)?)
            } else {
                (0..n).all(|a| !reaches(a, a))
            }))
        }
    }
}

fn matrix_of(value: &Value, span: Span) -> Result<Vec<Vec<bool>>, EvalError> {
    let rows = value.elements().ok_or(EvalError {
        span,
        kind: EvalErrorKind::Internal("a graph that is not a matrix"),
    })?;
    rows.iter()
        .map(|row| {
            let cells = row.elements().unwrap_or_default();
            Ok(cells
                .iter()
                .map(|c| matches!(c, Value::Bool(true)))
                .collect())
        })
        .collect()
}

/// A state for the oracle: the fields' values, with the program's lets.
struct Fields<'a> {
    values: Vec<Value>,
    lets: &'a [LetInstance],
}

impl Scope for Fields<'_> {
    fn field(&self, index: usize) -> Option<&Value> {
        self.values.get(index)
    }
    fn let_body(&self, index: usize) -> Option<&Expr> {
        self.lets.get(index).map(|l| &l.body)
    }
}

/// `min` and `max` of two or more arguments, mixing ints and floats, on the machine and here.
#[test]
fn min_and_max_of_many_arguments_match_the_machine() {
    use gfnc::env::{dag, Environment, Workspace};
    let source = "env extremes
state { x: 0..4, y: 0..4 }
action right when x < 3 { x += 1 }
action up when y < 3 { y += 1 }
stop
reward float(min(x, y, 2)) + max(x, 3 - y, 0.5, y) + min(y + 1, 2.5) + 1";
    let env = Environment::from_source(source, &[]).expect("compiles");
    let dag = dag::check_exhaustively(&env, 1000).expect("valid");
    let (model, layout) = (
        &gfnc::load(source, &[]).expect("checks"),
        &env.program.layout,
    );
    let mut workspace = Workspace::default();
    let mut terminals = 0;
    for s in (0..dag.len()).filter(|&s| dag.is_terminal(s)) {
        let state = dag.states.get(s);
        let fields = Fields {
            values: layout
                .fields
                .iter()
                .map(|(base, shape)| layout.read_value(*shape, state, *base as usize))
                .collect(),
            lets: &model.lets,
        };
        let expected = eval(&model.reward.expr, &fields, &mut Vec::new()).expect("evaluates");
        let expected = expected.as_number().expect("a number").to_f64().ln();
        let got = env.log_reward(state, &mut workspace).expect("evaluates");
        assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
        terminals += 1;
    }
    assert_eq!(terminals, 16);
}
