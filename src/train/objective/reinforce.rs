//! REINFORCE on the expected terminal reward: the reward-maximising baseline of the GFlowNet
//! papers. Loss −mean(A_b · Σ log P_F(τ_b)) with advantages A = (R − mean R) / (std R + ε)
//! over the batch (a baseline and a scale, both constants for the gradient).

use super::tb::trajectory_sums;
use super::terms::Terms;
use super::{floats, Loss};
use crate::train::sample::Batch;
use crate::train::TrainError;

pub(super) fn reinforce(batch: &Batch, terms: &Terms) -> Result<Loss, TrainError> {
    let rewards: Vec<f64> = batch.log_rewards.iter().map(|r| r.exp()).collect();
    let n = rewards.len().max(1) as f64;
    let mean = rewards.iter().sum::<f64>() / n;
    let std = (rewards.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt();
    let advantages: Vec<f32> = rewards
        .iter()
        .map(|r| ((r - mean) / (std + 1e-8)) as f32)
        .collect();
    let sum_log_pf = trajectory_sums(batch, terms)?;
    let value = sum_log_pf.mul(&floats(&advantages)?)?.mean_all()?.neg()?;
    Ok(Loss {
        value,
        log_z: f64::NAN,
    })
}
