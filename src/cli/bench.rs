//! `gfnc bench env`: the compiled environment against a hand-written hypergrid, in one run, and
//! a guard over constant data against the same guard written as a pasted matrix.

use super::{read_source, Failure, Output};
use gfnc::bench::{run_compiled, run_reference, Backward, ReferenceHypergrid};
use gfnc::env::Environment;
use gfnc::Override;
use std::path::Path;

pub struct EnvOptions {
    pub dims: usize,
    pub side: i32,
    pub batch: usize,
    pub trajectories: usize,
    pub repeats: usize,
}

pub fn env(output: &Output, file: &Path, options: &EnvOptions) -> Result<(), Failure> {
    let source = read_source(file)?;
    let overrides = [
        Override {
            name: "D".to_string(),
            value: options.dims.to_string(),
        },
        Override {
            name: "H".to_string(),
            value: options.side.to_string(),
        },
    ];
    let env = Environment::from_source(&source, &overrides).map_err(|d| {
        output.diagnostics(file, &source, &d);
        Failure::Reported
    })?;
    let grid = ReferenceHypergrid {
        dims: options.dims,
        side: options.side,
    };
    say!(
        "random forward trajectories on hypergrid D={} H={}, batches of {}, {} trajectories per run (best of {})",
        options.dims, options.side, options.batch, options.trajectories, options.repeats
    );
    let (mut best_cached, mut best_uncached, mut best_reference) = (0.0f64, 0.0f64, 0.0f64);
    for repeat in 0..options.repeats {
        let seed = repeat as u64;
        let reference = run_reference(&grid, options.trajectories, options.batch, seed);
        for cache_rewards in [true, false] {
            let compiled = run_compiled(
                &env,
                options.trajectories,
                options.batch,
                seed,
                cache_rewards,
            )
            .map_err(|e| {
                output.diagnostics(file, &source, &[e.to_diagnostic()]);
                Failure::Reported
            })?;
            if compiled.transitions != reference.transitions
                || (compiled.checksum - reference.checksum).abs() > 1e-6
            {
                return Err(Failure::Usage(
                    "the compiled and hand-written environments disagree".to_string(),
                ));
            }
            let best = if cache_rewards {
                &mut best_cached
            } else {
                &mut best_uncached
            };
            *best = best.max(compiled.per_second());
        }
        best_reference = best_reference.max(reference.per_second());
    }
    say!(
        "  hand-written Rust           {:>12.0} transitions/s",
        best_reference
    );
    say!(
        "  compiled .gfn               {:>12.0} transitions/s   ratio {:.2}x",
        best_cached,
        best_reference / best_cached
    );
    say!(
        "  compiled, no reward memo    {:>12.0} transitions/s   ratio {:.2}x",
        best_uncached,
        best_reference / best_uncached
    );
    let [masks, steps, rewards] = gfnc::bench::phase_costs(&env, 0).map_err(|e| {
        output.diagnostics(file, &source, &[e.to_diagnostic()]);
        Failure::Reported
    })?;
    say!("  compiled, per call: forward mask {masks:.0} ns, step {steps:.0} ns, reward {rewards:.0} ns");
    constant_data(output)
}

/// The guard that scans a constant edge list against the same guard on a pasted matrix.
fn constant_data(output: &Output) -> Result<(), Failure> {
    let costs = gfnc::bench::constant_data_costs(0).map_err(|e| {
        output.diagnostics(Path::new("<bench program>"), e.source, &e.diagnostics);
        Failure::Reported
    })?;
    let per_guard = |mask: f64| mask / costs.actions as f64;
    say!(
        "constant data in guards: {} actions, the same states for both programs",
        costs.actions
    );
    for (name, [mask, _, _]) in [
        ("edge list (any over EDGES)", costs.edge_list),
        ("pasted matrix ALLOWED[i][j]", costs.matrix),
    ] {
        say!(
            "  {name:<28} forward mask {mask:>8.0} ns, per guard {:>6.1} ns",
            per_guard(mask)
        );
    }
    say!(
        "  edge list / pasted matrix   ratio {:.2}x",
        costs.edge_list[0] / costs.matrix[0]
    );
    Ok(())
}

/// torchgfn 2.4.1 on this machine (ms per iteration, TB, batch 16, learned P_B), as measured for
/// the product's issue; torchgfn cannot run here, so these are the reference.
const TORCHGFN_MS: [((usize, i32), f64); 3] = [((2, 8), 15.0), ((4, 8), 23.0), ((2, 64), 95.0)];

pub struct TrainOptions {
    pub warmup: usize,
    pub iterations: usize,
    pub batches: Vec<usize>,
}

/// `gfnc bench train`: ms per training iteration across grids, batch sizes and P_B.
pub fn train(output: &Output, file: &Path, options: &TrainOptions) -> Result<(), Failure> {
    let source = read_source(file)?;
    say!(
        "TB, MLP 2x256, Adam; {} timed iterations after {} untimed ones; threads: {}",
        options.iterations,
        options.warmup,
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default".to_string())
    );
    say!(
        "{:<12} {:>6} {:>9} {:>10} {:>10} {:>18}   time: sample/loss/backward/adam",
        "grid",
        "batch",
        "P_B",
        "ms/iter",
        "traj/s",
        "vs torchgfn"
    );
    for (dims, side) in [(2usize, 8i32), (4, 8), (2, 64)] {
        let overrides = [
            Override {
                name: "D".to_string(),
                value: dims.to_string(),
            },
            Override {
                name: "H".to_string(),
                value: side.to_string(),
            },
        ];
        let env = Environment::from_source(&source, &overrides).map_err(|d| {
            output.diagnostics(file, &source, &d);
            Failure::Reported
        })?;
        for &batch in &options.batches {
            for backward in [Backward::Separate, Backward::Head, Backward::Uniform] {
                let speed = gfnc::bench::train_speed(
                    &env,
                    batch,
                    backward,
                    options.warmup,
                    options.iterations,
                )
                .map_err(|e| Failure::Usage(format!("benchmark failed: {e}")))?;
                let reference = TORCHGFN_MS
                    .iter()
                    .find(|((d, h), _)| *d == dims && *h == side)
                    .filter(|_| batch == 16 && backward == Backward::Separate)
                    .map(|(_, ms)| format!("{:.1}x faster", ms / speed.ms_per_iteration))
                    .unwrap_or_default();
                let [sample, loss, backprop, adam] = speed.phases.map(|p| 100.0 * p);
                say!(
                    "{:<12} {:>6} {:>9} {:>10.2} {:>10.0} {:>18}   {sample:.0}/{loss:.0}/{backprop:.0}/{adam:.0} %",
                    format!("D={dims} H={side}"),
                    batch,
                    match backward {
                        Backward::Separate => "separate",
                        Backward::Head => "head",
                        Backward::Uniform => "uniform",
                    },
                    speed.ms_per_iteration,
                    speed.trajectories_per_second,
                    reference
                );
            }
        }
    }
    Ok(())
}
