//! Trajectories: sampled forward from s0 by the policy (with optional ε-uniform exploration and
//! temperature), or backward from terminal objects (replay) by P_B. Sampling runs the network
//! without an autograd graph, one batched pass per step over the trajectories still running.

use super::policy::Policy;
use super::TrainError;
use crate::env::{Environment, Workspace};
use rand::rngs::StdRng;
use rand::Rng;

/// How actions are chosen while sampling (the loss always uses the policy itself).
#[derive(Clone, Copy, Debug)]
pub struct Exploration {
    /// Probability mass mixed in uniformly over allowed actions.
    pub epsilon: f64,
    /// Logits are divided by this before the softmax.
    pub temperature: f64,
}

/// Trajectories back to back. Trajectory `b` holds states `starts[b]..starts[b + 1]`; its
/// transitions are the moves between consecutive states, transition `k` of the whole batch
/// leaving state `k + b` (each trajectory has one transition fewer than states).
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// Slots per state.
    pub width: usize,
    /// The size of the flat action space, `stop` included: the length of a mask row.
    pub actions_per_state: usize,
    /// Every state of every trajectory, `width` slots each, back to back.
    pub states: Vec<i32>,
    /// Forward masks, one row per state (all false in `done` states).
    pub forward_masks: Vec<bool>,
    /// State offsets of the trajectories: 0, then the end of each one (one more entry than trajectories).
    pub starts: Vec<usize>,
    /// One action per transition (never `stop`).
    pub actions: Vec<usize>,
    /// Whether each trajectory ended by `stop` (else it reached a `done` state).
    pub stopped: Vec<bool>,
    /// The log reward of each trajectory's terminal object.
    pub log_rewards: Vec<f64>,
}

impl Batch {
    /// The number of trajectories.
    pub fn trajectories(&self) -> usize {
        self.stopped.len()
    }

    /// The number of states over all trajectories.
    pub fn state_count(&self) -> usize {
        self.starts.last().copied().unwrap_or(0)
    }

    /// State `index` of the whole batch, counting across trajectories.
    pub fn state(&self, index: usize) -> &[i32] {
        &self.states[index * self.width..(index + 1) * self.width]
    }

    /// The last state of trajectory `b`: the terminal object.
    pub fn terminal(&self, b: usize) -> &[i32] {
        self.state(self.starts[b + 1] - 1)
    }

    fn push_trajectory(
        &mut self,
        states: &[i32],
        masks: &[bool],
        actions: &[usize],
        stopped: bool,
        log_reward: f64,
    ) {
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.states.extend_from_slice(states);
        self.forward_masks.extend_from_slice(masks);
        self.actions.extend_from_slice(actions);
        self.starts.push(self.states.len() / self.width);
        self.stopped.push(stopped);
        self.log_rewards.push(log_reward);
    }

    /// Append another batch's trajectories.
    pub fn extend(&mut self, other: &Batch) {
        for b in 0..other.trajectories() {
            let (s, e) = (other.starts[b], other.starts[b + 1]);
            let t0 = s - b;
            let t1 = e - b - 1;
            self.push_trajectory(
                &other.states[s * other.width..e * other.width],
                &other.forward_masks[s * other.actions_per_state..e * other.actions_per_state],
                &other.actions[t0..t1],
                other.stopped[b],
                other.log_rewards[b],
            );
        }
    }

    /// Trajectory `b` alone.
    pub fn select(&self, b: usize) -> Batch {
        let mut one = Batch {
            width: self.width,
            actions_per_state: self.actions_per_state,
            starts: vec![0],
            ..Batch::default()
        };
        let (s, e) = (self.starts[b], self.starts[b + 1]);
        one.push_trajectory(
            &self.states[s * self.width..e * self.width],
            &self.forward_masks[s * self.actions_per_state..e * self.actions_per_state],
            &self.actions[s - b..e - b - 1],
            self.stopped[b],
            self.log_rewards[b],
        );
        one
    }

    /// A batch with no trajectories, shaped for `env`.
    pub fn empty(env: &Environment) -> Batch {
        Batch {
            width: env.width(),
            actions_per_state: env.action_count(),
            starts: vec![0],
            ..Batch::default()
        }
    }
}

