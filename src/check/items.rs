//! Items: the `env` line, the global names of the file, `--set` overrides.

use super::checker::*;
use super::error::*;
use super::names;
use super::Override;
use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::hir::types::{Type, Value};
use crate::span::Span;
use crate::syntax::ast::{self, ItemKind};

impl<'a> Checker<'a> {
    pub(super) fn check_env_item(&mut self) -> Option<String> {
        let envs: Vec<&ast::Item> = self
            .program
            .items
            .iter()
            .filter(|i| matches!(i.kind, ItemKind::Env(_)))
            .collect();
        let Some(env) = envs.first() else {
            let first = self
                .program
                .items
                .first()
                .map(|i| i.keyword)
                .unwrap_or_default();
            self.error(
                Diagnostic::new(
                    codes::check::MISSING_ENV,
                    "the file does not start with `env NAME`",
                )
                .label(first, "expected `env NAME` before this")
                .help("name the environment on the first line, e.g. `env hypergrid`"),
            );
            return None;
        };
        if let Some(first) = self.program.items.first() {
            if !matches!(first.kind, ItemKind::Env(_)) {
                self.error(
                    Diagnostic::new(codes::check::ENV_NOT_FIRST, "`env` must be the first item")
                        .label(env.keyword, "`env` is here")
                        .label(first.keyword, "but this comes first")
                        .help("move the `env NAME` line to the top of the file"),
                );
            }
        }
        for extra in envs.iter().skip(1) {
            self.error(
                Diagnostic::new(codes::check::DUPLICATE_ITEM, "`env` appears more than once")
                    .label(extra.keyword, "second one")
                    .label(env.keyword, "first one here")
                    .help("a file describes exactly one environment"),
            );
        }
        match &env.kind {
            ItemKind::Env(name) => Some(name.name.clone()),
            _ => None,
        }
    }

    /// Register every param, const, field and let, reporting duplicates and reserved names.
    pub(super) fn collect_globals(&mut self) {
        let mut state_seen: Option<Span> = None;
        let program = self.program;
        for item in &program.items {
            match &item.kind {
                ItemKind::Param {
                    name,
                    ty,
                    dims,
                    ty_span,
                    value,
                } => {
                    let index = self.constants.len();
                    self.constants.push(ConstantDef {
                        name,
                        declared: Some((*ty, *ty_span)),
                        dims,
                        value,
                        state: Resolution::Pending,
                        overridden: false,
                    });
                    self.define(name, Global::Param(index));
                }
                ItemKind::Const { name, value } => {
                    let index = self.constants.len();
                    self.constants.push(ConstantDef {
                        name,
                        declared: None,
                        dims: &[],
                        value,
                        state: Resolution::Pending,
                        overridden: false,
                    });
                    self.define(name, Global::Const(index));
                }
                ItemKind::State(fields) => {
                    if let Some(first) = state_seen {
                        self.error(
                            Diagnostic::new(
                                codes::check::DUPLICATE_ITEM,
                                "`state` appears more than once",
                            )
                            .label(item.keyword, "second one")
                            .label(first, "first one here")
                            .help("list all fields in one `state { ... }` block"),
                        );
                        continue;
                    }
                    state_seen = Some(item.keyword);
                    for field in fields {
                        let index = self.field_names.len();
                        self.field_names.push(&field.name);
                        self.fields.push(None);
                        self.define(&field.name, Global::Field(index));
                    }
                }
                ItemKind::Let { name, params, body } => {
                    let index = self.lets.len();
                    self.lets.push(LetDef {
                        name,
                        params: params.as_deref(),
                        body,
                        span: item.span,
                    });
                    self.define(name, Global::Let(index));
                }
                _ => {}
            }
        }
        if state_seen.is_none() {
            let first = program.items.first().map(|i| i.keyword).unwrap_or_default();
            self.error(
                Diagnostic::new(
                    codes::check::MISSING_STATE,
                    "the environment has no `state` block",
                )
                .label(first, "expected `state { ... }` in this file")
                .help("declare the state's fields, e.g. `state { x: [0..H; D] }`"),
            );
        }
    }

