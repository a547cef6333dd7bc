//! Flow matching: forward logits are log edge flows; the inflow of each state (from its derived
//! parents) must equal its outflow (its allowed edges, or its reward if it is `done`), and each
//! `stop` edge must carry the state's reward.

use super::{floats, indices, masked_logits, Loss};
use crate::env::{Environment, Workspace};
use crate::train::losses;
use crate::train::policy::Policy;
use crate::train::sample::{encode, Batch};
use crate::train::TrainError;
use candle_core::{DType, Device, Tensor};

/// Flow matching: forward logits are log edge flows. Inflow of each state visited (but s0) sums
/// the edge flows from its derived parents; outflow sums its allowed edges, `stop` included, or
/// is its reward if it is `done`; and each allowed `stop` edge must carry the reward (R^β,
/// β = `reward_exponent`).
pub(super) fn flow_matching(
    env: &Environment,
    policy: &Policy,
    batch: &Batch,
    reward_exponent: f64,
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
    let groups = parent_groups(env, &states, ws)?;
    let (parents, parent_actions, groups, children) = (
        groups.parents,
        groups.actions,
        groups.members,
        groups.children,
    );
    let all = [states.as_slice(), parents.as_slice()].concat();
    let logits = policy.forward(&encode(env, policy, &all)?, true)?.forward;
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
    // No state but s0 in the batch (every trajectory stopped at once): no inflow to match.
    let inflow = if groups.is_empty() {
        None
    } else {
        Some(
            edges
                .index_select(&indices(&padded)?, 0)?
                .reshape((groups.len(), widest))?
                .log_sum_exp(1)?,
        )
    };
    // Outflow of the children: log-sum-exp of allowed edges, or the log reward if done.
    let mut log_rewards = vec![0.0f32; n];
    let mut done = vec![0u8; n];
    for k in 0..n {
        let state = &states[k * w..(k + 1) * w];
        if env.is_terminal(state, ws)? {
            log_rewards[k] = (reward_exponent * env.log_reward(state, ws)?) as f32;
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
    let value = match &inflow {
        None => losses::flow_matching(
            &Tensor::zeros(1, DType::F32, &Device::Cpu)?,
            &Tensor::zeros(1, DType::F32, &Device::Cpu)?,
            &stop_flow,
            &floats(&stop_rewards)?,
        )?,
        Some(inflow) => {
            losses::flow_matching(inflow, &outflow, &stop_flow, &floats(&stop_rewards)?)?
        }
    };
    // log Z is the outflow of s0.
    let s0 = table.find(env.initial_state()).unwrap_or(0);
    let log_z = f64::from(outflow_all.get(s0)?.to_scalar::<f32>()?);
    Ok(Loss { value, log_z })
}

/// The derived parents of every distinct state but s0, grouped per child: the parents back to
/// back with the action from each, and per child with parents, its parents' indices.
struct ParentGroups {
    parents: Vec<i32>,
    actions: Vec<usize>,
    members: Vec<Vec<u32>>,
    children: Vec<usize>,
}

fn parent_groups(
    env: &Environment,
    states: &[i32],
    ws: &mut Workspace,
) -> Result<ParentGroups, TrainError> {
    let (w, a) = (env.width(), env.action_count());
    let n = states.len() / w.max(1);
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
    Ok(ParentGroups {
        parents,
        actions: parent_actions,
        members: groups,
        children,
    })
}
