//! The compiled environments against independent references: exact figures computed by closed
//! forms and hand-written enumerations, the masks and parents against the enumerated edges,
//! the compiled evaluator against the checker's tree evaluator.

use crate::oracle::{eval, Scope};
use gfnc::check::hir::Expr;
use gfnc::check::Value;
use gfnc::env::dag::{self, Dag};
use gfnc::env::{Environment, Workspace};
use gfnc::Override;
use std::collections::HashSet;

fn example(name: &str) -> String {
    std::fs::read_to_string(crate::root().join("examples").join(format!("{name}.gfn")))
        .expect("example exists")
}

fn build(name: &str, sets: &[&str]) -> (Environment, Dag) {
    let overrides: Vec<Override> = sets.iter().filter_map(|s| Override::parse(s)).collect();
    let env = Environment::from_source(&example(name), &overrides).expect("compiles");
    let dag = dag::check_exhaustively(&env, 2_000_000).expect("valid");
    (env, dag)
}

/// Hypergrid's Z = R0·H^D + R1·r^D + R2·b^D, where r and b count the cells per axis whose
/// |i/(H−1) − 1/2| exceeds 1/4, resp. lies strictly between 3/10 and 4/10, decided in integers.
fn hypergrid_log_z(d: i32, h: i64) -> (f64, usize) {
    let (mut r, mut b) = (0i64, 0i64);
    for i in 0..h {
        // |2i − (H−1)| / (2(H−1)) compared with 1/4, 3/10, 4/10, all scaled by 20(H−1).
        let u = 10 * (2 * i - (h - 1)).abs();
        let scale = 20 * (h - 1);
        if 4 * u > scale {
            r += 1;
        }
        if 10 * u > 3 * scale && 10 * u < 4 * scale {
            b += 1;
        }
    }
    let z = 0.1 * (h as f64).powi(d) + 0.5 * (r as f64).powi(d) + 2.0 * (b as f64).powi(d);
    (z.ln(), b.pow(d as u32) as usize)
}

#[test]
fn hypergrid_figures_match_the_closed_form() {
    for (d, h) in [(2, 8), (4, 8), (2, 64), (2, 16), (3, 11), (2, 21)] {
        let (env, dag) = build("hypergrid", &[&format!("D={d}"), &format!("H={h}")]);
        let (log_z, modes) = hypergrid_log_z(d, h);
        assert!(
            (dag.log_z - log_z).abs() < 1e-9,
            "D={d} H={h}: {} vs {log_z}",
            dag.log_z
        );
        assert_eq!(dag.mode_count(), modes, "D={d} H={h}");
        let states = (h as usize).pow(d as u32);
        assert_eq!((dag.len(), dag.terminal_count()), (states, states));
        assert_eq!(
            dag.edge_count(),
            d as usize * (h as usize - 1) * (h as usize).pow(d as u32 - 1)
        );
        assert_eq!(dag.max_len as i64, i64::from(d) * (h - 1));
        assert_eq!(env.action_count(), d as usize + 1);
    }
}

#[test]
fn hypergrid_reference_values_of_the_issue() {
    for (d, h, expected) in [(2, 8, 3.109061), (4, 8, 6.344934), (2, 64, 7.098045)] {
        let (_, dag) = build("hypergrid", &[&format!("D={d}"), &format!("H={h}")]);
        assert!(
            (dag.log_z - expected).abs() < 5e-7,
            "D={d} H={h}: {}",
            dag.log_z
        );
    }
}

#[test]
fn hypergrid_band_is_exact_at_h16() {
    // The band 0.3 < |x/15 − 0.5| < 0.4 holds for x in {2, 13} only; in floats 12/15 − 0.5
    // rounds above 0.3 and x = 3, 12 join, giving 9 modes instead of 4.
    let (env, dag) = build("hypergrid", &["H=16"]);
    assert_eq!(dag.mode_count(), 4);
    let mut ws = Workspace::default();
    for s in 0..dag.len() {
        let state = dag.states.get(s);
        let expected = state.iter().all(|x| *x == 2 || *x == 13);
        assert_eq!(
            env.is_mode(state, &mut ws).expect("evaluates"),
            expected,
            "{}",
            env.render(state)
        );
    }
}

