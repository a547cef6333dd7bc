//! What the compiler does to make programs fast must not change what they mean: guards over
//! constant data read tables computed at compile time, and affine assignments find their
//! parents by inversion rather than by trying every old value.

use crate::oracle::{eval, Scope};
use gfnc::bench::{EDGE_LIST_DAG, PASTED_MATRIX_DAG};
use gfnc::check::hir::{Expr, LetInstance};
use gfnc::check::Value;
use gfnc::env::dag::{self, Dag};
use gfnc::env::{Environment, Workspace};
use std::time::Instant;

fn compile(source: &str) -> Environment {
    Environment::from_source(source, &[]).expect("compiles")
}

/// The state as values, field by field, for the reference evaluator.
struct Reference<'a> {
    fields: Vec<Value>,
    lets: &'a [LetInstance],
}

impl Scope for Reference<'_> {
    fn field(&self, index: usize) -> Option<&Value> {
        self.fields.get(index)
    }
    fn let_body(&self, index: usize) -> Option<&Expr> {
        self.lets.get(index).map(|l| &l.body)
    }
}

/// Every guard of every flat action on every reachable state, compiled against the reference
/// evaluator, which knows nothing of tables.
fn guards_match_the_reference(source: &str, env: &Environment, dag: &Dag) {
    // The reference evaluates the checked model's expressions, which the program does not keep.
    let model = &gfnc::load(source, &[]).expect("checks");
    let layout = &env.program.layout;
    let mut ws = Workspace::default();
    let mut mask = vec![false; env.action_count()];
    for s in 0..dag.len() {
        let state = dag.states.get(s);
        let reference = Reference {
            fields: layout
                .fields
                .iter()
                .map(|(base, shape)| layout.read_value(*shape, state, *base as usize))
                .collect(),
            lets: &model.lets,
        };
        env.forward_mask(state, &mut mask, &mut ws).expect("mask");
        let mut flat = 0;
        for family in &model.actions {
            // The flat actions of a family: its arguments' values, the last varying fastest.
            for index in 0..family.value_count() {
                let mut locals = vec![Value::Bool(false); family.args.len()];
                let mut rest = index;
                for (slot, (_, domain)) in family.args.iter().enumerate().rev() {
                    locals[slot] = domain[rest % domain.len()].clone();
                    rest /= domain.len();
                }
                let allowed = match &family.guard {
                    Some(g) => eval(g, &reference, &mut locals).expect("guard evaluates"),
                    None => Value::Bool(true),
                };
                assert_eq!(
                    mask[flat],
                    allowed == Value::Bool(true) && !dag.done[s],
                    "{} in {}",
                    env.action_name(flat),
                    env.render(state)
                );
                flat += 1;
            }
        }
    }
}

#[test]
fn edge_list_and_pasted_matrix_give_the_same_masks_on_every_reachable_state() {
    let edges = compile(EDGE_LIST_DAG);
    let matrix = compile(PASTED_MATRIX_DAG);
    let edges_dag = dag::enumerate(&edges, 100_000).expect("enumerates");
    let matrix_dag = dag::enumerate(&matrix, 100_000).expect("enumerates");
    // Every subset of the six allowed edges.
    assert_eq!(edges_dag.len(), 64);
    assert_eq!(edges_dag.len(), matrix_dag.len());
    let a = edges.action_count();
    assert_eq!(a, matrix.action_count());
    let mut ws = Workspace::default();
    let (mut forward, mut reference) = (vec![false; a], vec![false; a]);
    for s in 0..edges_dag.len() {
        let state = edges_dag.states.get(s);
        assert!(
            matrix_dag.states.find(state).is_some(),
            "{}",
            edges.render(state)
        );
        edges
            .forward_mask(state, &mut forward, &mut ws)
            .expect("mask");
        matrix
            .forward_mask(state, &mut reference, &mut ws)
            .expect("mask");
        assert_eq!(forward, reference, "forward, {}", edges.render(state));
        edges
            .backward_mask(state, &mut forward, &mut ws)
            .expect("mask");
        matrix
            .backward_mask(state, &mut reference, &mut ws)
            .expect("mask");
        assert_eq!(forward, reference, "backward, {}", edges.render(state));
    }
    guards_match_the_reference(EDGE_LIST_DAG, &edges, &edges_dag);
    dag::check_parents(&edges, &edges_dag).expect("parents agree with the edges");
}

#[test]
fn tables_in_guards_effects_and_lets_match_the_reference() {
    // Argument-only parts in a let inlined into the guard, in an effect's index and value, and
    // next to reads of the state inside an aggregate.
    let source = "env t
const W = [3, 1, 4, 1, 5]
state { x: [0..12; 5] }
let cost(i) = W[i] + W[(i + 1) % 5]
action add(i in 0..5, d in 1..3) when x[(i + 2) % 5] + cost(i) * d < 12 and sum(k in 0..5: x[k] * W[(k + i) % 5]) < 60 { x[(i + 2) % 5] += cost(i) * d - d }
stop
reward 1.0";
    let env = compile(source);
    let graph = dag::enumerate(&env, 200_000).expect("enumerates");
    assert!(graph.len() > 100, "{} states", graph.len());
    guards_match_the_reference(source, &env, &graph);
    dag::check_parents(&env, &graph).expect("parents agree with the edges");
}