/// Choose an action from logits over allowed actions: softmax at a temperature, mixed with a
/// uniform choice. `allowed` must hold at least one `true`.
pub fn choose(
    logits: &[f32],
    allowed: &[bool],
    exploration: Exploration,
    rng: &mut StdRng,
) -> usize {
    let count = allowed.iter().filter(|a| **a).count();
    let max = logits
        .iter()
        .zip(allowed)
        .filter(|(_, a)| **a)
        .map(|(l, _)| f64::from(*l))
        .fold(f64::NEG_INFINITY, f64::max);
    let mut weights = [0.0f64; 64];
    let mut heap;
    let weights: &mut [f64] = if logits.len() <= 64 {
        &mut weights[..logits.len()]
    } else {
        heap = vec![0.0; logits.len()];
        &mut heap
    };
    let mut total = 0.0;
    for ((w, l), a) in weights.iter_mut().zip(logits).zip(allowed) {
        if *a {
            *w = ((f64::from(*l) - max) / exploration.temperature).exp();
            total += *w;
        }
    }
    let uniform = exploration.epsilon / count as f64;
    let mut pick = rng.random::<f64>();
    let mut last = 0;
    for (action, (w, a)) in weights.iter().zip(allowed).enumerate() {
        if !*a {
            continue;
        }
        let p = (1.0 - exploration.epsilon) * w / total + uniform;
        last = action;
        if pick < p {
            return action;
        }
        pick -= p;
    }
    last
}

/// The policy's inputs for states back to back.
pub fn encode(
    env: &Environment,
    policy: &Policy,
    states: &[i32],
) -> Result<crate::train::policy::Inputs, TrainError> {
    Ok(policy.inputs(env, states)?)
}

/// Sample `count` trajectories forward from s0.
pub fn forward(
    env: &Environment,
    policy: &Policy,
    count: usize,
    exploration: Exploration,
    rng: &mut StdRng,
    ws: &mut Workspace,
) -> Result<Batch, TrainError> {
    let prefixes = (0..count)
        .map(|_| (env.initial_state().to_vec(), Vec::new()))
        .collect();
    forward_from(env, policy, prefixes, exploration, rng, ws)
}

/// The beginning of a trajectory: its states from s0 (back to back) and the actions between
/// them.
pub type Prefix = (Vec<i32>, Vec<usize>);

/// Continue each prefix forward by the policy until it stops or reaches a `done` state.
pub fn forward_from(
    env: &Environment,
    policy: &Policy,
    prefixes: Vec<Prefix>,
    exploration: Exploration,
    rng: &mut StdRng,
    ws: &mut Workspace,
) -> Result<Batch, TrainError> {
    let (w, a) = (env.width(), env.action_count());
    let mut mask = vec![false; a];
    let mut running = Vec::with_capacity(prefixes.len());
    for (states, actions) in prefixes {
        let mut seen = crate::env::table::StateTable::new(w);
        let mut masks = Vec::with_capacity(states.len() / w.max(1) * a);
        let n = states.len() / w.max(1);
        for (k, state) in states.chunks_exact(w).enumerate() {
            seen.insert(state);
            // The last state's mask is computed by the loop below.
            if k + 1 < n {
                env.forward_mask(state, &mut mask, ws)?;
                masks.extend_from_slice(&mask);
            }
        }
        running.push(Running {
            seen,
            states,
            masks,
            actions,
            end: None,
        });
    }
    let mut child = vec![0; w];
    loop {
        // Masks of the current states; `done` states end their trajectory here.
        let mut active = Vec::new();
        for (index, run) in running.iter_mut().enumerate() {
            if run.end.is_some() {
                continue;
            }
            let state = &run.states[run.states.len() - w..];
            env.forward_mask(state, &mut mask, ws)?;
            run.masks.extend_from_slice(&mask);
            if env.is_done(state, ws)? {
                run.end = Some(false);
            } else {
                active.push(index);
            }
        }
        if active.is_empty() {
            break;
        }
        let mut current = Vec::with_capacity(active.len() * w);
        for &index in &active {
            let run = &running[index];
            current.extend_from_slice(&run.states[run.states.len() - w..]);
        }
        // One row per distinct state: early in a batch most trajectories stand on the same ones.
        let (distinct, rows) = super::objective::distinct_states(env, &current);
        let distinct_logits = policy
            .forward_logits(&encode(env, policy, &distinct)?)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let logits: Vec<f32> = rows
            .iter()
            .flat_map(|r| {
                distinct_logits[*r as usize * a..(*r as usize + 1) * a]
                    .iter()
                    .copied()
            })
            .collect();
        for (row, &index) in active.iter().enumerate() {
            let run = &mut running[index];
            let allowed = &run.masks[run.masks.len() - a..];
            if !allowed.iter().any(|m| *m) {
                return Err(TrainError::DeadEnd(
                    env.render(&run.states[run.states.len() - w..]),
                ));
            }
            let action = choose(&logits[row * a..(row + 1) * a], allowed, exploration, rng);
            if action == a - 1 {
                run.end = Some(true);
                continue;
            }
            let state = run.states[run.states.len() - w..].to_vec();
            env.step(&state, action, &mut child, ws)?;
            if !run.seen.insert(&child).1 {
                return Err(TrainError::Env(cycle(env, &state, action, &child)));
            }
            run.states.extend_from_slice(&child);
            run.actions.push(action);
            env.check_length(run.actions.len(), &child, "a sampled trajectory")?;
        }
    }
    if env.has_scorers() {
        let terminals: Vec<i32> = running
            .iter()
            .flat_map(|run| run.states[run.states.len() - w..].iter().copied())
            .collect();
        env.score(&terminals)?;
    }
    let mut batch = Batch::empty(env);
    for run in running {
        let terminal = &run.states[run.states.len() - w..];
        let log_reward = env.log_reward(terminal, ws)?;
        batch.push_trajectory(
            &run.states,
            &run.masks,
            &run.actions,
            run.end == Some(true),
            log_reward,
        );
    }
    Ok(batch)
}

