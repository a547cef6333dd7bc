//! Benchmarks that compare gfnc with a reference measured in the same run: the compiled
//! environment against a hand-written Rust hypergrid. Used by `gfnc bench`.

use crate::env::{EnvError, Environment, Workspace};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

/// A hand-written hypergrid with torchgfn's rewards, as a user would write it in Rust: the
/// reference the compiled environment is measured against. The reward band is decided in
/// integers, so it agrees with the compiled (exact) one.
pub struct ReferenceHypergrid {
    /// The number of coordinates (the hypergrid's `D`).
    pub dims: usize,
    /// Values per coordinate: each runs over `0..side` (the hypergrid's `H`).
    pub side: i32,
}

impl ReferenceHypergrid {
    /// Actions `0..dims` step a coordinate; `dims` is stop.
    pub fn mask(&self, x: &[i32], mask: &mut [bool]) {
        for (m, v) in mask.iter_mut().zip(x) {
            *m = *v < self.side - 1;
        }
        mask[self.dims] = true;
    }

    /// Applies a non-stop action in place: coordinate `action` goes up by one.
    pub fn step(&self, x: &mut [i32], action: usize) {
        x[action] += 1;
    }

    /// torchgfn's hypergrid log reward, `ln(0.1 + 0.5·outer + 2·band)`.
    pub fn log_reward(&self, x: &[i32]) -> f64 {
        let h = i64::from(self.side) - 1;
        // |x/h − 1/2| = |2x − h| / 2h; compare 10·|2x − h| with 2.5h, 3h and 4h (times 2h·10).
        let (mut outer, mut band) = (true, true);
        for v in x {
            let u = 10 * (2 * i64::from(*v) - h).abs();
            outer &= 4 * u > 20 * h;
            band &= 10 * u > 60 * h && 10 * u < 80 * h;
        }
        (0.1 + 0.5 * f64::from(u8::from(outer)) + 2.0 * f64::from(u8::from(band))).ln()
    }
}

/// Throughput of one run.
#[derive(Clone, Copy, Debug)]
pub struct Throughput {
    /// Actions taken, each `stop` included.
    pub transitions: u64,
    /// Wall-clock time of the run, in seconds.
    pub seconds: f64,
    /// Sum of terminal log rewards, so that the work cannot be optimised away.
    pub checksum: f64,
}

impl Throughput {
    /// Transitions per second of wall-clock time.
    pub fn per_second(&self) -> f64 {
        self.transitions as f64 / self.seconds.max(1e-12)
    }
}

fn sample_allowed(mask: &[bool], rng: &mut StdRng) -> usize {
    let allowed = mask.iter().filter(|m| **m).count();
    let mut pick = rng.random_range(0..allowed);
    for (action, m) in mask.iter().enumerate() {
        if *m {
            if pick == 0 {
                return action;
            }
            pick -= 1;
        }
    }
    mask.len() - 1
}

/// Random forward trajectories in batches through the compiled environment: per step the
/// masks of every active state, a uniform choice among allowed actions, the step, and the
/// reward when a trajectory stops.
pub fn run_compiled(
    env: &Environment,
    trajectories: usize,
    batch: usize,
    seed: u64,
    cache_rewards: bool,
) -> Result<Throughput, EnvError> {
    let (w, a) = (env.width(), env.action_count());
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ws = if cache_rewards {
        Workspace::new()
    } else {
        Workspace::without_reward_cache()
    };
    let mut states = vec![0; batch * w];
    let mut child = vec![0; w];
    let mut masks = vec![false; batch * a];
    let mut active = vec![false; batch];
    let (mut transitions, mut checksum, mut done) = (0u64, 0.0, 0usize);
    let start = Instant::now();
    while done < trajectories {
        for b in 0..batch {
            states[b * w..(b + 1) * w].copy_from_slice(env.initial_state());
            active[b] = true;
        }
        let mut remaining = batch;
        while remaining > 0 {
            for b in 0..batch {
                if !active[b] {
                    continue;
                }
                let state = &states[b * w..(b + 1) * w];
                let mask = &mut masks[b * a..(b + 1) * a];
                env.forward_mask(state, mask, &mut ws)?;
                let action = sample_allowed(mask, &mut rng);
                transitions += 1;
                if action == a - 1 {
                    checksum += env.log_reward(state, &mut ws)?;
                    active[b] = false;
                    remaining -= 1;
                } else {
                    env.step(state, action, &mut child, &mut ws)?;
                    states[b * w..(b + 1) * w].copy_from_slice(&child);
                }
            }
        }
        done += batch;
    }
    Ok(Throughput {
        transitions,
        seconds: start.elapsed().as_secs_f64(),
        checksum,
    })
}