/// Independent enumerations of the other examples' terminal objects.
#[test]
fn other_examples_match_hand_written_enumerations() {
    fn log_sum_exp(values: &[f64]) -> f64 {
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        max + values.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
    }
    // subsets: every set of at most K=3 of N=6 items, reward 1 + Σ weight(i).
    let weight = |i: u32| 1.0 + f64::from((i * 3) % 8) / 2.0;
    let subsets: Vec<f64> = (0u32..64)
        .filter(|m| m.count_ones() <= 3)
        .map(|m| (1.0 + (0..6).filter(|i| m >> i & 1 == 1).map(weight).sum::<f64>()).ln())
        .collect();
    // bitseq: strings of 8 bits, reward exp(−min Hamming distance to the 4 modes).
    let bitseq: Vec<f64> = (0u32..256)
        .map(|bits| {
            let distance = (0..4)
                .map(|m| {
                    (0..8)
                        .filter(|j| ((bits >> (7 - j)) & 1) != ((j / (m + 1)) % 2))
                        .count()
                })
                .min()
                .unwrap_or(0);
            -(distance as f64)
        })
        .collect();
    // ising 3x3, J=1, T=2, free boundaries.
    let ising: Vec<f64> = (0u32..512)
        .map(|bits| {
            let s = |c: u32| if bits >> c & 1 == 1 { 1.0 } else { -1.0 };
            let mut e = 0.0;
            for c in 0..9 {
                if c % 3 < 2 {
                    e += s(c) * s(c + 1);
                }
                if c < 6 {
                    e += s(c) * s(c + 3);
                }
            }
            e / 2.0
        })
        .collect();
    // graphs on 4 nodes: 0.5·edges − 1.5·triangles.
    let pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)];
    let graphs: Vec<f64> = (0u32..64)
        .map(|m| {
            let has = |a: usize, b: usize| {
                pairs
                    .iter()
                    .position(|p| *p == (a, b))
                    .is_some_and(|k| m >> k & 1 == 1)
            };
            let triangles = [(0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)]
                .iter()
                .filter(|(a, b, c)| has(*a, *b) && has(*b, *c) && has(*a, *c))
                .count();
            0.5 * f64::from(m.count_ones()) - 1.5 * triangles as f64
        })
        .collect();
    // knapsack: maximal packings of capacity 10.
    let (w, v) = ([3, 4, 2, 5, 1, 3], [4.0, 5.0, 3.0, 8.0, 1.0, 4.0]);
    let knapsack: Vec<f64> = (0u32..64)
        .filter_map(|m| {
            let load: i32 = (0..6).filter(|i| m >> i & 1 == 1).map(|i| w[i]).sum();
            let fits_more = (0..6).any(|i| m >> i & 1 == 0 && load + w[i] <= 10);
            (load <= 10 && !fits_more).then(|| {
                (0..6)
                    .filter(|i| m >> i & 1 == 1)
                    .map(|i| v[i])
                    .sum::<f64>()
                    / 2.0
            })
        })
        .collect();
    for (name, rewards, states) in [
        ("subsets", subsets, 42),
        ("bitseq", bitseq, 511),
        ("ising", ising, 19683),
        ("graphs", graphs, 64),
        ("knapsack", knapsack, 41),
    ] {
        let (_, dag) = build(name, &[]);
        assert_eq!(dag.terminal_count(), rewards.len(), "{name}");
        assert_eq!(dag.len(), states, "{name}");
        let expected = log_sum_exp(&rewards);
        assert!(
            (dag.log_z - expected).abs() < 1e-9,
            "{name}: {} vs {expected}",
            dag.log_z
        );
    }
}

/// States of every valid example.
fn every_example() -> Vec<(String, Environment, Dag)> {
    [
        "hypergrid",
        "subsets",
        "bitseq",
        "ising",
        "graphs",
        "knapsack",
    ]
    .iter()
    .map(|name| {
        let (env, dag) = build(name, &[]);
        (name.to_string(), env, dag)
    })
    .collect()
}

#[test]
fn backward_masks_and_parents_agree_with_the_forward_edges() {
    for (name, env, dag) in every_example() {
        let a = env.action_count();
        let w = env.width();
        // In-edges by action, from the forward enumeration alone.
        let mut incoming: Vec<Vec<Option<usize>>> = vec![vec![None; a]; dag.len()];
        for s in 0..dag.len() {
            for (action, c) in dag.edges(s) {
                incoming[c][action] = Some(s);
            }
        }
        let mut ws = Workspace::default();
        let mut mask = vec![false; a];
        let mut forward = vec![false; a];
        let mut parent = vec![0; w];
        let mut child = vec![0; w];
        // Every state of the small examples; a deterministic sample of ising's.
        let step = if dag.len() > 5000 { 7 } else { 1 };
        for c in (0..dag.len()).step_by(step) {
            let state = dag.states.get(c);
            env.backward_mask(state, &mut mask, &mut ws)
                .expect("backward mask");
            assert!(!mask[a - 1], "{name}: stop allowed backward");
            for action in 0..a - 1 {
                assert_eq!(
                    mask[action],
                    incoming[c][action].is_some(),
                    "{name}: {} by {}",
                    env.render(state),
                    env.action_name(action)
                );
                let found = env
                    .parent(state, action, &mut parent, &mut ws)
                    .expect("parent");
                assert_eq!(found, mask[action]);
                if found {
                    let p = dag.states.find(&parent).expect("the parent is reachable");
                    assert_eq!(Some(p), incoming[c][action]);
                    env.forward_mask(&parent, &mut forward, &mut ws)
                        .expect("forward mask");
                    assert!(forward[action], "{name}: action not allowed in its parent");
                    env.step(&parent, action, &mut child, &mut ws)
                        .expect("steps");
                    assert_eq!(child, state);
                }
            }
        }
    }
}