/// A trajectory came back to a state it had visited: the environment has a cycle.
fn cycle(env: &Environment, state: &[i32], action: usize, child: &[i32]) -> crate::env::EnvError {
    let path = format!(
        "a sampled trajectory went from {} by `{}` back to {}, which it had visited",
        env.render(state),
        env.action_name(action),
        env.render(child)
    );
    env.cycle_error(action, path)
}

struct Running {
    states: Vec<i32>,
    /// The states visited, to catch a cycle that exhaustive checks could not (large spaces).
    seen: crate::env::table::StateTable,
    masks: Vec<bool>,
    actions: Vec<usize>,
    /// `Some(true)` stopped, `Some(false)` reached a `done` state.
    end: Option<bool>,
}

/// Sample trajectories backward from terminal objects to s0 by P_B: uniform over the derived
/// parents, or the learned backward head. Returned in forward order.
pub fn backward(
    env: &Environment,
    policy: &Policy,
    terminals: &[i32],
    rng: &mut StdRng,
    ws: &mut Workspace,
    limit: &super::estimate::Limit,
) -> Result<Batch, TrainError> {
    let (w, a) = (env.width(), env.action_count());
    let count = terminals.len() / w.max(1);
    // Each walk, newest state last, and the actions that led into each state.
    let mut walks: Vec<(Vec<i32>, Vec<usize>)> = terminals
        .chunks_exact(w)
        .map(|x| (x.to_vec(), Vec::new()))
        .collect();
    let mut finished = vec![false; count];
    let mut mask = vec![false; a];
    let mut parent = vec![0; w];
    let greedy = Exploration {
        epsilon: 0.0,
        temperature: 1.0,
    };
    let mut guard = 0usize;
    while finished.iter().any(|f| !f) {
        guard += 1;
        if guard > 1_000_000 {
            return Err(TrainError::Internal(
                "a backward walk did not reach the initial state".to_string(),
            ));
        }
        let active: Vec<usize> = (0..count).filter(|i| !finished[*i]).collect();
        let mut current = Vec::with_capacity(active.len() * w);
        for &i in &active {
            let states = &walks[i].0;
            current.extend_from_slice(&states[states.len() - w..]);
        }
        let logits = match policy.shape.learned_backward {
            true => Some(
                policy
                    .backward_logits(&encode(env, policy, &current)?)?
                    .ok_or_else(|| TrainError::Internal("no backward head".to_string()))?
                    .flatten_all()?
                    .to_vec1::<f32>()?,
            ),
            false => None,
        };
        for (row, &i) in active.iter().enumerate() {
            let state = current[row * w..(row + 1) * w].to_vec();
            if state == env.initial_state() {
                finished[i] = true;
                continue;
            }
            limit.check("estimating log P_T on the test set (backward trajectories)")?;
            env.backward_mask(&state, &mut mask, ws)?;
            if !mask.iter().any(|m| *m) {
                return Err(TrainError::NoParent(env.render(&state)));
            }
            let action = match &logits {
                Some(logits) => choose(&logits[row * a..(row + 1) * a], &mask, greedy, rng),
                None => choose(&vec![0.0; a], &mask, greedy, rng),
            };
            if !env.parent(&state, action, &mut parent, ws)? {
                return Err(TrainError::NoParent(env.render(&state)));
            }
            walks[i].0.extend_from_slice(&parent);
            walks[i].1.push(action);
            env.check_length(walks[i].1.len(), &parent, "a backward walk by P_B")?;
        }
    }
    let mut batch = Batch::empty(env);
    for (states, actions) in walks {
        let n = states.len() / w;
        let mut forward_states = Vec::with_capacity(states.len());
        let mut masks = Vec::with_capacity(n * a);
        for k in (0..n).rev() {
            let state = &states[k * w..(k + 1) * w];
            forward_states.extend_from_slice(state);
            env.forward_mask(state, &mut mask, ws)?;
            masks.extend_from_slice(&mask);
        }
        let forward_actions: Vec<usize> = actions.iter().rev().copied().collect();
        let terminal = &forward_states[(n - 1) * w..];
        let stopped = !env.is_done(terminal, ws)?;
        let log_reward = env.log_reward(terminal, ws)?;
        batch.push_trajectory(
            &forward_states,
            &masks,
            &forward_actions,
            stopped,
            log_reward,
        );
    }
    Ok(batch)
}

