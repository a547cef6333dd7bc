//! Detailed balance and sub-trajectory balance: squared residuals of pairs of states along
//! each extended trajectory s_0 … s_n, s_f (the flow of s_f being log R − log P_F(stop)). DB
//! takes consecutive pairs and averages over transitions; SubTB takes every pair, weighted by
//! λ^length, averaged per trajectory and then over trajectories.

use super::terms::Terms;
use super::{floats, indices, Loss, Objective};
use crate::train::losses;
use crate::train::sample::Batch;
use crate::train::TrainError;
use candle_core::Tensor;

/// The pairs of one trajectory of `n` transitions: (from, to, weight) positions 0..=n+1.
fn trajectory_pairs(objective: Objective, lambda: f64, n: usize) -> Vec<(usize, usize, f64)> {
    let mut pairs = Vec::new();
    for i in 0..=n {
        let last = if objective == Objective::Db {
            i + 1
        } else {
            n + 1
        };
        for j in i + 1..=last {
            let weight = if objective == Objective::Db {
                1.0
            } else {
                lambda.powi((j - i) as i32)
            };
            pairs.push((i, j, weight));
        }
    }
    pairs
}

/// The DB or SubTB loss of a batch, from its shared terms.
pub(super) fn pairs(
    batch: &Batch,
    terms: &Terms,
    objective: Objective,
    lambda: f64,
) -> Result<Loss, TrainError> {
    let flow = terms
        .flow
        .as_ref()
        .ok_or_else(|| TrainError::Internal("no flow head".to_string()))?;
    let states = batch.state_count();
    let trajectories = batch.trajectories();
    // Positions 0..=n are the states, n + 1 is s_f with flow log R − log P_F(stop).
    let flows = Tensor::cat(&[flow, &terms.log_reward.sub(&terms.log_pf_stop)?], 0)?;
    let (mut from, mut to, mut from_prefix, mut to_prefix, mut weights) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (b, base) in terms.bases.iter().enumerate() {
        let n = batch.starts[b + 1] - batch.starts[b] - 1;
        let flow_index = |e: usize| {
            if e <= n {
                (batch.starts[b] + e) as u32
            } else {
                (states + b) as u32
            }
        };
        let pairs = trajectory_pairs(objective, lambda, n);
        let total: f64 = pairs.iter().map(|p| p.2).sum();
        for (i, j, weight) in pairs {
            from.push(flow_index(i));
            to.push(flow_index(j));
            from_prefix.push((base + i) as u32);
            to_prefix.push((base + j) as u32);
            weights.push(if objective == Objective::Db {
                weight
            } else {
                weight / total / trajectories as f64
            });
        }
    }
    if objective == Objective::Db {
        let count = weights.len() as f64;
        weights.iter_mut().for_each(|w| *w /= count);
    }
    let weights: Vec<f32> = weights.iter().map(|w| *w as f32).collect();
    let value = losses::balance_pairs(
        &flows,
        &terms.prefix,
        &indices(&from)?,
        &indices(&to)?,
        &indices(&from_prefix)?,
        &indices(&to_prefix)?,
        &floats(&weights)?,
    )?;
    let log_z = f64::from(flow.get(0)?.to_scalar::<f32>()?);
    Ok(Loss { value, log_z })
}
