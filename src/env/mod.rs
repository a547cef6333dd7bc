//! The environment the trainer and every evaluation use: the initial state, the flat action
//! space (every value of every family, then `stop`), forward and backward masks, steps, derived
//! parents, terminal tests, rewards, one-hot encodings and readable states. States are slices
//! of `i32` of [`Environment::width`]; batched forms take many states back to back.

mod cache;
pub mod dag;
mod effects;
mod parents;
pub mod probe;
mod render;
mod scorer;
pub mod table;
pub mod tokens;

use crate::compile;
use crate::diagnostic::Diagnostic;
use crate::hir::Model;
use crate::ir::code::NodeId;
use crate::ir::layout::Shape;
use crate::ir::{FlatAction, PlaceCode, Program};
use crate::run::{Fault, FaultKind, FaultStage, Machine, Scratch};
use crate::span::Span;

/// A run-time error of the model: what failed, in which state, for which action, where. It is a
/// [`Diagnostic`] (code, message, at most one label, help), which it dereferences to.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}", .0.message)]
pub struct EnvError(Diagnostic);

impl EnvError {
    /// An error with a stable code such as `gfn::env::division_by_zero` and one line naming what
    /// failed and the state it failed in.
    pub fn new(code: &'static str, message: impl Into<String>) -> EnvError {
        EnvError(Diagnostic::new(code, message))
    }

    /// Points at the expression or item the error comes from, when there is one.
    pub fn at(self, span: impl Into<Option<Span>>, label: impl Into<String>) -> EnvError {
        match span.into() {
            Some(span) => EnvError(self.0.label(span, label)),
            None => self,
        }
    }

    /// A concrete suggestion for fixing the program or the run.
    pub fn help(self, help: impl Into<String>) -> EnvError {
        EnvError(self.0.help(help))
    }

    /// The same error as a [`Diagnostic`].
    pub fn to_diagnostic(&self) -> Diagnostic {
        self.0.clone()
    }

    /// The error as its [`Diagnostic`].
    pub fn into_diagnostic(self) -> Diagnostic {
        self.0
    }
}

impl std::ops::Deref for EnvError {
    type Target = Diagnostic;

    fn deref(&self) -> &Diagnostic {
        &self.0
    }
}

// A caller may reword an error for its context (a resumed run names the folder it read).
impl std::ops::DerefMut for EnvError {
    fn deref_mut(&mut self) -> &mut Diagnostic {
        &mut self.0
    }
}

/// Reusable buffers for one thread of environment work.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    scratch: Scratch,
    written: Vec<(usize, usize)>,
    candidates: Vec<i32>,
    next_candidates: Vec<i32>,
    verify: Vec<i32>,
    /// The places (slot, shape) the parents being derived differ from the child in.
    inverted: Vec<(usize, u32)>,
    /// Recent log rewards; see [`Workspace::without_reward_cache`].
    pub reward_cache: Option<cache::RewardCache>,
}

impl Workspace {
    /// Buffers with the reward memo on (the default for [`Workspace::new`]).
    pub fn new() -> Workspace {
        Workspace {
            reward_cache: Some(cache::RewardCache::default()),
            ..Workspace::default()
        }
    }

    /// Buffers that evaluate every reward afresh.
    pub fn without_reward_cache() -> Workspace {
        Workspace::default()
    }
}

/// A compiled environment, ready to step.
pub struct Environment {
    /// The lowered program: the checked model, the state layout, the flat actions and their code.
    pub program: Program,
    scorers: scorer::Scorers,
    /// The most actions (`stop` aside) a trajectory may take: `--max-length`.
    max_length: usize,
}

/// The default bound on a trajectory's actions (`--max-length`): generous for every example,
/// and a clear error rather than an endless walk on a chain of 10⁹ steps or a cycle that
/// partial checks did not see.
pub const DEFAULT_MAX_LENGTH: usize = 10_000;

use crate::diagnostic::codes;
pub use scorer::{DEFAULT_SCORER_TIMEOUT, MAX_SCORER_WORKERS, SCORER_CHUNK};

/// `text` cut to about `max` characters (on a character boundary), with the length in all.
pub fn cut_short(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} characters in all)", &text[..end], text.len())
}

/// What was being evaluated when a fault happened, for the message.
enum Context<'a> {
    Guard(usize),
    Effect(usize),
    Stop,
    Done,
    Reward,
    Mode,
    Parent(&'a str),
}