/// The same loop through the hand-written hypergrid.
pub fn run_reference(
    grid: &ReferenceHypergrid,
    trajectories: usize,
    batch: usize,
    seed: u64,
) -> Throughput {
    let (w, a) = (grid.dims, grid.dims + 1);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut states = vec![0; batch * w];
    let mut masks = vec![false; batch * a];
    let mut active = vec![false; batch];
    let (mut transitions, mut checksum, mut done) = (0u64, 0.0, 0usize);
    let start = Instant::now();
    while done < trajectories {
        states.fill(0);
        active.fill(true);
        let mut remaining = batch;
        while remaining > 0 {
            for b in 0..batch {
                if !active[b] {
                    continue;
                }
                let mask = &mut masks[b * a..(b + 1) * a];
                grid.mask(&states[b * w..(b + 1) * w], mask);
                let action = sample_allowed(mask, &mut rng);
                transitions += 1;
                if action == a - 1 {
                    checksum += grid.log_reward(&states[b * w..(b + 1) * w]);
                    active[b] = false;
                    remaining -= 1;
                } else {
                    grid.step(&mut states[b * w..(b + 1) * w], action);
                }
            }
        }
        done += batch;
    }
    Throughput {
        transitions,
        seconds: start.elapsed().as_secs_f64(),
        checksum,
    }
}

/// Nanoseconds per call of the forward mask, a step and the reward, on the states of a few
/// random trajectories: where the time of [`run_compiled`] goes.
pub fn phase_costs(env: &Environment, seed: u64) -> Result<[f64; 3], EnvError> {
    let (w, a) = (env.width(), env.action_count());
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ws = Workspace::without_reward_cache();
    let mut states: Vec<i32> = Vec::new();
    let mut actions = Vec::new();
    let mut mask = vec![false; a];
    let mut child = vec![0; w];
    while states.len() < 4096 * w {
        let mut state = env.initial_state().to_vec();
        loop {
            env.forward_mask(&state, &mut mask, &mut ws)?;
            let action = sample_allowed(&mask, &mut rng);
            states.extend_from_slice(&state);
            actions.push(action);
            if action == a - 1 {
                break;
            }
            env.step(&state, action, &mut child, &mut ws)?;
            state.copy_from_slice(&child);
        }
    }
    let n = actions.len();
    let time = |f: &mut dyn FnMut() -> Result<(), EnvError>| -> Result<f64, EnvError> {
        let start = Instant::now();
        for _ in 0..20 {
            f()?;
        }
        Ok(start.elapsed().as_secs_f64() * 1e9 / (20 * n) as f64)
    };
    let masks = time(&mut || {
        for state in states.chunks_exact(w) {
            env.forward_mask(state, &mut mask, &mut ws)?;
        }
        Ok(())
    })?;
    let steps = time(&mut || {
        for (state, action) in states.chunks_exact(w).zip(&actions) {
            if *action < a - 1 {
                env.step(state, *action, &mut child, &mut ws)?;
            }
        }
        Ok(())
    })?;
    let rewards = time(&mut || {
        for state in states.chunks_exact(w) {
            env.log_reward(state, &mut ws)?;
        }
        Ok(())
    })?;
    Ok([masks, steps, rewards])
}

/// A DAG-building environment whose guard scans a constant edge list: the sub-expression
/// `any(k in 0..E: ...)` reads only constants and the action's arguments, which the compiler
/// evaluates once per flat action. Measured against [`PASTED_MATRIX_DAG`].
pub const EDGE_LIST_DAG: &str = "env dag_edges
param N: int = 5
const EDGES = [[0, 1], [1, 2], [2, 3], [3, 4], [0, 2], [1, 3]]
const E = 6
state { adj: [[bool; N]; N] }
action add(i in 0..N, j in 0..N) when i != j and not adj[i][j] and any(k in 0..E: EDGES[k][0] == i and EDGES[k][1] == j) { adj[i][j] = true }
stop
reward 1.0 + float(sum(i in 0..N: sum(j in 0..N: int(adj[i][j]))))
";

/// [`EDGE_LIST_DAG`] with the edge list pasted as an adjacency matrix by hand: the same
/// environment, the form a user would otherwise have to write for speed.
pub const PASTED_MATRIX_DAG: &str = "env dag_matrix
param N: int = 5
const ALLOWED = [[false, true, true, false, false], [false, false, true, true, false], [false, false, false, true, false], [false, false, false, false, true], [false, false, false, false, false]]
state { adj: [[bool; N]; N] }
action add(i in 0..N, j in 0..N) when i != j and not adj[i][j] and ALLOWED[i][j] { adj[i][j] = true }
stop
reward 1.0 + float(sum(i in 0..N: sum(j in 0..N: int(adj[i][j]))))
";

