//! Metropolis–Hastings whose stationary distribution over terminal objects is R(x)/Z, with a
//! proposal derived from the environment's DAG alone.
//!
//! The chain walks complete trajectories τ = (s0 → … → x) rather than objects, with target
//! π(τ) ∝ R(x) · P_B(τ | x) for the uniform backward policy P_B: summed over the trajectories
//! ending at x, that is R(x), so the objects the chain visits follow R/Z. A proposal keeps a
//! prefix of τ, cut after m transitions with m uniform in 0..=L (L the transitions of τ), and
//! regenerates the rest by the uniform forward policy (every allowed action, `stop` included,
//! equally likely). Keeping the same prefix is the reverse move, so both proposal
//! probabilities are exact and cheap:
//!
//! q(τ → τ') = 1/(L+1) · U(tail of τ' after m),   q(τ' → τ) = 1/(L'+1) · U(tail of τ after m),
//!
//! and τ' is accepted with probability min(1, π(τ') q(τ' → τ) / (π(τ) q(τ → τ'))).

use crate::env::{EnvError, Environment, Workspace};
use rand::rngs::StdRng;
use rand::Rng;

/// One chain's current trajectory.
#[derive(Clone, Debug)]
pub struct Walk {
    /// s0, s1, …, x back to back.
    pub states: Vec<i32>,
    /// log of the uniform forward probability of the choice made at each state (the action
    /// taken, or `stop` at x; 0 at a `done` x, which has no choice).
    choice: Vec<f64>,
    /// log P_B(τ | x) under the uniform backward policy.
    log_pb: f64,
    /// log R(x).
    pub log_reward: f64,
}

impl Walk {
    /// Transitions (not counting `stop`).
    fn transitions(&self, width: usize) -> usize {
        self.states.len() / width.max(1) - 1
    }

    /// The terminal object.
    pub fn object(&self, width: usize) -> &[i32] {
        &self.states[self.states.len() - width..]
    }

    /// log U of the choices from state `m` on.
    fn tail(&self, m: usize) -> f64 {
        self.choice[m..].iter().sum()
    }
}

/// Walk uniformly forward from `prefix` (states back to back, its choices `choice`) to a
/// terminal object, and score it.
fn complete(
    env: &Environment,
    mut states: Vec<i32>,
    mut choice: Vec<f64>,
    rng: &mut StdRng,
    ws: &mut Workspace,
) -> Result<Walk, EnvError> {
    let (w, a) = (env.width(), env.action_count());
    let mut mask = vec![false; a];
    let mut child = vec![0; w];
    loop {
        let state = states[states.len() - w..].to_vec();
        let Some((action, allowed)) = env.uniform_choice(&state, &mut mask, rng, ws)? else {
            choice.push(0.0); // a `done` state ends the trajectory without a choice
            break;
        };
        choice.push(-(allowed as f64).ln());
        if action == env.stop_action() {
            break;
        }
        env.step(&state, action, &mut child, ws)?;
        states.extend_from_slice(&child);
        // Checks of a graph too large to explore are partial: a cycle they missed must not
        // hang the chain (the trainer's sampler catches it the same way).
        env.check_length(states.len() / w - 1, &child, "a uniform trajectory")?;
    }
    let mut log_pb = 0.0;
    for k in 1..states.len() / w {
        env.backward_mask(&states[k * w..(k + 1) * w], &mut mask, ws)?;
        let parents = mask.iter().filter(|m| **m).count().max(1);
        log_pb -= (parents as f64).ln();
    }
    let log_reward = env.log_reward(&states[states.len() - w..], ws)?;
    Ok(Walk {
        states,
        choice,
        log_pb,
        log_reward,
    })
}

/// log q(τ → τ'): the cut after `m` transitions, then the uniform tail of τ'.
fn log_proposal(from: &Walk, to: &Walk, m: usize, width: usize) -> f64 {
    -((from.transitions(width) + 1) as f64).ln() + to.tail(m)
}

/// The log Metropolis–Hastings ratio of moving from `walk` to `proposal`, which share their
/// first `m` transitions.
fn log_acceptance(walk: &Walk, proposal: &Walk, m: usize, width: usize) -> f64 {
    (proposal.log_reward + proposal.log_pb + log_proposal(proposal, walk, m, width))
        - (walk.log_reward + walk.log_pb + log_proposal(walk, proposal, m, width))
}

/// A chain's first trajectory: uniform from s0.
pub fn start(env: &Environment, rng: &mut StdRng, ws: &mut Workspace) -> Result<Walk, EnvError> {
    complete(env, env.initial_state().to_vec(), Vec::new(), rng, ws)
}

