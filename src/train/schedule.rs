//! What changes over a run: ε and the sampling temperature annealed from a start to an end
//! value, the learning rate warmed up and decayed. Each is a pure function of the step, so a
//! resumed run follows the schedule exactly where the stopped one left it.

use serde::{Deserialize, Serialize};

/// A value moved linearly from `start` to `end` over the first `over` steps, then held.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anneal {
    /// The value at step 0.
    pub start: f64,
    /// The value from step `over` on (`start` when not annealed).
    pub end: f64,
    /// Steps the change takes (0: the end value at once).
    pub over: usize,
}

impl Anneal {
    /// The value during step `step` (0-based).
    pub fn at(&self, step: usize) -> f64 {
        if self.over == 0 || step >= self.over {
            return self.end;
        }
        let t = step as f64 / self.over as f64;
        self.start + (self.end - self.start) * t
    }
}

/// How the learning rates change over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LrSchedule {
    /// The same rate throughout (after any warm-up).
    #[default]
    Constant,
    /// Half a cosine from the rate down to a tenth of it at the last step.
    Cosine,
}

/// The factor applied to the learning rates during step `step` of `steps`: a linear warm-up
/// over the first `warmup` steps (from 1/warmup up to 1), then the schedule.
pub fn lr_factor(schedule: LrSchedule, warmup: usize, step: usize, steps: usize) -> f64 {
    if step < warmup {
        return (step + 1) as f64 / warmup as f64;
    }
    match schedule {
        LrSchedule::Constant => 1.0,
        LrSchedule::Cosine => {
            let span = steps.saturating_sub(warmup).max(1) as f64;
            let t = ((step - warmup) as f64 / span).min(1.0);
            let floor = 0.1;
            floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anneal_moves_linearly_then_holds() {
        let a = Anneal {
            start: 1.0,
            end: 0.0,
            over: 4,
        };
        let values: Vec<f64> = (0..6).map(|s| a.at(s)).collect();
        assert_eq!(values, vec![1.0, 0.75, 0.5, 0.25, 0.0, 0.0]);
        let held = Anneal {
            start: 0.3,
            end: 0.3,
            over: 0,
        };
        assert_eq!(held.at(0), 0.3);
    }

    #[test]
    fn learning_rate_warms_up_then_decays() {
        assert_eq!(lr_factor(LrSchedule::Constant, 0, 5, 10), 1.0);
        assert_eq!(lr_factor(LrSchedule::Constant, 4, 0, 10), 0.25);
        assert_eq!(lr_factor(LrSchedule::Constant, 4, 3, 10), 1.0);
        assert_eq!(lr_factor(LrSchedule::Cosine, 0, 0, 10), 1.0);
        assert!((lr_factor(LrSchedule::Cosine, 0, 5, 10) - 0.55).abs() < 1e-12);
        assert!((lr_factor(LrSchedule::Cosine, 0, 10, 10) - 0.1).abs() < 1e-12);
        assert!((lr_factor(LrSchedule::Cosine, 2, 6, 10) - 0.55).abs() < 1e-12);
    }
}
