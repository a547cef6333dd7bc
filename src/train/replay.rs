//! The replay buffer: terminal objects seen, re-used by backward sampling.

use rand::rngs::StdRng;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Terminal objects seen, for backward replay: a ring of states.
#[derive(Serialize, Deserialize)]
pub(super) struct Replay {
    pub(super) capacity: usize,
    pub(super) width: usize,
    pub(super) states: Vec<i32>,
    pub(super) next: usize,
}

impl Replay {
    pub(super) fn len(&self) -> usize {
        self.states.len() / self.width.max(1)
    }

    pub(super) fn add(&mut self, state: &[i32]) {
        if self.capacity == 0 {
            return;
        }
        if self.len() < self.capacity {
            self.states.extend_from_slice(state);
        } else {
            let at = self.next * self.width;
            self.states[at..at + self.width].copy_from_slice(state);
        }
        self.next = (self.next + 1) % self.capacity;
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
