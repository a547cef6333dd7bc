//! AST → source text, with every compound expression in parentheses so that the text
//! determines the tree. Used to test that parsing keeps structure (print, parse, print again).

use super::ast::*;
use std::fmt::Write;

/// The program as canonical source text.
pub fn program(program: &Program) -> String {
    let mut out = String::new();
    for item in &program.items {
        out.push_str(&self::item(item));
        out.push('\n');
    }
    out
}

fn item(item: &Item) -> String {
    match &item.kind {
        ItemKind::Env(name) => format!("env {}", name.name),
        ItemKind::Param {
            name,
            ty,
            dims,
            value,
            ..
        } => {
            let scalar = match ty {
                ParamType::Int => "int",
                ParamType::Float => "float",
                ParamType::Bool => "bool",
            };
            let ty = dims
                .iter()
                .rev()
                .fold(scalar.to_string(), |t, n| format!("[{t}; {}]", expr(n)));
            format!("param {}: {ty} = {}", name.name, expr(value))
        }
        ItemKind::Const { name, value } => format!("const {} = {}", name.name, expr(value)),
        ItemKind::State(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| {
                    let init = f
                        .init
                        .as_ref()
                        .map(|e| format!(" = {}", expr(e)))
                        .unwrap_or_default();
                    format!("{}: {}{init}", f.name.name, state_type(&f.ty))
                })
                .collect();
            format!("state {{ {} }}", fields.join(", "))
        }
        ItemKind::Let { name, params, body } => match params {
            None => format!("let {} = {}", name.name, expr(body)),
            Some(params) => {
                let params: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                format!("let {}({}) = {}", name.name, params.join(", "), expr(body))
            }
        },
        ItemKind::Action {
            name,
            args,
            guard,
            effects,
        } => {
            let mut out = format!("action {}", name.name);
            if !args.is_empty() {
                let args: Vec<String> = args
                    .iter()
                    .map(|a| format!("{} in {}", a.name.name, expr(&a.domain)))
                    .collect();
                let _ = write!(out, "({})", args.join(", "));
            }
            if let Some(guard) = guard {
                let _ = write!(out, " when {}", expr(guard));
            }
            let effects: Vec<String> = effects.iter().map(effect).collect();
            let _ = write!(out, " {{ {} }}", effects.join("; "));
            out
        }
        ItemKind::Stop(None) => "stop".to_string(),
        ItemKind::Stop(Some(guard)) => format!("stop when {}", expr(guard)),
        ItemKind::Done(cond) => format!("done when {}", expr(cond)),
        ItemKind::Mode(cond, None) => format!("mode when {}", expr(cond)),
        ItemKind::Mode(cond, Some(key)) => {
            format!("mode by {} when {}", expr(key), expr(cond))
        }
        ItemKind::Reward(e) => format!("reward {}", expr(e)),
        ItemKind::LogReward(e) => format!("log_reward {}", expr(e)),
    }
}

fn state_type(ty: &StateType) -> String {
    match &ty.kind {
        StateTypeKind::Bool => "bool".to_string(),
        StateTypeKind::Range { lo, hi, inclusive } => {
            format!(
                "{}{}{}",
                expr(lo),
                if *inclusive { "..=" } else { ".." },
                expr(hi)
            )
        }
        StateTypeKind::Array { element, len } => {
            format!("[{}; {}]", state_type(element), expr(len))
        }
        StateTypeKind::Set { universe } => format!("set<{}>", state_type(universe)),
        StateTypeKind::Seq { element, max_len } => {
            format!("seq<{}, {}>", state_type(element), expr(max_len))
        }
    }
}

fn place(place: &Place) -> String {
    let mut out = place.root.name.clone();
    for index in &place.indices {
        let _ = write!(out, "[{}]", expr(index));
    }
    out
}

fn effect(effect: &Effect) -> String {
    match &effect.kind {
        EffectKind::Assign {
            place: p,
            op,
            value,
        } => {
            let op = match op {
                AssignOp::Set => "=",
                AssignOp::Add => "+=",
                AssignOp::Sub => "-=",
            };
            format!("{} {op} {}", place(p), expr(value))
        }
        EffectKind::Method {
            place: p,
            method,
            arg,
        } => {
            format!(
                "{}.{}({})",
                place(p),
                method.name,
                arg.as_ref().map(expr).unwrap_or_default()
            )
        }
    }
}

fn list(items: &[Expr]) -> String {
    items.iter().map(expr).collect::<Vec<_>>().join(", ")
}

/// One expression, compound forms parenthesised.
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(Some(v)) => v.to_string(),
        ExprKind::Int(None) => "99999999999999999999".to_string(),
        ExprKind::Float(text) => text.clone(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Str(text) => format!("\"{text}\""),
        ExprKind::Name(name) => name.name.clone(),
        ExprKind::Array(items) => format!("[{}]", list(items)),
        ExprKind::Repeat { value, count } => format!("[{}; {}]", expr(value), expr(count)),
        ExprKind::Unary(UnaryOp::Neg, operand) => format!("(-{})", expr(operand)),
        ExprKind::Unary(UnaryOp::Not, operand) => format!("(not {})", expr(operand)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", expr(a), op.symbol(), expr(b)),
        ExprKind::Compare(first, rest) => {
            let mut out = format!("({}", expr(first));
            for (op, _, operand) in rest {
                let _ = write!(out, " {} {}", op.symbol(), expr(operand));
            }
            out.push(')');
            out
        }
        ExprKind::Range { lo, hi, inclusive } => {
            format!(
                "{}{}{}",
                expr(lo),
                if *inclusive { "..=" } else { ".." },
                expr(hi)
            )
        }
        ExprKind::If(c, a, b) => format!("(if {} then {} else {})", expr(c), expr(a), expr(b)),
        ExprKind::Index(base, index) => format!("{}[{}]", expr(base), expr(index)),
        ExprKind::Call(function, args) => format!("{}({})", function.name, list(args)),
        ExprKind::Method(receiver, method, args) => {
            format!("{}.{}({})", expr(receiver), method.name, list(args))
        }
        ExprKind::Aggregate {
            function,
            variable,
            domain,
            body,
        } => format!(
            "{}({} in {}: {})",
            function.name,
            variable.name,
            expr(domain),
            expr(body)
        ),
    }
}

#[cfg(test)]
mod tests {
    //! Parsing keeps structure: printing a parsed program with every compound expression in
    //! parentheses, then parsing and printing again, gives the same text.
    use super::program;
    use crate::syntax::parse;

    fn gfn_files() -> Vec<std::path::PathBuf> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("examples/")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "gfn"))
            .collect();
        files.sort();
        files
    }
    fn roundtrip(source: &str) -> String {
        let first = program(&parse(source).expect("parses"));
        let second = program(&parse(&first).expect("the printed program parses"));
        assert_eq!(first, second, "printing is not a fixed point");
        first
    }

    #[test]
    fn examples_round_trip() {
        for path in gfn_files() {
            let source = std::fs::read_to_string(&path).expect("readable");
            roundtrip(&source);
        }
    }

    #[test]
    fn hypergrid_parses_as_expected() {
        let source = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hypergrid.gfn"),
        )
        .expect("readable");
        insta::assert_snapshot!(roundtrip(&source));
    }

    #[test]
    fn precedence_follows_python() {
        let printed = roundtrip("env t\nconst a = not 1 + 2 * 3 ** -2 ** 2 < 4 == 5 and x or y in s\nconst b = -x ** 2 // 3 % 4\nconst c = if p then q else if r then s else t");
        insta::assert_snapshot!(printed);
    }
}
