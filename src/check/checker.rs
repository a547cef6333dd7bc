//! AST → [`Model`]: resolves names, types every expression, folds params and consts, resolves
//! state types, and collects every static error in one pass.

use super::Override;
use crate::diagnostic::codes;
use crate::diagnostic::{sort_and_dedup, Diagnostic};
use crate::hir::types::{Type, Value};
use crate::hir::{self, Model};
use crate::span::Span;
use crate::syntax::ast::{self, ItemKind};
use std::collections::HashMap;

/// The most scalar slots one state may hold (elements of arrays, set members, sequence items).
pub const MAX_STATE_SLOTS: f64 = 65_536.0;
/// The most values one action family or array literal may have.
pub const MAX_VALUES: usize = 1 << 20;

/// Check a parsed program with `--set` overrides.
pub fn check(
    program: &ast::Program,
    overrides: &[Override],
    dir: &std::path::Path,
) -> Result<Model, Vec<Diagnostic>> {
    let mut checker = Checker::new(program, overrides, dir);
    let model = checker.run();
    let mut diagnostics = checker.diagnostics;
    if diagnostics.is_empty() {
        if let Some(model) = model {
            return Ok(model);
        }
        diagnostics.push(Diagnostic::new(
            codes::check::INTERNAL,
            "internal error: no model and no diagnostic",
        ));
    }
    sort_and_dedup(&mut diagnostics);
    Err(diagnostics)
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Global {
    Param(usize),
    Const(usize),
    Field(usize),
    Let(usize),
}

impl Global {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Global::Param(_) => "a param",
            Global::Const(_) => "a const",
            Global::Field(_) => "a state field",
            Global::Let(_) => "a let",
        }
    }
}

/// A param or const: its definition and how far its value has been worked out.
pub(super) struct ConstantDef<'a> {
    pub(super) name: &'a ast::Ident,
    pub(super) declared: Option<(ast::ParamType, Span)>,
    /// A param's array lengths, outermost first (empty for a scalar).
    pub(super) dims: &'a [ast::Expr],
    pub(super) value: &'a ast::Expr,
    pub(super) state: Resolution,
    pub(super) overridden: bool,
}

#[derive(Clone)]
pub(super) enum Resolution {
    Pending,
    InProgress,
    Done(Value, Type),
    Failed,
}

pub(super) struct LetDef<'a> {
    pub(super) name: &'a ast::Ident,
    pub(super) params: Option<&'a [ast::Ident]>,
    pub(super) body: &'a ast::Expr,
    pub(super) span: Span,
}

/// A variable in scope: action argument, let parameter or aggregate variable.
pub(super) struct Local {
    pub(super) name: String,
    pub(super) ty: Type,
}

/// What an expression may read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    /// Only literals, params and consts: bounds, initial values, param and const values.
    Constant,
    /// The state too.
    State,
}

/// What the items other than the state and the definitions give.
pub(super) struct Items {
    pub(super) actions: Vec<hir::Action>,
    pub(super) stop: Option<(Option<hir::Expr>, Span)>,
    pub(super) done: Option<(hir::Expr, Span)>,
    pub(super) mode: Option<(hir::Expr, Span)>,
    pub(super) mode_key: Option<hir::Expr>,
    pub(super) reward: Option<(hir::Reward, Span)>,
}

pub(super) struct Checker<'a> {
    pub(super) program: &'a ast::Program,
    pub(super) overrides: &'a [Override],
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) globals: HashMap<&'a str, (Global, Span)>,
    pub(super) constants: Vec<ConstantDef<'a>>,
    pub(super) fields: Vec<Option<hir::Field>>,
    pub(super) field_names: Vec<&'a ast::Ident>,
    pub(super) lets: Vec<LetDef<'a>>,
    pub(super) instances: Vec<Option<hir::LetInstance>>,
    pub(super) instance_of: HashMap<(usize, String), usize>,
    pub(super) let_stack: Vec<usize>,
    pub(super) locals: Vec<Local>,
    /// The folder `load` paths are relative to.
    pub(super) dir: &'a std::path::Path,
    /// While checking the reward item: whether it is `log_reward`.
    pub(super) reward_context: Option<bool>,
    pub(super) scorers: Vec<hir::Scorer>,
}

