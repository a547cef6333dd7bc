//! Checks for graphs too large to explore: local ones on every state met (forward masks,
//! steps, rewards, derived parents unique and re-deriving the edge just walked), and backward
//! walks by uniform P_B that prove a derived parent unreachable when they end anywhere but s0.
//! `gfnc check` runs a seeded probe of forward trajectories; training runs the same sentinel
//! on the states it samples.

use super::table::StateTable;
use super::{EnvError, Environment, Workspace};
use crate::diagnostic::codes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// States remembered as known reachable, at most; past this (or past [`REMEMBERED_BYTES`]) the
/// sentinel keeps checking without memo.
const REMEMBERED: usize = 1_000_000;

/// The memory the sentinel's memo may hold.
const REMEMBERED_BYTES: usize = 256_000_000;

/// What a probe saw.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ProbeReport {
    /// Forward trajectories walked from s0 by the uniform policy.
    pub trajectories: usize,
    /// Distinct states met (each checked forward and backward).
    pub states: usize,
    /// Backward walks by uniform P_B, one from each trajectory's terminal object.
    pub backward_walks: usize,
    /// The longest trajectory walked, in actions (without `stop`).
    pub longest: usize,
    /// Whether the time limit stopped the probe before all its trajectories.
    pub timed_out: bool,
    /// Wall-clock time the probe took, in seconds.
    pub seconds: f64,
}

/// Local checks that need no enumeration; remembers which states are known reachable.
pub struct Sentinel {
    /// States reached forward from s0 (their parents checked once).
    reachable: StateTable,
    mask: Vec<bool>,
    parent: Vec<i32>,
    found: Vec<i32>,
}

impl Sentinel {
    /// A sentinel that knows only s0 as reachable.
    pub fn new(env: &Environment) -> Sentinel {
        let mut reachable = StateTable::new(env.width());
        reachable.insert(env.initial_state());
        Sentinel {
            reachable,
            mask: vec![false; env.action_count()],
            parent: vec![0; env.width()],
            found: Vec::new(),
        }
    }

    /// Distinct states known reachable.
    pub fn known(&self) -> usize {
        self.reachable.len()
    }

    fn remember(&mut self, state: &[i32]) -> bool {
        let limit = REMEMBERED.min(REMEMBERED_BYTES / (2 * (state.len() * 4 + 8)).max(1));
        if self.reachable.len() >= limit {
            return self.reachable.find(state).is_none();
        }
        self.reachable.insert(state).1
    }

    /// A state reached forward from s0 (its parents are checked elsewhere, e.g. by the loss).
    pub fn reached(&mut self, state: &[i32]) {
        self.remember(state);
    }

    /// A state reached forward from s0: the first time it is met, its derived parents are
    /// checked (unique per action, derivable without error).
    pub fn visit(
        &mut self,
        env: &Environment,
        state: &[i32],
        ws: &mut Workspace,
    ) -> Result<(), EnvError> {
        if self.remember(state) {
            env.backward_mask(state, &mut self.mask, ws)?;
        }
        Ok(())
    }

    /// The edge `state --action--> child` was walked forward: the parent derived for `child`
    /// by `action` must be `state`.
    pub fn edge(
        &mut self,
        env: &Environment,
        state: &[i32],
        action: usize,
        child: &[i32],
        ws: &mut Workspace,
    ) -> Result<(), EnvError> {
        self.found.clear();
        env.parents(child, action, &mut self.found, ws)?;
        let w = env.width();
        if self.found.chunks_exact(w).any(|p| p == state) {
            return Ok(());
        }
        Err(env.underived_parent(state, child, action))
    }

    /// Walk back from a reachable state by uniform P_B to s0. A walk that ends on another
    /// state with no parent proves that state unreachable: an orphan. (The walk goes on past
    /// states known reachable: stopping there would test one edge per walk once the sampler
    /// covers the space, and the unreachable region hangs off reachable states.)
    pub fn walk_back(
        &mut self,
        env: &Environment,
        from: &[i32],
        rng: &mut StdRng,
        ws: &mut Workspace,
    ) -> Result<(), EnvError> {
        let w = env.width();
        let mut walk: Vec<i32> = from.to_vec();
        let mut actions: Vec<usize> = Vec::new();
        let mut seen = StateTable::new(w);
        seen.insert(from);
        loop {
            let current = &walk[walk.len() - w..];
            env.backward_mask(current, &mut self.mask, ws)?;
            if current == env.initial_state() {
                break;
            }
            let allowed: Vec<usize> = (0..self.mask.len()).filter(|a| self.mask[*a]).collect();
            if allowed.is_empty() {
                return Err(env.orphan_walk(&walk, &actions));
            }
            let action = allowed[rng.random_range(0..allowed.len())];
            if !env.parent(current, action, &mut self.parent, ws)? {
                return Err(env.orphan_walk(&walk, &actions));
            }
            actions.push(action);
            walk.extend_from_slice(&self.parent);
            if !seen.insert(&self.parent).1 {
                return Err(env.orphan_walk(&walk, &actions));
            }
            env.check_length(
                actions.len(),
                &self.parent,
                "a backward walk by uniform P_B",
            )?;
        }
        Ok(())
    }
}