/// One Metropolis–Hastings step; returns whether the proposal was accepted (one reward
/// evaluated either way).
pub fn step(
    env: &Environment,
    walk: &mut Walk,
    rng: &mut StdRng,
    ws: &mut Workspace,
) -> Result<bool, EnvError> {
    let w = env.width();
    let length = walk.transitions(w);
    let m = rng.random_range(0..=length);
    let prefix = walk.states[..(m + 1) * w].to_vec();
    let proposal = complete(env, prefix, walk.choice[..m].to_vec(), rng, ws)?;
    let log_ratio = log_acceptance(walk, &proposal, m, w);
    let accept = log_ratio >= 0.0 || rng.random::<f64>().ln() < log_ratio;
    if accept {
        *walk = proposal;
    }
    Ok(accept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::HashMap;

    /// The chain's transition matrix over all complete trajectories of a small environment,
    /// built exactly by enumerating every cut and every uniform tail: its stationary
    /// distribution, summed per object, is R/Z.
    #[test]
    fn the_stationary_distribution_is_r_over_z() {
        // Subsets of {0, 1, 2} built in any order (several paths per object), R = 1 + sum².
        let source = "env s\nstate { c: set<0..3> }\naction add(i in 0..3) when i not in c { c.insert(i) }\nstop\nreward 1.0 + float(sum(c)) ** 2\n";
        let env = Environment::from_source(source, &[]).expect("compiles");
        let (w, a) = (env.width(), env.action_count());
        let mut ws = Workspace::new();
        // Every complete trajectory with its uniform forward probability, by depth-first search.
        let mut walks: Vec<Walk> = Vec::new();
        let mut stack = vec![(env.initial_state().to_vec(), Vec::<f64>::new())];
        let mut mask = vec![false; a];
        let mut child = vec![0; w];
        while let Some((states, choice)) = stack.pop() {
            let state = states[states.len() - w..].to_vec();
            env.forward_mask(&state, &mut mask, &mut ws).expect("mask");
            let allowed: Vec<usize> = (0..a).filter(|&k| mask[k]).collect();
            let u = -(allowed.len() as f64).ln();
            for action in allowed {
                let mut c = choice.clone();
                c.push(u);
                if action == env.stop_action() {
                    let mut log_pb = 0.0;
                    let mut bmask = vec![false; a];
                    for k in 1..states.len() / w {
                        env.backward_mask(&states[k * w..(k + 1) * w], &mut bmask, &mut ws)
                            .expect("mask");
                        log_pb -= (bmask.iter().filter(|m| **m).count() as f64).ln();
                    }
                    let log_reward = env.log_reward(&state, &mut ws).expect("reward");
                    walks.push(Walk {
                        states: states.clone(),
                        choice: c,
                        log_pb,
                        log_reward,
                    });
                } else {
                    env.step(&state, action, &mut child, &mut ws).expect("step");
                    let mut s = states.clone();
                    s.extend_from_slice(&child);
                    stack.push((s, c));
                }
            }
        }
        let index: HashMap<Vec<i32>, usize> = walks
            .iter()
            .enumerate()
            .map(|(k, t)| (t.states.clone(), k))
            .collect();
        let n = walks.len();
        // P[i][j]: propose by cut m and tail, accept by the same ratio `step` uses.
        let mut p = vec![vec![0.0; n]; n];
        for (i, walk) in walks.iter().enumerate() {
            let length = walk.transitions(w);
            for m in 0..=length {
                let prefix = &walk.states[..(m + 1) * w];
                for (j, other) in walks.iter().enumerate() {
                    if other.states.len() < prefix.len() || &other.states[..prefix.len()] != prefix
                    {
                        continue;
                    }
                    let q = log_proposal(walk, other, m, w);
                    let accept = log_acceptance(walk, other, m, w).min(0.0).exp();
                    p[i][j] += q.exp() * accept;
                    p[i][i] += q.exp() * (1.0 - accept);
                }
            }
        }
        for row in &p {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        // Power iteration from uniform.
        let mut pi = vec![1.0 / n as f64; n];
        for _ in 0..5000 {
            let mut next = vec![0.0; n];
            for i in 0..n {
                for j in 0..n {
                    next[j] += pi[i] * p[i][j];
                }
            }
            pi = next;
        }
        let mut per_object: HashMap<Vec<i32>, f64> = HashMap::new();
        for (k, walk) in walks.iter().enumerate() {
            *per_object.entry(walk.object(w).to_vec()).or_default() += pi[k];
        }
        let z: f64 = per_object
            .keys()
            .map(|x| env.log_reward(x, &mut ws).expect("reward").exp())
            .sum();
        assert_eq!(per_object.len(), 8);
        for (x, p) in &per_object {
            let target = env.log_reward(x, &mut ws).expect("reward").exp() / z;
            assert!(
                (p - target).abs() < 1e-9,
                "{}: {p} vs {target}",
                env.render(x)
            );
        }
        assert_eq!(index.len(), n, "trajectories are distinct");
        // And `step` runs.
        let mut rng = StdRng::seed_from_u64(1);
        let mut walk = start(&env, &mut rng, &mut ws).expect("starts");
        for _ in 0..100 {
            step(&env, &mut walk, &mut rng, &mut ws).expect("steps");
        }
    }
}