const BINARY_TREE: &str = "env binary_tree
param D: int = 6
state { node: 1..128, depth: 0..7 }
action child(b in 0..2) when depth < D { node = 2 * node + b; depth += 1 }
stop
reward 1.0 + float(node % 7)
";

/// The derived parents of every reachable state by every action are exactly the sources of
/// the forward edges into it by that action.
fn parents_are_the_forward_edges(env: &Environment, graph: &Dag) {
    let w = env.width();
    let a = env.action_count() - 1;
    let mut incoming: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); a]; graph.len()];
    for s in 0..graph.len() {
        for (action, c) in graph.edges(s) {
            incoming[c][action].push(s);
        }
    }
    let mut ws = Workspace::default();
    let mut found = Vec::new();
    let mut derived = 0;
    for (c, by_action) in incoming.iter().enumerate() {
        let state = graph.states.get(c);
        for (action, sources) in by_action.iter().enumerate() {
            found.clear();
            env.parents(state, action, &mut found, &mut ws)
                .expect("parents");
            let mut parents: Vec<usize> = found
                .chunks_exact(w)
                .map(|p| {
                    graph.states.find(p).unwrap_or_else(|| {
                        panic!(
                            "{} by {}: unreachable parent {}",
                            env.render(state),
                            env.action_name(action),
                            env.render(p)
                        )
                    })
                })
                .collect();
            parents.sort_unstable();
            assert_eq!(
                &parents,
                sources,
                "{} by {}",
                env.render(state),
                env.action_name(action)
            );
            derived += parents.len();
        }
    }
    assert_eq!(derived, graph.edge_count());
}

#[test]
fn binary_tree_parents_by_inversion_match_the_forward_edges() {
    let env = compile(BINARY_TREE);
    let plan = format!("{:?}", env.program.families[0].parents.old);
    assert!(plan.starts_with("[Affine("), "{plan}");
    let graph = dag::enumerate(&env, 100_000).expect("enumerates");
    assert_eq!(graph.len(), 127);
    parents_are_the_forward_edges(&env, &graph);
    dag::check_parents(&env, &graph).expect("the checks pass");
}

#[test]
fn affine_parents_match_brute_force_over_every_state() {
    // A negative coefficient, an argument as coefficient, two places updated at once and a
    // field read beside them. `y` grows with every action, so there is no cycle.
    let source = "env t
state { x: -30..30, y: 1..60, c: 1..3 = 2 }
action a(k in 1..3) when -30 <= k - 3 * x and k - 3 * x < 30 and c + y * k < 60 { x = k - 3 * x; y = c + y * k }
action b(m in [2, 3]) when m * (y + 1) - c < 60 { y = m * (y + 1) - c }
stop
reward 1.0";
    let env = compile(source);
    for family in &env.program.families {
        let plan = format!("{:?}", family.parents.old);
        assert!(!plan.contains("Any"), "{plan}");
    }
    let states: Vec<Vec<i32>> = (-30..30)
        .flat_map(|x| (1..60).flat_map(move |y| (1..3).map(move |c| (x, y, c))))
        .map(|(x, y, c)| {
            env.parse_state(&format!("x={x}, y={y}, c={c}"))
                .expect("a state")
        })
        .collect();
    let a = env.action_count() - 1;
    // Every edge of the whole state space, by stepping every allowed action of every state.
    let mut edges: Vec<(Vec<i32>, usize, Vec<i32>)> = Vec::new();
    let mut ws = Workspace::default();
    let mut mask = vec![false; a + 1];
    let mut child = vec![0; env.width()];
    for state in &states {
        env.forward_mask(state, &mut mask, &mut ws).expect("mask");
        for action in (0..a).filter(|k| mask[*k]) {
            env.step(state, action, &mut child, &mut ws).expect("steps");
            edges.push((child.clone(), action, state.clone()));
        }
    }
    edges.sort();
    assert!(edges.len() > 1000, "{} edges", edges.len());
    let mut found = Vec::new();
    let mut derived = Vec::new();
    for state in &states {
        for action in 0..a {
            found.clear();
            env.parents(state, action, &mut found, &mut ws)
                .expect("parents");
            for parent in found.chunks_exact(env.width()) {
                derived.push((state.clone(), action, parent.to_vec()));
            }
        }
    }
    derived.sort();
    assert_eq!(derived, edges);
}

#[test]
fn a_field_of_a_million_values_updated_affinely_compiles_and_checks_quickly() {
    // Trying every old value would be 2^20 candidates per state and action (refused above
    // 1,024): inverted, there is one.
    let source = BINARY_TREE
        .replace("param D: int = 6", "param D: int = 10")
        .replace(
            "node: 1..128, depth: 0..7",
            "node: 1..1048577, depth: 0..21",
        );
    let start = Instant::now();
    let env = compile(&source);
    let graph = dag::check_exhaustively(&env, 100_000).expect("checks");
    assert_eq!(graph.len(), (1 << 11) - 1);
    parents_are_the_forward_edges(&env, &graph);
    let seconds = start.elapsed().as_secs_f64();
    assert!(seconds < 10.0, "{seconds:.1} s");
}
