//! From a batch of trajectories to the loss of an objective: one batched forward pass with
//! gradients over every state of the batch, masked log-softmaxes, and the index bookkeeping
//! that turns trajectories into the inputs of [`super::losses`].

use super::losses;
use super::policy::Policy;
use super::sample::{encode, Batch};
use super::TrainError;
use crate::env::{Environment, Workspace};
use candle_core::{DType, Device, Tensor};

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
}

impl Objective {
    /// The name used on the command line: `tb`, `db`, `subtb`, `fm`.
    pub fn name(self) -> &'static str {
        match self {
            Objective::Tb => "tb",
            Objective::Db => "db",
            Objective::Subtb => "subtb",
            Objective::Fm => "fm",
        }
    }

    pub fn needs_flows(self) -> bool {
        matches!(self, Objective::Db | Objective::Subtb)
    }
}

/// A loss and the figures reported with it.
pub struct Loss {
    pub value: Tensor,
    /// The objective's current estimate of log Z.
    pub log_z: f64,
}

fn indices(values: &[u32]) -> Result<Tensor, TrainError> {
    Ok(Tensor::from_slice(values, values.len(), &Device::Cpu)?)
}

fn floats(values: &[f32]) -> Result<Tensor, TrainError> {
    Ok(Tensor::from_slice(values, values.len(), &Device::Cpu)?)
}