/// Local search (LS-GFN, Kim et al. 2024) from each terminal object of `batch`: its trajectory
/// is drawn back to s0 by P_B, its last `k` moves are undone and rebuilt by P_F, and the new
/// object is kept when [`accepts`] says so, the old trajectory otherwise. Returns the refined
/// trajectories, one per trajectory of `batch`, and how many new objects were kept.
pub fn local_search(
    env: &Environment,
    policy: &Policy,
    batch: &Batch,
    k: usize,
    (exploration, rng): (Exploration, &mut StdRng),
    ws: &mut Workspace,
) -> Result<(Batch, usize), TrainError> {
    let w = env.width();
    let terminals: Vec<i32> = (0..batch.trajectories())
        .flat_map(|b| batch.terminal(b).iter().copied())
        .collect();
    let back = backward(
        env,
        policy,
        &terminals,
        rng,
        ws,
        &super::estimate::Limit::default(),
    )?;
    let prefixes: Vec<Prefix> = (0..back.trajectories())
        .map(|b| {
            let (s, e) = (back.starts[b], back.starts[b + 1]);
            // Keep at least s0; the moves of trajectory b are back.actions[s - b..e - b - 1].
            let keep = (e - s).saturating_sub(k).max(1);
            (
                back.states[s * w..(s + keep) * w].to_vec(),
                back.actions[s - b..s - b + keep - 1].to_vec(),
            )
        })
        .collect();
    let rebuilt = forward_from(env, policy, prefixes, exploration, rng, ws)?;
    let mut refined = Batch::empty(env);
    let mut kept = 0;
    for b in 0..rebuilt.trajectories() {
        let (source, index) = if accepts(back.log_rewards[b], rebuilt.log_rewards[b]) {
            kept += 1;
            (&rebuilt, b)
        } else {
            (&back, b)
        };
        refined.extend(&source.select(index));
    }
    Ok((refined, kept))
}

/// LS-GFN's deterministic filter: the rebuilt object replaces the old one unless its reward is
/// lower.
pub fn accepts(old_log_reward: f64, new_log_reward: f64) -> bool {
    new_log_reward >= old_log_reward
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn local_search_keeps_what_is_not_worse() {
        assert!(accepts(-3.0, -2.0));
        assert!(accepts(-2.0, -2.0));
        assert!(!accepts(-2.0, -2.5));
    }

    #[test]
    fn choose_follows_the_softmax_over_allowed_actions() {
        let mut rng = StdRng::seed_from_u64(0);
        let logits = [0.0f32, 2.0f32.ln(), 100.0, 0.0];
        let allowed = [true, true, false, true];
        let mut counts = [0usize; 4];
        let n = 40_000;
        for _ in 0..n {
            counts[choose(
                &logits,
                &allowed,
                Exploration {
                    epsilon: 0.0,
                    temperature: 1.0,
                },
                &mut rng,
            )] += 1;
        }
        assert_eq!(counts[2], 0, "a masked action was chosen");
        // Probabilities 1/4, 2/4, 0, 1/4.
        for (k, expected) in [(0, 0.25), (1, 0.5), (3, 0.25)] {
            let p = counts[k] as f64 / n as f64;
            assert!((p - expected).abs() < 0.01, "action {k}: {p}");
        }
        // ε = 1 is uniform over allowed actions whatever the logits.
        let mut counts = [0usize; 4];
        for _ in 0..n {
            counts[choose(
                &logits,
                &allowed,
                Exploration {
                    epsilon: 1.0,
                    temperature: 1.0,
                },
                &mut rng,
            )] += 1;
        }
        for k in [0, 1, 3] {
            assert!((counts[k] as f64 / n as f64 - 1.0 / 3.0).abs() < 0.01);
        }
    }
}
