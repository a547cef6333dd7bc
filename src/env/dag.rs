//! Exhaustive enumeration of the reachable DAG, breadth-first from s0: states, forward edges,
//! terminal objects and their rewards, a topological order, exact log Z; and the validity
//! checks of the spec (dead ends, cycles, rewards, non-injective actions, orphan parents).

use super::table::StateTable;
use super::{EnvError, Environment, Workspace};
use crate::diagnostic::codes;

/// The whole reachable DAG.
#[derive(Clone, Debug)]
pub struct Dag {
    /// The reachable states, numbered in breadth-first order from s0 (id 0).
    pub states: StateTable,
    /// Forward edges (not `stop`) in compressed rows: the edges of state `s` are
    /// `offsets[s]..offsets[s + 1]` in `targets` and `actions`.
    pub offsets: Vec<u32>,
    /// The child state id of each edge.
    pub targets: Vec<u32>,
    /// The flat action index of each edge.
    pub actions: Vec<u32>,
    /// Per state: whether `stop` is allowed there.
    pub can_stop: Vec<bool>,
    /// Per state: whether it is a `done` state.
    pub done: Vec<bool>,
    /// The log reward of each terminal state; NaN elsewhere.
    pub log_reward: Vec<f64>,
    /// Per state: whether it is terminal and `mode` holds there.
    pub mode: Vec<bool>,
    /// Every state, parents before children.
    pub order: Vec<u32>,
    /// The most actions (not counting `stop`) on a path from s0 to a terminal state.
    pub max_len: u32,
    /// The natural log of the sum of rewards over terminal states.
    pub log_z: f64,
    /// With `mode by KEY`: the distinct keys over the terminal states where `mode` holds.
    pub mode_keys: Option<usize>,
}

impl Dag {
    /// The number of reachable states.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether there are no states (never the case once s0 is stored).
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Whether the state is a terminal object: `stop` is allowed there or it is `done`.
    pub fn is_terminal(&self, state: usize) -> bool {
        self.can_stop[state] || self.done[state]
    }

    /// The number of terminal objects.
    pub fn terminal_count(&self) -> usize {
        (0..self.len()).filter(|s| self.is_terminal(*s)).count()
    }

    /// The number of forward edges, `stop` not counted.
    pub fn edge_count(&self) -> usize {
        self.targets.len()
    }

    /// The modes to find: the distinct keys of `mode by KEY`, else the terminal states where
    /// `mode` holds.
    pub fn mode_count(&self) -> usize {
        self.mode_keys
            .unwrap_or_else(|| self.mode.iter().filter(|m| **m).count())
    }

    /// The edges leaving a state: `(action, child)`.
    pub fn edges(&self, state: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let range = self.offsets[state] as usize..self.offsets[state + 1] as usize;
        range.map(move |e| (self.actions[e] as usize, self.targets[e] as usize))
    }

    /// Terminal states by decreasing reward, at most `k`.
    pub fn top(&self, k: usize) -> Vec<usize> {
        let mut terminal: Vec<usize> = (0..self.len()).filter(|s| self.is_terminal(*s)).collect();
        terminal.sort_by(|a, b| {
            self.log_reward[*b]
                .total_cmp(&self.log_reward[*a])
                .then(a.cmp(b))
        });
        terminal.truncate(k);
        terminal
    }

    /// Bytes held by the enumeration, for reporting.
    pub fn memory_bytes(&self) -> usize {
        self.states.memory_bytes()
            + (self.offsets.capacity()
                + self.targets.capacity()
                + self.actions.capacity()
                + self.order.capacity())
                * 4
            + self.log_reward.capacity() * 8
            + (self.can_stop.capacity() + self.done.capacity() + self.mode.capacity())
    }
}