/// Logits with disallowed entries at −∞. Rows with nothing allowed (done states, s0 backward)
/// are kept whole, so that no row is all −∞ (a softmax of it is NaN); their values are unused.
fn masked_logits(logits: &Tensor, masks: &[bool], actions: usize) -> Result<Tensor, TrainError> {
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
fn masked_log_softmax(
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

/// The loss of `objective` on a batch.
pub fn loss(
    env: &Environment,
    policy: &Policy,
    batch: &Batch,
    objective: Objective,
    lambda: f64,
    ws: &mut Workspace,
) -> Result<Loss, TrainError> {
    if objective == Objective::Fm {
        return flow_matching(env, policy, batch, ws);
    }
    let a = env.action_count();
    let stop = a - 1;
    // Trajectories share states (every one starts at s0): the network, the softmaxes and the
    // parent derivations run once per distinct state, and rows are gathered back per visit,
    // with gradients summed over the visits.
    let (distinct, visits) = distinct_states(env, &batch.states);
    let n = distinct.len() / env.width().max(1);
    let mut first_visit = vec![0usize; n];
    for (visit, row) in visits.iter().enumerate().rev() {
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
    let outputs = policy.forward(&encode(env, &distinct)?, true)?;
    let visits_tensor = indices(&visits)?;
    let per_visit = |t: &Tensor| t.index_select(&visits_tensor, 0);
    let log_pf_all =
        per_visit(&masked_log_softmax(&outputs.forward, &forward_masks, a)?)?.flatten_all()?;
    let log_pb_all = match &outputs.backward {
        Some(logits) => Some(per_visit(&masked_log_softmax(logits, &backward, a)?)?.flatten_all()?),
        None => None,
    };
    let flow = outputs.flow.as_ref().map(per_visit).transpose()?;
    let trajectories = batch.trajectories();
    // Per transition: the state it leaves and enters, and its action.
    let mut leave = Vec::new();
    let mut enter = Vec::new();
    for b in 0..trajectories {
        for s in batch.starts[b]..batch.starts[b + 1] - 1 {
            leave.push(s);
            enter.push(s + 1);
        }
    }
    let pf_index: Vec<u32> = leave
        .iter()
        .zip(&batch.actions)
        .map(|(s, act)| (s * a + act) as u32)
        .collect();
    let log_pf = log_pf_all.index_select(&indices(&pf_index)?, 0)?;
    let log_pb = match &log_pb_all {
        Some(all) => {
            let index: Vec<u32> = enter
                .iter()
                .zip(&batch.actions)
                .map(|(s, act)| (s * a + act) as u32)
                .collect();
            all.index_select(&indices(&index)?, 0)?
        }
        None => {
            // Uniform over the derived parents of the state entered.
            let values: Vec<f32> = enter
                .iter()
                .map(|s| {
                    let row = visits[*s] as usize;
                    -(backward[row * a..(row + 1) * a]
                        .iter()
                        .filter(|m| **m)
                        .count()
                        .max(1) as f32)
                        .ln()
                })
                .collect();
            floats(&values)?
        }
    };
    // log P_F(stop | x) for trajectories that stopped; 0 for those that reached `done`.
    let stop_index: Vec<u32> = (0..trajectories)
        .map(|b| ((batch.starts[b + 1] - 1) * a + stop) as u32)
        .collect();
    let stopped: Vec<u8> = batch.stopped.iter().map(|s| u8::from(*s)).collect();
    let log_pf_stop = Tensor::from_vec(stopped, trajectories, &Device::Cpu)?.where_cond(
        &log_pf_all.index_select(&indices(&stop_index)?, 0)?,
        &Tensor::zeros(trajectories, DType::F32, &Device::Cpu)?,
    )?;
    let log_reward = floats(
        &batch
            .log_rewards
            .iter()
            .map(|r| *r as f32)
            .collect::<Vec<_>>(),
    )?;
    // Prefix sums over the transitions with a zero after each trajectory (its exit), so that
    // position e of trajectory b reads prefix[base_b + e].
    let delta = log_pf.sub(&log_pb)?;
    let transitions = leave.len();
    let delta = Tensor::cat(&[&delta, &Tensor::zeros(1, DType::F32, &Device::Cpu)?], 0)?;
    let mut extended = Vec::new();
    let mut bases = Vec::new();
    let mut t = 0u32;
    for b in 0..trajectories {
        bases.push(extended.len());
        for _ in batch.starts[b]..batch.starts[b + 1] - 1 {
            extended.push(t);
            t += 1;
        }
        extended.push(transitions as u32);
    }
    let delta = delta.index_select(&indices(&extended)?, 0)?;
    let prefix = Tensor::cat(
        &[
            &Tensor::zeros(1, DType::F32, &Device::Cpu)?,
            &losses::prefix_sums(&delta)?,
        ],
        0,
    )?;
    match objective {
        Objective::Tb => {
            let (from, to): (Vec<u32>, Vec<u32>) = (0..trajectories)
                .map(|b| {
                    (
                        bases[b] as u32,
                        (bases[b] + batch.starts[b + 1] - batch.starts[b] - 1) as u32,
                    )
                })
                .unzip();
            let sum = prefix
                .index_select(&indices(&to)?, 0)?
                .sub(&prefix.index_select(&indices(&from)?, 0)?)?;
            let sum_log_pf = sum.add(&log_pf_stop)?;
            let zero = Tensor::zeros(trajectories, DType::F32, &Device::Cpu)?;
            let value = losses::trajectory_balance(
                policy.log_z.as_tensor(),
                &sum_log_pf,
                &zero,
                &log_reward,
            )?;
            Ok(Loss {
                value,
                log_z: policy.log_z_value()?,
            })
        }
        Objective::Db | Objective::Subtb => {
            let flow = flow.ok_or_else(|| TrainError::Internal("no flow head".to_string()))?;
            let states = batch.state_count();
            // Positions 0..=n are the states, n + 1 is s_f with flow log R − log P_F(stop).
            let flows = Tensor::cat(&[&flow, &log_reward.sub(&log_pf_stop)?], 0)?;
            let (mut from, mut to, mut from_prefix, mut to_prefix, mut weights) =
                (vec![], vec![], vec![], vec![], vec![]);
            for (b, base) in bases.iter().enumerate() {
                let n = batch.starts[b + 1] - batch.starts[b] - 1;
                let flow_index = |e: usize| {
                    if e <= n {
                        (batch.starts[b] + e) as u32
                    } else {
                        (states + b) as u32
                    }
                };
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
                let total: f64 = pairs.iter().map(|p| p.2).sum();
                for (i, j, weight) in pairs {
                    from.push(flow_index(i));
                    to.push(flow_index(j));
                    from_prefix.push((base + i) as u32);
                    to_prefix.push((base + j) as u32);
                    // DB averages over transitions, SubTB over trajectories of weighted means.
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
                &prefix,
                &indices(&from)?,
                &indices(&to)?,
                &indices(&from_prefix)?,
                &indices(&to_prefix)?,
                &floats(&weights)?,
            )?;
            let log_z = f64::from(flow.get(0)?.to_scalar::<f32>()?);
            Ok(Loss { value, log_z })
        }
        Objective::Fm => Err(TrainError::Internal(
            "flow matching is handled apart".to_string(),
        )),
    }
}

/// Flow matching: forward logits are log edge flows. Inflow of each state visited (but s0) sums
/// the edge flows from its derived parents; outflow sums its allowed edges, `stop` included, or
/// is its reward if it is `done`; and each allowed `stop` edge must carry the reward.
fn flow_matching(
    env: &Environment,
    policy: &Policy,
    batch: &Batch,
    ws: &mut Workspace,
) -> Result<Loss, TrainError> {
    let (w, a) = (env.width(), env.action_count());
    let stop = a - 1;
    // Distinct states of the batch: flows are per state, not per visit.
    let mut table = crate::env::table::StateTable::new(w);
    for s in 0..batch.state_count() {
        table.insert(batch.state(s));
    }
    let states = table.slots().to_vec();
    let n = table.len();
    let mut forward_masks = vec![false; n * a];
    for (k, row) in forward_masks.chunks_exact_mut(a).enumerate() {
        env.forward_mask(&states[k * w..(k + 1) * w], row, ws)?;
    }
    // Parents of every state but s0, grouped per child.
    let mut parents = Vec::new();
    let mut parent_actions = Vec::new();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    let mut children = Vec::new();
    let mut backward = vec![false; a];
    let mut parent = vec![0; w];
    for k in 0..n {
        let state = &states[k * w..(k + 1) * w];
        if state == env.initial_state() {
            continue;
        }
        env.backward_mask(state, &mut backward, ws)?;
        let mut group = Vec::new();
        for action in (0..a).filter(|x| backward[*x]) {
            if env.parent(state, action, &mut parent, ws)? {
                group.push((parents.len() / w) as u32);
                parents.extend_from_slice(&parent);
                parent_actions.push(action);
            }
        }
        if !group.is_empty() {
            groups.push(group);
            children.push(k);
        }
    }
    let all = [states.as_slice(), parents.as_slice()].concat();
    let logits = policy.forward(&encode(env, &all)?, true)?.forward;
    let own = logits.narrow(0, 0, n)?;
    let of_parents = logits.narrow(0, n, parents.len() / w)?.flatten_all()?;
    let edge_index: Vec<u32> = parent_actions
        .iter()
        .enumerate()
        .map(|(m, act)| (m * a + act) as u32)
        .collect();
    let edges = of_parents.index_select(&indices(&edge_index)?, 0)?;
    // Pad each group to the widest with a −∞ entry appended after the edges.
    let widest = groups.iter().map(Vec::len).max().unwrap_or(1);
    let pad = edge_index.len() as u32;
    let edges = Tensor::cat(
        &[&edges, &Tensor::full(f32::NEG_INFINITY, 1, &Device::Cpu)?],
        0,
    )?;
    let mut padded = Vec::with_capacity(groups.len() * widest);
    for group in &groups {
        padded.extend(group.iter().copied());
        padded.extend(std::iter::repeat_n(pad, widest - group.len()));
    }
    let inflow = edges
        .index_select(&indices(&padded)?, 0)?
        .reshape((groups.len(), widest))?
        .log_sum_exp(1)?;
    // Outflow of the children: log-sum-exp of allowed edges, or the log reward if done.
    let mut log_rewards = vec![0.0f32; n];
    let mut done = vec![0u8; n];
    for k in 0..n {
        let state = &states[k * w..(k + 1) * w];
        if env.is_terminal(state, ws)? {
            log_rewards[k] = env.log_reward(state, ws)? as f32;
        }
        done[k] = u8::from(env.is_done(state, ws)?);
    }
    let own_masked = masked_logits(&own, &forward_masks, a)?;
    let outflow_all = own_masked.log_sum_exp(1)?;
    let outflow_all = Tensor::from_vec(done, n, &Device::Cpu)?
        .where_cond(&floats(&log_rewards)?, &outflow_all)?;
    let child_index: Vec<u32> = children.iter().map(|k| *k as u32).collect();
    let outflow = outflow_all.index_select(&indices(&child_index)?, 0)?;
    // Stop edges against rewards.
    let stoppable: Vec<u32> = (0..n)
        .filter(|k| forward_masks[k * a + stop])
        .map(|k| (k * a + stop) as u32)
        .collect();
    let stop_rewards: Vec<f32> = (0..n)
        .filter(|k| forward_masks[k * a + stop])
        .map(|k| log_rewards[k])
        .collect();
    let stop_flow = own.flatten_all()?.index_select(&indices(&stoppable)?, 0)?;
    let value = if groups.is_empty() {
        losses::flow_matching(
            &Tensor::zeros(1, DType::F32, &Device::Cpu)?,
            &Tensor::zeros(1, DType::F32, &Device::Cpu)?,
            &stop_flow,
            &floats(&stop_rewards)?,
        )?
    } else {
        losses::flow_matching(&inflow, &outflow, &stop_flow, &floats(&stop_rewards)?)?
    };
    // log Z is the outflow of s0.
    let s0 = table.find(env.initial_state()).unwrap_or(0);
    let log_z = f64::from(outflow_all.get(s0)?.to_scalar::<f32>()?);
    Ok(Loss { value, log_z })
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
        let logits = policy.forward(&encode(env, chunk)?, false)?.forward;
        let log_p = masked_log_softmax(&logits, masks, a)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        for (p, allowed) in log_p.iter().zip(masks.iter()) {
            probabilities.push(if *allowed { f64::from(*p).exp() } else { 0.0 });
        }
    }
    Ok(probabilities)
}
