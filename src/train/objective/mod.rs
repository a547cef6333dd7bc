//! From a batch of trajectories to the loss of an objective: one batched forward pass with
//! gradients over every state of the batch, masked log-softmaxes, and the index bookkeeping
//! that turns trajectories into the inputs of `super::losses`.

mod balance;
mod fm;
mod reinforce;
mod tb;
mod terms;

use super::policy::Policy;
use super::sample::{encode, Batch};
use super::TrainError;
use crate::env::{Environment, Workspace};
use candle_core::{Device, Tensor};

/// The training objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Trajectory balance.
    Tb,
    /// Detailed balance.
    Db,
    /// Sub-trajectory balance with geometric weights λ^length.
    Subtb,
    /// Flow matching on edge flows.
    Fm,
    /// Trajectory balance with log P_B ≡ 0: the maximum-entropy RL sampler, which values
    /// trajectories, so its P_T(x) is proportional to R(x) times the number of paths to x.
    Maxent,
    /// Reward maximisation: REINFORCE on the expected reward E[R(x)], with the batch's mean
    /// reward as baseline and advantages scaled by their standard deviation.
    Reinforce,
}

impl Objective {
    /// The name used on the command line: `tb`, `db`, `subtb`, `fm`.
    pub fn name(self) -> &'static str {
        match self {
            Objective::Tb => "tb",
            Objective::Db => "db",
            Objective::Subtb => "subtb",
            Objective::Fm => "fm",
            Objective::Maxent => "maxent",
            Objective::Reinforce => "reinforce",
        }
    }

    /// Whether the objective learns log Z as a parameter (TB and its MaxEnt variant).
    pub fn learns_log_z(self) -> bool {
        matches!(self, Objective::Tb | Objective::Maxent)
    }

    /// Whether the objective uses the network's state-flow head (DB and SubTB).
    pub fn needs_flows(self) -> bool {
        matches!(self, Objective::Db | Objective::Subtb)
    }
}

/// A loss and the figures reported with it.
pub struct Loss {
    /// The scalar loss, with its autograd graph for the backward pass.
    pub value: Tensor,
    /// The objective's current estimate of log Z.
    pub log_z: f64,
}

pub(super) fn indices(values: &[u32]) -> Result<Tensor, TrainError> {
    Ok(Tensor::from_slice(values, values.len(), &Device::Cpu)?)
}

pub(super) fn floats(values: &[f32]) -> Result<Tensor, TrainError> {
    Ok(Tensor::from_slice(values, values.len(), &Device::Cpu)?)
}

/// Logits with disallowed entries at −∞. Rows with nothing allowed (done states, s0 backward)
/// are kept whole, so that no row is all −∞ (a softmax of it is NaN); their values are unused.
pub(super) fn masked_logits(
    logits: &Tensor,
    masks: &[bool],
    actions: usize,
) -> Result<Tensor, TrainError> {
    let mut keep: Vec<u8> = masks.iter().map(|m| u8::from(*m)).collect();
    for row in keep.chunks_exact_mut(actions) {
        if row.iter().all(|m| *m == 0) {
            row.fill(1);
        }
    }
    let rows = keep.len() / actions;
    let keep = Tensor::from_vec(keep, (rows, actions), &Device::Cpu)?;
    Ok(keep.where_cond(
        logits,
        &Tensor::full(f32::NEG_INFINITY, (rows, actions), &Device::Cpu)?,
    )?)
}

/// `log_softmax` over the allowed entries of each row.
pub(super) fn masked_log_softmax(
    logits: &Tensor,
    masks: &[bool],
    actions: usize,
) -> Result<Tensor, TrainError> {
    Ok(candle_nn::ops::log_softmax(
        &masked_logits(logits, masks, actions)?,
        1,
    )?)
}

/// The distinct states among `states` (back to back), and for each state its row among them.
pub fn distinct_states(env: &Environment, states: &[i32]) -> (Vec<i32>, Vec<u32>) {
    let w = env.width();
    let mut table = crate::env::table::StateTable::new(w);
    let visits = states
        .chunks_exact(w)
        .map(|s| table.insert(s).0 as u32)
        .collect();
    (table.slots().to_vec(), visits)
}

/// What a loss is computed against, beside the batch.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// The objective.
    pub objective: Objective,
    /// SubTB's λ.
    pub lambda: f64,
    /// The exponent β of the reward trained on (R^β; 1: the reward itself).
    pub reward_exponent: f64,
}

/// The loss of `target.objective` on a batch.
pub fn loss(
    env: &Environment,
    policy: &Policy,
    batch: &Batch,
    target: Target,
    ws: &mut Workspace,
) -> Result<Loss, TrainError> {
    let beta = target.reward_exponent;
    let tempered;
    let batch = if beta == 1.0 {
        batch
    } else {
        let mut copy = batch.clone();
        copy.log_rewards.iter_mut().for_each(|r| *r *= beta);
        tempered = copy;
        &tempered
    };
    let (objective, lambda) = (target.objective, target.lambda);
    match objective {
        Objective::Fm => fm::flow_matching(env, policy, batch, beta, ws),
        Objective::Tb => {
            tb::trajectory_balance(policy, batch, &terms::terms(env, policy, batch, ws, false)?)
        }
        Objective::Maxent => {
            tb::trajectory_balance(policy, batch, &terms::terms(env, policy, batch, ws, true)?)
        }
        Objective::Reinforce => {
            reinforce::reinforce(batch, &terms::terms(env, policy, batch, ws, true)?)
        }
        Objective::Db | Objective::Subtb => balance::pairs(
            batch,
            &terms::terms(env, policy, batch, ws, false)?,
            objective,
            lambda,
        ),
    }
}

/// Σ log P_F − Σ log P_B of each trajectory of a batch (log P_F of `stop` included): the
/// log importance weight of the trajectory as an estimate of P_T of its terminal object.
pub fn trajectory_log_ratios(
    env: &Environment,
    policy: &Policy,
    batch: &Batch,
    ws: &mut Workspace,
) -> Result<Vec<f64>, TrainError> {
    let terms = terms::terms(env, policy, batch, ws, false)?;
    let prefix = terms.prefix.to_vec1::<f32>()?;
    let stop = terms.log_pf_stop.to_vec1::<f32>()?;
    Ok((0..batch.trajectories())
        .map(|b| {
            let transitions = batch.starts[b + 1] - batch.starts[b] - 1;
            let base = terms.bases[b];
            f64::from(prefix[base + transitions] - prefix[base]) + f64::from(stop[b])
        })
        .collect())
}

/// The forward policy's probabilities on every state (rows over the flat action space), for
/// exact evaluation: a masked softmax of the forward logits, computed in chunks.
pub fn forward_probabilities(
    env: &Environment,
    policy: &Policy,
    states: &[i32],
    ws: &mut Workspace,
) -> Result<Vec<f64>, TrainError> {
    let (w, a) = (env.width(), env.action_count());
    let n = states.len() / w;
    let mut probabilities = Vec::with_capacity(n * a);
    let mut masks = vec![false; 4096 * a];
    for chunk in states.chunks(4096 * w) {
        let rows = chunk.len() / w;
        let masks = &mut masks[..rows * a];
        env.forward_masks(chunk, masks, ws)?;
        let logits = policy.forward(&encode(env, policy, chunk)?, false)?.forward;
        let log_p = masked_log_softmax(&logits, masks, a)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        for (p, allowed) in log_p.iter().zip(masks.iter()) {
            probabilities.push(if *allowed { f64::from(*p).exp() } else { 0.0 });
        }
    }
    Ok(probabilities)
}
