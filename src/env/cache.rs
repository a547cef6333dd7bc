//! A small direct-mapped memo of log rewards by state. Rewards are pure functions of the state
//! and, in exact arithmetic, the costliest thing an environment evaluates; samplers revisit
//! terminal states often, so recent ones are remembered.

/// Entries in the cache; a power of two.
const ENTRIES: usize = 8192;

#[derive(Clone, Debug, Default)]
pub struct RewardCache {
    width: usize,
    keys: Vec<i32>,
    values: Vec<f64>,
    filled: Vec<bool>,
    pub hits: u64,
    pub misses: u64,
}

fn slot_of(state: &[i32]) -> usize {
    super::table::hash(state) as usize & (ENTRIES - 1)
}

impl RewardCache {
    pub fn get(&mut self, state: &[i32]) -> Option<f64> {
        if self.width != state.len() {
            return None;
        }
        let slot = slot_of(state);
        if self.filled[slot] && self.keys[slot * self.width..(slot + 1) * self.width] == *state {
            self.hits += 1;
            Some(self.values[slot])
        } else {
            self.misses += 1;
            None
        }
    }

    pub fn put(&mut self, state: &[i32], value: f64) {
        if self.width != state.len() {
            self.width = state.len();
            self.keys = vec![0; ENTRIES * self.width];
            self.values = vec![0.0; ENTRIES];
            self.filled = vec![false; ENTRIES];
        }
        let slot = slot_of(state);
        self.keys[slot * self.width..(slot + 1) * self.width].copy_from_slice(state);
        self.values[slot] = value;
        self.filled[slot] = true;
    }
}
