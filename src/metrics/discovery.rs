//! What sampling has discovered so far, for spaces too large to enumerate: the number of
//! distinct objects and the mean reward of the best `k` of them.

use crate::env::table::hash;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Distinct objects (by a 64-bit hash of the state: two of a million objects collide with
/// probability below 10⁻⁷) and the `k` best by reward.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    k: usize,
    seen: HashSet<u64>,
    /// The best objects so far: (log reward, state), best first, at most `k`.
    top: Vec<(f64, Vec<i32>)>,
}

impl Discovery {
    /// Nothing discovered yet; `k` is the size of the top-k set.
    pub fn new(k: usize) -> Discovery {
        Discovery {
            k,
            ..Discovery::default()
        }
    }

    /// An object sampled with this log reward.
    pub fn record(&mut self, state: &[i32], log_reward: f64) {
        if !self.seen.insert(hash(state)) || self.k == 0 {
            return;
        }
        let full = self.top.len() == self.k;
        if full
            && self
                .top
                .last()
                .is_some_and(|(worst, _)| *worst >= log_reward)
        {
            return;
        }
        let at = self.top.partition_point(|(r, _)| *r >= log_reward);
        self.top.insert(at, (log_reward, state.to_vec()));
        self.top.truncate(self.k);
    }

    /// Distinct objects sampled so far.
    pub fn distinct(&self) -> usize {
        self.seen.len()
    }

    /// The mean reward of the best `k` distinct objects so far (of all of them while fewer
    /// than `k` have been found); `None` before the first.
    pub fn top_k_reward(&self) -> Option<f64> {
        if self.top.is_empty() {
            return None;
        }
        Some(self.top.iter().map(|(r, _)| r.exp()).sum::<f64>() / self.top.len() as f64)
    }

    /// The log of [`Discovery::top_k_reward`], computed in log space: finite where the mean
    /// itself overflows a float (rewards beyond e^709).
    pub fn top_k_log_reward(&self) -> Option<f64> {
        let max = self
            .top
            .iter()
            .map(|(r, _)| *r)
            .fold(f64::NEG_INFINITY, f64::max);
        if self.top.is_empty() || !max.is_finite() {
            return None;
        }
        let sum: f64 = self.top.iter().map(|(r, _)| (r - max).exp()).sum();
        Some(max + sum.ln() - (self.top.len() as f64).ln())
    }

    /// The stored states, to validate a checkpoint.
    pub fn states(&self) -> impl Iterator<Item = &[i32]> + Clone {
        self.top.iter().map(|(_, s)| s.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::Discovery;

    #[test]
    fn counts_distinct_and_keeps_the_best() {
        let mut d = Discovery::new(2);
        assert_eq!(d.top_k_reward(), None);
        for (s, r) in [(1, 1.0f64), (2, 3.0), (1, 1.0), (3, 2.0), (4, 0.5)] {
            d.record(&[s], r.ln());
        }
        assert_eq!(d.distinct(), 4);
        assert!((d.top_k_reward().expect("some") - 2.5).abs() < 1e-12);
        assert!((d.top_k_log_reward().expect("some") - 2.5f64.ln()).abs() < 1e-12);
        let mut huge = Discovery::new(2);
        huge.record(&[1], 900.0);
        huge.record(&[2], 900.0);
        assert_eq!(huge.top_k_reward(), Some(f64::INFINITY));
        assert!((huge.top_k_log_reward().expect("some") - 900.0).abs() < 1e-9);
        let best: Vec<i32> = d.states().map(|s| s[0]).collect();
        assert_eq!(best, vec![2, 3]);
    }
}