fn log_sum_exp(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let max = values.clone().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + values.map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// How much of the reachable graph exploration may store before it gives up on exactness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Reachable states (`--max-states`).
    pub max_states: usize,
    /// Bytes held by the exploration (`--max-memory`, in MB on the command line).
    pub max_bytes: usize,
    /// Actions tested: states expanded × actions of the flat action space. Bounds the time of
    /// an exploration whose states are few but whose actions are many (a 90-byte program can
    /// declare 60,000 actions, and every state tests each one, then derives its parents).
    pub max_action_tests: usize,
    /// Wall-clock time (`--explore-seconds`); `None`: no limit. The clock is read every few
    /// thousand slots of work, inside one state's expansion when states are wide.
    pub max_time: Option<std::time::Duration>,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            max_states: DEFAULT_MAX_STATES,
            max_bytes: DEFAULT_MAX_BYTES,
            max_action_tests: DEFAULT_MAX_ACTION_TESTS,
            max_time: None,
        }
    }
}

impl Budget {
    /// A budget of `max_states` states and the default memory.
    pub fn states(max_states: usize) -> Budget {
        Budget {
            max_states,
            ..Budget::default()
        }
    }
}

/// The default budget of reachable states.
pub const DEFAULT_MAX_STATES: usize = 1_000_000;

/// The default memory budget of an exploration, and of a run's estimated needs: 4 GB.
pub const DEFAULT_MAX_BYTES: usize = 4_000_000_000;

/// The default time budget of commands that explore on the way to something else (`gfnc run`,
/// `sample`, `compare`, `inspect`), in seconds: they start working within seconds whatever the
/// space, with partial checks beyond.
pub const DEFAULT_EXPLORE_SECONDS: f64 = 3.0;

/// The default time budget of commands whose job is the exploration (`gfnc check`,
/// `enumerate`), in seconds.
pub const DEFAULT_THOROUGH_EXPLORE_SECONDS: f64 = 60.0;

/// The default bound on states expanded × actions: 10⁶ states of 100 actions each.
pub const DEFAULT_MAX_ACTION_TESTS: usize = 100_000_000;

/// What an exploration found: the whole reachable DAG, or the reason it stopped short.
pub enum Explored {
    /// Every reachable state fit the budget: the whole DAG.
    Complete(Box<Dag>),
    /// The reachable graph did not fit the budget; checks on it were partial.
    TooLarge(Overflow),
}

/// Why an exploration stopped before it saw every reachable state.
#[derive(Clone, Debug, PartialEq)]
pub struct Overflow {
    /// `reachable states > 1000000`, or the memory figure.
    pub reason: String,
    /// States discovered before stopping.
    pub states: usize,
}

/// The forward edges found so far: states below `expanded` have all their edges in
/// `offsets`/`targets`/`actions`; the others (the frontier) none yet.
struct Edges<'a> {
    states: &'a StateTable,
    offsets: &'a [u32],
    targets: &'a [u32],
    actions: &'a [u32],
}

impl Edges<'_> {
    fn expanded(&self) -> usize {
        self.offsets.len() - 1
    }

    fn of(&self, state: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let range = if state < self.expanded() {
            self.offsets[state] as usize..self.offsets[state + 1] as usize
        } else {
            0..0
        };
        range.map(move |e| (self.actions[e] as usize, self.targets[e] as usize))
    }
}

/// When the exploration reads the clock: after this many units of work (an action tested, a
/// slot of a child copied and hashed), a few hundred microseconds' worth.
const WORK_PER_CLOCK_READ: usize = 1 << 16;

/// How often the exploration reports its progress.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// The work done since the clock was last read, and when progress was last reported.
struct Clock {
    work: usize,
    last_progress: std::time::Instant,
}

impl Clock {
    /// Count `work`; now and then read the clock, report progress, and say whether the time
    /// budget is spent.
    fn tick(
        &mut self,
        work: usize,
        (started, budget): (std::time::Instant, Option<std::time::Duration>),
        progress: &mut dyn FnMut(),
    ) -> bool {
        self.work += work;
        if self.work < WORK_PER_CLOCK_READ {
            return false;
        }
        self.work = 0;
        let now = std::time::Instant::now();
        if now.duration_since(self.last_progress) >= PROGRESS_EVERY {
            self.last_progress = now;
            progress();
        }
        budget.is_some_and(|budget| now.duration_since(started) > budget)
    }
}

