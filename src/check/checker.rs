//! AST → [`Model`]: resolves names, types every expression, folds params and consts, resolves
//! state types, and collects every static error in one pass.

use super::eval::{self, EvalError, EvalErrorKind, NoState};
use super::hir::{self, Aggregate, Builtin, ExprKind, Model};
use super::names;
use super::types::{FieldType, Type, Value};
use super::Override;
use crate::diagnostic::{sort_and_dedup, Diagnostic};
use crate::number::{ArithError, Number};
use crate::span::Span;
use crate::syntax::ast::{self, BinaryOp, CompareOp, ItemKind, UnaryOp};
use std::collections::HashMap;

/// The most scalar slots one state may hold (elements of arrays, set members, sequence items).
pub const MAX_STATE_SLOTS: f64 = 65_536.0;
/// The most values one action family or array literal may have.
pub const MAX_VALUES: usize = 1 << 20;

/// Check a parsed program with `--set` overrides.
pub fn check(program: &ast::Program, overrides: &[Override]) -> Result<Model, Vec<Diagnostic>> {
    let mut checker = Checker::new(program, overrides);
    let model = checker.run();
    let mut diagnostics = checker.diagnostics;
    if diagnostics.is_empty() {
        if let Some(model) = model {
            return Ok(model);
        }
        diagnostics.push(Diagnostic::new(
            "gfn::check::internal",
            "internal error: no model and no diagnostic",
        ));
    }
    sort_and_dedup(&mut diagnostics);
    Err(diagnostics)
}

#[derive(Clone, Copy, Debug)]
enum Global {
    Param(usize),
    Const(usize),
    Field(usize),
    Let(usize),
}

impl Global {
    fn describe(self) -> &'static str {
        match self {
            Global::Param(_) => "a param",
            Global::Const(_) => "a const",
            Global::Field(_) => "a state field",
            Global::Let(_) => "a let",
        }
    }
}

/// A param or const: its definition and how far its value has been worked out.
struct ConstantDef<'a> {
    name: &'a ast::Ident,
    declared: Option<(ast::ParamType, Span)>,
    value: &'a ast::Expr,
    state: Resolution,
    overridden: bool,
}

#[derive(Clone)]
enum Resolution {
    Pending,
    InProgress,
    Done(Value, Type),
    Failed,
}

struct LetDef<'a> {
    name: &'a ast::Ident,
    params: Option<&'a [ast::Ident]>,
    body: &'a ast::Expr,
    span: Span,
}

/// A variable in scope: action argument, let parameter or aggregate variable.
struct Local {
    name: String,
    ty: Type,
}

/// What an expression may read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// Only literals, params and consts: bounds, initial values, param and const values.
    Constant,
    /// The state too.
    State,
}

struct Checker<'a> {
    program: &'a ast::Program,
    overrides: &'a [Override],
    diagnostics: Vec<Diagnostic>,
    globals: HashMap<&'a str, (Global, Span)>,
    constants: Vec<ConstantDef<'a>>,
    fields: Vec<Option<hir::Field>>,
    field_names: Vec<&'a ast::Ident>,
    lets: Vec<LetDef<'a>>,
    instances: Vec<Option<hir::LetInstance>>,
    instance_of: HashMap<(usize, String), usize>,
    let_stack: Vec<usize>,
    locals: Vec<Local>,
}

fn arity_text(n: usize) -> String {
    match n {
        1 => "1 argument".to_string(),
        n => format!("{n} arguments"),
    }
}

