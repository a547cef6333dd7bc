//! `gfnc bench scorer`: objects per second through an external scorer, by batch size. The
//! scorer is a trivial Python program (it answers 0 for every state), so the figures are the
//! cost of the protocol itself: starting nothing, serialising states, one round trip a batch.
//! Then a CPU-bound one (a busy loop of a few ms per object) at 1, 2 and 4 workers
//! (`--scorer-workers`): the speed-up of splitting each batch among copies of the scorer.

use super::{Failure, Output};
use gfnc::env::Environment;
use std::time::Instant;

/// The benchmark's program, its reward from the Python script `script`.
fn program(script: &str) -> String {
    format!(
        "env scorer_bench
state {{ s: [0..4; 8] }}
action set(i in 0..8) when s[i] == 0 {{ s[i] = 1 }}
stop
log_reward extern(\"python3 {script}\")
"
    )
}

const SCORER: &str = "import json, sys
for line in sys.stdin:
    print(json.dumps([0.0] * len(json.loads(line))), flush=True)
";

/// A few ms of arithmetic per object, whatever the state.
const SLOW_SCORER: &str = "import json, sys
def busy(state):
    total = 0
    for k in range(5000):
        total += (k * 7 + sum(state['s'])) % 13
    return -float(total % 3)
for line in sys.stdin:
    print(json.dumps([busy(s) for s in json.loads(line)]), flush=True)
";

/// Objects and batch size of the workers' measurement.
const SLOW_OBJECTS: usize = 512;
const SLOW_BATCH: usize = 64;

/// Distinct states of width 8 (base-4 digits of k), so that no answer comes from the memo.
fn states(from: usize, count: usize) -> Vec<i32> {
    (from..from + count)
        .flat_map(|k| (0..8).map(move |d| ((k >> (2 * d)) & 3) as i32))
        .collect()
}

pub fn scorer(_output: &Output, batches: &[usize], objects: usize) -> Result<(), Failure> {
    let dir = std::env::temp_dir().join(format!("gfnc-scorer-bench-{}", std::process::id()));
    let io = |e: std::io::Error| Failure::Usage(format!("cannot write {}: {e}", dir.display()));
    std::fs::create_dir_all(&dir).map_err(io)?;
    std::fs::write(dir.join("trivial.py"), SCORER).map_err(io)?;
    std::fs::write(dir.join("busy.py"), SLOW_SCORER).map_err(io)?;
    let result = (|| {
        let model = gfnc::load_in(&program("trivial.py"), &[], &dir)
            .map_err(|d| Failure::Usage(format!("internal: {}", d[0].message)))?;
        say!("a trivial Python scorer (python3), {objects} distinct objects per batch size");
        for &batch in batches {
            // A fresh environment per size: a new process and an empty memo.
            let env = Environment::new(&model)
                .map_err(|d| Failure::Usage(format!("internal: {}", d[0].message)))?;
            let scored = |from: usize, count: usize| -> Result<(), Failure> {
                for start in (from..from + count).step_by(batch) {
                    let n = batch.min(from + count - start);
                    env.score(&states(start, n)).map_err(|e| {
                        Failure::Usage(format!(
                            "{}: {}",
                            e.message,
                            e.help.as_deref().unwrap_or_default()
                        ))
                    })?;
                }
                Ok(())
            };
            // The first batch starts the interpreter: not timed. 4^8 distinct states in all.
            let batch = batch.min(4096);
            let objects = objects.min(65_536 - batch);
            scored(0, batch)?;
            let started = Instant::now();
            scored(batch, objects)?;
            let seconds = started.elapsed().as_secs_f64();
            say!(
                "  batch {batch:>5}   {:>10.0} objects/s   {:>8.1} µs per object",
                objects as f64 / seconds,
                1e6 * seconds / objects as f64
            );
        }
        workers(&dir)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The CPU-bound scorer at 1, 2 and 4 workers, each ratio against 1 worker in the same run.
fn workers(dir: &std::path::Path) -> Result<(), Failure> {
    let internal = |d: Vec<gfnc::Diagnostic>| Failure::Usage(format!("internal: {}", d[0].message));
    let model = gfnc::load_in(&program("busy.py"), &[], dir).map_err(internal)?;
    say!(
        "a CPU-bound Python scorer (a few ms per object), {SLOW_OBJECTS} distinct objects in batches of {SLOW_BATCH}, split among workers"
    );
    let mut single = None;
    for count in [1, 2, 4] {
        let mut env = Environment::new(&model).map_err(internal)?;
        env.set_scorer_workers(count);
        let score = |from: usize, n: usize| {
            env.score(&states(from, n))
                .map_err(|e| Failure::Usage(e.message.clone()))
        };
        // One object per worker first, so that every copy has started before the clock runs.
        score(60_000, count)?;
        let started = Instant::now();
        for start in (0..SLOW_OBJECTS).step_by(SLOW_BATCH) {
            score(start, SLOW_BATCH.min(SLOW_OBJECTS - start))?;
        }
        let seconds = started.elapsed().as_secs_f64();
        let base = *single.get_or_insert(seconds);
        say!(
            "  {count} worker{}   {:>8.2} ms per object   {:>5.2}x the speed of 1 worker",
            if count == 1 { " " } else { "s" },
            1e3 * seconds / SLOW_OBJECTS as f64,
            base / seconds
        );
    }
    Ok(())
}
