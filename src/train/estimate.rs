//! log P_T(x) of a sampler where the DAG cannot be enumerated, by importance sampling over
//! backward trajectories: P_T(x) = E_{τ ~ P_B(·|x)} [P_F(τ) / P_B(τ|x)], estimated with `m`
//! trajectories per object. And the test set the correlation metrics use by default.

use super::objective::trajectory_log_ratios;
use super::policy::Policy;
use super::sample::backward;
use super::TrainError;
use crate::env::{Environment, Workspace};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// When work that may take long must stop: at a deadline, or when the user's flag is raised.
/// Checked once per state visited, so that it answers within one mask of work.
#[derive(Clone, Debug, Default)]
pub struct Limit {
    /// Past this instant: [`TrainError::OverBudget`].
    pub deadline: Option<Instant>,
    /// Once raised: [`TrainError::Interrupted`].
    pub stop: Option<Arc<AtomicBool>>,
}

impl Limit {
    /// Whether the work may go on.
    pub fn check(&self, what: &str) -> Result<(), TrainError> {
        if self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst)) {
            return Err(TrainError::Interrupted);
        }
        if self.deadline.is_some_and(|d| Instant::now() > d) {
            return Err(TrainError::OverBudget(format!(
                "{what} ran past its time budget"
            )));
        }
        Ok(())
    }
}

/// Estimates of log P_T for each object of `objects` (back to back), `m` backward
/// trajectories each (by the run's P_B: uniform over derived parents, or the learned one).
pub fn log_pt_estimates(
    env: &Environment,
    policy: &Policy,
    objects: &[i32],
    (m, seed): (usize, u64),
    ws: &mut Workspace,
    limit: &Limit,
) -> Result<Vec<f64>, TrainError> {
    let w = env.width().max(1);
    let count = objects.len() / w;
    let m = m.max(1);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(count);
    // Batches of about 1024 trajectories bound the memory of one network evaluation.
    let per_batch = (1024 / m).max(1);
    for chunk in objects.chunks(per_batch * w) {
        let mut repeated = Vec::with_capacity(chunk.len() * m);
        for object in chunk.chunks_exact(w) {
            for _ in 0..m {
                repeated.extend_from_slice(object);
            }
        }
        let batch = backward(env, policy, &repeated, &mut rng, ws, limit)?;
        let ratios = trajectory_log_ratios(env, policy, &batch, ws)?;
        for weights in ratios.chunks(m) {
            out.push(log_mean_exp(weights));
        }
    }
    Ok(out)
}

fn log_mean_exp(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    let sum: f64 = values.iter().map(|v| (v - max).exp()).sum();
    max + (sum / values.len() as f64).ln()
}

/// An importance-sampled estimate of log Z from `count` trajectories of the uniform forward
/// policy (each allowed action, `stop` included, equally likely) and the uniform backward
/// policy over derived parents: Z = E[R(x) · P_B(τ|x) / P_F(τ)]. Unbiased for Z, so its log is
/// low on average where a few trajectories carry most of the reward: a start for the learned
/// log Z that is not hopelessly far, and a figure to warn against. Stops early (with what it
/// has) past `limit`; `None` when no trajectory finished.
pub fn log_z_estimate(
    env: &Environment,
    count: usize,
    seed: u64,
    reward_exponent: f64,
    ws: &mut Workspace,
    limit: &Limit,
) -> Result<Option<f64>, TrainError> {
    let (w, a) = (env.width(), env.action_count());
    let mut rng = StdRng::seed_from_u64(seed);
    let mut mask = vec![false; a];
    let mut child = vec![0; w];
    let mut terminals = Vec::new();
    let mut log_ratios = Vec::new();
    'trajectories: for _ in 0..count {
        let mut state = env.initial_state().to_vec();
        let mut log_ratio = 0.0;
        let mut steps = 0usize;
        while let Some((action, allowed)) = env.uniform_choice(&state, &mut mask, &mut rng, ws)? {
            if limit.check("the estimate of log Z").is_err() {
                break 'trajectories;
            }
            // −log P_F of this move.
            log_ratio += (allowed as f64).ln();
            if action == env.stop_action() {
                break;
            }
            env.step(&state, action, &mut child, ws)?;
            env.backward_mask(&child, &mut mask, ws)?;
            let parents = mask.iter().filter(|m| **m).count().max(1);
            // + log P_B of the move back.
            log_ratio -= (parents as f64).ln();
            std::mem::swap(&mut state, &mut child);
            steps += 1;
            env.check_length(
                steps,
                &state,
                "a uniform trajectory (the estimate of log Z)",
            )?;
        }
        terminals.extend_from_slice(&state);
        log_ratios.push(log_ratio);
    }
    if log_ratios.is_empty() {
        return Ok(None);
    }
    let mut log_rewards = vec![0.0; log_ratios.len()];
    env.log_rewards(&terminals, &mut log_rewards, ws)?;
    let weights: Vec<f64> = log_rewards
        .iter()
        .zip(&log_ratios)
        .map(|(r, q)| reward_exponent * r + q)
        .collect();
    Ok(Some(log_mean_exp(&weights)).filter(|v| v.is_finite()))
}

/// The default test set: the distinct terminal objects of `count` trajectories of the uniform
/// forward policy (each allowed action, `stop` included, equally likely), seeded. Not uniform
/// over objects, but independent of the sampler being evaluated and cheap in any space.
pub fn uniform_test_set(
    env: &Environment,
    count: usize,
    seed: u64,
    ws: &mut Workspace,
    limit: &Limit,
) -> Result<Vec<i32>, TrainError> {
    let (w, a) = (env.width(), env.action_count());
    let mut rng = StdRng::seed_from_u64(seed);
    let mut table = crate::env::table::StateTable::new(w);
    let mut mask = vec![false; a];
    let mut child = vec![0; w];
    for _ in 0..count {
        let mut state = env.initial_state().to_vec();
        let mut steps = 0usize;
        // A `done` state allows nothing and ends the trajectory.
        while let Some((action, _)) = env.uniform_choice(&state, &mut mask, &mut rng, ws)? {
            limit.check("the default test set (uniform trajectories)")?;
            if action == env.stop_action() {
                break;
            }
            env.step(&state, action, &mut child, ws)?;
            std::mem::swap(&mut state, &mut child);
            steps += 1;
            env.check_length(steps, &state, "a uniform trajectory (the default test set)")?;
        }
        table.insert(&state);
    }
    Ok(table.slots().to_vec())
}

#[cfg(test)]
mod tests {
    use super::log_mean_exp;

    #[test]
    fn log_mean_exp_is_stable() {
        let v = log_mean_exp(&[1000.0, 1000.0 + 2f64.ln()]);
        assert!((v - (1000.0 + 1.5f64.ln())).abs() < 1e-9);
        assert_eq!(log_mean_exp(&[f64::NEG_INFINITY]), f64::NEG_INFINITY);
    }
}
