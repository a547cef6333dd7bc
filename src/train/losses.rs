//! The training objectives as free functions on tensors, so that each can be checked against
//! values worked out by hand. Shapes: `[B]` per trajectory, `[T]` per transition, `[K]` per pair.

use candle_core::{Result, Tensor};

/// Inclusive prefix sums of a vector by doubling (Hillis–Steele): log₂ n shifted additions.
/// candle's `cumsum` multiplies by an n×n triangular matrix, which for the thousands of
/// transitions of a batch costs more than the whole network.
pub fn prefix_sums(x: &Tensor) -> Result<Tensor> {
    let n = x.dim(0)?;
    let mut sums = x.clone();
    let mut shift = 1;
    while shift < n {
        let shifted = Tensor::cat(
            &[
                &Tensor::zeros(shift, x.dtype(), x.device())?,
                &sums.narrow(0, 0, n - shift)?,
            ],
            0,
        )?;
        sums = sums.add(&shifted)?;
        shift *= 2;
    }
    Ok(sums)
}

/// Trajectory balance (Malkin et al., 2022):
/// mean over trajectories of (log Z + Σ log P_F − Σ log P_B − log R)², where the P_F sum
/// includes the final `stop`.
pub fn trajectory_balance(
    log_z: &Tensor,
    sum_log_pf: &Tensor,
    sum_log_pb: &Tensor,
    log_reward: &Tensor,
) -> Result<Tensor> {
    let residual = sum_log_pf
        .sub(sum_log_pb)?
        .sub(log_reward)?
        .broadcast_add(log_z)?;
    residual.sqr()?.mean_all()
}

/// Detailed balance and sub-trajectory balance as weighted pairs of positions on extended
/// trajectories s_0 … s_n, s_f. Each pair (i, j) contributes
/// `weight · (log F(s_i) + Σ_{i≤k<j}(log P_F − log P_B) − log F(s_j))²`, with the sums read off
/// the prefix sums `prefix` (`prefix[to] − prefix[from]`). The log flow of s_f is
/// `log R(x) − log P_F(stop | x)`, which makes the pairs ending at s_f the reward terms.
/// Weights are normalised by the caller so that the result is a mean.
pub fn balance_pairs(
    flows: &Tensor,
    prefix: &Tensor,
    from: &Tensor,
    to: &Tensor,
    from_prefix: &Tensor,
    to_prefix: &Tensor,
    weights: &Tensor,
) -> Result<Tensor> {
    let flow_from = flows.index_select(from, 0)?;
    let flow_to = flows.index_select(to, 0)?;
    let path = prefix
        .index_select(to_prefix, 0)?
        .sub(&prefix.index_select(from_prefix, 0)?)?;
    let residual = flow_from.add(&path)?.sub(&flow_to)?;
    residual.sqr()?.mul(weights)?.sum_all()
}

