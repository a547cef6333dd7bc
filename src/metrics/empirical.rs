//! Metrics from samples: the distance of their histogram to R/Z.

use crate::env::dag::Dag;

/// Σ|P̂ − R/Z| where P̂ is the histogram of `samples` (DAG state ids).
pub fn empirical_l1(dag: &Dag, samples: impl Iterator<Item = usize> + Clone) -> Option<f64> {
    let n = samples.clone().count();
    if n == 0 {
        return None;
    }
    let mut counts = vec![0u32; dag.len()];
    for s in samples {
        counts[s] += 1;
    }
    let target = dag.target();
    Some(
        counts
            .iter()
            .zip(&target)
            .map(|(c, t)| (f64::from(*c) / n as f64 - t).abs())
            .sum(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{dag, Environment};

    #[test]
    fn empirical_l1_of_exact_proportions_is_zero() {
        let env = Environment::from_source("env t\nstate { x: 0..2 }\naction inc when x < 1 { x += 1 }\nstop\nreward 1.0 + float(x)\n", &[])
            .expect("compiles");
        let dag = dag::enumerate(&env, 10).expect("enumerates");
        // Target 1/3, 2/3: samples [0, 1, 1] match it exactly; [0, 0, 0] is off by 2/3 + 2/3.
        assert!(empirical_l1(&dag, [0, 1, 1].into_iter()).expect("samples") < 1e-12);
        assert!(
            (empirical_l1(&dag, [0, 0, 0].into_iter()).expect("samples") - 4.0 / 3.0).abs() < 1e-12
        );
        assert_eq!(empirical_l1(&dag, std::iter::empty()), None);
    }
}
