//! `gfnc bench scorer`: objects per second through an external scorer, by batch size. The
//! scorer is a trivial Python program (it answers 0 for every state), so the figures are the
//! cost of the protocol itself: starting nothing, serialising states, one round trip a batch.

use super::{Failure, Output};
use gfnc::env::Environment;
use std::time::Instant;

const PROGRAM: &str = "env scorer_bench
state { s: [0..4; 8] }
action set(i in 0..8) when s[i] == 0 { s[i] = 1 }
stop
log_reward extern(\"python3 trivial.py\")
";

const SCORER: &str = "import json, sys
for line in sys.stdin:
    print(json.dumps([0.0] * len(json.loads(line))), flush=True)
";

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
    let result = (|| {
        let model = gfnc::load_in(PROGRAM, &[], &dir)
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
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