/// Walk `trajectories` forward trajectories from s0 by the uniform policy, checking every state
/// and edge met and walking back from each terminal object (seeded, so repeatable), for at most
/// `seconds` (then the report says it stopped early). The clock is read at every step, not only
/// between trajectories: one trajectory of a long chain, or one step of a state with tens of
/// thousands of fields and actions, may take longer than the whole budget. A trajectory
/// longer than the environment's `--max-length` is an error.
pub fn probe(
    env: &Environment,
    trajectories: usize,
    seed: u64,
    seconds: f64,
) -> Result<ProbeReport, EnvError> {
    let started = std::time::Instant::now();
    let (w, a) = (env.width(), env.action_count());
    let mut ws = Workspace::new();
    let mut sentinel = Sentinel::new(env);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut mask = vec![false; a];
    let mut state = vec![0; w];
    let mut child = vec![0; w];
    let mut report = ProbeReport::default();
    sentinel.visit(env, env.initial_state(), &mut ws)?;
    let out_of_time = || started.elapsed().as_secs_f64() > seconds;
    'trajectories: for _ in 0..trajectories {
        if out_of_time() {
            report.timed_out = true;
            break;
        }
        state.copy_from_slice(env.initial_state());
        let mut seen = StateTable::new(w);
        seen.insert(&state);
        let mut length = 0;
        loop {
            let done = env.is_done(&state, &mut ws)?;
            env.forward_mask(&state, &mut mask, &mut ws)?;
            let allowed: Vec<usize> = (0..a).filter(|k| mask[*k]).collect();
            if done || allowed.is_empty() {
                if !done {
                    return Err(super::dag::dead_end(env, &state));
                }
                break;
            }
            let action = allowed[rng.random_range(0..allowed.len())];
            if action == a - 1 {
                break;
            }
            env.step(&state, action, &mut child, &mut ws)?;
            if !seen.insert(&child).1 {
                return Err(env.cycle_error(
                    action,
                    format!(
                        "a probe trajectory went from {} by `{}` back to {}, which it had visited",
                        env.render(&state),
                        env.action_name(action),
                        env.render(&child)
                    ),
                ));
            }
            sentinel.edge(env, &state, action, &child, &mut ws)?;
            sentinel.visit(env, &child, &mut ws)?;
            state.copy_from_slice(&child);
            length += 1;
            report.longest = report.longest.max(length);
            env.check_length(length, &state, "a probe trajectory")?;
            // The states and edges met so far were checked; an unfinished trajectory is not
            // counted, nor walked back.
            if out_of_time() {
                report.timed_out = true;
                break 'trajectories;
            }
        }
        env.log_reward(&state, &mut ws)?;
        env.is_mode(&state, &mut ws)?;
        sentinel.walk_back(env, &state, &mut rng, &mut ws)?;
        report.trajectories += 1;
        report.backward_walks += 1;
        report.longest = report.longest.max(length);
    }
    report.states = sentinel.known();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

impl Environment {
    /// A backward walk (`walk`: states from the reachable start, `actions`: the action into
    /// each state from the next) ended on a state that cannot be reachable.
    fn orphan_walk(&self, walk: &[i32], actions: &[usize]) -> EnvError {
        let w = self.width();
        let states: Vec<&[i32]> = walk.chunks_exact(w).collect();
        let last = states[states.len() - 1];
        let mut shown = self.render(states[0]);
        for (k, action) in actions.iter().enumerate() {
            shown.push_str(&format!(
                " <--{}-- {}",
                self.action_name(*action),
                self.render(states[k + 1])
            ));
        }
        let from_s0 = states.len() >= 2 && states[states.len() - 2] == self.initial_state();
        let why = if from_s0 {
            format!(
                "reached the initial state, which has a derived parent, {}: nothing reachable steps into the initial state",
                self.render(last)
            )
        } else if states[..states.len() - 1].contains(&last) {
            "came back to a state it had visited, so these parents are not reachable".to_string()
        } else {
            format!(
                "ended on {}, which has no parent and is not the initial state",
                self.render(last)
            )
        };
        let span = actions
            .last()
            .map(|a| self.guard_span(*a))
            .or_else(|| self.program.families.first().map(|f| f.span));
        super::EnvError::new(codes::env::ORPHAN_PARENT, format!(
                "a derived parent is not reachable from the initial state: a backward walk by uniform P_B from reachable state {} {why}; the walk: {shown}",
                self.render(states[0])
            ))
                .at(span, "allowed in an unreachable parent")
                .help(
                    "backward trajectories would leave the DAG: tighten the field's range or this action's `when` so that the parent is not a valid state where the action is allowed",
                )
    }
}