impl<'a> Checker<'a> {
    fn new(program: &'a ast::Program, overrides: &'a [Override]) -> Checker<'a> {
        Checker {
            program,
            overrides,
            diagnostics: Vec::new(),
            globals: HashMap::new(),
            constants: Vec::new(),
            fields: Vec::new(),
            field_names: Vec::new(),
            lets: Vec::new(),
            instances: Vec::new(),
            instance_of: HashMap::new(),
            let_stack: Vec::new(),
            locals: Vec::new(),
        }
    }

    fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn run(&mut self) -> Option<Model> {
        let name = self.check_env_item();
        self.collect_globals();
        self.apply_overrides();
        for index in 0..self.constants.len() {
            self.resolve_constant(index, None);
        }
        self.check_state();
        let mut actions = Vec::new();
        let mut stop: Option<(Option<hir::Expr>, Span)> = None;
        let mut done: Option<(hir::Expr, Span)> = None;
        let mut mode: Option<(hir::Expr, Span)> = None;
        let mut reward: Option<(hir::Reward, Span)> = None;
        for item in &self.program.items {
            match &item.kind {
                ItemKind::Action {
                    name,
                    args,
                    guard,
                    effects,
                } => {
                    if let Some(action) =
                        self.check_action(name, args, guard.as_ref(), effects, item.span)
                    {
                        actions.push(action);
                    }
                }
                ItemKind::Stop(guard) => {
                    let guard = guard
                        .as_ref()
                        .map(|g| self.check_condition(g, "the `stop` condition"));
                    self.single(&mut stop, guard, item, "stop");
                }
                ItemKind::Done(cond) => {
                    let cond = self.check_condition(cond, "the `done` condition");
                    self.single(&mut done, cond, item, "done");
                }
                ItemKind::Mode(cond) => {
                    let cond = self.check_condition(cond, "the `mode` condition");
                    self.single(&mut mode, cond, item, "mode");
                }
                ItemKind::Reward(expr) | ItemKind::LogReward(expr) => {
                    let is_log = matches!(item.kind, ItemKind::LogReward(_));
                    let checked = self.check_reward(expr, is_log);
                    if let Some((_, first)) = &reward {
                        let first = *first;
                        self.error(
                            Diagnostic::new(
                                "gfn::check::duplicate_reward",
                                "the reward is defined more than once",
                            )
                            .label(item.keyword, "second definition")
                            .label(first, "first defined here")
                            .help("keep exactly one `reward` or `log_reward` item"),
                        );
                    } else {
                        reward = Some((
                            hir::Reward {
                                expr: checked,
                                is_log,
                            },
                            item.keyword,
                        ));
                    }
                }
                _ => {}
            }
        }
        self.check_unused_lets();
        let first = self
            .program
            .items
            .first()
            .map(|i| i.keyword)
            .unwrap_or_default();
        let env_name = self
            .program
            .items
            .iter()
            .find_map(|i| match &i.kind {
                ItemKind::Env(name) => Some(name.span),
                _ => None,
            })
            .unwrap_or(first);
        if stop.is_none() && done.is_none() {
            self.error(
                Diagnostic::new("gfn::check::missing_exit", "the environment has neither `stop` nor `done`")
                    .label(env_name, "no trajectory of this environment could ever end")
                    .help("add `stop` (any state may end the trajectory), `stop when COND`, or `done when COND`"),
            );
        }
        if reward.is_none() {
            self.error(
                Diagnostic::new(
                    "gfn::check::missing_reward",
                    "the environment has no reward",
                )
                .label(
                    env_name,
                    "this environment needs `reward EXPR` or `log_reward EXPR`",
                )
                .help("add a line such as `reward 1.0 + float(count(i in 0..N: b[i]))`"),
            );
        }
        let fields: Option<Vec<hir::Field>> = self.fields.iter().cloned().collect();
        let lets: Option<Vec<hir::LetInstance>> = self.instances.iter().cloned().collect();
        let constants = |checker: &Checker<'a>, params: bool| -> Vec<hir::Constant> {
            checker
                .constants
                .iter()
                .filter(|c| c.declared.is_some() == params)
                .filter_map(|c| match &c.state {
                    Resolution::Done(value, ty) => Some(hir::Constant {
                        name: c.name.name.clone(),
                        value: value.clone(),
                        ty: ty.clone(),
                        overridden: c.overridden,
                        span: c.name.span,
                    }),
                    _ => None,
                })
                .collect()
        };
        if !self.diagnostics.is_empty() {
            return None;
        }
        Some(Model {
            name: name?,
            params: constants(self, true),
            consts: constants(self, false),
            fields: fields?,
            lets: lets?,
            actions,
            stop: stop.map(|(g, _)| g),
            done: done.map(|(g, _)| g),
            reward: reward?.0,
            mode: mode.map(|(g, _)| g),
        })
    }

    /// Record an item that may appear once, reporting a second one.
    fn single<T>(&mut self, slot: &mut Option<(T, Span)>, value: T, item: &ast::Item, word: &str) {
        match slot {
            Some((_, first)) => {
                let first = *first;
                self.error(
                    Diagnostic::new(
                        "gfn::check::duplicate_item",
                        format!("`{word}` appears more than once"),
                    )
                    .label(item.keyword, "second one")
                    .label(first, "first one here")
                    .help(format!(
                        "combine the conditions into one `{word}` with `or`"
                    )),
                );
            }
            None => *slot = Some((value, item.keyword)),
        }
    }

    fn check_env_item(&mut self) -> Option<String> {
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
                    "gfn::check::missing_env",
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
                    Diagnostic::new("gfn::check::env_not_first", "`env` must be the first item")
                        .label(env.keyword, "`env` is here")
                        .label(first.keyword, "but this comes first")
                        .help("move the `env NAME` line to the top of the file"),
                );
            }
        }
        for extra in envs.iter().skip(1) {
            self.error(
                Diagnostic::new("gfn::check::duplicate_item", "`env` appears more than once")
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
    fn collect_globals(&mut self) {
        let mut state_seen: Option<Span> = None;
        let program = self.program;
        for item in &program.items {
            match &item.kind {
                ItemKind::Param {
                    name,
                    ty,
                    ty_span,
                    value,
                } => {
                    let index = self.constants.len();
                    self.constants.push(ConstantDef {
                        name,
                        declared: Some((*ty, *ty_span)),
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
                                "gfn::check::duplicate_item",
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
                    "gfn::check::missing_state",
                    "the environment has no `state` block",
                )
                .label(first, "expected `state { ... }` in this file")
                .help("declare the state's fields, e.g. `state { x: [0..H; D] }`"),
            );
        }
    }

    fn define(&mut self, name: &'a ast::Ident, global: Global) {
        if names::is_reserved(&name.name) {
            self.error(reserved(name));
            return;
        }
        if let Some((previous, first)) = self.globals.get(name.name.as_str()) {
            let (previous, first) = (*previous, *first);
            self.error(
                Diagnostic::new(
                    "gfn::check::duplicate_definition",
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

    fn apply_overrides(&mut self) {
        let overrides = self.overrides;
        for o in overrides {
            match self.globals.get(o.name.as_str()).copied() {
                Some((Global::Param(index), _)) => self.apply_override(index, o),
                Some((global, span)) => self.error(
                    Diagnostic::new(
                        "gfn::check::set_not_a_param",
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
                        None => format!("the params are: {}", params.join(", ")),
                    };
                    self.error(
                        Diagnostic::new("gfn::check::set_unknown_param", format!("--set {}: there is no param `{}`", o.name, o.name))
                            .help(help),
                    );
                }
            }
        }
    }

    fn apply_override(&mut self, index: usize, o: &Override) {
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
                    "gfn::check::set_wrong_type",
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
                    ast::ParamType::Int => "give a whole number, e.g. --set H=16",
                    ast::ParamType::Float => "give a number, e.g. --set R0=0.01",
                    ast::ParamType::Bool => "give `true` or `false`",
                }),
            ),
        }
    }

    /// The value of a param or const, evaluating it (and what it uses) on first use.
    fn resolve_constant(&mut self, index: usize, use_span: Option<Span>) -> (Option<Value>, Type) {
        match self.constants[index].state.clone() {
            Resolution::Done(value, ty) => return (Some(value), ty),
            Resolution::Failed => return (None, Type::Error),
            Resolution::InProgress => {
                let name = self.constants[index].name;
                let mut d = Diagnostic::new(
                    "gfn::check::recursive_definition",
                    format!("`{}` is defined in terms of itself", name.name),
                );
                if let Some(use_span) = use_span {
                    d = d.label(use_span, "used here while its value is being computed");
                }
                self.error(
                    d.label(name.span, "defined here")
                        .help("break the cycle: a value may only use names defined without it"),
                );
                self.constants[index].state = Resolution::Failed;
                return (None, Type::Error);
            }
            Resolution::Pending => {}
        }
        self.constants[index].state = Resolution::InProgress;
        let def_expr = self.constants[index].value;
        let declared = self.constants[index].declared;
        let saved_locals = std::mem::take(&mut self.locals);
        let checked = self.check_expr(def_expr, Context::Constant);
        self.locals = saved_locals;
        if matches!(self.constants[index].state, Resolution::Failed) {
            return (None, Type::Error);
        }
        let mut ty = checked.ty.clone();
        if let Some((declared, ty_span)) = declared {
            let want = match declared {
                ast::ParamType::Int => Type::Int,
                ast::ParamType::Float => Type::Float,
                ast::ParamType::Bool => Type::Bool,
            };
            if !checked.ty.fits(&want) {
                self.error(
                    Diagnostic::new(
                        "gfn::check::type_mismatch",
                        format!(
                            "the param is declared {want} but its value is {}",
                            checked.ty
                        ),
                    )
                    .label(checked.span, format!("this is {}", checked.ty))
                    .label(ty_span, format!("declared {want} here"))
                    .help(match want {
                        Type::Int => "write a whole number, or declare the param `float`",
                        _ => "change the value or the declared type so that they agree",
                    }),
                );
                self.constants[index].state = Resolution::Failed;
                return (None, Type::Error);
            }
            if !checked.ty.is_error() {
                ty = want;
            }
        }
        if ty.is_error() {
            self.constants[index].state = Resolution::Failed;
            return (None, Type::Error);
        }
        match self
            .evaluate(&checked)
            .and_then(|v| eval::promote(v, &ty).ok())
        {
            Some(value) => {
                self.constants[index].state = Resolution::Done(value.clone(), ty.clone());
                (Some(value), ty)
            }
            None => {
                self.constants[index].state = Resolution::Failed;
                (None, Type::Error)
            }
        }
    }

    /// Evaluate a constant expression, reporting a failure as a diagnostic.
    fn evaluate(&mut self, expr: &hir::Expr) -> Option<Value> {
        if expr.ty.is_error() {
            return None;
        }
        match eval::eval(expr, &NoState, &mut Vec::new()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(eval_error(&e));
                None
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // State

    fn check_state(&mut self) {
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
                            "gfn::check::too_large",
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
                    Diagnostic::new("gfn::check::empty_state", "the state holds no values")
                        .label(item.keyword, "every state would be the same")
                        .help(self.range_help("declare at least one field with at least one element, e.g. `state { x: 0..N }`")),
                );
            }
        }
    }

    fn initial_value(
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
                    "gfn::check::type_mismatch",
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
                    "gfn::check::initial_out_of_range",
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

    fn field_type(&mut self, st: &ast::StateType) -> Option<FieldType> {
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
                            "gfn::check::empty_range",
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

    fn range_help(&self, base: &str) -> String {
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
    fn constant_int(&mut self, expr: &ast::Expr, what: &str) -> Option<i64> {
        let checked = self.check_expr(expr, Context::Constant);
        match checked.ty {
            Type::Int => {}
            Type::Error => return None,
            Type::Float => {
                self.error(
                    Diagnostic::new("gfn::check::float_in_state", format!("{what} must be an integer, not a float"))
                        .label(checked.span, "this is a float")
                        .help("states hold integers and bools only, so that every state space is finite; scale the range to integers"),
                );
                return None;
            }
            other => {
                self.error(
                    Diagnostic::new(
                        "gfn::check::type_mismatch",
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
    fn fits_in_memory(&mut self, ty: &Type, span: Span) -> bool {
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
                "gfn::check::too_large",
                format!(
                    "this array holds {count:.3e} values in all; at most {MAX_VALUES} are accepted"
                ),
            )
            .label(span, format!("{ty}"))
            .help("make it smaller"),
        );
        false
    }

    fn constant_length(&mut self, expr: &ast::Expr, what: &str) -> Option<usize> {
        let n = self.constant_int(expr, what)?;
        match usize::try_from(n) {
            Ok(n) if n <= MAX_VALUES => Some(n),
            Ok(_) => {
                self.error(
                    Diagnostic::new(
                        "gfn::check::too_large",
                        format!("{what} is {n}; at most {MAX_VALUES} is accepted"),
                    )
                    .label(expr.span, format!("this is {n}"))
                    .help("make it smaller"),
                );
                None
            }
            Err(_) => {
                self.error(
                    Diagnostic::new(
                        "gfn::check::negative_length",
                        format!("{what} is negative ({n})"),
                    )
                    .label(expr.span, format!("this is {n}"))
                    .help(self.range_help("lengths must be 0 or more")),
                );
                None
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Actions and effects

    fn check_action(
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
                Diagnostic::new("gfn::check::no_effect", format!("action `{}` changes nothing", name.name))
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
    fn action_domain(
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
        let values = match eval::domain_elements(&domain, &NoState, &mut Vec::new()) {
            Ok(values) => values,
            Err(e) => {
                self.error(eval_error(&e));
                return None;
            }
        };
        if values.is_empty() {
            self.error(
                Diagnostic::new(
                    "gfn::check::empty_range",
                    format!(
                        "`{}` in action `{}` has no values to take",
                        arg.name.name, action.name
                    ),
                )
                .label(arg.domain.span, "this domain is empty")
                .help(self.range_help("an action family needs at least one value")),
            );
            return None;
        }
        if values.len() > MAX_VALUES {
            self.error(
                Diagnostic::new(
                    "gfn::check::too_large",
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

    fn check_effect(&mut self, effect: &ast::Effect) -> Option<hir::Effect> {
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
                                    "gfn::check::type_mismatch",
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

    fn mismatch_in_assignment(&mut self, place: &hir::Place, value: &hir::Expr, want: &Type) {
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
                "gfn::check::type_mismatch",
                format!("cannot store {} in a place of type {}", value.ty, place.ty),
            )
            .label(value.span, format!("this is {}", value.ty))
            .label(place.span, format!("this place is {}", place.ty))
            .help(help),
        );
    }

    fn check_method_effect(
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
                let help = match names::closest(&method.name, ["insert", "remove", "push", "pop"]) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "effects on sets are `insert(e)` and `remove(e)`; on sequences `push(e)` and `pop()`".to_string(),
                };
                self.error(
                    Diagnostic::new(
                        "gfn::check::unknown_method",
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
                    "gfn::check::type_mismatch",
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
                        "gfn::check::wrong_arity",
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
                        "gfn::check::type_mismatch",
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

    fn check_place(&mut self, place: &ast::Place) -> Option<hir::Place> {
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
                            "gfn::check::not_indexable",
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
    fn check_places_written_once(&mut self, effects: &[hir::Effect]) {
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
                    Diagnostic::new("gfn::check::place_written_twice", "this action writes the same place twice")
                        .label(later.span, "written again here")
                        .label(earlier.span, "first written here")
                        .help("all right-hand sides read the state before the action; combine the two effects into one"),
                );
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Conditions and reward

    fn check_condition(&mut self, expr: &ast::Expr, what: &str) -> hir::Expr {
        let checked = self.check_expr(expr, Context::State);
        if !matches!(checked.ty, Type::Bool | Type::Error) {
            let help = if checked.ty.is_numeric() {
                "compare explicitly, e.g. `x > 0`"
            } else {
                "write a condition that is true or false"
            };
            self.error(
                Diagnostic::new(
                    "gfn::check::guard_not_bool",
                    format!("{what} must be a bool, but it is {}", checked.ty),
                )
                .label(checked.span, format!("this is {}", checked.ty))
                .help(help),
            );
        }
        checked
    }

    fn check_reward(&mut self, expr: &ast::Expr, is_log: bool) -> hir::Expr {
        let mut checked = self.check_expr(expr, Context::State);
        let word = if is_log { "log_reward" } else { "reward" };
        match checked.ty {
            Type::Int => checked.ty = Type::Float,
            Type::Float | Type::Error => {}
            Type::Bool => self.error(
                Diagnostic::new(
                    "gfn::check::bool_as_number",
                    format!("the {word} is a bool, not a number"),
                )
                .label(checked.span, "this is a bool")
                .help("convert it with float(...), e.g. `reward 0.1 + float(x == 3)`"),
            ),
            ref other => {
                let other = other.clone();
                self.error(
                    Diagnostic::new(
                        "gfn::check::type_mismatch",
                        format!("the {word} must be a number, not {other}"),
                    )
                    .label(checked.span, format!("this is {other}"))
                    .help("reduce it to one number, e.g. with sum(...)"),
                )
            }
        }
        checked
    }

    // -----------------------------------------------------------------------------------------
    // Lets

    /// Lets never called are still checked (with unknown argument types) so that their errors show.
    fn check_unused_lets(&mut self) {
        for index in 0..self.lets.len() {
            if self.instance_of.keys().any(|(l, _)| *l == index) {
                continue;
            }
            let arity = self.lets[index].params.map(|p| p.len()).unwrap_or(0);
            let span = self.lets[index].name.span;
            let saved = std::mem::take(&mut self.locals);
            self.let_instance(index, vec![Type::Error; arity], span);
            self.locals = saved;
        }
    }

    /// The instance of let `index` for these argument types, checking its body the first time.
    fn let_instance(
        &mut self,
        index: usize,
        arg_types: Vec<Type>,
        use_span: Span,
    ) -> Option<(usize, Type)> {
        let key = (
            index,
            arg_types
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(","),
        );
        let def_name = self.lets[index].name;
        // The recursion test comes first: an instance being checked is registered but empty.
        if self.let_stack.contains(&index) {
            self.error(
                Diagnostic::new("gfn::check::recursive_definition", format!("`{}` is defined in terms of itself", def_name.name))
                    .label(use_span, "used here inside its own definition")
                    .label(def_name.span, "defined here")
                    .help("lets cannot be recursive; write the computation with an aggregate such as sum(...) instead"),
            );
            return None;
        }
        if let Some(instance) = self.instance_of.get(&key) {
            return self.instances[*instance]
                .as_ref()
                .map(|i| (*instance, i.body.ty.clone()));
        }
        if self.let_stack.len() >= crate::compile::MAX_EXPANDED_DEPTH {
            self.error(
                Diagnostic::new(
                    "gfn::check::too_deep",
                    format!(
                        "lets nest more than {} deep here: `{}` uses a let that uses a let, and so on",
                        crate::compile::MAX_EXPANDED_DEPTH,
                        def_name.name
                    ),
                )
                .label(use_span, "used here, too deep")
                .help("compute the value in fewer steps (an aggregate such as sum(...) instead of a chain of lets)"),
            );
            return None;
        }
        let slot = self.instances.len();
        self.instances.push(None);
        self.instance_of.insert(key, slot);
        self.let_stack.push(index);
        let saved = std::mem::take(&mut self.locals);
        let params = self.lets[index].params.unwrap_or(&[]);
        for (param, ty) in params.iter().zip(&arg_types) {
            self.bind_local(param, ty.clone());
        }
        let body = self.check_expr(self.lets[index].body, Context::State);
        self.locals = saved;
        self.let_stack.pop();
        let ty = body.ty.clone();
        self.instances[slot] = Some(hir::LetInstance {
            name: def_name.name.clone(),
            arg_types,
            body,
            span: self.lets[index].span,
        });
        Some((slot, ty))
    }

    fn call_let(
        &mut self,
        index: usize,
        name: &ast::Ident,
        args: Option<&[ast::Expr]>,
        span: Span,
        context: Context,
    ) -> hir::Expr {
        let def = &self.lets[index];
        let arity = def.params.map(|p| p.len());
        let given = args.map(|a| a.len());
        let def_span = def.name.span;
        let mut checked_args = Vec::new();
        for arg in args.unwrap_or(&[]) {
            checked_args.push(self.check_expr(arg, context));
        }
        if arity != given {
            let (message, help) = match (arity, given) {
                (None, Some(_)) => (
                    format!("`{}` is a value, not a function", name.name),
                    format!("write `{}` without parentheses", name.name),
                ),
                (Some(n), None) => (
                    format!("`{}` takes {}", name.name, arity_text(n)),
                    format!("call it as `{}({})`", name.name, vec!["..."; n].join(", ")),
                ),
                (Some(n), Some(m)) => (
                    format!("`{}` takes {} but is given {m}", name.name, arity_text(n)),
                    "pass one value per parameter".to_string(),
                ),
                (None, None) => (String::new(), String::new()),
            };
            self.error(
                Diagnostic::new("gfn::check::wrong_arity", message)
                    .label(span, "used here")
                    .label(def_span, "defined here")
                    .help(help),
            );
            return error_expr(span);
        }
        if context == Context::Constant {
            self.error(not_constant(name, "a let, which is evaluated on the state"));
            return error_expr(span);
        }
        let arg_types = checked_args.iter().map(|a| a.ty.clone()).collect();
        match self.let_instance(index, arg_types, span) {
            Some((instance, ty)) => hir::Expr {
                kind: ExprKind::Let(instance, checked_args),
                ty,
                span,
            },
            None => error_expr(span),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Expressions

    fn bind_local(&mut self, name: &ast::Ident, ty: Type) {
        if names::is_reserved(&name.name) {
            self.error(reserved(name));
        } else if let Some((global, span)) = self.globals.get(name.name.as_str()).copied() {
            self.error(
                Diagnostic::new(
                    "gfn::check::shadowed_name",
                    format!("`{}` is already {}", name.name, global.describe()),
                )
                .label(name.span, "this name hides it")
                .label(span, "defined here")
                .help("names are not shadowed in .gfn files, so that every use means one thing; pick another name"),
            );
        } else if self.locals.iter().any(|l| l.name == name.name) {
            self.error(
                Diagnostic::new(
                    "gfn::check::shadowed_name",
                    format!("`{}` is already a variable here", name.name),
                )
                .label(name.span, "this name hides it")
                .help("pick another name for the inner variable"),
            );
        }
        self.locals.push(Local {
            name: name.name.clone(),
            ty,
        });
    }

    fn unknown_name(&self, name: &ast::Ident) -> Diagnostic {
        let mut candidates: Vec<&str> = self.globals.keys().copied().collect();
        candidates.extend(self.locals.iter().map(|l| l.name.as_str()));
        candidates.sort_unstable();
        let mut d = Diagnostic::new(
            "gfn::check::unknown_name",
            format!("unknown name `{}`", name.name),
        )
        .label(name.span, "not defined anywhere in this file");
        if let Some(close) = names::closest(&name.name, candidates) {
            d = d.help(format!("did you mean `{close}`?"));
        } else {
            d = d.help("define it with `param`, `const`, `let` or as a state field");
        }
        d
    }

    fn expect_int(&mut self, expr: &hir::Expr, what: &str) {
        match expr.ty {
            Type::Int | Type::Error => {}
            Type::Bool => self.error(bool_as_number(expr, what)),
            ref other => {
                let other = other.clone();
                self.error(
                    Diagnostic::new(
                        "gfn::check::type_mismatch",
                        format!("{what} must be an int, not {other}"),
                    )
                    .label(expr.span, format!("this is {other}"))
                    .help(if other == Type::Float {
                        "convert with floor(...), round(...) or int(...)"
                    } else {
                        "use an integer expression"
                    }),
                );
            }
        }
    }

    fn expect_number(&mut self, expr: &hir::Expr, what: &str) -> bool {
        match expr.ty {
            Type::Int | Type::Float | Type::Error => true,
            Type::Bool => {
                self.error(bool_as_number(expr, what));
                false
            }
            ref other => {
                let other = other.clone();
                self.error(
                    Diagnostic::new(
                        "gfn::check::type_mismatch",
                        format!("{what} must be a number, not {other}"),
                    )
                    .label(expr.span, format!("this is {other}"))
                    .help("reduce it to a number, e.g. with sum(...) or len(...)"),
                );
                false
            }
        }
    }

    fn expect_bool(&mut self, expr: &hir::Expr, what: &str) -> bool {
        match expr.ty {
            Type::Bool | Type::Error => true,
            ref other => {
                let other = other.clone();
                self.error(
                    Diagnostic::new(
                        "gfn::check::type_mismatch",
                        format!("{what} must be a bool, not {other}"),
                    )
                    .label(expr.span, format!("this is {other}"))
                    .help(if other.is_numeric() {
                        "compare explicitly, e.g. `x != 0`"
                    } else {
                        "write a condition"
                    }),
                );
                false
            }
        }
    }

    fn check_expr(&mut self, expr: &ast::Expr, context: Context) -> hir::Expr {
        let span = expr.span;
        let typed = |kind, ty| hir::Expr { kind, ty, span };
        match &expr.kind {
            ast::ExprKind::Int(Some(v)) => typed(ExprKind::Const(Value::Int(*v)), Type::Int),
            ast::ExprKind::Int(None) => {
                self.error(
                    Diagnostic::new(
                        "gfn::check::literal_out_of_range",
                        "this integer does not fit in 64 bits",
                    )
                    .label(span, "too large")
                    .help(format!(
                        "integers lie between {} and {}",
                        i64::MIN,
                        i64::MAX
                    )),
                );
                error_expr(span)
            }
            ast::ExprKind::Float(text) => {
                match Number::parse_decimal(text).filter(|n| n.to_f64().is_finite()) {
                    Some(n) => typed(ExprKind::Const(Value::Float(n)), Type::Float),
                    None => {
                        self.error(
                            Diagnostic::new(
                                "gfn::check::literal_out_of_range",
                                "this number is too large for a 64-bit float",
                            )
                            .label(span, "too large")
                            .help("floats lie within about ±1.8e308"),
                        );
                        error_expr(span)
                    }
                }
            }
            ast::ExprKind::Bool(b) => typed(ExprKind::Const(Value::Bool(*b)), Type::Bool),
            ast::ExprKind::Name(name) => self.check_name(name, context),
            ast::ExprKind::Array(items) => {
                let items: Vec<hir::Expr> =
                    items.iter().map(|i| self.check_expr(i, context)).collect();
                let mut element = Type::Error;
                for item in &items {
                    match element.unify(&item.ty) {
                        Some(t) => element = t,
                        None => {
                            self.error(
                                Diagnostic::new(
                                    "gfn::check::type_mismatch",
                                    format!(
                                        "array elements must have one type; found {element} and {}",
                                        item.ty
                                    ),
                                )
                                .label(item.span, format!("this is {}", item.ty))
                                .help("make all elements the same type"),
                            );
                            return error_expr(span);
                        }
                    }
                }
                let n = items.len();
                let ty = Type::Array(Box::new(element), n);
                if !self.fits_in_memory(&ty, span) {
                    return error_expr(span);
                }
                typed(ExprKind::Array(items), ty)
            }
            ast::ExprKind::Repeat { value, count } => {
                let value = self.check_expr(value, context);
                let saved = std::mem::take(&mut self.locals);
                let n = self.constant_length(count, "the count of a repeated array");
                self.locals = saved;
                match n {
                    Some(n) => {
                        let ty = Type::Array(Box::new(value.ty.clone()), n);
                        if !self.fits_in_memory(&ty, span) {
                            return error_expr(span);
                        }
                        typed(ExprKind::Repeat(Box::new(value), n), ty)
                    }
                    None => error_expr(span),
                }
            }
            ast::ExprKind::Unary(op, operand) => {
                let operand = self.check_expr(operand, context);
                let ty = match op {
                    UnaryOp::Neg => {
                        if !self.expect_number(&operand, "the operand of `-`") {
                            return error_expr(span);
                        }
                        operand.ty.clone()
                    }
                    UnaryOp::Not => {
                        if !self.expect_bool(&operand, "the operand of `not`") {
                            return error_expr(span);
                        }
                        Type::Bool
                    }
                };
                typed(ExprKind::Unary(*op, Box::new(operand)), ty)
            }
            ast::ExprKind::Binary(op, a, b) => self.check_binary(*op, a, b, span, context),
            ast::ExprKind::Compare(first, rest) => self.check_compare(first, rest, span, context),
            ast::ExprKind::Range { .. } => {
                self.error(
                    Diagnostic::new("gfn::check::range_outside_domain", "a range is not a value")
                        .label(span, "this range")
                        .help("ranges appear in state types, action arguments (`i in 0..N`), aggregates (`sum(i in 0..N: ...)`) and after `in`"),
                );
                error_expr(span)
            }
            ast::ExprKind::If(c, a, b) => {
                let c = self.check_expr(c, context);
                let a = self.check_expr(a, context);
                let b = self.check_expr(b, context);
                if !self.expect_bool(&c, "the condition of `if`") {
                    return error_expr(span);
                }
                match a.ty.unify(&b.ty) {
                    Some(ty) => typed(ExprKind::If(Box::new(c), Box::new(a), Box::new(b)), ty),
                    None => {
                        self.error(
                            Diagnostic::new(
                                "gfn::check::type_mismatch",
                                format!(
                                    "the branches of `if` have different types: {} and {}",
                                    a.ty, b.ty
                                ),
                            )
                            .label(a.span, format!("this is {}", a.ty))
                            .label(b.span, format!("this is {}", b.ty))
                            .help("both branches must give the same type"),
                        );
                        error_expr(span)
                    }
                }
            }
            ast::ExprKind::Index(base, index) => {
                let base = self.check_expr(base, context);
                let index = self.check_expr(index, context);
                self.expect_int(&index, "an index");
                let ty = match &base.ty {
                    Type::Array(t, n) => {
                        if let ExprKind::Const(Value::Int(i)) = index.kind {
                            if i < 0 || i as u64 >= *n as u64 {
                                self.error(
                                    Diagnostic::new(
                                        "gfn::check::index_out_of_range",
                                        format!(
                                            "index {i} is out of range for an array of length {n}"
                                        ),
                                    )
                                    .label(index.span, format!("valid indices are 0..{n}"))
                                    .help("indices start at 0; negative indices are not allowed"),
                                );
                                return error_expr(span);
                            }
                        }
                        (**t).clone()
                    }
                    Type::Seq(t) => (**t).clone(),
                    Type::Error => Type::Error,
                    other => {
                        let other = other.clone();
                        self.error(
                            Diagnostic::new(
                                "gfn::check::not_indexable",
                                format!("a value of type {other} cannot be indexed"),
                            )
                            .label(base.span, format!("this is {other}"))
                            .help(if other == Type::Set {
                                "test membership with `e in S` instead"
                            } else {
                                "only arrays and sequences can be indexed"
                            }),
                        );
                        return error_expr(span);
                    }
                };
                typed(ExprKind::Index(Box::new(base), Box::new(index)), ty)
            }
            ast::ExprKind::Call(function, args) => self.check_call(function, args, span, context),
            ast::ExprKind::Method(receiver, method, args) => {
                self.check_method(receiver, method, args, span, context)
            }
            ast::ExprKind::Aggregate {
                function,
                variable,
                domain,
                body,
            } => self.check_aggregate(function, variable, domain, body, span, context),
        }
    }

    fn check_name(&mut self, name: &ast::Ident, context: Context) -> hir::Expr {
        let span = name.span;
        if let Some(slot) = self.locals.iter().rposition(|l| l.name == name.name) {
            let ty = self.locals[slot].ty.clone();
            return hir::Expr {
                kind: ExprKind::Local(slot),
                ty,
                span,
            };
        }
        match self.globals.get(name.name.as_str()).copied() {
            Some((Global::Param(i) | Global::Const(i), _)) => {
                match self.resolve_constant(i, Some(span)) {
                    (Some(value), ty) => hir::Expr {
                        kind: ExprKind::Const(value),
                        ty,
                        span,
                    },
                    (None, _) => error_expr(span),
                }
            }
            Some((Global::Field(i), _)) => {
                if context == Context::Constant {
                    self.error(not_constant(name, "a state field"));
                    return error_expr(span);
                }
                match self.fields.get(i).cloned().flatten() {
                    Some(field) => hir::Expr {
                        kind: ExprKind::Field(i),
                        ty: field.ty.value_type(),
                        span,
                    },
                    None => error_expr(span),
                }
            }
            Some((Global::Let(i), _)) => self.call_let(i, name, None, span, context),
            None => {
                if names::is_reserved(&name.name) {
                    self.error(
                        Diagnostic::new(
                            "gfn::check::not_a_value",
                            format!("`{}` is a function, not a value", name.name),
                        )
                        .label(span, "used as a value")
                        .help(format!("call it, e.g. `{}(x)`", name.name)),
                    );
                } else {
                    self.error(self.unknown_name(name));
                }
                error_expr(span)
            }
        }
    }

    fn check_binary(
        &mut self,
        op: BinaryOp,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
        context: Context,
    ) -> hir::Expr {
        let a = self.check_expr(a, context);
        let b = self.check_expr(b, context);
        let symbol = op.symbol();
        let ty = match op {
            BinaryOp::And | BinaryOp::Or => {
                let ok_a = self.expect_bool(&a, &format!("an operand of `{symbol}`"));
                let ok_b = self.expect_bool(&b, &format!("an operand of `{symbol}`"));
                if !(ok_a && ok_b) {
                    return error_expr(span);
                }
                Type::Bool
            }
            _ => {
                let what = format!("an operand of `{symbol}`");
                let ok_a = self.expect_number(&a, &what);
                let ok_b = self.expect_number(&b, &what);
                if !(ok_a && ok_b) {
                    return error_expr(span);
                }
                let both_int = a.ty != Type::Float && b.ty != Type::Float;
                match op {
                    BinaryOp::Div => Type::Float,
                    BinaryOp::FloorDiv | BinaryOp::Rem => {
                        if !both_int {
                            let float_side = if a.ty == Type::Float { &a } else { &b };
                            self.error(
                                Diagnostic::new(
                                    "gfn::check::integer_only",
                                    format!("`{symbol}` works on integers only"),
                                )
                                .label(float_side.span, "this is a float")
                                .help(
                                    if op == BinaryOp::FloorDiv {
                                        "use floor(a / b) for floats"
                                    } else {
                                        "convert the operands with int(...) or floor(...)"
                                    },
                                ),
                            );
                            return error_expr(span);
                        }
                        Type::Int
                    }
                    _ if a.ty.is_error() || b.ty.is_error() => Type::Error,
                    _ if both_int => Type::Int,
                    _ => Type::Float,
                }
            }
        };
        hir::Expr {
            kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
            ty,
            span,
        }
    }

    fn check_compare(
        &mut self,
        first: &ast::Expr,
        rest: &[(CompareOp, Span, ast::Expr)],
        span: Span,
        context: Context,
    ) -> hir::Expr {
        let first = self.check_expr(first, context);
        let mut left_ty = first.ty.clone();
        let mut left_span = first.span;
        let mut checked_rest = Vec::new();
        let mut ok = true;
        for (op, op_span, operand) in rest {
            match op {
                CompareOp::In | CompareOp::NotIn => {
                    let (domain, element) = self.check_domain(operand, context);
                    if !left_ty.fits(&element) && !element.fits(&left_ty) {
                        self.error(
                            Diagnostic::new(
                                "gfn::check::type_mismatch",
                                format!(
                                    "`{}` tests a {left_ty} against elements of type {element}",
                                    op.symbol()
                                ),
                            )
                            .label(left_span, format!("this is {left_ty}"))
                            .label(*op_span, format!("elements here are {element}"))
                            .help("test a value of the collection's element type"),
                        );
                        ok = false;
                    }
                    left_ty = domain.ty.clone();
                    left_span = domain.span;
                    checked_rest.push((*op, domain));
                }
                _ => {
                    let right = self.check_expr(operand, context);
                    let ordered = !matches!(op, CompareOp::Eq | CompareOp::Ne);
                    let comparable = if ordered {
                        left_ty.is_numeric() && right.ty.is_numeric()
                    } else {
                        left_ty.unify(&right.ty).is_some() && !matches!(left_ty, Type::Range)
                    };
                    if !comparable {
                        let (code, help) =
                            if ordered && (left_ty == Type::Bool || right.ty == Type::Bool) {
                                (
                                "gfn::check::bool_as_number",
                                "bools have no order; convert with int(...) to compare as numbers",
                            )
                            } else {
                                (
                                    "gfn::check::type_mismatch",
                                    "compare values of the same type",
                                )
                            };
                        self.error(
                            Diagnostic::new(
                                code,
                                format!(
                                    "cannot compare {left_ty} with {} using `{}`",
                                    right.ty,
                                    op.symbol()
                                ),
                            )
                            .label(left_span, format!("this is {left_ty}"))
                            .label(right.span, format!("this is {}", right.ty))
                            .help(help),
                        );
                        ok = false;
                    }
                    left_ty = right.ty.clone();
                    left_span = right.span;
                    checked_rest.push((*op, right));
                }
            }
        }
        if !ok {
            return error_expr(span);
        }
        hir::Expr {
            kind: ExprKind::Compare(Box::new(first), checked_rest),
            ty: Type::Bool,
            span,
        }
    }

    /// A domain (`A..B`, a set, a sequence or an array) and the type of its elements.
    fn check_domain(&mut self, expr: &ast::Expr, context: Context) -> (hir::Expr, Type) {
        if let ast::ExprKind::Range { lo, hi, inclusive } = &expr.kind {
            let lo = self.check_expr(lo, context);
            let hi = self.check_expr(hi, context);
            self.expect_int(&lo, "a range bound");
            self.expect_int(&hi, "a range bound");
            let ty = if lo.ty.is_error() || hi.ty.is_error() {
                Type::Error
            } else {
                Type::Int
            };
            let range = hir::Expr {
                kind: ExprKind::Range {
                    lo: Box::new(lo),
                    hi: Box::new(hi),
                    inclusive: *inclusive,
                },
                ty: Type::Range,
                span: expr.span,
            };
            return (range, ty);
        }
        let domain = self.check_expr(expr, context);
        let element = match &domain.ty {
            Type::Set => Type::Int,
            Type::Array(t, _) | Type::Seq(t) => (**t).clone(),
            Type::Error => Type::Error,
            other => {
                let other = other.clone();
                self.error(
                    Diagnostic::new(
                        "gfn::check::not_a_domain",
                        format!("a value of type {other} has no elements to range over"),
                    )
                    .label(domain.span, format!("this is {other}"))
                    .help(if other == Type::Int {
                        "write a range such as `0..N`"
                    } else {
                        "use a range, a set, a sequence or an array"
                    }),
                );
                Type::Error
            }
        };
        (domain, element)
    }

    fn check_aggregate(
        &mut self,
        function: &ast::Ident,
        variable: &ast::Ident,
        domain: &ast::Expr,
        body: &ast::Expr,
        span: Span,
        context: Context,
    ) -> hir::Expr {
        let Some(aggregate) = Aggregate::from_name(&function.name) else {
            let help = match names::closest(
                &function.name,
                ["sum", "prod", "min", "max", "all", "any", "count"],
            ) {
                Some(close) => format!("did you mean `{close}`?"),
                None => "the aggregates are sum, prod, min, max, all, any and count".to_string(),
            };
            self.error(
                Diagnostic::new(
                    "gfn::check::unknown_aggregate",
                    format!("`{}` is not an aggregate", function.name),
                )
                .label(function.span, "not an aggregate")
                .help(help),
            );
            return error_expr(span);
        };
        let (domain, element) = self.check_domain(domain, context);
        let slot = self.locals.len();
        self.bind_local(variable, element);
        let body = self.check_expr(body, context);
        self.locals.truncate(slot);
        let ty = self.aggregate_type(aggregate, &function.name, &body);
        hir::Expr {
            kind: ExprKind::Aggregate {
                function: aggregate,
                slot,
                domain: Box::new(domain),
                body: Box::new(body),
            },
            ty,
            span,
        }
    }

    fn aggregate_type(&mut self, aggregate: Aggregate, name: &str, body: &hir::Expr) -> Type {
        match aggregate {
            Aggregate::Sum | Aggregate::Prod | Aggregate::Min | Aggregate::Max => {
                if body.ty == Type::Bool && aggregate == Aggregate::Sum {
                    self.error(
                        Diagnostic::new(
                            "gfn::check::bool_as_number",
                            format!("`{name}` adds numbers, but this is a bool"),
                        )
                        .label(body.span, "this is a bool")
                        .help("use count(...) to count how often a condition holds"),
                    );
                    return Type::Error;
                }
                if self.expect_number(body, &format!("the body of `{name}`")) {
                    body.ty.clone()
                } else {
                    Type::Error
                }
            }
            Aggregate::All | Aggregate::Any | Aggregate::Count => {
                if !self.expect_bool(body, &format!("the body of `{name}`")) {
                    return Type::Error;
                }
                if aggregate == Aggregate::Count {
                    Type::Int
                } else {
                    Type::Bool
                }
            }
        }
    }

    fn check_call(
        &mut self,
        function: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        context: Context,
    ) -> hir::Expr {
        match self.globals.get(function.name.as_str()).copied() {
            Some((Global::Let(i), _)) => {
                return self.call_let(i, function, Some(args), span, context)
            }
            Some((global, def)) => {
                self.error(
                    Diagnostic::new(
                        "gfn::check::not_callable",
                        format!(
                            "`{}` is {}, not a function",
                            function.name,
                            global.describe()
                        ),
                    )
                    .label(function.span, "called here")
                    .label(def, "defined here")
                    .help("index arrays with `x[i]`; define functions with `let f(i) = ...`"),
                );
                return error_expr(span);
            }
            None => {}
        }
        let checked: Vec<hir::Expr> = args.iter().map(|a| self.check_expr(a, context)).collect();
        // sum(x), min(x), all(x) over a collection, as in Python.
        if let (Some(aggregate), [collection]) =
            (Aggregate::from_name(&function.name), checked.as_slice())
        {
            if matches!(collection.ty, Type::Array(..) | Type::Seq(_) | Type::Set) {
                return self.aggregate_over(aggregate, &function.name, collection.clone(), span);
            }
        }
        let Some(builtin) = Builtin::from_name(&function.name) else {
            if Aggregate::from_name(&function.name).is_some() {
                self.error(
                    Diagnostic::new(
                        "gfn::check::wrong_arity",
                        format!(
                            "`{}` takes a collection or `VAR in DOMAIN: EXPR`",
                            function.name
                        ),
                    )
                    .label(span, "called here")
                    .help(format!(
                        "write `{}(i in 0..N: EXPR)` or `{}(ARRAY)`",
                        function.name, function.name
                    )),
                );
            } else {
                let mut candidates: Vec<&str> = names::RESERVED.to_vec();
                candidates.extend(self.lets.iter().map(|l| l.name.name.as_str()));
                let mut d = Diagnostic::new(
                    "gfn::check::unknown_name",
                    format!("unknown function `{}`", function.name),
                )
                .label(function.span, "no function has this name");
                d = match names::closest(&function.name, candidates) {
                    Some(close) => d.help(format!("did you mean `{close}`?")),
                    None => d.help("define it with `let NAME(ARG) = ...`"),
                };
                self.error(d);
            }
            return error_expr(span);
        };
        let arity = if matches!(builtin, Builtin::Min | Builtin::Max) {
            2
        } else {
            1
        };
        if checked.len() != arity {
            self.error(
                Diagnostic::new(
                    "gfn::check::wrong_arity",
                    format!(
                        "`{}` takes {} but is given {}",
                        function.name,
                        arity_text(arity),
                        checked.len()
                    ),
                )
                .label(span, "called here")
                .help(if arity == 2 {
                    format!(
                        "write `{}(a, b)` or `{}(i in DOMAIN: EXPR)`",
                        function.name, function.name
                    )
                } else {
                    format!("write `{}(x)`", function.name)
                }),
            );
            return error_expr(span);
        }
        let Some(ty) = self.builtin_type(builtin, &function.name, &checked) else {
            return error_expr(span);
        };
        hir::Expr {
            kind: ExprKind::Builtin(builtin, checked),
            ty,
            span,
        }
    }

    /// `sum(x)` as `sum(v in x: v)`.
    fn aggregate_over(
        &mut self,
        aggregate: Aggregate,
        name: &str,
        collection: hir::Expr,
        span: Span,
    ) -> hir::Expr {
        let element = match &collection.ty {
            Type::Array(t, _) | Type::Seq(t) => (**t).clone(),
            _ => Type::Int,
        };
        let slot = self.locals.len();
        let body = hir::Expr {
            kind: ExprKind::Local(slot),
            ty: element,
            span: collection.span,
        };
        let ty = self.aggregate_type(aggregate, name, &body);
        hir::Expr {
            kind: ExprKind::Aggregate {
                function: aggregate,
                slot,
                domain: Box::new(collection),
                body: Box::new(body),
            },
            ty,
            span,
        }
    }

    fn builtin_type(&mut self, builtin: Builtin, name: &str, args: &[hir::Expr]) -> Option<Type> {
        let what = format!("the argument of `{name}`");
        let first = args.first()?;
        match builtin {
            Builtin::Abs => self.expect_number(first, &what).then(|| first.ty.clone()),
            Builtin::Exp
            | Builtin::Log
            | Builtin::Sqrt
            | Builtin::Sin
            | Builtin::Cos
            | Builtin::Tanh => self.expect_number(first, &what).then_some(Type::Float),
            Builtin::Floor | Builtin::Ceil | Builtin::Round => {
                self.expect_number(first, &what).then_some(Type::Int)
            }
            Builtin::Float | Builtin::Int => match first.ty {
                Type::Bool | Type::Int | Type::Float | Type::Error => {
                    Some(if builtin == Builtin::Float {
                        Type::Float
                    } else {
                        Type::Int
                    })
                }
                ref other => {
                    let other = other.clone();
                    self.error(
                        Diagnostic::new(
                            "gfn::check::type_mismatch",
                            format!("`{name}` converts a bool or a number, not {other}"),
                        )
                        .label(first.span, format!("this is {other}"))
                        .help("reduce the collection first, e.g. with sum(...) or len(...)"),
                    );
                    None
                }
            },
            Builtin::Len => match first.ty {
                Type::Array(..) | Type::Seq(_) | Type::Set | Type::Error => Some(Type::Int),
                ref other => {
                    let other = other.clone();
                    self.error(
                        Diagnostic::new(
                            "gfn::check::type_mismatch",
                            format!("`{name}` needs an array, set or sequence, not {other}"),
                        )
                        .label(first.span, format!("this is {other}"))
                        .help("only collections have a length"),
                    );
                    None
                }
            },
            Builtin::Min | Builtin::Max => {
                let second = args.get(1)?;
                let ok = self.expect_number(first, &what) & self.expect_number(second, &what);
                ok.then(|| first.ty.unify(&second.ty).unwrap_or(Type::Float))
            }
        }
    }

    fn check_method(
        &mut self,
        receiver: &ast::Expr,
        method: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        context: Context,
    ) -> hir::Expr {
        let receiver_checked = self.check_expr(receiver, context);
        match (method.name.as_str(), args) {
            ("len" | "size", []) => {
                let args = vec![receiver_checked];
                match self.builtin_type(Builtin::Len, &method.name, &args) {
                    Some(ty) => hir::Expr {
                        kind: ExprKind::Builtin(Builtin::Len, args),
                        ty,
                        span,
                    },
                    None => error_expr(span),
                }
            }
            ("contains", [element]) => {
                // S.contains(e) is e in S.
                let rest = vec![(CompareOp::In, method.span, receiver.clone())];
                self.check_compare(element, &rest, span, context)
            }
            ("insert" | "remove" | "push" | "pop", _) => {
                self.error(
                    Diagnostic::new(
                        "gfn::check::effect_in_expression",
                        format!(
                            "`.{}(...)` changes the state and cannot be used in an expression",
                            method.name
                        ),
                    )
                    .label(method.span, "an effect")
                    .help("write effects inside an action's `{ ... }`"),
                );
                error_expr(span)
            }
            ("len" | "size" | "contains", _) => {
                let n = usize::from(method.name == "contains");
                self.error(
                    Diagnostic::new(
                        "gfn::check::wrong_arity",
                        format!("`.{}` takes {}", method.name, arity_text(n)),
                    )
                    .label(span, "called here")
                    .help(if n == 1 {
                        "write `S.contains(e)`"
                    } else {
                        "write `s.len()`"
                    }),
                );
                error_expr(span)
            }
            _ => {
                let help = match names::closest(&method.name, ["len", "size", "contains"]) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "the methods are `.len()`, `.size()` and `.contains(e)`".to_string(),
                };
                self.error(
                    Diagnostic::new(
                        "gfn::check::unknown_method",
                        format!("there is no method `.{}`", method.name),
                    )
                    .label(method.span, "unknown method")
                    .help(help),
                );
                error_expr(span)
            }
        }
    }
}

fn error_expr(span: Span) -> hir::Expr {
    hir::Expr {
        kind: ExprKind::Const(Value::Bool(false)),
        ty: Type::Error,
        span,
    }
}

/// Parse a float given on the command line (`0.1`, `1e-3`, `-2`).
fn parse_float_text(text: &str) -> Option<Number> {
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

fn slot_count(ty: &FieldType) -> f64 {
    match ty {
        FieldType::Bool | FieldType::Int { .. } => 1.0,
        FieldType::Array(t, n) => slot_count(t) * *n as f64,
        FieldType::Set { lo, hi } => (*hi as f64) - (*lo as f64),
        FieldType::Seq(t, n) => 1.0 + slot_count(t) * *n as f64,
    }
}

/// Whether two places can be proven to overlap: the same field, and index by index the same
/// constant or the same expression text, until one of them stops.
fn may_be_same_place(a: &hir::Place, b: &hir::Place) -> bool {
    if a.field != b.field {
        return false;
    }
    a.indices
        .iter()
        .zip(&b.indices)
        .all(|(x, y)| same_index(x, y))
}

fn same_index(x: &hir::Expr, y: &hir::Expr) -> bool {
    match (&x.kind, &y.kind) {
        (ExprKind::Const(a), ExprKind::Const(b)) => a == b,
        (ExprKind::Local(a), ExprKind::Local(b)) => a == b,
        (ExprKind::Field(a), ExprKind::Field(b)) => a == b,
        _ => false,
    }
}

fn reserved(name: &ast::Ident) -> Diagnostic {
    Diagnostic::new(
        "gfn::check::reserved_name",
        format!("`{}` is a built-in name and cannot be redefined", name.name),
    )
    .label(name.span, "reserved")
    .help(format!(
        "pick another name, such as `{}_` or `my_{}`",
        name.name, name.name
    ))
}

fn non_state_place(name: &ast::Ident, what: &str) -> Diagnostic {
    Diagnostic::new(
        "gfn::check::effect_on_non_state",
        format!(
            "`{}` is {what}; effects can only change state fields",
            name.name
        ),
    )
    .label(name.span, "not a state field")
    .help("declare it inside `state { ... }` if it should change")
}

fn not_constant(name: &ast::Ident, what: &str) -> Diagnostic {
    Diagnostic::new("gfn::check::not_constant", format!("`{}` is {what}, but a constant is needed here", name.name))
        .label(name.span, "not a constant")
        .help("bounds, lengths, domains, initial values, params and consts may use only literals, params and consts")
}

fn bool_as_number(expr: &hir::Expr, what: &str) -> Diagnostic {
    Diagnostic::new(
        "gfn::check::bool_as_number",
        format!("{what} must be a number, but this is a bool"),
    )
    .label(expr.span, "this is a bool")
    .help("a bool is never a number implicitly: convert it with float(...) or int(...)")
}

fn eval_error(error: &EvalError) -> Diagnostic {
    let code = match error.kind {
        EvalErrorKind::Arith(ArithError::DivisionByZero) => "gfn::check::division_by_zero",
        EvalErrorKind::Arith(ArithError::Overflow) => "gfn::check::overflow",
        EvalErrorKind::Arith(_) => "gfn::check::domain_error",
        EvalErrorKind::IndexOutOfRange { .. } => "gfn::check::index_out_of_range",
        EvalErrorKind::EmptyAggregate => "gfn::check::empty_aggregate",
        EvalErrorKind::TooManyElements => "gfn::check::too_large",
        EvalErrorKind::NotConstant => "gfn::check::not_constant",
        EvalErrorKind::Internal(_) => "gfn::check::internal",
    };
    Diagnostic::new(
        code,
        format!("this constant cannot be computed: {}", error.kind),
    )
    .label(error.span, error.kind.to_string())
    .help("constants are computed when the file is checked; change the params or the expression")
}