/// Nanoseconds per forward mask of [`EDGE_LIST_DAG`] and of [`PASTED_MATRIX_DAG`], timed on the
/// same states in one run (the two walk the same random trajectories: their masks agree).
pub fn constant_data_costs(seed: u64) -> Result<ConstantDataCosts, BenchProgramError> {
    let build = |source: &'static str| {
        Environment::from_source(source, &[]).map_err(|diagnostics| BenchProgramError {
            source,
            diagnostics,
        })
    };
    let edges = build(EDGE_LIST_DAG)?;
    let matrix = build(PASTED_MATRIX_DAG)?;
    // Alternate, and keep each one's best of three, so that a noisy moment hurts neither.
    let (mut best_edges, mut best_matrix) = ([f64::INFINITY; 3], [f64::INFINITY; 3]);
    for _ in 0..3 {
        for (best, env, source) in [
            (&mut best_edges, &edges, EDGE_LIST_DAG),
            (&mut best_matrix, &matrix, PASTED_MATRIX_DAG),
        ] {
            let costs = phase_costs(env, seed).map_err(|e| BenchProgramError {
                source,
                diagnostics: vec![e.to_diagnostic()],
            })?;
            for (b, c) in best.iter_mut().zip(costs) {
                *b = b.min(c);
            }
        }
    }
    Ok(ConstantDataCosts {
        actions: edges.action_count() - 1,
        edge_list: best_edges,
        matrix: best_matrix,
    })
}

/// A benchmark's own program that failed to compile or run: a bug in gfnc, shown with the
/// program it concerns.
#[derive(Debug)]
pub struct BenchProgramError {
    /// The program's source text, which the diagnostics' spans point into.
    pub source: &'static str,
    /// What went wrong.
    pub diagnostics: Vec<crate::diagnostic::Diagnostic>,
}

/// What [`constant_data_costs`] measured: nanoseconds per call of the forward mask, a step and
/// the reward, as [`phase_costs`] gives them.
#[derive(Clone, Copy, Debug)]
pub struct ConstantDataCosts {
    /// Flat actions (guards evaluated per mask), `stop` aside.
    pub actions: usize,
    /// [`EDGE_LIST_DAG`]'s costs.
    pub edge_list: [f64; 3],
    /// [`PASTED_MATRIX_DAG`]'s costs.
    pub matrix: [f64; 3],
}

/// The backward policies timed by [`train_speed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backward {
    /// Uniform P_B over the derived parents: no backward network.
    Uniform,
    /// A head on the shared trunk.
    Head,
    /// An MLP of its own, as torchgfn's reference run.
    Separate,
}

/// One training configuration's speed.
#[derive(Clone, Copy, Debug)]
pub struct TrainSpeed {
    /// Wall-clock milliseconds per timed training iteration.
    pub ms_per_iteration: f64,
    /// Trajectories trained on per second: `batch` per iteration.
    pub trajectories_per_second: f64,
    /// Share of the time spent sampling, in the loss, the backward pass and Adam.
    pub phases: [f64; 4],
}

/// Time `iterations` TB iterations of an MLP 2×256 on `env`, after `warmup` untimed ones: a
/// trained policy walks longer trajectories than a fresh one, so timing only the first
/// iterations would flatter the speed.
pub fn train_speed(
    env: &Environment,
    batch: usize,
    backward: Backward,
    warmup: usize,
    iterations: usize,
) -> Result<TrainSpeed, crate::train::TrainError> {
    let config = crate::train::Config {
        batch,
        learned_backward: backward != Backward::Uniform,
        separate_backward: backward == Backward::Separate,
        steps: iterations,
        ..crate::train::Config::default()
    };
    let mut trainer = crate::train::Trainer::new(env, config, None)?;
    // Runs on hypergrids have their DAG and so no sentinel: time what they do.
    trainer.sentinel = None;
    for _ in 0..warmup {
        trainer.train_step()?;
    }
    trainer.phase_seconds = [0.0; 4];
    let start = Instant::now();
    for _ in 0..iterations {
        trainer.train_step()?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let total: f64 = trainer.phase_seconds.iter().sum();
    Ok(TrainSpeed {
        ms_per_iteration: 1000.0 * seconds / iterations as f64,
        trajectories_per_second: (iterations * batch) as f64 / seconds,
        phases: trainer.phase_seconds.map(|p| p / total.max(1e-12)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_and_compiled_hypergrid_walk_the_same_trajectories() {
        let source = include_str!("../examples/hypergrid.gfn");
        let overrides = [crate::Override::parse("D=4").expect("valid")];
        let env = Environment::from_source(source, &overrides).expect("compiles");
        let grid = ReferenceHypergrid { dims: 4, side: 8 };
        let compiled = run_compiled(&env, 512, 256, 3, false).expect("runs");
        let reference = run_reference(&grid, 512, 256, 3);
        // Same seed, same masks, same choices: the same walks and rewards.
        assert_eq!(compiled.transitions, reference.transitions);
        assert!((compiled.checksum - reference.checksum).abs() < 1e-9);
    }
}
