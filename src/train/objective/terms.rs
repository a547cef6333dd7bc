//! What trajectory balance, detailed balance and sub-trajectory balance share: log P_F and
//! log P_B of every transition of a batch, log P_F(stop) and log R of every trajectory, and the
//! prefix sums of log P_F − log P_B along each trajectory, from one forward pass over the
//! batch's distinct states.

use super::{distinct_states, floats, indices, masked_log_softmax};
use crate::env::{Environment, Workspace};
use crate::train::losses;
use crate::train::policy::Policy;
use crate::train::sample::{encode, Batch};
use crate::train::TrainError;
use candle_core::{DType, Device, Tensor};

/// The shared terms of a batch.
pub(super) struct Terms {
    /// Position `bases[b] + e` holds Σ (log P_F − log P_B) over the first `e` transitions of
    /// trajectory `b`; each trajectory has one position more than transitions.
    pub prefix: Tensor,
    pub bases: Vec<usize>,
    /// log P_F(stop | x) for trajectories that stopped, 0 for those that reached `done`.
    pub log_pf_stop: Tensor,
    pub log_reward: Tensor,
    /// The state flows per visit, when the policy has a flow head.
    pub flow: Option<Tensor>,
}

/// Log-probabilities per visit of the batch's states, computed once per distinct state.
struct PerVisit {
    log_pf: Tensor,
    log_pb: Option<Tensor>,
    flow: Option<Tensor>,
    /// Each visit's row among the distinct states, and the backward masks of those rows.
    rows: Vec<u32>,
    backward: Vec<bool>,
}

/// Trajectories share states (every one starts at s0): the network, the softmaxes and the
/// parent derivations run once per distinct state, and rows are gathered back per visit, with
/// gradients summed over the visits.
fn per_visit(
    env: &Environment,
    policy: &Policy,
    batch: &Batch,
    ws: &mut Workspace,
) -> Result<PerVisit, TrainError> {
    let a = env.action_count();
    let (distinct, rows) = distinct_states(env, &batch.states);
    let n = distinct.len() / env.width().max(1);
    let mut first_visit = vec![0usize; n];
    for (visit, row) in rows.iter().enumerate().rev() {
        first_visit[*row as usize] = visit;
    }
    let forward_masks: Vec<bool> = first_visit
        .iter()
        .flat_map(|v| batch.forward_masks[v * a..(v + 1) * a].iter().copied())
        .collect();
    let mut backward = vec![false; n * a];
    for (row, mask) in backward.chunks_exact_mut(a).enumerate() {
        env.backward_mask(
            &distinct[row * env.width()..(row + 1) * env.width()],
            mask,
            ws,
        )?;
    }
    let outputs = policy.forward(&encode(env, policy, &distinct)?, true)?;
    let rows_tensor = indices(&rows)?;
    let gather = |t: &Tensor| t.index_select(&rows_tensor, 0);
    let log_pf =
        gather(&masked_log_softmax(&outputs.forward, &forward_masks, a)?)?.flatten_all()?;
    let log_pb = match &outputs.backward {
        Some(logits) => Some(gather(&masked_log_softmax(logits, &backward, a)?)?.flatten_all()?),
        None => None,
    };
    let flow = outputs.flow.as_ref().map(gather).transpose()?;
    Ok(PerVisit {
        log_pf,
        log_pb,
        flow,
        rows,
        backward,
    })
}

/// log P_F − log P_B of every transition, in batch order (log P_F alone with `zero_backward`).
fn transition_deltas(
    batch: &Batch,
    visits: &PerVisit,
    a: usize,
    zero_backward: bool,
) -> Result<Tensor, TrainError> {
    // Per transition: the state it leaves and enters, and its action.
    let mut leave = Vec::new();
    let mut enter = Vec::new();
    for b in 0..batch.trajectories() {
        for s in batch.starts[b]..batch.starts[b + 1] - 1 {
            leave.push(s);
            enter.push(s + 1);
        }
    }
    let at = |states: &[usize]| -> Vec<u32> {
        states
            .iter()
            .zip(&batch.actions)
            .map(|(s, act)| (s * a + act) as u32)
            .collect()
    };
    let log_pf = visits.log_pf.index_select(&indices(&at(&leave))?, 0)?;
    if zero_backward {
        return Ok(log_pf);
    }
    let log_pb = match &visits.log_pb {
        Some(all) => all.index_select(&indices(&at(&enter))?, 0)?,
        None => {
            // Uniform over the derived parents of the state entered.
            let values: Vec<f32> = enter
                .iter()
                .map(|s| {
                    let row = visits.rows[*s] as usize;
                    let parents = visits.backward[row * a..(row + 1) * a]
                        .iter()
                        .filter(|m| **m)
                        .count();
                    -(parents.max(1) as f32).ln()
                })
                .collect();
            floats(&values)?
        }
    };
    Ok(log_pf.sub(&log_pb)?)
}

/// Prefix sums of the deltas with a zero after each trajectory (its exit), so that position e
/// of trajectory b reads `prefix[bases[b] + e]`.
fn prefix_sums(batch: &Batch, deltas: &Tensor) -> Result<(Tensor, Vec<usize>), TrainError> {
    let transitions = deltas.dim(0)?;
    let deltas = Tensor::cat(&[deltas, &Tensor::zeros(1, DType::F32, &Device::Cpu)?], 0)?;
    let mut extended = Vec::new();
    let mut bases = Vec::new();
    let mut t = 0u32;
    for b in 0..batch.trajectories() {
        bases.push(extended.len());
        for _ in batch.starts[b]..batch.starts[b + 1] - 1 {
            extended.push(t);
            t += 1;
        }
        extended.push(transitions as u32);
    }
    let deltas = deltas.index_select(&indices(&extended)?, 0)?;
    let prefix = Tensor::cat(
        &[
            &Tensor::zeros(1, DType::F32, &Device::Cpu)?,
            &losses::prefix_sums(&deltas)?,
        ],
        0,
    )?;
    Ok((prefix, bases))
}

/// The shared terms of TB, DB and SubTB on a batch; with `zero_backward`, log P_B is taken as
/// 0 (MaxEnt, and REINFORCE, which needs Σ log P_F only).
pub(super) fn terms(
    env: &Environment,
    policy: &Policy,
    batch: &Batch,
    ws: &mut Workspace,
    zero_backward: bool,
) -> Result<Terms, TrainError> {
    let a = env.action_count();
    let visits = per_visit(env, policy, batch, ws)?;
    let trajectories = batch.trajectories();
    let stop_index: Vec<u32> = (0..trajectories)
        .map(|b| ((batch.starts[b + 1] - 1) * a + a - 1) as u32)
        .collect();
    let stopped: Vec<u8> = batch.stopped.iter().map(|s| u8::from(*s)).collect();
    let log_pf_stop = Tensor::from_vec(stopped, trajectories, &Device::Cpu)?.where_cond(
        &visits.log_pf.index_select(&indices(&stop_index)?, 0)?,
        &Tensor::zeros(trajectories, DType::F32, &Device::Cpu)?,
    )?;
    let log_reward: Vec<f32> = batch.log_rewards.iter().map(|r| *r as f32).collect();
    let deltas = transition_deltas(batch, &visits, a, zero_backward)?;
    let (prefix, bases) = prefix_sums(batch, &deltas)?;
    Ok(Terms {
        prefix,
        bases,
        log_pf_stop,
        log_reward: floats(&log_reward)?,
        flow: visits.flow,
    })
}