impl Environment {
    /// Compile a checked model.
    pub fn new(model: &Model) -> Result<Environment, Vec<Diagnostic>> {
        // Lowering recurses through expressions; give it the front end's stack.
        let program = crate::stack::with_large_stack(|| compile::compile(model))?;
        Ok(Environment {
            scorers: scorer::Scorers::new(&program.interface),
            program,
            max_length: DEFAULT_MAX_LENGTH,
        })
    }

    /// Parse, check and compile source text.
    pub fn from_source(
        source: &str,
        overrides: &[crate::check::Override],
    ) -> Result<Environment, Vec<Diagnostic>> {
        let model = crate::check::load(source, overrides)?;
        Environment::new(&model)
    }

    /// The name given by `env NAME`.
    pub fn name(&self) -> &str {
        &self.program.interface.name
    }

    /// Slots per state.
    pub fn width(&self) -> usize {
        self.program.layout.width
    }

    /// The size of the flat action space, `stop` included.
    pub fn action_count(&self) -> usize {
        self.program.actions.len() + 1
    }

    /// The index of `stop` (the last action).
    pub fn stop_action(&self) -> usize {
        self.program.actions.len()
    }

    /// Whether the program has a `stop` item; without one, only `done` states end trajectories.
    pub fn has_stop(&self) -> bool {
        self.program.stop.is_some()
    }

    /// `step(i=1)`, or `stop`.
    pub fn action_name(&self, action: usize) -> &str {
        self.program
            .actions
            .get(action)
            .map(|a| a.name.as_str())
            .unwrap_or("stop")
    }

    /// The most actions a trajectory may take before [`Environment::check_length`] stops it.
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// Bound every trajectory (sampled, probed, estimated, walked back) to `max_length` actions.
    pub fn set_max_length(&mut self, max_length: usize) {
        self.max_length = max_length.max(1);
    }

    /// An error once a trajectory has taken more than [`Environment::max_length`] actions:
    /// `length` is the actions taken so far, `state` where they led. `what` names the walk
    /// (`a sampled trajectory`, `a backward walk`).
    pub fn check_length(&self, length: usize, state: &[i32], what: &str) -> Result<(), EnvError> {
        if length <= self.max_length {
            return Ok(());
        }
        Err(EnvError::new(
            codes::env::TOO_LONG,
            format!(
                "{what} took more than {} actions (--max-length) without ending: at length {length} it reached {}",
                self.max_length,
                cut_short(&self.render(state), 200)
            ),
        )
        .at(
            self.program.families.first().map(|f| f.span),
            "trajectories keep taking actions",
        )
        .help(
            "raise --max-length if trajectories this long are intended; otherwise make the environment end sooner (a `done` condition, a `stop`) or break the cycle the partial checks did not see",
        ))
    }

    /// The initial state s0.
    pub fn initial_state(&self) -> &[i32] {
        &self.program.initial
    }