#[test]
fn encodings_are_injective_on_reachable_states() {
    for (name, env, dag) in every_example() {
        let width = env.encoding_width();
        let mut features = vec![0.0f32; width];
        let mut seen = HashSet::new();
        for s in 0..dag.len() {
            env.encode(dag.states.get(s), &mut features);
            assert!(
                features.iter().all(|f| *f == 0.0 || *f == 1.0),
                "{name}: not one-hot"
            );
            let key: Vec<u32> = features.iter().map(|f| f.to_bits()).collect();
            assert!(seen.insert(key), "{name}: two states share an encoding");
        }
    }
    let (env, _) = build("hypergrid", &[]);
    assert_eq!(
        env.encoding_width(),
        16,
        "hypergrid D=2 H=8 encodes to D·H features, as torchgfn"
    );
}

/// The sparse first layer reads the encoding through the indices of its ones: on every
/// reachable state of every example they are exactly the dense encoding's ones, in order, and
/// no more than the bound the policy pads its rows to.
#[test]
fn active_features_are_the_ones_of_the_encoding() {
    for (name, env, dag) in every_example() {
        let width = env.encoding_width();
        let bound = env.max_active_features();
        let mut features = vec![0.0f32; width];
        let mut active = Vec::new();
        for s in 0..dag.len() {
            let state = dag.states.get(s);
            env.encode(state, &mut features);
            active.clear();
            env.encode_active(state, &mut active);
            let ones: Vec<u32> = (0..width as u32)
                .filter(|k| features[*k as usize] == 1.0)
                .collect();
            assert_eq!(active, ones, "{name}: {}", env.render(state));
            assert!(active.len() <= bound, "{name}: {} > {bound}", active.len());
        }
    }
}

#[test]
fn states_render_and_parse_back() {
    for (name, env, dag) in every_example() {
        for s in (0..dag.len()).step_by(13) {
            let state = dag.states.get(s);
            let text = env.render(state);
            assert_eq!(
                env.parse_state(&text).expect("parses"),
                state,
                "{name}: {text}"
            );
        }
    }
    let (env, _) = build("hypergrid", &[]);
    assert_eq!(env.parse_state("x=[3, 5]").expect("parses"), vec![3, 5]);
    for bad in [
        "x=[3]",
        "x=[3, 9]",
        "y=[1, 1]",
        "x=[1, 1], x=[1, 1]",
        "x=[1, 1] junk",
        "",
    ] {
        assert!(env.parse_state(bad).is_err(), "{bad:?} should not parse");
    }
}

/// A scope for the checker's reference evaluator: the state as values, field by field.
struct Reference<'a> {
    fields: Vec<Value>,
    lets: &'a [gfnc::check::hir::LetInstance],
}

impl Scope for Reference<'_> {
    fn field(&self, index: usize) -> Option<&Value> {
        self.fields.get(index)
    }
    fn let_body(&self, index: usize) -> Option<&Expr> {
        self.lets.get(index).map(|l| &l.body)
    }
}

