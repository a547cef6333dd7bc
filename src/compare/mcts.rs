//! Monte Carlo tree search (UCT) over the environment's trajectories: a search tree keyed by
//! action *sequence*, grown one node per iteration, its statistics backed up as means; and the
//! sampler it defines, descent from s0 in proportion to visit counts.
//!
//! The tree is a real tree: a node is the sequence of actions from s0 (its state is where the
//! sequence leads), and two sequences that reach one state of the DAG (the set {1, 2} built as
//! 1 then 2, or 2 then 1) are two nodes with statistics of their own. This is what a tree
//! search does when it is not given a transposition table, and it is the point of the method
//! in the comparison: an object reachable in k! orders has k! leaves, each credited with its
//! reward, so the search credits the object k! times (Bengio et al., 2021).
//!
//! One iteration (one state visited, as one trajectory of the other methods):
//! 1. *Selection*: from the root, while the node has been expanded and every allowed action
//!    tried, go to the child of highest UCB1 score `Q/Q_max + c·sqrt(ln N(parent) / N(child))`,
//!    where Q is the child's mean reward, Q_max the largest reward seen (so the mean lies in
//!    [0, 1] whatever the reward's scale) and c = √2.
//! 2. *Expansion*: at the first node with an untried action, try one drawn uniformly; its child
//!    is a new node (`stop` makes a leaf whose object is the parent's state; a state that
//!    allows no action is a leaf itself).
//! 3. *Rollout*: from the new node, the uniform forward policy to a terminal object; its reward
//!    is evaluated (one reward call).
//! 4. *Backup*: every node on the path gains one visit and the reward (mean backups: a node's
//!    value is the mean reward of the visits through it; max backups would make Q the best
//!    reward below, which the UCB1 bound is not built for).
//!
//! A leaf reached again by selection is not evaluated again: its reward is kept in the node.
//!
//! The sampler: from the root, a child is drawn with probability N(child) / Σ N(children)
//! (temperature 1), down to a leaf; at a node none of whose actions has been tried (the
//! frontier: the node where one rollout started), the uniform policy continues, as the
//! rollouts did. Its exact P_T, when the graph is enumerated, sums over the tree's leaves the
//! product of the descent probabilities, plus the frontier's mass carried by the uniform
//! policy over the DAG ([`Tree::terminal_distribution`]).

use crate::env::dag::Dag;
use crate::env::{EnvError, Environment, Workspace};
use rand::rngs::StdRng;
use rand::Rng;

/// UCB1's exploration constant (rewards normalised to [0, 1]).
pub const EXPLORATION: f64 = std::f64::consts::SQRT_2;

/// No node (the root's parent).
const NONE: u32 = u32::MAX;

/// Bytes a tree of `nodes` nodes may hold, at most: per node its fields, its state, its
/// untried actions (all `actions` at first) and its place in its parent's children.
pub fn estimated_bytes(nodes: usize, width: usize, actions: usize) -> f64 {
    let per_node = std::mem::size_of::<Node>() + 4 * width + 4 * actions + 8;
    nodes as f64 * per_node as f64
}

/// One node of the search tree: an action sequence from s0.
#[derive(Clone, Debug)]
struct Node {
    parent: u32,
    /// Iterations through this node.
    visits: u64,
    /// The sum of their rewards, relative to [`Tree::reference`] (`exp(log R − reference)`).
    value: f64,
    /// Tried actions and their nodes.
    children: Vec<(u32, u32)>,
    /// Allowed actions not tried yet.
    untried: Vec<u32>,
    /// The trajectory ends here: `Some(log R)` of the object.
    leaf: Option<f64>,
    /// Actions from s0.
    depth: u32,
}

/// The search tree and what the search has seen.
pub struct Tree {
    nodes: Vec<Node>,
    /// Node k's state at `k * width..(k + 1) * width` (a leaf made by `stop`: its parent's).
    states: Vec<i32>,
    width: usize,
    /// The log reward rewards are measured against (the first one evaluated), so that the
    /// sums stay in floating-point range whatever the reward's scale.
    reference: Option<f64>,
    /// The largest `exp(log R − reference)` seen.
    best: f64,
}

