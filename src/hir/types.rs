//! Types of expressions, types of state fields, and constant values.

use crate::number::Number;
use std::fmt;

/// The type of an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    /// `bool`.
    Bool,
    /// `int`: a 64-bit signed integer.
    Int,
    /// The language's `float`: an exact rational or a 64-bit float (see [`Number`]).
    Float,
    /// `[T; n]`: an array of `n` elements of one type; the length is part of the type.
    Array(Box<Type>, usize),
    /// A set of integers (only state fields hold sets).
    Set,
    /// A sequence of at most some length (only state fields hold sequences).
    Seq(Box<Type>),
    /// `A..B` or `A..=B`, allowed only as a domain.
    Range,
    /// The type of an expression that already has an error: never reported again.
    Error,
}

impl Type {
    /// Whether the type is `int` or `float` (or an error, so that it is not reported twice).
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Float | Type::Error)
    }

    /// Whether this is [`Type::Error`], the type of an expression already reported.
    pub fn is_error(&self) -> bool {
        matches!(self, Type::Error)
    }

    /// The type both branches of an `if` (or elements of an array) can take, if any.
    pub fn unify(&self, other: &Type) -> Option<Type> {
        match (self, other) {
            (Type::Error, t) | (t, Type::Error) => Some(t.clone()),
            (Type::Int, Type::Float) | (Type::Float, Type::Int) => Some(Type::Float),
            (Type::Array(a, n), Type::Array(b, m)) if n == m => {
                Some(Type::Array(Box::new(a.unify(b)?), *n))
            }
            (Type::Seq(a), Type::Seq(b)) => Some(Type::Seq(Box::new(a.unify(b)?))),
            (a, b) if a == b => Some(a.clone()),
            _ => None,
        }
    }

    /// Whether a value of type `self` may be stored where `target` is expected (ints promote to floats).
    pub fn fits(&self, target: &Type) -> bool {
        match (self, target) {
            (Type::Error, _) | (_, Type::Error) => true,
            (Type::Int, Type::Float) => true,
            (Type::Array(a, n), Type::Array(b, m)) => n == m && a.fits(b),
            (Type::Array(a, _), Type::Seq(b)) => a.fits(b),
            (Type::Seq(a), Type::Seq(b)) => a.fits(b),
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("bool"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Array(t, n) => write!(f, "[{t}; {n}]"),
            Type::Set => f.write_str("set"),
            Type::Seq(t) => write!(f, "seq<{t}>"),
            Type::Range => f.write_str("range"),
            Type::Error => f.write_str("?"),
        }
    }
}

/// The type of a state field, with its bounds resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// `bool`.
    Bool,
    /// Integers `lo <= v < hi`.
    Int {
        /// The least value.
        lo: i64,
        /// One past the greatest value (`A..=B` is stored as `hi = B + 1`).
        hi: i64,
    },
    /// `[T; n]`: exactly `n` elements.
    Array(Box<FieldType>, usize),
    /// Subsets of the integers `lo <= v < hi`.
    Set {
        /// The least possible member.
        lo: i64,
        /// One past the greatest possible member.
        hi: i64,
    },
    /// `seq<T, L>`: a sequence of at most `L` elements.
    Seq(Box<FieldType>, usize),
}

impl FieldType {
    /// The type of an expression that reads this field.
    pub fn value_type(&self) -> Type {
        match self {
            FieldType::Bool => Type::Bool,
            FieldType::Int { .. } => Type::Int,
            FieldType::Array(t, n) => Type::Array(Box::new(t.value_type()), *n),
            FieldType::Set { .. } => Type::Set,
            FieldType::Seq(t, _) => Type::Seq(Box::new(t.value_type())),
        }
    }

    /// The number of values of this type, as a float (it may not fit an integer).
    pub fn cardinality(&self) -> f64 {
        match self {
            FieldType::Bool => 2.0,
            FieldType::Int { lo, hi } => (*hi as f64) - (*lo as f64),
            FieldType::Array(t, n) => t.cardinality().powi(*n as i32),
            FieldType::Set { lo, hi } => 2f64.powf((*hi as f64) - (*lo as f64)),
            FieldType::Seq(t, max) => {
                let c = t.cardinality();
                (0..=*max).map(|k| c.powi(k as i32)).sum()
            }
        }
    }

