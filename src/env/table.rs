//! A hash table of fixed-width states stored back to back in one arena: states get dense ids
//! in insertion order, which also makes the arena a breadth-first queue.

/// Interned states of one width.
#[derive(Clone, Debug)]
pub struct StateTable {
    width: usize,
    slots: Vec<i32>,
    /// Open addressing: `u32::MAX` is empty, otherwise a state id.
    index: Vec<u32>,
    len: usize,
}

const EMPTY: u32 = u32::MAX;

/// Slice equality without a call to `memcmp`, which costs more than the comparison itself for
/// the few slots most states have.
#[inline]
fn same(a: &[i32], b: &[i32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// A hash of a state. Multiply-xorshift per slot and a final mix: states of small integers
/// that differ in one slot land far apart (a weaker hash cost the reward memo 40 % misses).
pub fn hash(state: &[i32]) -> u64 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
    for &v in state {
        h = (h ^ (v as u32 as u64)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^= h >> 32;
    }
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

impl StateTable {
    /// An empty table for states of `width` slots.
    pub fn new(width: usize) -> StateTable {
        StateTable {
            width,
            slots: Vec::new(),
            index: vec![EMPTY; 1024],
            len: 0,
        }
    }

    /// The number of states stored; ids are `0..len()`.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no state is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Slots per state.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The state with this id.
    pub fn get(&self, id: usize) -> &[i32] {
        &self.slots[id * self.width..(id + 1) * self.width]
    }

    /// All states, back to back.
    pub fn slots(&self) -> &[i32] {
        &self.slots
    }

    fn probe(&self, state: &[i32]) -> (usize, Option<u32>) {
        let mask = self.index.len() - 1;
        let mut at = hash(state) as usize & mask;
        loop {
            match self.index[at] {
                EMPTY => return (at, None),
                id if same(self.get(id as usize), state) => return (at, Some(id)),
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// The id of a state already in the table.
    pub fn find(&self, state: &[i32]) -> Option<usize> {
        self.probe(state).1.map(|id| id as usize)
    }

    /// The id of `state`, adding it if new; the flag says whether it was new.
    pub fn insert(&mut self, state: &[i32]) -> (usize, bool) {
        if (self.len + 1) * 2 > self.index.len() {
            self.grow();
        }
        match self.probe(state) {
            (_, Some(id)) => (id as usize, false),
            (at, None) => {
                let id = self.len;
                self.index[at] = id as u32;
                self.slots.extend_from_slice(state);
                self.len += 1;
                (id, true)
            }
        }
    }

    fn grow(&mut self) {
        let capacity = self.index.len() * 2;
        self.index = vec![EMPTY; capacity];
        let mask = capacity - 1;
        for id in 0..self.len {
            let mut at = hash(self.get(id)) as usize & mask;
            while self.index[at] != EMPTY {
                at = (at + 1) & mask;
            }
            self.index[at] = id as u32;
        }
    }

    /// Bytes held, for reporting.
    pub fn memory_bytes(&self) -> usize {
        self.slots.capacity() * 4 + self.index.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_states_with_dense_ids() {
        let mut table = StateTable::new(2);
        for i in 0..5000 {
            assert_eq!(table.insert(&[i, -i]), (i as usize, true));
        }
        assert_eq!(table.insert(&[7, -7]), (7, false));
        assert_eq!(table.find(&[4999, -4999]), Some(4999));
        assert_eq!(table.find(&[1, 1]), None);
        assert_eq!(table.get(42), &[42, -42]);
    }
}
