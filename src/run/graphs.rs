//! The graph built-ins over a square bool adjacency matrix: `reachable(adj, i, j)` and
//! `acyclic(adj)`. The checker bounds graphs to 64 nodes, so a matrix is 64 bit rows on the
//! stack and each query a few word operations per node.

use super::machine::{Machine, Scratch};
use super::Fault;
use crate::ir::code::NodeId;
use crate::ir::Val;

/// An adjacency matrix as bit rows: bit `b` of `rows[a]` is the edge a → b.
pub(super) struct Graph {
    pub(super) nodes: usize,
    rows: [u64; 64],
}

impl Graph {
    /// A directed path of one edge or more from `from` to `to`.
    pub(super) fn reachable(&self, from: usize, to: usize) -> bool {
        let mut seen = self.rows[from];
        let mut frontier = seen;
        while frontier != 0 {
            if seen >> to & 1 == 1 {
                return true;
            }
            let mut next = 0u64;
            let mut bits = frontier;
            while bits != 0 {
                let node = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                next |= self.rows[node];
            }
            frontier = next & !seen;
            seen |= next;
        }
        seen >> to & 1 == 1
    }

    /// No directed cycle: nodes without incoming edges from the remaining ones are removed
    /// until none remain (Kahn's algorithm on bit sets).
    pub(super) fn acyclic(&self) -> bool {
        let mut remaining: u64 = if self.nodes == 64 {
            u64::MAX
        } else {
            (1u64 << self.nodes) - 1
        };
        while remaining != 0 {
            let mut has_incoming = 0u64;
            let mut bits = remaining;
            while bits != 0 {
                let node = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                has_incoming |= self.rows[node];
            }
            let sources = remaining & !has_incoming;
            if sources == 0 {
                return false;
            }
            remaining &= !sources;
        }
        true
    }
}

impl Machine<'_> {
    /// Read a `[[bool; N]; N]` value (a field, a constant, a literal) into bit rows.
    pub(super) fn graph(
        &self,
        adj: Val,
        state: &[i32],
        scratch: &Scratch,
        node: NodeId,
    ) -> Result<Graph, Fault> {
        let nodes = self.positions(adj, state, node)?;
        if nodes > 64 {
            return self.internal(node, "a graph of more than 64 nodes");
        }
        let mut rows = [0u64; 64];
        for (a, row) in rows.iter_mut().enumerate().take(nodes) {
            let Some(row_value) = self.element(adj, a, state, scratch, node)? else {
                return self.internal(node, "a matrix row missing");
            };
            for b in 0..nodes {
                if let Some(Val::Bool(true)) = self.element(row_value, b, state, scratch, node)? {
                    *row |= 1 << b;
                }
            }
        }
        Ok(Graph { nodes, rows })
    }
}

#[cfg(test)]
mod tests {
    use super::Graph;

    fn graph(nodes: usize, edges: &[(usize, usize)]) -> Graph {
        let mut rows = [0u64; 64];
        for &(a, b) in edges {
            rows[a] |= 1 << b;
        }
        Graph { nodes, rows }
    }

    /// Reachability and acyclicity of every graph on 4 nodes against a brute-force closure.
    #[test]
    fn every_graph_on_four_nodes_agrees_with_brute_force() {
        let n = 4;
        for mask in 0u32..(1 << (n * n)) {
            let edges: Vec<(usize, usize)> = (0..n * n)
                .filter(|k| mask >> k & 1 == 1)
                .map(|k| (k / n, k % n))
                .collect();
            let g = graph(n, &edges);
            // Floyd-Warshall closure over paths of one edge or more.
            let mut reach = [[false; 4]; 4];
            for &(a, b) in &edges {
                reach[a][b] = true;
            }
            for k in 0..n {
                for a in 0..n {
                    for b in 0..n {
                        reach[a][b] |= reach[a][k] && reach[k][b];
                    }
                }
            }
            for (a, row) in reach.iter().enumerate() {
                for (b, &expected) in row.iter().enumerate() {
                    assert_eq!(g.reachable(a, b), expected, "{edges:?} {a}->{b}");
                }
            }
            let cyclic = (0..n).any(|a| reach[a][a]);
            assert_eq!(g.acyclic(), !cyclic, "{edges:?}");
        }
    }

    #[test]
    fn sixty_four_nodes() {
        let chain: Vec<(usize, usize)> = (0..63).map(|a| (a, a + 1)).collect();
        let g = graph(64, &chain);
        assert!(g.reachable(0, 63) && !g.reachable(63, 0) && g.acyclic());
        let mut cycle = chain.clone();
        cycle.push((63, 0));
        assert!(!graph(64, &cycle).acyclic());
    }
}