    /// The default initial value: `false`, the lower bound, each element's default, or empty.
    pub fn default_value(&self) -> Value {
        match self {
            FieldType::Bool => Value::Bool(false),
            FieldType::Int { lo, .. } => Value::Int(*lo),
            FieldType::Array(t, n) => Value::Array(vec![t.default_value(); *n]),
            FieldType::Set { .. } => Value::Set(Vec::new()),
            FieldType::Seq(..) => Value::Seq(Vec::new()),
        }
    }

    /// Whether `value` is a value of this type: `Ok` if it is, else a description of why not.
    pub fn admits(&self, value: &Value) -> Result<(), String> {
        match (self, value) {
            (FieldType::Bool, Value::Bool(_)) => Ok(()),
            (FieldType::Int { lo, hi }, Value::Int(v)) if lo <= v && v < hi => Ok(()),
            (FieldType::Int { lo, hi }, Value::Int(v)) => Err(format!("{v} is outside {lo}..{hi}")),
            (FieldType::Array(t, n), Value::Array(items)) if items.len() == *n => {
                items.iter().try_for_each(|item| t.admits(item))
            }
            (FieldType::Array(_, n), Value::Array(items)) => Err(format!(
                "the array has {} elements, the field {n}",
                items.len()
            )),
            (FieldType::Set { lo, hi }, Value::Set(items)) => {
                match items.iter().find(|v| !(lo <= *v && *v < hi)) {
                    Some(v) => Err(format!("{v} is outside {lo}..{hi}")),
                    None => Ok(()),
                }
            }
            (FieldType::Seq(t, max), Value::Seq(items)) if items.len() <= *max => {
                items.iter().try_for_each(|item| t.admits(item))
            }
            (FieldType::Seq(_, max), Value::Seq(items)) => Err(format!(
                "the sequence has {} elements, at most {max} fit",
                items.len()
            )),
            (_, value) => Err(format!("{value} is not a {self}")),
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::Bool => f.write_str("bool"),
            FieldType::Int { lo, hi } => write!(f, "{lo}..{hi}"),
            FieldType::Array(t, n) => write!(f, "[{t}; {n}]"),
            FieldType::Set { lo, hi } => write!(f, "set<{lo}..{hi}>"),
            FieldType::Seq(t, n) => write!(f, "seq<{t}, {n}>"),
        }
    }
}

/// A value known at compile time (params, consts, folded expressions, initial state).
#[derive(Clone, Debug)]
pub enum Value {
    /// A `bool`.
    Bool(bool),
    /// An `int`.
    Int(i64),
    /// A `float`: exact while it can be.
    Float(Number),
    /// An array's elements, in order.
    Array(Vec<Value>),
    /// Members in ascending order, without repeats.
    Set(Vec<i64>),
    /// A sequence's elements, first to last.
    Seq(Vec<Value>),
}

impl Value {
    /// Ints stored where a float is expected become floats, so that values carry their static
    /// type.
    pub fn promote(self, ty: &Type) -> Value {
        match (self, ty) {
            (Value::Int(i), Type::Float) => Value::Float(Number::from(i)),
            (Value::Array(items), Type::Array(t, _)) => {
                Value::Array(items.into_iter().map(|v| v.promote(t)).collect())
            }
            (v, _) => v,
        }
    }

    /// The value if it is an int (a float is not converted).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The value if it is a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The value as a number, promoting ints.
    pub fn as_number(&self) -> Option<Number> {
        match self {
            Value::Int(v) => Some(Number::from(*v)),
            Value::Float(n) => Some(*n),
            _ => None,
        }
    }

    /// The elements of an array, sequence or set.
    pub fn elements(&self) -> Option<Vec<Value>> {
        match self {
            Value::Array(items) | Value::Seq(items) => Some(items.clone()),
            Value::Set(items) => Some(items.iter().map(|v| Value::Int(*v)).collect()),
            _ => None,
        }
    }
}

impl PartialEq for Value {
    /// Numbers compare by value (`1 == 1.0`), exactly where both are exact.
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Array(a), Value::Array(b)) | (Value::Seq(a), Value::Seq(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => a == b,
            (a, b) => match (a.as_number(), b.as_number()) {
                (Some(x), Some(y)) => x.compare(y) == Some(std::cmp::Ordering::Equal),
                _ => false,
            },
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, open: &str, items: &[Value], close: &str) -> fmt::Result {
    f.write_str(open)?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    f.write_str(close)
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(n) => write!(f, "{n}"),
            Value::Array(items) | Value::Seq(items) => write_list(f, "[", items, "]"),
            Value::Set(items) => {
                let items: Vec<Value> = items.iter().map(|v| Value::Int(*v)).collect();
                write_list(f, "{", &items, "}")
            }
        }
    }
}
