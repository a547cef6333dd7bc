//! Exact evaluation of a sampler on an enumerated DAG: its terminal distribution by dynamic
//! programming in topological order, and distances to the target R/Z.

use crate::env::dag::Dag;

/// Distances between a terminal distribution and the target R/Z.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Distances {
    /// Σ|P − R/Z| over terminal states (the convention torchgfn reports).
    pub l1: f64,
    /// Total variation: half the L1.
    pub tv: f64,
    /// KL(R/Z ‖ P): how badly P misses the target's mass (infinite if P omits a terminal).
    pub kl: f64,
}

impl Dag {
    /// The target probability R(x)/Z of each state (0 for non-terminal states).
    pub fn target(&self) -> Vec<f64> {
        self.log_reward
            .iter()
            .map(|r| {
                if r.is_nan() {
                    0.0
                } else {
                    (r - self.log_z).exp()
                }
            })
            .collect()
    }

    /// The probability that a forward policy ends on each state. `forward` holds, per state in
    /// id order, a row of `actions` probabilities over the flat action space (`stop` last);
    /// rows of `done` states are ignored (such states always end the trajectory).
    pub fn terminal_distribution(&self, forward: &[f64], actions: usize) -> Vec<f64> {
        let mut flow = vec![0.0; self.len()];
        if let Some(s0) = flow.first_mut() {
            *s0 = 1.0;
        }
        self.terminal_distribution_from(flow, forward, actions)
    }

    /// [`Dag::terminal_distribution`] of a policy started from `flow` (a mass per state, not
    /// necessarily all at s0): where the mass ends. A tree search's sampler hands the uniform
    /// policy the mass at its frontier.
    pub fn terminal_distribution_from(
        &self,
        mut flow: Vec<f64>,
        forward: &[f64],
        actions: usize,
    ) -> Vec<f64> {
        let n = self.len();
        let mut ends = vec![0.0; n];
        for &s in &self.order {
            let s = s as usize;
            let f = flow[s];
            if f == 0.0 {
                continue;
            }
            if self.done[s] {
                ends[s] = f;
                continue;
            }
            let row = &forward[s * actions..(s + 1) * actions];
            if self.can_stop[s] {
                ends[s] = f * row[actions - 1];
            }
            for (action, child) in self.edges(s) {
                flow[child] += f * row[action];
            }
        }
        ends
    }

    /// L1, TV and KL of a terminal distribution against R/Z.
    pub fn distances(&self, p: &[f64]) -> Distances {
        let target = self.target();
        let mut l1 = 0.0;
        let mut kl = 0.0;
        for (q, t) in p.iter().zip(&target) {
            l1 += (q - t).abs();
            if *t > 0.0 {
                kl += t * (t.ln() - q.ln());
            }
        }
        Distances {
            l1,
            tv: l1 / 2.0,
            kl,
        }
    }

    /// The uniform forward policy over allowed actions, as rows for
    /// [`Dag::terminal_distribution`]: the untrained sampler's baseline.
    pub fn uniform_policy(&self, actions: usize) -> Vec<f64> {
        let mut rows = vec![0.0; self.len() * actions];
        for s in 0..self.len() {
            let row = &mut rows[s * actions..(s + 1) * actions];
            let mut allowed = 0;
            for (action, _) in self.edges(s) {
                row[action] = 1.0;
                allowed += 1;
            }
            if self.can_stop[s] {
                row[actions - 1] = 1.0;
                allowed += 1;
            }
            if allowed > 0 {
                row.iter_mut().for_each(|p| *p /= f64::from(allowed));
            }
        }
        rows
    }
}

/// The exact distances of a forward policy given as rows of probabilities per DAG state, and
/// its terminal distribution.
pub fn exact(dag: &Dag, forward: &[f64], actions: usize) -> (Distances, Vec<f64>) {
    let p = dag.terminal_distribution(forward, actions);
    (dag.distances(&p), p)
}