#[test]
fn compiled_rewards_and_guards_match_the_reference_evaluator() {
    for (name, env, dag) in every_example() {
        // The reference evaluates the checked model's expressions, which the program does not keep.
        let model = &gfnc::load(&example(&name), &[]).expect("checks");
        let layout = &env.program.layout;
        let mut ws = Workspace::default();
        let mut mask = vec![false; env.action_count()];
        for s in (0..dag.len()).step_by(5) {
            let state = dag.states.get(s);
            let reference = Reference {
                fields: layout
                    .fields
                    .iter()
                    .map(|(base, shape)| layout.read_value(*shape, state, *base as usize))
                    .collect(),
                lets: &model.lets,
            };
            if dag.is_terminal(s) {
                let expected = eval(&model.reward.expr, &reference, &mut Vec::new())
                    .expect("reference evaluates");
                let expected = expected.as_number().expect("a number").to_f64();
                let expected = if model.reward.is_log {
                    expected
                } else {
                    expected.ln()
                };
                let got = env.log_reward(state, &mut ws).expect("compiled evaluates");
                assert!(
                    (got - expected).abs() < 1e-12,
                    "{name}: {} vs {expected}",
                    got
                );
            }
            env.forward_mask(state, &mut mask, &mut ws).expect("mask");
            for (k, action) in env.program.actions.iter().enumerate() {
                let checked = &model.actions[action.family];
                let mut locals: Vec<Value> = checked
                    .args
                    .iter()
                    .zip(action.name.split(['(', ',', ')']).skip(1))
                    .map(|((_, domain), _)| domain[0].clone())
                    .collect();
                // The flat action's argument values, recovered from the family's domains.
                let mut index = k - env
                    .program
                    .actions
                    .iter()
                    .position(|a| a.family == action.family)
                    .unwrap_or(0);
                for (slot, (_, domain)) in checked.args.iter().enumerate().rev() {
                    locals[slot] = domain[index % domain.len()].clone();
                    index /= domain.len();
                }
                let guard = checked
                    .guard
                    .as_ref()
                    .map(|g| eval(g, &reference, &mut locals).expect("guard evaluates"));
                let allowed = guard.map(|g| g == Value::Bool(true)).unwrap_or(true) && !dag.done[s];
                assert_eq!(
                    mask[k],
                    allowed,
                    "{name}: {} in {}",
                    action.name,
                    env.render(state)
                );
            }
        }
    }
}

#[test]
fn exact_terminal_distribution_by_hand() {
    // 0 → 1 → 2 with stop anywhere: the uniform policy ends at 0 w.p. 1/2, at 1 w.p. 1/4, at 2 w.p. 1/4.
    let env = Environment::from_source(
        "env t\nstate { x: 0..3 }\naction inc when x < 2 { x += 1 }\nstop\nreward 1.0 + float(x)\n",
        &[],
    )
    .expect("compiles");
    let dag = dag::check_exhaustively(&env, 100).expect("valid");
    let policy = dag.uniform_policy(env.action_count());
    let p = dag.terminal_distribution(&policy, env.action_count());
    assert_eq!(p, vec![0.5, 0.25, 0.25]);
    // Z = 1 + 2 + 3; target (1/6, 2/6, 3/6).
    let d = dag.distances(&p);
    let l1 = (0.5 - 1.0 / 6.0) + (2.0 / 6.0 - 0.25) + (3.0 / 6.0 - 0.25);
    assert!((d.l1 - l1).abs() < 1e-12);
    assert!((d.tv - l1 / 2.0).abs() < 1e-12);
    let kl: f64 = [(1.0 / 6.0, 0.5), (2.0 / 6.0, 0.25), (3.0 / 6.0, 0.25)]
        .iter()
        .map(|(t, q): &(f64, f64)| t * (t / q).ln())
        .sum();
    assert!((d.kl - kl).abs() < 1e-12);
    // The target itself has distance 0.
    assert!(dag.distances(&dag.target()).l1 < 1e-12);
}

#[test]
fn exact_distribution_sums_to_one_on_every_example() {
    for (name, env, dag) in every_example() {
        let policy = dag.uniform_policy(env.action_count());
        let p = dag.terminal_distribution(&policy, env.action_count());
        let total: f64 = p.iter().sum();
        assert!((total - 1.0).abs() < 1e-9, "{name}: {total}");
        assert!(dag.distances(&p).l1 > 0.0);
    }
}

#[test]
fn the_enumeration_limit_is_a_clear_error() {
    let env = Environment::from_source(
        &example("hypergrid"),
        &[Override::parse("D=4").expect("valid")],
    )
    .expect("compiles");
    let error = dag::enumerate(&env, 1000).expect_err("over the limit");
    assert_eq!(error.code, "gfn::env::too_many_states");
}

#[test]
fn stepping_by_stop_is_an_error_not_a_panic() {
    let (env, _) = build("hypergrid", &[]);
    let mut ws = Workspace::default();
    let mut child = vec![0; env.width()];
    let error = env
        .step(env.initial_state(), env.stop_action(), &mut child, &mut ws)
        .expect_err("stop has no child");
    assert_eq!(error.code, "gfn::env::bad_action");
}

/// What the compiler makes of two examples, pinned: layout, actions, guards, effects, parent
/// plans and the node arena (a change in lowering shows up here first).
#[test]
fn lowered_programs() {
    for name in ["hypergrid", "subsets"] {
        let env = Environment::from_source(&example(name), &[]).expect("compiles");
        insta::assert_snapshot!(format!("lowered_{name}"), env.program.dump());
    }
}