    fn machine(&self) -> Machine<'_> {
        Machine::new(&self.program.code, &self.program.layout)
    }

    fn fault(&self, fault: Fault, state: &[i32], context: Context) -> EnvError {
        let code = fault.kind.code(FaultStage::Running);
        let place = match context {
            Context::Guard(family) => format!(
                "the `when` of action `{}`",
                self.program.families[family].name
            ),
            Context::Effect(action) => format!("action `{}`", self.action_name(action)),
            Context::Stop => "the `stop` condition".to_string(),
            Context::Done => "the `done` condition".to_string(),
            Context::Reward => "the reward".to_string(),
            Context::Mode => "the `mode` condition".to_string(),
            Context::Parent(action) => format!("deriving parents for action `{action}`"),
        };
        EnvError::new(code, format!("{} in {place}, in state {}", fault.kind, self.render(state)))
            .at(fault.span, fault.kind.to_string())
            .help(
                "guard the expression with `if`, `and` or a tighter `when` so that it is only evaluated where it is defined",
            )
    }

    /// A condition over the state alone (`stop`, `done`, `mode`).
    fn condition(
        &self,
        node: NodeId,
        state: &[i32],
        ws: &mut Workspace,
        context: Context,
    ) -> Result<bool, EnvError> {
        ws.scratch.start(&[]);
        self.machine()
            .eval_bool(node, state, &mut ws.scratch)
            .map_err(|f| self.fault(f, state, context))
    }

    /// Whether the state is `done` (terminal, no action allowed).
    pub fn is_done(&self, state: &[i32], ws: &mut Workspace) -> Result<bool, EnvError> {
        let Some(done) = self.program.done else {
            return Ok(false);
        };
        self.condition(done, state, ws, Context::Done)
    }

    /// Whether `stop` is allowed (the trajectory may end here). Never in a `done` state.
    pub fn can_stop(&self, state: &[i32], ws: &mut Workspace) -> Result<bool, EnvError> {
        let Some(guard) = self.program.stop else {
            return Ok(false);
        };
        if self.is_done(state, ws)? {
            return Ok(false);
        }
        match guard {
            None => Ok(true),
            Some(guard) => self.condition(guard, state, ws, Context::Stop),
        }
    }

    /// Whether a trajectory may end on this state: `stop` is allowed or it is `done`.
    pub fn is_terminal(&self, state: &[i32], ws: &mut Workspace) -> Result<bool, EnvError> {
        Ok(self.is_done(state, ws)? || self.can_stop(state, ws)?)
    }

    /// Whether flat action `action` (not `stop`) is allowed, ignoring `done`.
    #[inline]
    fn guard_holds(
        &self,
        state: &[i32],
        action: usize,
        ws: &mut Workspace,
    ) -> Result<bool, EnvError> {
        let flat = &self.program.actions[action];
        match self.fast_guard(flat, state) {
            Some(holds) => Ok(holds),
            None => self.interpreted_guard(flat, state, ws),
        }
    }

    /// The guard by its [`SlotTest`](crate::ir::SlotTest), where it has one and decides.
    #[inline]
    fn fast_guard(&self, flat: &FlatAction, state: &[i32]) -> Option<bool> {
        match (
            &self.program.families[flat.family].fast_guard,
            flat.first_int,
        ) {
            (Some(test), Some(arg)) => test.holds(state, arg),
            _ => None,
        }
    }

    /// The guard by the interpreter (which also reports its errors).
    fn interpreted_guard(
        &self,
        flat: &FlatAction,
        state: &[i32],
        ws: &mut Workspace,
    ) -> Result<bool, EnvError> {
        let Some(guard) = self.program.families[flat.family].guard else {
            return Ok(true);
        };
        ws.scratch.start(&flat.args);
        self.machine()
            .eval_bool(guard, state, &mut ws.scratch)
            .map_err(|f| self.fault(f, state, Context::Guard(flat.family)))
    }

    /// Whether flat action `action` is allowed forward in `state`: `stop` when the trajectory may
    /// end there, any other action when the state is not `done` and its `when` holds. For
    /// callers that step states they did not draw from a mask (the Python package).
    pub fn allows(
        &self,
        state: &[i32],
        action: usize,
        ws: &mut Workspace,
    ) -> Result<bool, EnvError> {
        if action == self.stop_action() {
            return self.can_stop(state, ws);
        }
        if action > self.stop_action() || self.is_done(state, ws)? {
            return Ok(false);
        }
        self.guard_holds(state, action, ws)
    }

    /// The span to point at for an action's allowed-ness: its `when`, or else its name.
    pub(crate) fn guard_span(&self, action: usize) -> Span {
        let family = &self.program.families[self.program.actions[action].family];
        family
            .guard
            .map(|g| self.program.code.span(g))
            .unwrap_or(family.span)
    }

    /// The environment has a cycle, last closed by `action`; `path` shows it.
    pub(crate) fn cycle_error(&self, action: usize, path: String) -> EnvError {
        EnvError::new(codes::env::CYCLE, format!("the environment has a cycle: {path}"))
            .at(self.guard_span(action), "allows an action that leads back to an earlier state")
            .help(
                "every action must make progress: add a `when` or an effect so that no state can be reached again",
            )
    }

    /// The forward mask over the flat action space (`stop` last). All false in a `done` state.
    pub fn forward_mask(
        &self,
        state: &[i32],
        mask: &mut [bool],
        ws: &mut Workspace,
    ) -> Result<(), EnvError> {
        mask.fill(false);
        if self.is_done(state, ws)? {
            return Ok(());
        }
        for (allowed, flat) in mask.iter_mut().zip(&self.program.actions) {
            *allowed = match self.fast_guard(flat, state) {
                Some(holds) => holds,
                None => self.interpreted_guard(flat, state, ws)?,
            };
        }
        mask[self.stop_action()] = match self.program.stop {
            None => false,
            Some(None) => true,
            Some(Some(guard)) => self.condition(guard, state, ws, Context::Stop)?,
        };
        Ok(())
    }

    /// Apply a flat action (not `stop`) to `state`, writing the child into `child`. All
    /// right-hand sides and indices read `state`; a value outside its field's range, or a place
    /// written twice, is an error.
    pub fn step(
        &self,
        state: &[i32],
        action: usize,
        child: &mut [i32],
        ws: &mut Workspace,
    ) -> Result<(), EnvError> {
        let Some(flat) = self.program.actions.get(action) else {
            return Err(EnvError::new(
                codes::env::BAD_ACTION,
                format!(
                    "action {action} does not exist (there are {})",
                    self.program.actions.len()
                ),
            )
            .help("`stop` has no child; pass an action below the stop index"));
        };
        let family = &self.program.families[flat.family];
        child.copy_from_slice(state);
        // An unindexed shift ignores its argument; an indexed one needs it.
        if let Some(shift) = &family.fast_effect {
            let arg = if shift.stride == 0 {
                Some(0)
            } else {
                flat.first_int
            };
            if arg.and_then(|arg| shift.apply(state, arg, child)).is_some() {
                return Ok(());
            }
            child.copy_from_slice(state);
        }
        ws.written.clear();
        for effect in &family.effects {
            ws.scratch.start(&flat.args);
            let fault = |f: Fault| self.fault(f, state, Context::Effect(action));
            let slot = self.resolve(&effect.place, state, ws).map_err(fault)?;
            let size = self.program.layout.size(effect.place.shape) as usize;
            self.apply(effect, action, slot, state, child, ws)?;
            if ws
                .written
                .iter()
                .any(|(start, end)| slot < *end && *start < slot + size)
            {
                return Err(EnvError::new(
                    codes::env::PLACE_WRITTEN_TWICE,
                    format!(
                        "action `{}` writes the same place twice in state {}",
                        self.action_name(action),
                        self.render(state)
                    ),
                )
                .at(effect.place.span, "written again here")
                .help(
                    "two indices of this action coincide here; add a `when` that keeps them apart",
                ));
            }
            ws.written.push((slot, slot + size));
        }
        Ok(())
    }

    fn internal(&self, what: &str) -> EnvError {
        EnvError::new(codes::env::INTERNAL, format!("internal error: {what}"))
            .help("this is a bug in gfnc; please report it with the .gfn file")
    }

    fn out_of_range(
        &self,
        state: &[i32],
        action: usize,
        place: &PlaceCode,
        span: Span,
        value: String,
    ) -> EnvError {
        let field = &self.program.interface.fields[place.field];
        let target = if place.steps.is_empty() {
            format!("`{}`", field.name)
        } else {
            format!("an element of `{}`", field.name)
        };
        let bound = match self.program.layout.shape(place.shape) {
            Shape::Int { lo, hi } | Shape::Set { lo, hi } => format!("outside {lo}..{hi}"),
            Shape::Seq { max, .. } => format!("longer than {max}"),
            _ => format!("not a value of type {}", field.ty),
        };
        EnvError::new(
            codes::env::OUT_OF_RANGE,
            format!(
                "action `{}` would set {target} to {value}, {bound}, in state {}",
                self.action_name(action),
                self.render(state)
            ),
        )
        .at(span, format!("gives {value}"))
        .help(format!(
            "add a `when` to action `{}` that rules this out",
            self.program.families[self.program.actions[action].family].name
        ))
    }

    /// The first slot of a place, with indices evaluated on `state`.
    fn resolve(
        &self,
        place: &PlaceCode,
        state: &[i32],
        ws: &mut Workspace,
    ) -> Result<usize, Fault> {
        let mut slot = place.base as usize;
        let machine = self.machine();
        for step in &place.steps {
            let index = machine.eval_int(step.index, state, &mut ws.scratch)?;
            let (len, offset) = match step.len {
                Some(len) => (i64::from(len), 0),
                None => (i64::from(state[slot]), 1),
            };
            if index < 0 || index >= len {
                return Err(Fault {
                    span: self.program.code.span(step.index),
                    kind: FaultKind::IndexOutOfRange {
                        index,
                        len: len.max(0) as usize,
                    },
                });
            }
            slot += offset + index as usize * step.stride as usize;
        }
        Ok(slot)
    }

    /// The log of the reward of a terminal state; non-finite or non-positive rewards are errors.
    pub fn log_reward(&self, state: &[i32], ws: &mut Workspace) -> Result<f64, EnvError> {
        if let Some(value) = ws.reward_cache.as_mut().and_then(|c| c.get(state)) {
            return Ok(value);
        }
        let value = self.evaluate_log_reward(state, ws)?;
        if let Some(cache) = ws.reward_cache.as_mut() {
            cache.put(state, value);
        }
        Ok(value)
    }

    fn evaluate_log_reward(&self, state: &[i32], ws: &mut Workspace) -> Result<f64, EnvError> {
        ws.scratch.start(&[]);
        if self.has_scorers() {
            let mut answers = std::mem::take(&mut ws.scratch.externs);
            let asked = self.scorer_answers(state, &mut answers);
            ws.scratch.externs = answers;
            asked?;
        }
        let value = self
            .machine()
            .eval_number(self.program.reward, state, &mut ws.scratch)
            .map_err(|f| self.fault(f, state, Context::Reward))?
            .to_f64();
        let span = Some(self.program.code.span(self.program.reward));
        if self.program.reward_is_log {
            if value.is_finite() {
                return Ok(value);
            }
        } else if value.is_finite() && value >= f64::MIN_POSITIVE {
            return Ok(value.ln());
        }
        let word = if self.program.reward_is_log {
            "log_reward"
        } else {
            "reward"
        };
        let must = if self.program.reward_is_log {
            "finite"
        } else {
            "finite and at least 2.2e-308 (a normal 64-bit float)"
        };
        let help = if value.is_nan() {
            "the expression is undefined here (NaN); guard it with `if` so that it has a value in every terminal state"
        } else if value == f64::INFINITY && !self.program.reward_is_log {
            "the reward overflows a 64-bit float: write `log_reward` with the log of this expression (e.g. `log_reward 800 * x` for `reward exp(800 * x)`)"
        } else if value.is_infinite() {
            "log rewards must be finite: a log reward of -inf is a reward of 0; keep it above a floor"
        } else if value >= 0.0 && !self.program.reward_is_log {
            "rewards must be positive: add a small floor (`reward 0.01 + ...`); if this is a tiny reward a 64-bit float cannot hold (such as exp(-800)), write `log_reward` with its log instead (`log_reward -800.0`)"
        } else {
            "rewards are unnormalised probabilities: add a small positive floor, e.g. `reward 0.01 + ...`"
        };
        Err(EnvError::new(
            codes::env::BAD_REWARD,
            format!(
                "the {word} of state {} is {}; it must be {must}",
                self.render(state),
                readable(value)
            ),
        )
        .at(span, format!("{} here", readable(value)))
        .help(help.to_string()))
    }

    /// Whether a state is a mode (for the "modes found" metric).
    pub fn is_mode(&self, state: &[i32], ws: &mut Workspace) -> Result<bool, EnvError> {
        let Some(mode) = self.program.mode else {
            return Ok(false);
        };
        self.condition(mode, state, ws, Context::Mode)
    }

    /// Whether `mode by KEY` gives modes a key (which reference mode an object reaches).
    pub fn has_mode_key(&self) -> bool {
        self.program.mode_key.is_some()
    }

    /// The mode an object reaches: `Some(KEY)` when `mode` holds there (`Some(0)` for every
    /// mode object without `by KEY`), `None` when it does not.
    pub fn mode_key(&self, state: &[i32], ws: &mut Workspace) -> Result<Option<i64>, EnvError> {
        if !self.is_mode(state, ws)? {
            return Ok(None);
        }
        let Some(key) = self.program.mode_key else {
            return Ok(Some(0));
        };
        ws.scratch.start(&[]);
        self.machine()
            .eval_int(key, state, &mut ws.scratch)
            .map(Some)
            .map_err(|f| self.fault(f, state, Context::Mode))
    }

    /// Features per state in [`Environment::encode`].
    pub fn encoding_width(&self) -> usize {
        let layout = &self.program.layout;
        layout
            .fields
            .iter()
            .map(|(_, shape)| layout.features(*shape))
            .sum()
    }

    /// One-hot features of a state: per int its value one-hot, per bool two flags, per set
    /// member a flag, per sequence its length one-hot and each position's element (or "empty").
    pub fn encode(&self, state: &[i32], out: &mut [f32]) {
        let layout = &self.program.layout;
        let mut written = 0;
        for (base, shape) in &layout.fields {
            written += layout.encode(*shape, state, *base as usize, &mut out[written..]);
        }
    }

    /// Encode many states (back to back) into rows of [`Environment::encoding_width`].
    pub fn encode_batch(&self, states: &[i32], out: &mut [f32]) {
        let (w, e) = (self.width(), self.encoding_width());
        for (state, row) in states.chunks_exact(w).zip(out.chunks_exact_mut(e)) {
            self.encode(state, row);
        }
    }

    /// The most features of [`Environment::encode`] one state sets to 1.
    pub fn max_active_features(&self) -> usize {
        let layout = &self.program.layout;
        layout
            .fields
            .iter()
            .map(|(_, shape)| layout.max_active(*shape))
            .sum()
    }

    /// The features of [`Environment::encode`] that are 1 for `state` (all others are 0), as
    /// increasing indices appended to `out`.
    pub fn encode_active(&self, state: &[i32], out: &mut Vec<u32>) {
        let layout = &self.program.layout;
        let mut written = 0;
        for (base, shape) in &layout.fields {
            written += layout.active(*shape, state, *base as usize, written, out);
        }
    }

    /// Apply a per-state function to states back to back, each writing one row of `rows`.
    fn per_state<T>(
        &self,
        states: &[i32],
        rows: &mut [T],
        ws: &mut Workspace,
        f: impl Fn(&Self, &[i32], &mut [T], &mut Workspace) -> Result<(), EnvError>,
    ) -> Result<(), EnvError> {
        let (w, a) = (self.width(), self.action_count());
        for (state, row) in states.chunks_exact(w).zip(rows.chunks_exact_mut(a)) {
            f(self, state, row, ws)?;
        }
        Ok(())
    }

    /// Forward masks of many states (back to back) into rows of [`Environment::action_count`].
    pub fn forward_masks(
        &self,
        states: &[i32],
        masks: &mut [bool],
        ws: &mut Workspace,
    ) -> Result<(), EnvError> {
        self.per_state(states, masks, ws, Self::forward_mask)
    }

    /// Step many states, each by its action, into `children`.
    pub fn step_batch(
        &self,
        states: &[i32],
        actions: &[usize],
        children: &mut [i32],
        ws: &mut Workspace,
    ) -> Result<(), EnvError> {
        let w = self.width();
        for ((state, action), child) in states
            .chunks_exact(w)
            .zip(actions)
            .zip(children.chunks_exact_mut(w))
        {
            self.step(state, *action, child, ws)?;
        }
        Ok(())
    }

    /// One move of the uniform forward policy: an allowed action (`stop` included) drawn
    /// uniformly, with the number of allowed actions; `None` in a state that allows none (a
    /// `done` state). `mask` is a row of [`Environment::action_count`] to work in.
    pub fn uniform_choice(
        &self,
        state: &[i32],
        mask: &mut [bool],
        rng: &mut impl rand::Rng,
        ws: &mut Workspace,
    ) -> Result<Option<(usize, usize)>, EnvError> {
        self.forward_mask(state, mask, ws)?;
        let allowed = mask.iter().filter(|m| **m).count();
        if allowed == 0 {
            return Ok(None);
        }
        let pick = rng.random_range(0..allowed);
        let action = mask
            .iter()
            .enumerate()
            .filter(|(_, m)| **m)
            .nth(pick)
            .map(|(k, _)| k);
        Ok(action.map(|action| (action, allowed)))
    }

    /// Backward masks of many states into rows of [`Environment::action_count`].
    pub fn backward_masks(
        &self,
        states: &[i32],
        masks: &mut [bool],
        ws: &mut Workspace,
    ) -> Result<(), EnvError> {
        self.per_state(states, masks, ws, Self::backward_mask)
    }

    /// Log rewards of many terminal states.
    pub fn log_rewards(
        &self,
        states: &[i32],
        out: &mut [f64],
        ws: &mut Workspace,
    ) -> Result<(), EnvError> {
        if self.has_scorers() {
            self.score(states)?;
        }
        for (state, value) in states.chunks_exact(self.width()).zip(out.iter_mut()) {
            *value = self.log_reward(state, ws)?;
        }
        Ok(())
    }
}

/// A number for a message: scientific when tiny or huge, never a hundred digits.
fn readable(value: f64) -> String {
    if value != 0.0 && value.is_finite() && !(1e-4..1e15).contains(&value.abs()) {
        format!("{value:e}")
    } else {
        format!("{value}")
    }
}
