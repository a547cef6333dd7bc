//! What comes from outside the file: `load("PATH")` tables, `extern("COMMAND")` scorers, and
//! array params given with `--set W=[...]` or `--set W=@table.csv`.

use super::checker::*;
use super::data::{self, LoadError};
use super::error::*;
use super::Override;
use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::hir::types::{Type, Value};
use crate::hir::{self, ExprKind};
use crate::span::Span;
use crate::syntax::ast;

/// The most nodes of `adjacency`: its matrix holds the square, at most `MAX_VALUES`.
const MAX_NODES: usize = 1 << 10;

impl<'a> Checker<'a> {
    /// The one string argument of `load` or `extern`, or a diagnostic.
    fn string_argument(
        &mut self,
        function: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<String> {
        match args {
            [ast::Expr {
                kind: ast::ExprKind::Str(text),
                ..
            }] => Some(text.clone()),
            _ => {
                let example = if function == "load" {
                    "`load(\"table.csv\")`"
                } else {
                    "`extern(\"python3 score.py\")`"
                };
                self.error(
                    Diagnostic::new(
                        codes::check::WRONG_ARITY,
                        format!("`{function}` takes one string in double quotes"),
                    )
                    .label(span, "called here")
                    .help(format!("write {example}")),
                );
                None
            }
        }
    }

    /// `load("PATH")`: a table read relative to the folder of the `.gfn` file.
    pub(super) fn check_load(
        &mut self,
        args: &[ast::Expr],
        span: Span,
        context: Context,
    ) -> hir::Expr {
        let Some(path) = self.string_argument("load", args, span) else {
            return error_expr(span);
        };
        if !matches!(context, Context::Constant) || !self.let_stack.is_empty() {
            self.error(
                Diagnostic::new(
                    codes::check::LOAD_NOT_CONSTANT,
                    "`load` reads a table once, as the value of a const",
                )
                .label(span, "used here")
                .help(format!(
                    "write `const TABLE = load(\"{path}\")` and use `TABLE` here"
                )),
            );
            return error_expr(span);
        }
        match data::load_table(&self.dir.join(&path), &path) {
            Ok((value, ty)) => hir::Expr {
                kind: ExprKind::Const(value),
                ty,
                span,
            },
            Err(LoadError { message, help }) => {
                self.error(
                    Diagnostic::new(codes::check::LOAD, message)
                        .label(span, "loaded here")
                        .help(help),
                );
                error_expr(span)
            }
        }
    }

    /// `extern("COMMAND")`: a number computed by an external scorer, only in the reward.
    pub(super) fn check_extern(&mut self, args: &[ast::Expr], span: Span) -> hir::Expr {
        let Some(command) = self.string_argument("extern", args, span) else {
            return error_expr(span);
        };
        if self.reward_context.is_none() || !self.let_stack.is_empty() {
            self.error(
                Diagnostic::new(
                    codes::check::EXTERN_OUTSIDE_REWARD,
                    "`extern` scores terminal objects: it may appear only in `reward` or `log_reward`",
                )
                .label(span, "used here")
                .help("move the call into the reward item, e.g. `log_reward extern(\"python3 score.py\") / T`"),
            );
            return error_expr(span);
        }
        if command.trim().is_empty() {
            self.error(
                Diagnostic::new(
                    codes::check::EXTERN_COMMAND,
                    "the scorer's command is empty",
                )
                .label(span, "here")
                .help("name a program and its arguments, e.g. `extern(\"python3 score.py\")`"),
            );
            return error_expr(span);
        }
        let index = match self.scorers.iter().position(|s| s.command == command) {
            Some(index) => index,
            None => {
                self.scorers.push(hir::Scorer {
                    command,
                    span,
                    is_reward: false,
                });
                self.scorers.len() - 1
            }
        };
        hir::Expr {
            kind: ExprKind::Extern(index),
            ty: Type::Float,
            span,
        }
    }

    /// `adjacency(N, EDGES)`: the `[[bool; N]; N]` matrix of a constant edge list
    /// `[[from, to], ...]`, built while checking.
    pub(super) fn check_adjacency(&mut self, args: &[ast::Expr], span: Span) -> hir::Expr {
        let [n, edges] = args else {
            self.error(
                Diagnostic::new(
                    codes::check::WRONG_ARITY,
                    format!("`adjacency` takes 2 arguments but is given {}", args.len()),
                )
                .label(span, "called here")
                .help("write `adjacency(N, EDGES)` with EDGES a constant list of [from, to] pairs"),
            );
            return error_expr(span);
        };
        let saved = std::mem::take(&mut self.locals);
        // Its square is the number of values: at most 1,024 nodes, not MAX_VALUES.
        let nodes = self.constant_length_at_most(n, "the node count of `adjacency`", MAX_NODES);
        let checked = self.check_expr(edges, Context::Constant);
        self.locals = saved;
        let Some(nodes) = nodes else {
            return error_expr(span);
        };
        if checked.ty.is_error() {
            return error_expr(span);
        }
        let pairs = matches!(&checked.ty, Type::Array(pair, _) if **pair == Type::Array(Box::new(Type::Int), 2))
            || matches!(&checked.ty, Type::Array(_, 0));
        if !pairs {
            self.error(
                Diagnostic::new(
                    codes::check::TYPE_MISMATCH,
                    format!(
                        "the edges of `adjacency` are [from, to] pairs of ints, not {}",
                        checked.ty
                    ),
                )
                .label(checked.span, format!("this is {}", checked.ty))
                .help("write the edges as [[0, 1], [1, 2]], or load them from a two-column table"),
            );
            return error_expr(span);
        }
        let Some(value) = self.evaluate(&checked) else {
            return error_expr(span);
        };
        let mut matrix = vec![vec![false; nodes]; nodes];
        for (k, pair) in value.elements().unwrap_or_default().iter().enumerate() {
            let ends: Vec<i64> = pair
                .elements()
                .unwrap_or_default()
                .iter()
                .filter_map(|v| match v {
                    Value::Int(i) => Some(*i),
                    _ => None,
                })
                .collect();
            match ends.as_slice() {
                [a, b] if (0..nodes as i64).contains(a) && (0..nodes as i64).contains(b) => {
                    matrix[*a as usize][*b as usize] = true;
                }
                _ => {
                    self.error(
                        Diagnostic::new(
                            codes::check::ADJACENCY_NODE,
                            format!("edge {k} is {ends:?}: nodes of `adjacency` are 0..{nodes}"),
                        )
                        .label(checked.span, "the edges")
                        .help("number the nodes from 0, or raise N"),
                    );
                    return error_expr(span);
                }
            }
        }
        let value = Value::Array(
            matrix
                .into_iter()
                .map(|row| Value::Array(row.into_iter().map(Value::Bool).collect()))
                .collect(),
        );
        let ty = Type::Array(Box::new(Type::Array(Box::new(Type::Bool), nodes)), nodes);
        hir::Expr {
            kind: ExprKind::Const(value),
            ty,
            span,
        }
    }

    /// `--set W=[1, 2, 3]` or `--set W=@weights.csv` for an array param; `None` when the param
    /// is a scalar (handled by the caller).
    pub(super) fn apply_array_override(&mut self, index: usize, o: &Override) {
        let Some((scalar, ty_span)) = self.constants[index].declared else {
            return;
        };
        let Some(declared) = self.declared_type(index, scalar) else {
            return;
        };
        let text = o.value.trim();
        let loaded = match text.strip_prefix('@') {
            Some(path) => data::load_table(std::path::Path::new(path), path).map_err(|mut e| {
                if e.help == data::RELATIVE_HELP {
                    e.help = "a file after `@` is read relative to the current folder".to_string();
                }
                e
            }),
            None => data::json_text_table(text, &format!("--set {}", o.name)),
        };
        let (value, ty) = match loaded {
            Ok(table) => table,
            Err(LoadError { message, help }) => {
                self.error(
                    Diagnostic::new(codes::check::SET_WRONG_TYPE, message)
                        .label(ty_span, format!("`{}` is declared {declared} here", o.name))
                        .help(format!(
                            "{help}; give the array as --set {}=[1, 2, 3] or --set {}=@FILE.csv",
                            o.name, o.name
                        )),
                );
                return;
            }
        };
        if !ty.fits(&declared) {
            let what = match (&ty, &declared) {
                (Type::Array(_, n), Type::Array(_, m)) if n != m => format!(
                    "--set {}: the value has {n} elements, the param is declared {declared}",
                    o.name
                ),
                _ => format!(
                    "--set {}: the value is {ty}, the param is declared {declared}",
                    o.name
                ),
            };
            self.error(
                Diagnostic::new(codes::check::SET_WRONG_TYPE, what)
                    .label(ty_span, format!("`{}` is declared {declared} here", o.name))
                    .help("give an array of the declared length and element type"),
            );
            return;
        }
        let c = &mut self.constants[index];
        c.state = Resolution::Done(value.promote(&declared), declared);
        c.overridden = true;
    }
}