/// Flow matching (Bengio et al., 2021) on log edge flows: the mean over states of
/// (log inflow − log outflow)², plus the mean over states where `stop` is allowed of
/// (log F(s → s_f) − log R(s))².
pub fn flow_matching(
    log_inflow: &Tensor,
    log_outflow: &Tensor,
    stop_flow: &Tensor,
    log_reward: &Tensor,
) -> Result<Tensor> {
    let matching = log_inflow.sub(log_outflow)?.sqr()?.mean_all()?;
    if stop_flow.dim(0)? == 0 {
        return Ok(matching);
    }
    let reward = stop_flow.sub(log_reward)?.sqr()?.mean_all()?;
    matching.add(&reward)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn t(values: &[f32]) -> Tensor {
        Tensor::from_slice(values, values.len(), &Device::Cpu).expect("tensor")
    }

    fn idx(values: &[u32]) -> Tensor {
        Tensor::from_slice(values, values.len(), &Device::Cpu).expect("tensor")
    }

    fn scalar(x: &Tensor) -> f32 {
        x.to_scalar::<f32>().expect("scalar")
    }

    #[test]
    fn prefix_sums_match_a_running_total() {
        let values: Vec<f32> = (0..37).map(|k| (k as f32 * 0.37).sin()).collect();
        let sums = prefix_sums(&t(&values))
            .expect("sums")
            .to_vec1::<f32>()
            .expect("read");
        let mut running = 0.0;
        for (k, v) in values.iter().enumerate() {
            running += v;
            assert!((sums[k] - running).abs() < 1e-5, "{k}");
        }
        assert_eq!(prefix_sums(&t(&[])).expect("sums").dim(0).expect("dim"), 0);
    }

    #[test]
    fn trajectory_balance_by_hand() {
        // Trajectory 1: log Z 1.0, Σ log P_F −1.2, Σ log P_B −0.7, log R 0.3: residual 0.2.
        // Trajectory 2: Σ log P_F −2.0, Σ log P_B 0.0, log R −1.5: residual 0.5.
        let loss = trajectory_balance(
            &t(&[1.0]),
            &t(&[-1.2, -2.0]),
            &t(&[-0.7, 0.0]),
            &t(&[0.3, -1.5]),
        )
        .expect("loss");
        assert!((scalar(&loss) - (0.04 + 0.25) / 2.0).abs() < 1e-6);
    }

    #[test]
    fn detailed_balance_by_hand() {
        // s0 → s1 → s_f. Flows: F(s0) = 0.5, F(s1) = 0.1, F(s_f) = log R − log P_F(stop) = −0.2.
        // Transitions: log P_F − log P_B = −0.3 then 0 (stop moved into F(s_f)).
        // Pairs (s0, s1): 0.5 − 0.3 − 0.1 = 0.1; (s1, s_f): 0.1 + 0 + 0.2 = 0.3.
        let flows = t(&[0.5, 0.1, -0.2]);
        let prefix = t(&[0.0, -0.3, -0.3]);
        let loss = balance_pairs(
            &flows,
            &prefix,
            &idx(&[0, 1]),
            &idx(&[1, 2]),
            &idx(&[0, 1]),
            &idx(&[1, 2]),
            &t(&[0.5, 0.5]),
        )
        .expect("loss");
        assert!((scalar(&loss) - (0.01 + 0.09) / 2.0).abs() < 1e-6);
    }

    #[test]
    fn sub_trajectory_balance_weights_by_hand() {
        // The same trajectory with all three pairs and λ = 0.5: weights λ¹, λ¹, λ² normalised.
        let flows = t(&[0.5, 0.1, -0.2]);
        let prefix = t(&[0.0, -0.3, -0.3]);
        let (l1, l2, l3) = (0.5f32, 0.5, 0.25);
        let total = l1 + l2 + l3;
        let loss = balance_pairs(
            &flows,
            &prefix,
            &idx(&[0, 1, 0]),
            &idx(&[1, 2, 2]),
            &idx(&[0, 1, 0]),
            &idx(&[1, 2, 2]),
            &t(&[l1 / total, l2 / total, l3 / total]),
        )
        .expect("loss");
        // Pair (s0, s_f): 0.5 − 0.3 + 0.2 = 0.4.
        let expected = (l1 * 0.01 + l2 * 0.09 + l3 * 0.16) / total;
        assert!((scalar(&loss) - expected).abs() < 1e-6);
    }

    #[test]
    fn flow_matching_by_hand() {
        // Two states: in/out 0.0/0.5 and 1.0/1.0; one stop edge 0.3 against log R 0.1.
        let loss =
            flow_matching(&t(&[0.0, 1.0]), &t(&[0.5, 1.0]), &t(&[0.3]), &t(&[0.1])).expect("loss");
        assert!((scalar(&loss) - (0.25 / 2.0 + 0.04)).abs() < 1e-6);
        let no_stop = flow_matching(&t(&[0.0]), &t(&[0.5]), &t(&[]), &t(&[])).expect("loss");
        assert!((scalar(&no_stop) - 0.25).abs() < 1e-6);
    }
}