pub(super) fn arity_text(n: usize) -> String {
    match n {
        1 => "1 argument".to_string(),
        n => format!("{n} arguments"),
    }
}

impl<'a> Checker<'a> {
    pub(super) fn new(
        program: &'a ast::Program,
        overrides: &'a [Override],
        dir: &'a std::path::Path,
    ) -> Checker<'a> {
        Checker {
            dir,
            reward_context: None,
            scorers: Vec::new(),
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

    pub(super) fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub(super) fn run(&mut self) -> Option<Model> {
        let name = self.check_env_item();
        self.collect_globals();
        self.apply_overrides();
        for index in 0..self.constants.len() {
            self.resolve_constant(index, None);
        }
        self.check_state();
        let Items {
            actions,
            stop,
            done,
            mode,
            mode_key,
            reward,
        } = self.check_items();
        self.check_unused_lets();
        self.check_exits(stop.is_some() || done.is_some(), reward.is_some());
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
            mode_key,
            scorers: std::mem::take(&mut self.scorers),
            dir: self.dir.to_path_buf(),
        })
    }

    /// Actions, exits, mode and reward, item by item.
    fn check_items(&mut self) -> Items {
        let mut actions = Vec::new();
        let mut stop: Option<(Option<hir::Expr>, Span)> = None;
        let mut done: Option<(hir::Expr, Span)> = None;
        let mut mode: Option<(hir::Expr, Span)> = None;
        let mut mode_key: Option<hir::Expr> = None;
        let mut reward: Option<(hir::Reward, Span)> = None;
        let mut action_names: HashMap<&str, Span> = HashMap::new();
        for item in &self.program.items {
            match &item.kind {
                ItemKind::Action {
                    name,
                    args,
                    guard,
                    effects,
                } => {
                    // Two families of one name would print as the same actions everywhere.
                    if let Some(first) = action_names.insert(&name.name, name.span) {
                        self.error(
                            Diagnostic::new(
                                codes::check::DUPLICATE_DEFINITION,
                                format!("two actions are named `{}`", name.name),
                            )
                            .label(name.span, "second action of this name")
                            .label(first, "first one here")
                            .help("rename one of them (or give one family arguments)"),
                        );
                    }
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
                ItemKind::Mode(cond, key) => {
                    let cond = self.check_condition(cond, "the `mode` condition");
                    if mode.is_none() {
                        mode_key = key.as_ref().map(|key| self.check_mode_key(key));
                    }
                    self.single(&mut mode, cond, item, "mode");
                }
                ItemKind::Reward(expr) | ItemKind::LogReward(expr) => {
                    let is_log = matches!(item.kind, ItemKind::LogReward(_));
                    let checked = self.check_reward(expr, is_log);
                    if let Some((_, first)) = &reward {
                        let first = *first;
                        self.error(
                            Diagnostic::new(
                                codes::check::DUPLICATE_REWARD,
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
        Items {
            actions,
            stop,
            done,
            mode,
            mode_key,
            reward,
        }
    }

    /// An environment needs a way to end and a reward.
    fn check_exits(&mut self, has_exit: bool, has_reward: bool) {
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
        if !has_exit {
            self.error(
                Diagnostic::new(codes::check::MISSING_EXIT, "the environment has neither `stop` nor `done`")
                    .label(env_name, "no trajectory of this environment could ever end")
                    .help("add `stop` (any state may end the trajectory), `stop when COND`, or `done when COND`"),
            );
        }
        if !has_reward {
            self.error(
                Diagnostic::new(
                    codes::check::MISSING_REWARD,
                    "the environment has no reward",
                )
                .label(
                    env_name,
                    "this environment needs `reward EXPR` or `log_reward EXPR`",
                )
                .help("add a line such as `reward 1.0 + float(count(i in 0..N: b[i]))`"),
            );
        }
    }

    /// Record an item that may appear once, reporting a second one.
    pub(super) fn single<T>(
        &mut self,
        slot: &mut Option<(T, Span)>,
        value: T,
        item: &ast::Item,
        word: &str,
    ) {
        match slot {
            Some((_, first)) => {
                let first = *first;
                self.error(
                    Diagnostic::new(
                        codes::check::DUPLICATE_ITEM,
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
}
