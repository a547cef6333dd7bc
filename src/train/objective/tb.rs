//! Trajectory balance: (log Z + Σ log P_F − Σ log P_B − log R)² per trajectory.

use super::terms::Terms;
use super::{indices, Loss};
use crate::train::losses;
use crate::train::policy::Policy;
use crate::train::sample::Batch;
use crate::train::TrainError;
use candle_core::{DType, Device, Tensor};

/// The TB loss of a batch, from its shared terms.
pub(super) fn trajectory_balance(
    policy: &Policy,
    batch: &Batch,
    terms: &Terms,
) -> Result<Loss, TrainError> {
    let trajectories = batch.trajectories();
    let sum_log_pf = trajectory_sums(batch, terms)?;
    let zero = Tensor::zeros(trajectories, DType::F32, &Device::Cpu)?;
    let value = losses::trajectory_balance(
        policy.log_z.as_tensor(),
        &sum_log_pf,
        &zero,
        &terms.log_reward,
    )?;
    Ok(Loss {
        value,
        log_z: policy.log_z_value()?,
    })
}

/// Per trajectory: Σ (log P_F − log P_B) over its transitions plus log P_F(stop), with
/// gradients.
pub(super) fn trajectory_sums(batch: &Batch, terms: &Terms) -> Result<Tensor, TrainError> {
    let trajectories = batch.trajectories();
    let (from, to): (Vec<u32>, Vec<u32>) = (0..trajectories)
        .map(|b| {
            let transitions = batch.starts[b + 1] - batch.starts[b] - 1;
            (terms.bases[b] as u32, (terms.bases[b] + transitions) as u32)
        })
        .unzip();
    let sum = terms
        .prefix
        .index_select(&indices(&to)?, 0)?
        .sub(&terms.prefix.index_select(&indices(&from)?, 0)?)?;
    Ok(sum.add(&terms.log_pf_stop)?)
}
