//! A small two-way set-associative memo of log rewards by state. Rewards are pure functions of
//! the state and, in exact arithmetic, the costliest thing an environment evaluates; samplers
//! revisit terminal states often, so recent ones are remembered.

/// Sets in the cache (a power of two); each holds two states.
const SETS: usize = 4096;

#[derive(Clone, Debug, Default)]
pub struct RewardCache {
    width: usize,
    keys: Vec<i32>,
    values: Vec<f64>,
    filled: Vec<bool>,
    /// Per set, the way to replace next (the one used least recently).
    victim: Vec<u8>,
    pub hits: u64,
    pub misses: u64,
}

fn set_of(state: &[i32]) -> usize {
    super::table::hash(state) as usize & (SETS - 1)
}

impl RewardCache {
    fn key(&self, entry: usize) -> &[i32] {
        &self.keys[entry * self.width..(entry + 1) * self.width]
    }

    pub fn get(&mut self, state: &[i32]) -> Option<f64> {
        if self.width != state.len() || self.filled.is_empty() {
            return None;
        }
        let set = set_of(state);
        for way in 0..2 {
            let entry = 2 * set + way;
            if self.filled[entry] && self.key(entry) == state {
                self.hits += 1;
                self.victim[set] = 1 - way as u8;
                return Some(self.values[entry]);
            }
        }
        self.misses += 1;
        None
    }

    pub fn put(&mut self, state: &[i32], value: f64) {
        if self.width != state.len() || self.filled.is_empty() {
            self.width = state.len();
            self.keys = vec![0; 2 * SETS * self.width];
            self.values = vec![0.0; 2 * SETS];
            self.filled = vec![false; 2 * SETS];
            self.victim = vec![0; SETS];
        }
        let set = set_of(state);
        let way = usize::from(self.victim[set]);
        let entry = 2 * set + way;
        let width = self.width;
        self.keys[entry * width..(entry + 1) * width].copy_from_slice(state);
        self.values[entry] = value;
        self.filled[entry] = true;
        self.victim[set] = 1 - way as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_what_it_was_given() {
        let mut cache = RewardCache::default();
        assert_eq!(cache.get(&[1, 2]), None);
        for i in 0..3000 {
            cache.put(&[i, -i], f64::from(i));
        }
        // 3000 states in 4096 sets of two: only sets that drew three or more lose a state
        // (about 6 % of them by a Poisson count); the rest keep their own values.
        let found = (0..3000)
            .filter(|i| cache.get(&[*i, -*i]) == Some(f64::from(*i)))
            .count();
        assert!(found > 2700, "{found}");
        assert_eq!(cache.get(&[5, 5]), None);
        assert_eq!(cache.get(&[1, 2, 3]), None, "another width is never a hit");
    }
}
