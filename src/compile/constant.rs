//! Constants (params, consts, bounds, lengths, initial values, action domains) are folded by
//! lowering them and running the one machine: there is no second evaluator. The machine's
//! values are scalars or references, so an array of arrays is put together here, one level at a
//! time, from the values the machine computes for its parts.

use super::{CompileError, Compiler};
use crate::hir::types::{Type, Value};
use crate::hir::{Expr, ExprKind};
use crate::ir::code::Code;
use crate::ir::layout::Layout;
use crate::ir::Val;
use crate::number::Number;
use crate::run::{Fault, FaultKind, Machine, Scratch, MAX_AGGREGATE_ELEMENTS, MAX_CONSTANT_WORK};

/// The value of a constant expression (one that reads no state and calls no let).
pub fn evaluate(expr: &Expr) -> Result<Value, Fault> {
    match (&expr.kind, &expr.ty) {
        // Arrays whose elements are themselves collections: one level here, the rest below.
        (ExprKind::Array(items), Type::Array(element, _)) if is_collection(element) => Ok(
            Value::Array(items.iter().map(evaluate).collect::<Result<_, _>>()?),
        ),
        (ExprKind::Repeat(item, count), Type::Array(element, _)) if is_collection(element) => {
            Ok(Value::Array(vec![evaluate(item)?; *count]))
        }
        (ExprKind::If(condition, then, otherwise), ty) if is_collection(ty) => {
            match evaluate(condition)? {
                Value::Bool(true) => evaluate(then),
                Value::Bool(false) => evaluate(otherwise),
                _ => internal(expr, "a condition that is not a bool"),
            }
        }
        (ExprKind::Index(collection, index), ty) if is_collection(ty) => {
            let items = evaluate(collection)?.elements().unwrap_or_default();
            let at = evaluate(index)?.as_int().unwrap_or(-1);
            usize::try_from(at)
                .ok()
                .and_then(|k| items.get(k).cloned())
                .ok_or(Fault {
                    span: index.span,
                    kind: FaultKind::IndexOutOfRange {
                        index: at,
                        len: items.len(),
                    },
                })
        }
        _ => run(expr, |machine, val, scratch| {
            Ok(to_value(machine, val, &expr.ty, scratch))
        }),
    }
}

/// The elements of a constant domain (a range or a constant array), for action arguments.
pub fn domain(expr: &Expr) -> Result<Vec<Value>, Fault> {
    let element = match &expr.ty {
        Type::Array(element, _) | Type::Seq(element) => (**element).clone(),
        _ => Type::Int,
    };
    if !matches!(expr.kind, ExprKind::Range { .. }) {
        return Ok(evaluate(expr)?.elements().unwrap_or_default());
    }
    run(expr, |machine, val, scratch| match val {
        Val::Range { lo, hi } => {
            if hi.saturating_sub(lo) > MAX_AGGREGATE_ELEMENTS {
                return Err(Fault {
                    span: expr.span,
                    kind: FaultKind::TooManyElements,
                });
            }
            Ok((lo..hi.max(lo)).map(Value::Int).collect())
        }
        other => Ok(
            to_value(machine, other, &Type::Array(Box::new(element), 0), scratch)
                .elements()
                .unwrap_or_default(),
        ),
    })
}

fn is_collection(ty: &Type) -> bool {
    matches!(ty, Type::Array(..) | Type::Set | Type::Seq(_))
}

fn internal<T>(expr: &Expr, what: &'static str) -> Result<T, Fault> {
    Err(Fault {
        span: expr.span,
        kind: FaultKind::Internal(what),
    })
}

/// Lower `expr` alone and run it on the machine (no state, no let).
fn run<T>(
    expr: &Expr,
    read: impl FnOnce(&Machine, Val, &Scratch) -> Result<T, Fault>,
) -> Result<T, Fault> {
    let layout = Layout::new(&[]).map_err(|_| Fault {
        span: expr.span,
        kind: FaultKind::Internal("an empty layout"),
    })?;
    let mut compiler = Compiler::new(&[], &layout);
    let node = compiler
        .expr(expr)
        .map_err(|CompileError { span, .. }| Fault {
            span,
            kind: FaultKind::Internal("a constant the compiler cannot lower"),
        })?;
    let code: Code = compiler.code;
    let machine = Machine::new(&code, &layout);
    let mut scratch = Scratch::default();
    scratch.start(&[]);
    scratch.limit_work(MAX_CONSTANT_WORK);
    let val = machine.eval(node, &[], &mut scratch)?;
    read(&machine, val, &scratch)
}