    pub(super) fn define(&mut self, name: &'a ast::Ident, global: Global) {
        if names::is_reserved(&name.name) {
            self.error(reserved(name));
            return;
        }
        if let Some((previous, first)) = self.globals.get(name.name.as_str()) {
            let (previous, first) = (*previous, *first);
            self.error(
                Diagnostic::new(
                    codes::check::DUPLICATE_DEFINITION,
                    format!("`{}` is defined more than once", name.name),
                )
                .label(name.span, format!("`{}` defined again here", name.name))
                .label(
                    first,
                    format!("first defined here as {}", previous.describe()),
                )
                .help("rename one of the two definitions"),
            );
            return;
        }
        self.globals.insert(&name.name, (global, name.span));
    }

    pub(super) fn apply_overrides(&mut self) {
        let overrides = self.overrides;
        // Array lengths may use scalar params: set those first.
        let mut arrays = Vec::new();
        for o in overrides {
            match self.globals.get(o.name.as_str()).copied() {
                Some((Global::Param(index), _)) if !self.constants[index].dims.is_empty() => {
                    arrays.push((index, o));
                }
                Some((Global::Param(index), _)) => self.apply_override(index, o),
                Some((global, span)) => self.error(
                    Diagnostic::new(
                        codes::check::SET_NOT_A_PARAM,
                        format!("--set {}: `{}` is {}, not a param", o.name, o.name, global.describe()),
                    )
                    .label(span, "defined here")
                    .help(format!("only params can be set from the command line; declare `param {}: TYPE = ...`", o.name)),
                ),
                None => {
                    let params: Vec<&str> = self
                        .constants
                        .iter()
                        .filter(|c| c.declared.is_some())
                        .map(|c| c.name.name.as_str())
                        .collect();
                    let help = match names::closest(&o.name, params.iter().copied()) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None if params.is_empty() => "this environment has no params".to_string(),
                        None => format!("set one of the params: {}", params.join(", ")),
                    };
                    self.error(
                        Diagnostic::new(codes::check::SET_UNKNOWN_PARAM, format!("--set {}: there is no param `{}`", o.name, o.name))
                            .help(help),
                    );
                }
            }
        }
        for (index, o) in arrays {
            self.apply_array_override(index, o);
        }
    }

    pub(super) fn apply_override(&mut self, index: usize, o: &Override) {
        let Some((ty, ty_span)) = self.constants[index].declared else {
            return;
        };
        let text = o.value.trim();
        let parsed = match ty {
            ast::ParamType::Int => text.parse::<i64>().ok().map(|v| (Value::Int(v), Type::Int)),
            ast::ParamType::Float => parse_float_text(text).map(|n| (Value::Float(n), Type::Float)),
            ast::ParamType::Bool => match text {
                "true" => Some((Value::Bool(true), Type::Bool)),
                "false" => Some((Value::Bool(false), Type::Bool)),
                _ => None,
            },
        };
        let type_name = match ty {
            ast::ParamType::Int => "int",
            ast::ParamType::Float => "float",
            ast::ParamType::Bool => "bool",
        };
        match parsed {
            Some((value, ty)) => {
                let c = &mut self.constants[index];
                c.state = Resolution::Done(value, ty);
                c.overridden = true;
            }
            None => self.error(
                Diagnostic::new(
                    codes::check::SET_WRONG_TYPE,
                    format!(
                        "--set {}={}: `{}` is not a valid {type_name}",
                        o.name, o.value, o.value
                    ),
                )
                .label(
                    ty_span,
                    format!("`{}` is declared {type_name} here", o.name),
                )
                .help(match ty {
                    ast::ParamType::Int => format!("give a whole number, e.g. --set {}=16", o.name),
                    ast::ParamType::Float => format!("give a number, e.g. --set {}=0.01", o.name),
                    ast::ParamType::Bool => {
                        format!("give `true` or `false`, e.g. --set {}=true", o.name)
                    }
                }),
            ),
        }
    }
}
