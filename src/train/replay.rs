//! The replay buffer: terminal objects seen, re-used by backward sampling. It keeps either the
//! most recent objects (a ring) or the distinct objects of highest reward found so far
//! (reward-prioritised replay), so that what the sampler found before it settled on one region
//! is still trained on.

use super::config::ReplayKeep;
use rand::rngs::StdRng;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Terminal objects seen, for backward replay.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct Replay {
    pub(super) capacity: usize,
    pub(super) width: usize,
    pub(super) states: Vec<i32>,
    pub(super) next: usize,
    /// What is kept; `recent` in checkpoints written before there was a choice.
    #[serde(default)]
    pub(super) keep: ReplayKeep,
    /// With `best`: each stored state's log reward, in the same order.
    #[serde(default)]
    pub(super) log_rewards: Vec<f64>,
    /// With `best`: where each stored state is (rebuilt after loading).
    #[serde(skip)]
    index: HashMap<Box<[i32]>, usize>,
}

impl Replay {
    pub(super) fn new(capacity: usize, width: usize, keep: ReplayKeep) -> Replay {
        Replay {
            capacity,
            width,
            states: Vec::new(),
            next: 0,
            keep,
            log_rewards: Vec::new(),
            index: HashMap::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.states.len() / self.width.max(1)
    }

    /// Whether a buffer read back from a checkpoint is one this run could have built.
    pub(super) fn fits(&self, other: &Replay) -> bool {
        let best_ok = match self.keep {
            ReplayKeep::Recent => self.log_rewards.is_empty(),
            ReplayKeep::Best | ReplayKeep::Diverse => {
                self.log_rewards.len() == self.len()
                    && self.log_rewards.iter().all(|r| r.is_finite())
                    && self.next == 0
            }
        };
        self.width == other.width
            && self.capacity == other.capacity
            && self.keep == other.keep
            && self.states.len().is_multiple_of(self.width.max(1))
            && self.len() <= self.capacity
            && (self.capacity == 0 || self.next < self.capacity)
            && best_ok
    }

    /// Rebuild what is not stored (after a checkpoint is read back); `false` when a `best`
    /// buffer holds one state twice.
    pub(super) fn reindex(&mut self) -> bool {
        self.index.clear();
        if self.keep == ReplayKeep::Recent {
            return true;
        }
        let w = self.width.max(1);
        for (k, state) in self.states.chunks_exact(w).enumerate() {
            if self.index.insert(state.into(), k).is_some() {
                return false;
            }
        }
        true
    }

    pub(super) fn add(&mut self, state: &[i32], log_reward: f64) {
        if self.capacity == 0 {
            return;
        }
        match self.keep {
            ReplayKeep::Recent => {
                if self.len() < self.capacity {
                    self.states.extend_from_slice(state);
                } else {
                    let at = self.next * self.width;
                    self.states[at..at + self.width].copy_from_slice(state);
                }
                self.next = (self.next + 1) % self.capacity;
            }
            ReplayKeep::Best => self.add_ranked(state, log_reward, Replay::lowest),
            ReplayKeep::Diverse => self.add_ranked(state, log_reward, Replay::nearest),
        }
    }

    /// `best` and `diverse`: a new distinct object is stored while there is room; once full it
    /// replaces the stored object `victim` picks, if its reward is higher (ties keep the older).
    fn add_ranked(
        &mut self,
        state: &[i32],
        log_reward: f64,
        victim: fn(&Replay, &[i32]) -> Option<usize>,
    ) {
        if !log_reward.is_finite() || self.index.contains_key(state) {
            return;
        }
        let w = self.width;
        if self.len() < self.capacity {
            self.index.insert(state.into(), self.len());
            self.states.extend_from_slice(state);
            self.log_rewards.push(log_reward);
            return;
        }
        let Some(k) = victim(self, state) else {
            return;
        };
        if log_reward <= self.log_rewards[k] {
            return;
        }
        let old: Box<[i32]> = self.states[k * w..(k + 1) * w].into();
        self.index.remove(&old);
        self.states[k * w..(k + 1) * w].copy_from_slice(state);
        self.log_rewards[k] = log_reward;
        self.index.insert(state.into(), k);
    }

    /// The stored object of lowest reward.
    fn lowest(&self, _: &[i32]) -> Option<usize> {
        self.log_rewards
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map(|(k, _)| k)
    }

    /// The stored object with the fewest slots differing from `state` (deterministic crowding).
    fn nearest(&self, state: &[i32]) -> Option<usize> {
        let w = self.width.max(1);
        self.states
            .chunks_exact(w)
            .enumerate()
            .min_by_key(|(_, stored)| stored.iter().zip(state).filter(|(a, b)| a != b).count())
            .map(|(k, _)| k)
    }

    pub(super) fn draw(&self, count: usize, rng: &mut StdRng) -> Vec<i32> {
        let mut out = Vec::with_capacity(count * self.width);
        for _ in 0..count {
            let k = rng.random_range(0..self.len());
            out.extend_from_slice(&self.states[k * self.width..(k + 1) * self.width]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_keeps_the_highest_distinct_rewards() {
        let mut replay = Replay::new(3, 1, ReplayKeep::Best);
        for (s, r) in [
            (1, 1.0),
            (2, 5.0),
            (1, 1.0),
            (3, 2.0),
            (4, 0.5),
            (5, 3.0),
            (2, 5.0),
        ] {
            replay.add(&[s], r);
        }
        let mut kept: Vec<(i32, f64)> = replay
            .states
            .iter()
            .copied()
            .zip(replay.log_rewards.iter().copied())
            .collect();
        kept.sort_by_key(|(s, _)| *s);
        assert_eq!(kept, vec![(2, 5.0), (3, 2.0), (5, 3.0)]);
        let mut copy = replay.clone();
        assert!(copy.reindex());
        copy.add(&[5], 3.0);
        assert_eq!(copy.len(), 3);
        assert!(copy.fits(&replay));
    }

    #[test]
    fn diverse_replaces_the_nearest_object_only_when_better() {
        let mut replay = Replay::new(2, 3, ReplayKeep::Diverse);
        replay.add(&[0, 0, 0], -1.0);
        replay.add(&[9, 9, 9], -5.0);
        // Near the first and better: replaces it, not the far, worse one.
        replay.add(&[0, 0, 1], -0.5);
        assert_eq!(replay.states, vec![0, 0, 1, 9, 9, 9]);
        // Near the second but worse: dropped.
        replay.add(&[9, 9, 8], -6.0);
        assert_eq!(replay.log_rewards, vec![-0.5, -5.0]);
    }

    #[test]
    fn recent_is_a_ring() {
        let mut replay = Replay::new(2, 1, ReplayKeep::Recent);
        for s in 1..=3 {
            replay.add(&[s], 0.0);
        }
        assert_eq!(replay.states, vec![3, 2]);
        assert_eq!(replay.next, 1);
    }
}