/// A machine value as a checker value of type `ty` (ints promoted where floats are expected).
fn to_value(machine: &Machine, val: Val, ty: &Type, scratch: &Scratch) -> Value {
    let element = match ty {
        Type::Array(element, _) | Type::Seq(element) => (**element).clone(),
        _ => Type::Int,
    };
    let items = |vals: &[Val]| -> Vec<Value> {
        vals.iter()
            .map(|v| to_value(machine, *v, &element, scratch))
            .collect()
    };
    match val {
        Val::Bool(b) => Value::Bool(b),
        Val::Int(i) if *ty == Type::Float => Value::Float(Number::from(i)),
        Val::Int(i) => Value::Int(i),
        Val::Num(n) => Value::Float(n),
        Val::Pool(index) => Value::Array(items(&machine.code.pool[index as usize])),
        Val::Stack { start, len } => Value::Array(items(scratch.stack_slice(start, len))),
        Val::Range { lo, hi } => Value::Array((lo..hi.max(lo)).map(Value::Int).collect()),
        // A constant reads no state.
        Val::Region { .. } => Value::Array(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::codes;
    use crate::hir::types::Value;
    use crate::number::Number;

    /// The value of `const C = ...` as the checker folds it (lowered, run on the machine).
    fn constant(expr: &str) -> Result<Value, Vec<crate::Diagnostic>> {
        let source = format!(
            "env t\nconst C = {expr}\nstate {{ x: 0..2 }}\naction a when x < 1 {{ x += 1 }}\nstop\nreward 1.0"
        );
        let model = crate::load(&source, &[])?;
        Ok(model
            .consts
            .iter()
            .find(|c| c.name == "C")
            .map(|c| c.value.clone())
            .expect("the const"))
    }

    #[test]
    fn the_machine_folds_constants() {
        assert_eq!(constant("7 // 2 + -7 % 2").ok(), Some(Value::Int(4)));
        assert_eq!(constant("2 ** 10").ok(), Some(Value::Int(1024)));
        assert_eq!(
            constant("1 / 3 + 1 / 6").ok(),
            Some(Value::Float(
                Number::parse_decimal("0.5").expect("a number")
            ))
        );
        assert_eq!(constant("sum(i in 0..5: i * i)").ok(), Some(Value::Int(30)));
        assert_eq!(constant("max(k in [3, 9, 4]: k)").ok(), Some(Value::Int(9)));
        assert_eq!(
            constant("count(i in 0..=10: i % 3 == 0)").ok(),
            Some(Value::Int(4))
        );
        assert_eq!(
            constant("[[1, 2], [3, 4]][1]").ok(),
            Some(Value::Array(vec![Value::Int(3), Value::Int(4)]))
        );
        assert_eq!(
            constant("if 2 > 1 then [[0; 2]] else [[1, 1]]").ok(),
            Some(Value::Array(vec![Value::Array(vec![
                Value::Int(0),
                Value::Int(0)
            ])]))
        );
        assert_eq!(
            constant("round(2.5) + floor(-0.5)").ok(),
            Some(Value::Int(1))
        );
    }

    #[test]
    fn the_machine_reports_faults_in_constants() {
        for (expr, code) in [
            ("1 // 0", codes::check::DIVISION_BY_ZERO),
            ("[1, 2][2]", codes::check::INDEX_OUT_OF_RANGE),
            ("min(i in 0..0: i)", codes::check::EMPTY_AGGREGATE),
            ("log(0.0)", codes::check::DOMAIN_ERROR),
            ("9223372036854775807 + 1", codes::check::OVERFLOW),
        ] {
            let errors = constant(expr).expect_err(expr);
            assert_eq!(errors[0].code, code, "{expr}");
        }
    }
}