/// The first cycle check runs at this many expanded states, the next ones at each quadrupling:
/// a cycle among the states met so far is reported early, for a constant factor of work.
const FIRST_CYCLE_CHECK: usize = 4096;

/// Each cycle check comes this many times as many expanded states after the previous one.
const CYCLE_CHECK_GROWTH: usize = 4;

/// The rewards of every terminal state, asking external scorers in chunks rather than once per
/// state as the exploration meets them.
fn score_terminals(
    env: &Environment,
    states: &StateTable,
    can_stop: &[bool],
    done: &[bool],
    log_reward: &mut [f64],
    ws: &mut Workspace,
) -> Result<(), EnvError> {
    let terminals: Vec<usize> = (0..log_reward.len())
        .filter(|&k| can_stop[k] || done[k])
        .collect();
    let mut slots = Vec::new();
    for chunk in terminals.chunks(super::SCORER_CHUNK) {
        slots.clear();
        for &k in chunk {
            slots.extend_from_slice(states.get(k));
        }
        env.score(&slots)?;
        for &k in chunk {
            log_reward[k] = env.log_reward(states.get(k), ws)?;
        }
    }
    Ok(())
}

/// Explore the graph reachable from s0 breadth-first, checking it on the way (dead ends,
/// steps, rewards, cycles among the states met), within `budget`. Injectivity and parents are
/// checked after, by [`check_parents`] (or [`enumerate`]'s check of the forward edges). `progress` is told the
/// states expanded and discovered about five times a second.
pub fn explore(
    env: &Environment,
    budget: Budget,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Explored, EnvError> {
    explore_until(env, budget, progress, &|| false)
}

/// [`explore`] that also stops, as if out of budget, once `cancelled` says so (read with the
/// clock): the language server drops a check that the next edit made stale.
pub fn explore_until(
    env: &Environment,
    budget: Budget,
    progress: &mut dyn FnMut(usize, usize),
    cancelled: &dyn Fn() -> bool,
) -> Result<Explored, EnvError> {
    let w = env.width();
    let a = env.action_count();
    let mut ws = Workspace::default();
    let mut states = StateTable::new(w);
    states.insert(env.initial_state());
    let mut offsets = vec![0u32];
    let mut targets = Vec::new();
    let mut actions = Vec::new();
    let (mut can_stop, mut done, mut mode, mut log_reward) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut keys = std::collections::HashSet::new();
    let mut mask = vec![false; a];
    let mut state = vec![0; w];
    let mut child = vec![0; w];
    let mut next = 0;
    let mut next_cycle_check = FIRST_CYCLE_CHECK;
    let started = std::time::Instant::now();
    let mut clock = Clock {
        work: 0,
        last_progress: started,
    };
    let out_of_time = |states: usize| {
        Explored::TooLarge(Overflow {
            reason: match cancelled() {
                true => "the exploration was cancelled".to_string(),
                false => format!(
                    "the exploration took more than {} s (--explore-seconds)",
                    budget.max_time.map_or(0.0, |t| t.as_secs_f64())
                ),
            },
            states,
        })
    };
    // Bytes once one more state is stored, counting the doubling of the growing vectors (so
    // that no single allocation overshoots the budget): slots, index, edges, per-state figures.
    let projected = |states: usize, edges: usize| {
        2 * ((states + 1) * (w * 4 + 8) + (edges + a) * 8 + (states + 1) * (4 + 3 + 8 + 4))
    };
    let over_memory = |states: usize| {
        Explored::TooLarge(Overflow {
            reason: format!(
                "the reachable graph needs more than {} MB (--max-memory)",
                budget.max_bytes / 1_000_000
            ),
            states,
        })
    };
    while next < states.len() {
        if next == next_cycle_check {
            cycles_so_far(env, &states, &offsets, &targets, &actions)?;
            next_cycle_check *= CYCLE_CHECK_GROWTH;
        }
        if clock.tick(a, (started, budget.max_time), &mut || {
            progress(next, states.len())
        }) || (clock.work == 0 && cancelled())
        {
            cycles_so_far(env, &states, &offsets, &targets, &actions)?;
            return Ok(out_of_time(states.len()));
        }
        if next.saturating_add(1).saturating_mul(a) > budget.max_action_tests {
            cycles_so_far(env, &states, &offsets, &targets, &actions)?;
            return Ok(Explored::TooLarge(Overflow {
                reason: format!(
                    "states × actions > {} ({a} actions per state)",
                    budget.max_action_tests
                ),
                states: states.len(),
            }));
        }
        state.copy_from_slice(states.get(next));
        let is_done = env.is_done(&state, &mut ws)?;
        env.forward_mask(&state, &mut mask, &mut ws)?;
        let stop = mask[a - 1];
        if !is_done && !mask.iter().any(|m| *m) {
            return Err(dead_end(env, &state));
        }
        for (action, _) in mask[..a - 1]
            .iter()
            .enumerate()
            .filter(|(_, allowed)| **allowed)
        {
            env.step(&state, action, &mut child, &mut ws)?;
            if child == state {
                return Err(self_loop(env, &state, action));
            }
            if projected(states.len(), targets.len()) > budget.max_bytes {
                return Ok(over_memory(states.len()));
            }
            if clock.tick(w, (started, budget.max_time), &mut || {
                progress(next, states.len())
            }) || (clock.work == 0 && cancelled())
            {
                return Ok(out_of_time(states.len()));
            }
            let (id, _) = states.insert(&child);
            if states.len() > budget.max_states {
                // The states met so far may already close a cycle: say so rather than "too large".
                cycles_so_far(env, &states, &offsets, &targets, &actions)?;
                return Ok(Explored::TooLarge(Overflow {
                    reason: format!("reachable states > {}", budget.max_states),
                    states: states.len(),
                }));
            }
            targets.push(id as u32);
            actions.push(action as u32);
        }
        offsets.push(targets.len() as u32);
        can_stop.push(stop);
        done.push(is_done);
        let terminal = stop || is_done;
        log_reward.push(if terminal && !env.has_scorers() {
            env.log_reward(&state, &mut ws)?
        } else {
            f64::NAN
        });
        let key = match terminal {
            true => env.mode_key(&state, &mut ws)?,
            false => None,
        };
        if let (Some(key), true) = (key, env.has_mode_key()) {
            keys.insert(key);
        }
        mode.push(key.is_some());
        next += 1;
    }
    let mut dag = Dag {
        states,
        offsets,
        targets,
        actions,
        can_stop,
        done,
        log_reward,
        mode,
        order: Vec::new(),
        max_len: 0,
        log_z: 0.0,
        mode_keys: env.has_mode_key().then_some(keys.len()),
    };
    dag.finish(env, &mut ws)?;
    Ok(Explored::Complete(Box::new(dag)))
}

impl Dag {
    /// What exploration leaves to the end: rewards from external scorers (in chunks), the
    /// topological order (which finds any cycle), the longest trajectory and log Z.
    fn finish(&mut self, env: &Environment, ws: &mut Workspace) -> Result<(), EnvError> {
        if env.has_scorers() {
            score_terminals(
                env,
                &self.states,
                &self.can_stop,
                &self.done,
                &mut self.log_reward,
                ws,
            )?;
        }
        self.order = topological_order(
            env,
            &Edges {
                states: &self.states,
                offsets: &self.offsets,
                targets: &self.targets,
                actions: &self.actions,
            },
        )?;
        self.max_len = self.longest_trajectory();
        let terminal_rewards = self.log_reward.iter().copied().filter(|r| !r.is_nan());
        self.log_z = log_sum_exp(terminal_rewards);
        Ok(())
    }

    /// The most actions (not counting `stop`) on a path from s0 to a terminal state, by
    /// dynamic programming in topological order.
    fn longest_trajectory(&self) -> u32 {
        let mut longest = vec![0u32; self.len()];
        for &s in &self.order {
            let s = s as usize;
            for (_, c) in self.edges(s) {
                longest[c] = longest[c].max(longest[s] + 1);
            }
        }
        (0..self.len())
            .filter(|s| self.is_terminal(*s))
            .map(|s| longest[s])
            .max()
            .unwrap_or(0)
    }
}

/// Report a cycle among the states expanded so far, if their edges close one.
fn cycles_so_far(
    env: &Environment,
    states: &StateTable,
    offsets: &[u32],
    targets: &[u32],
    actions: &[u32],
) -> Result<(), EnvError> {
    let edges = Edges {
        states,
        offsets,
        targets,
        actions,
    };
    topological_order(env, &edges).map(|_| ())
}

/// An action whose child is the state itself: the shortest cycle.
fn self_loop(env: &Environment, state: &[i32], action: usize) -> EnvError {
    env.cycle_error(
        action,
        format!(
            "{} --{}--> itself",
            env.render(state),
            env.action_name(action)
        ),
    )
}

/// Enumerate the reachable DAG, checking it on the way. More than `limit` states is an error
/// that says so, rather than running out of memory.
pub fn enumerate(env: &Environment, limit: usize) -> Result<Dag, EnvError> {
    match explore(env, Budget::states(limit), &mut |_, _| {})? {
        Explored::Complete(dag) => {
            check_injective(env, &dag)?;
            Ok(*dag)
        }
        Explored::TooLarge(overflow) => Err(too_large(&overflow)),
    }
}

/// The error for a reachable graph beyond the budget, where a whole DAG is required.
pub fn too_large(overflow: &Overflow) -> EnvError {
    EnvError::new(
        codes::env::TOO_MANY_STATES,
        format!(
            "exploration stopped: {} ({} states met); the whole reachable graph is needed here",
            overflow.reason, overflow.states
        ),
    )
    .help("raise --max-states (or --max-memory, --explore-seconds), or make the environment smaller with --set")
}

pub(crate) fn dead_end(env: &Environment, state: &[i32]) -> EnvError {
    let program = &env.program;
    let span = program
        .stop
        .flatten()
        .or(program.done)
        .map(|node| program.code.span(node))
        .or_else(|| program.families.first().map(|f| f.span));
    EnvError::new(
        codes::env::DEAD_END,
        format!(
            "state {} is a dead end: no action is allowed, `stop` is not, and it is not `done`",
            env.render(state)
        ),
    )
    .at(span, "does not hold there")
    .help("allow `stop` there, mark it `done`, or make sure some action is allowed")
}

/// Kahn's algorithm over the edges found so far; a leftover state lies on or behind a cycle,
/// which is then found and shown. Frontier states have no edges yet, so a leftover is always a
/// true cycle.
fn topological_order(env: &Environment, edges: &Edges) -> Result<Vec<u32>, EnvError> {
    let n = edges.states.len();
    let mut in_degree = vec![0u32; n];
    let complete = edges.offsets.last().map_or(0, |e| *e as usize);
    for &t in &edges.targets[..complete] {
        in_degree[t as usize] += 1;
    }
    let mut order: Vec<u32> = (0..n as u32)
        .filter(|s| in_degree[*s as usize] == 0)
        .collect();
    let mut head = 0;
    while head < order.len() {
        let s = order[head] as usize;
        head += 1;
        for (_, c) in edges.of(s) {
            in_degree[c] -= 1;
            if in_degree[c] == 0 {
                order.push(c as u32);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Walk from a leftover state along leftover edges until a state repeats: that is a cycle.
    let start = (0..n).find(|s| in_degree[*s] > 0).unwrap_or(0);
    let mut path: Vec<(usize, usize)> = Vec::new();
    let mut seen = vec![usize::MAX; n];
    let mut s = start;
    while seen[s] == usize::MAX {
        seen[s] = path.len();
        let Some((action, c)) = edges.of(s).find(|(_, c)| in_degree[*c] > 0) else {
            break;
        };
        path.push((s, action));
        s = c;
    }
    let cycle = &path[seen[s].min(path.len())..];
    let shown: Vec<String> = cycle
        .iter()
        .map(|(state, action)| {
            format!(
                "{} --{}-->",
                env.render(edges.states.get(*state)),
                env.action_name(*action)
            )
        })
        .collect();
    let closing = cycle.last().map(|(_, action)| *action).unwrap_or(0);
    Err(env.cycle_error(
        closing,
        format!("{} {}", shown.join(" "), env.render(edges.states.get(s))),
    ))
}

/// Two parents may not share one action into one child (found from the forward edges).
fn check_injective(env: &Environment, dag: &Dag) -> Result<(), EnvError> {
    let mut keys: Vec<(u32, u32, u32)> = Vec::with_capacity(dag.edge_count());
    for s in 0..dag.len() {
        for (action, c) in dag.edges(s) {
            keys.push((c as u32, action as u32, s as u32));
        }
    }
    keys.sort_unstable();
    for pair in keys.windows(2) {
        let ((c1, a1, p1), (c2, a2, p2)) = (pair[0], pair[1]);
        if c1 == c2 && a1 == a2 && p1 != p2 {
            let parents = [dag.states.get(p1 as usize), dag.states.get(p2 as usize)].concat();
            return Err(env.non_injective(dag.states.get(c1 as usize), a1 as usize, &parents));
        }
    }
    Ok(())
}

/// Enumerate and run every check, forward and backward: what `gfnc check` does on small spaces.
pub fn check_exhaustively(env: &Environment, limit: usize) -> Result<Dag, EnvError> {
    let dag = enumerate(env, limit)?;
    check_parents(env, &dag)?;
    Ok(dag)
}

/// The backward checks: for every reachable state and action, the derived parents are unique,
/// reachable, and account for every forward edge.
pub fn check_parents(env: &Environment, dag: &Dag) -> Result<(), EnvError> {
    let w = env.width();
    let mut ws = Workspace::default();
    let mut found = Vec::new();
    let mut backward_edges = 0usize;
    // The forward edges into each state: a derived parent must be the source of one of them
    // with the same action (a reachable parent's edge was met by the exploration), which is
    // checked by comparing states rather than by hashing each parent.
    let n = dag.len();
    let mut into = vec![0u32; n + 1];
    for &t in &dag.targets {
        into[t as usize + 1] += 1;
    }
    for k in 0..n {
        into[k + 1] += into[k];
    }
    let mut fill = into.clone();
    let mut sources = vec![(0u32, 0u32); dag.edge_count()];
    for s in 0..n {
        for (action, c) in dag.edges(s) {
            sources[fill[c] as usize] = (action as u32, s as u32);
            fill[c] += 1;
        }
    }
    for c in 0..n {
        let child = dag.states.get(c);
        let incoming = &sources[into[c] as usize..into[c + 1] as usize];
        for action in 0..env.action_count() - 1 {
            found.clear();
            let count = env.parents(child, action, &mut found, &mut ws)?;
            if count > 1 {
                return Err(env.non_injective(child, action, &found));
            }
            for parent in found.chunks_exact(w) {
                let known = incoming
                    .iter()
                    .any(|(a, s)| *a as usize == action && dag.states.get(*s as usize) == parent);
                if !known {
                    return Err(orphan(env, parent, child, action));
                }
                backward_edges += 1;
            }
        }
    }
    if backward_edges != dag.edge_count() {
        // Some forward edge was not found backward: name it.
        for s in 0..dag.len() {
            for (action, c) in dag.edges(s) {
                found.clear();
                env.parents(dag.states.get(c), action, &mut found, &mut ws)?;
                if !found.chunks_exact(w).any(|p| p == dag.states.get(s)) {
                    return Err(env.underived_parent(dag.states.get(s), dag.states.get(c), action));
                }
            }
        }
    }
    Ok(())
}

fn orphan(env: &Environment, parent: &[i32], child: &[i32], action: usize) -> EnvError {
    EnvError::new(codes::env::ORPHAN_PARENT, format!(
            "state {} is a parent of reachable state {} by action `{}`, but it is not reachable from the initial state",
            env.render(parent),
            env.render(child),
            env.action_name(action)
        ))
            .at(env.guard_span(action), "allowed in the unreachable parent")
            .help(
                "backward trajectories would leave the DAG: tighten the field's range or this action's `when` so that the parent is not a valid state where the action is allowed",
            )
}