/// What one iteration reached: the terminal object and its log reward.
pub struct Visit {
    /// The terminal object.
    pub object: Vec<i32>,
    /// Its log reward.
    pub log_reward: f64,
}

impl Tree {
    /// A tree holding only the root, s0.
    pub fn new(env: &Environment, ws: &mut Workspace) -> Result<Tree, EnvError> {
        let mut tree = Tree {
            nodes: Vec::new(),
            states: Vec::new(),
            width: env.width(),
            reference: None,
            best: 0.0,
        };
        tree.add(env, NONE, env.initial_state().to_vec(), None, ws)?;
        Ok(tree)
    }

    /// The number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree is empty (never: the root is made with it).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn state(&self, node: u32) -> &[i32] {
        let k = node as usize;
        &self.states[k * self.width..(k + 1) * self.width]
    }

    /// A new node under `parent`: a leaf with `leaf`'s log reward, or an interior node whose
    /// untried actions are those the state allows (none allowed: a `done` leaf).
    fn add(
        &mut self,
        env: &Environment,
        parent: u32,
        state: Vec<i32>,
        leaf: Option<f64>,
        ws: &mut Workspace,
    ) -> Result<u32, EnvError> {
        let depth = match parent {
            NONE => 0,
            p => self.nodes[p as usize].depth + u32::from(leaf.is_none()),
        };
        let (untried, leaf) = match leaf {
            Some(log_reward) => (Vec::new(), Some(log_reward)),
            None => {
                let mut mask = vec![false; env.action_count()];
                env.forward_mask(&state, &mut mask, ws)?;
                let allowed: Vec<u32> = (0..mask.len())
                    .filter(|&a| mask[a])
                    .map(|a| a as u32)
                    .collect();
                match allowed.is_empty() {
                    true => (Vec::new(), Some(env.log_reward(&state, ws)?)),
                    false => (allowed, None),
                }
            }
        };
        let id = self.nodes.len() as u32;
        self.nodes.push(Node {
            parent,
            visits: 0,
            value: 0.0,
            children: Vec::new(),
            untried,
            leaf,
            depth,
        });
        self.states.extend_from_slice(&state);
        Ok(id)
    }

    /// One iteration: selection, expansion, rollout, backup. Returns the object reached.
    pub fn iterate(
        &mut self,
        env: &Environment,
        rng: &mut StdRng,
        ws: &mut Workspace,
    ) -> Result<Visit, EnvError> {
        let mut node = 0u32;
        // Selection: down fully expanded interior nodes.
        while self.nodes[node as usize].leaf.is_none()
            && self.nodes[node as usize].untried.is_empty()
        {
            node = self.select(node);
        }
        let (end, object, log_reward) = match self.nodes[node as usize].leaf {
            Some(log_reward) => (node, self.state(node).to_vec(), log_reward),
            None => {
                let child = self.expand(env, node, rng, ws)?;
                match self.nodes[child as usize].leaf {
                    Some(log_reward) => (child, self.state(child).to_vec(), log_reward),
                    None => {
                        let (object, log_reward) = self.rollout(env, child, rng, ws)?;
                        (child, object, log_reward)
                    }
                }
            }
        };
        self.backup(end, log_reward);
        Ok(Visit { object, log_reward })
    }

    /// The child of highest UCB1 score (the first of equals); unvisited children come first.
    fn select(&self, node: u32) -> u32 {
        let here = &self.nodes[node as usize];
        let log_n = (here.visits.max(1) as f64).ln();
        let scale = if self.best > 0.0 { self.best } else { 1.0 };
        let mut best = (f64::NEG_INFINITY, here.children[0].1);
        for &(_, child) in &here.children {
            let c = &self.nodes[child as usize];
            let score = match c.visits {
                0 => f64::INFINITY,
                n => c.value / n as f64 / scale + EXPLORATION * (log_n / n as f64).sqrt(),
            };
            if score > best.0 {
                best = (score, child);
            }
        }
        best.1
    }

    /// Try one untried action of `node`, drawn uniformly: its new child.
    fn expand(
        &mut self,
        env: &Environment,
        node: u32,
        rng: &mut StdRng,
        ws: &mut Workspace,
    ) -> Result<u32, EnvError> {
        let untried = &mut self.nodes[node as usize].untried;
        let action = untried.swap_remove(rng.random_range(0..untried.len()));
        let state = self.state(node).to_vec();
        let child = if action as usize == env.stop_action() {
            let log_reward = env.log_reward(&state, ws)?;
            self.add(env, node, state, Some(log_reward), ws)?
        } else {
            let mut next = vec![0; self.width];
            env.step(&state, action as usize, &mut next, ws)?;
            let depth = self.nodes[node as usize].depth as usize + 1;
            env.check_length(depth, &next, "a tree search's trajectory")?;
            self.add(env, node, next, None, ws)?
        };
        self.nodes[node as usize].children.push((action, child));
        Ok(child)
    }

    /// The uniform forward policy from `node` to a terminal object, and its log reward.
    fn rollout(
        &self,
        env: &Environment,
        node: u32,
        rng: &mut StdRng,
        ws: &mut Workspace,
    ) -> Result<(Vec<i32>, f64), EnvError> {
        let w = self.width;
        let mut state = self.state(node).to_vec();
        let mut next = vec![0; w];
        let mut mask = vec![false; env.action_count()];
        let mut depth = self.nodes[node as usize].depth as usize;
        // Until `stop` is drawn or a state allows nothing (`done`).
        while let Some((action, _)) = env.uniform_choice(&state, &mut mask, rng, ws)? {
            if action == env.stop_action() {
                break;
            }
            env.step(&state, action, &mut next, ws)?;
            depth += 1;
            // Checks of a graph too large to explore are partial: a cycle they missed must
            // not hang the search.
            env.check_length(depth, &next, "a tree search's rollout")?;
            std::mem::swap(&mut state, &mut next);
        }
        let log_reward = env.log_reward(&state, ws)?;
        Ok((state, log_reward))
    }

    /// One visit and the reward on every node from `end` up to the root.
    fn backup(&mut self, end: u32, log_reward: f64) {
        let reference = *self.reference.get_or_insert(log_reward);
        let reward = (log_reward - reference).exp();
        if reward.is_finite() && reward > self.best {
            self.best = reward;
        }
        let mut node = end;
        while node != NONE {
            let n = &mut self.nodes[node as usize];
            n.visits += 1;
            n.value += reward;
            node = n.parent;
        }
    }

    /// Visits through the root: the iterations done.
    pub fn visits(&self) -> u64 {
        self.nodes[0].visits
    }

    /// Per leaf (a complete action sequence the tree holds): its object and visits.
    pub fn leaves(&self) -> impl Iterator<Item = (&[i32], u64)> + '_ {
        (0..self.nodes.len() as u32)
            .filter(|&k| self.nodes[k as usize].leaf.is_some())
            .map(|k| (self.state(k), self.nodes[k as usize].visits))
    }

    /// The sampler's exact terminal distribution over the DAG's states: descent in proportion
    /// to visit counts through the tree, the uniform policy below its frontier. `None` when a
    /// node's state is not in the DAG (it always is when the DAG is the whole graph).
    pub fn terminal_distribution(&self, dag: &Dag, actions: usize) -> Option<Vec<f64>> {
        let mut ends = vec![0.0; dag.len()];
        let mut frontier = vec![0.0; dag.len()];
        let mut stack = vec![(0u32, 1.0f64)];
        while let Some((node, mass)) = stack.pop() {
            let here = &self.nodes[node as usize];
            let id = dag.states.find(self.state(node))?;
            if here.leaf.is_some() {
                ends[id] += mass;
                continue;
            }
            let total: u64 = here
                .children
                .iter()
                .map(|&(_, c)| self.nodes[c as usize].visits)
                .sum();
            if total == 0 {
                frontier[id] += mass;
                continue;
            }
            for &(_, child) in &here.children {
                let share = self.nodes[child as usize].visits as f64 / total as f64;
                if share > 0.0 {
                    stack.push((child, mass * share));
                }
            }
        }
        let below = dag.terminal_distribution_from(frontier, &dag.uniform_policy(actions), actions);
        for (e, b) in ends.iter_mut().zip(below) {
            *e += b;
        }
        Some(ends)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::HashMap;

    fn sets(source_reward: &str) -> Environment {
        let source = format!("env s\nstate {{ c: set<0..3> }}\naction add(i in 0..3) when i not in c {{ c.insert(i) }}\nstop\nreward {source_reward}\n");
        Environment::from_source(&source, &[]).expect("compiles")
    }

    fn searched(env: &Environment, iterations: usize) -> Tree {
        let mut ws = Workspace::new();
        let mut rng = StdRng::seed_from_u64(7);
        let mut tree = Tree::new(env, &mut ws).expect("root");
        for _ in 0..iterations {
            tree.iterate(env, &mut rng, &mut ws).expect("iterates");
        }
        tree
    }

    /// With a budget that expands the whole tree, an object of k elements has k! leaves, one
    /// per order, each visited: the tree credits it once per order. A search that merged the
    /// orders (a transposition table) would hold one leaf per object and fail.
    #[test]
    fn the_tree_credits_an_object_once_per_order() {
        let env = sets("1.0");
        let tree = searched(&env, 3000);
        assert_eq!(tree.visits(), 3000);
        let mut per_object: HashMap<Vec<i32>, (usize, u64)> = HashMap::new();
        for (object, visits) in tree.leaves() {
            let entry = per_object.entry(object.to_vec()).or_default();
            entry.0 += 1;
            entry.1 += visits;
        }
        assert_eq!(per_object.len(), 8, "every subset of {{0, 1, 2}} is a leaf");
        let subsets: [&[i32]; 8] = [&[], &[0], &[1], &[2], &[0, 1], &[0, 2], &[1, 2], &[0, 1, 2]];
        let factorial = [1, 1, 2, 6];
        for items in subsets {
            let object = env_state(&env, items);
            let (leaves, visits) = per_object[&object];
            assert_eq!(leaves, factorial[items.len()], "{}", env.render(&object));
            assert!(visits >= leaves as u64, "{}", env.render(&object));
        }
        // 16 leaves, 16 interior nodes (the root included): the whole tree, and no more.
        assert_eq!(tree.len(), 32);
    }

    /// The sampler's exact P_T sums to one and agrees with descent drawn by visit counts; the
    /// full set {0, 1, 2}, built in 6 orders, gets more than its share R/Z under a flat
    /// reward: the over-count by orders.
    #[test]
    fn the_exact_distribution_is_the_descent_and_over_counts_orders() {
        let env = sets("1.0");
        let dag = crate::env::dag::enumerate(&env, 1000).expect("enumerates");
        let tree = searched(&env, 3000);
        let p = tree
            .terminal_distribution(&dag, env.action_count())
            .expect("every node is in the DAG");
        let total: f64 = p.iter().sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        // R/Z = 1/8 for each of the 8 sets; the full set has 6 orders, a singleton 1.
        let find = |items: &[i32]| dag.states.find(&env_state(&env, items)).expect("reachable");
        let full = p[find(&[0, 1, 2])];
        assert!(full > 1.5 * 0.125, "P_T(full set) = {full}");
        for i in 0..3 {
            let single = p[find(&[i])];
            assert!(single < 0.125, "P_T({{{i}}}) = {single}");
        }
    }

    fn env_state(env: &Environment, items: &[i32]) -> Vec<i32> {
        let mut ws = Workspace::new();
        let mut state = env.initial_state().to_vec();
        let mut next = vec![0; env.width()];
        for &i in items {
            env.step(&state, i as usize, &mut next, &mut ws)
                .expect("steps");
            state.clone_from(&next);
        }
        state
    }
}
