//! What configures a run ([`Config`], with the limits of each option and the checks a
//! `run.json` read back must pass), the memory a run needs, and the figures of one evaluation
//! ([`Metrics`]).

use super::objective::Objective;
use super::policy::{PolicyChoice, PolicyShape};
use super::schedule::{lr_factor, Anneal, LrSchedule};
use serde::{Deserialize, Serialize};

/// Everything that configures a run (saved in `run.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The loss trained on (`--objective`).
    pub objective: Objective,
    /// Training iterations.
    pub steps: usize,
    /// Trajectories per iteration.
    pub batch: usize,
    /// Units per hidden layer of the MLP (`--hidden`).
    pub hidden: usize,
    /// Hidden layers of the MLP trunk (`--layers`).
    pub layers: usize,
    /// Adam's learning rate for the network.
    pub lr: f64,
    /// Adam's learning rate for log Z (TB).
    pub lr_log_z: f64,
    /// A learned backward policy instead of the uniform one over derived parents.
    pub learned_backward: bool,
    /// With a learned P_B: give it an MLP of its own instead of a head on the shared trunk.
    #[serde(default)]
    pub separate_backward: bool,
    /// SubTB's λ.
    pub lambda: f64,
    /// ε of the ε-uniform exploration.
    pub explore: f64,
    /// Forward logits are divided by this before sampling (1: the policy itself); losses ignore it.
    pub temperature: f64,
    /// Capacity of the replay buffer of terminal objects (0: no replay).
    pub replay: usize,
    /// Seeds the network's initialisation and, with the step number, each iteration's RNG.
    pub seed: u64,
    /// Iterations between evaluations.
    pub eval_every: usize,
    /// The `k` of the top-k mean reward among the distinct objects sampled.
    #[serde(default = "default_top_k")]
    pub top_k: usize,
    /// Objects of the default test set of the correlation metrics (0: no correlation).
    #[serde(default = "default_test_size")]
    pub test_size: usize,
    /// Backward trajectories per test object in the importance-sampled log P_T.
    #[serde(default = "default_test_samples")]
    pub test_samples: usize,
    /// ε at the end of its annealing (`--explore START:END`); `None`: constant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explore_end: Option<f64>,
    /// The temperature at the end of its annealing (`--temperature START:END`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_end: Option<f64>,
    /// Steps over which ε, the temperature and the reward exponent move to their end values
    /// (`None`: the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anneal: Option<usize>,
    /// The exponent β of the reward trained on (R^β, `--reward-exponent START[:END]`): a start
    /// below 1 flattens the reward so that every region is learned before it sharpens.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub reward_exponent: f64,
    /// β at the end of its annealing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward_exponent_end: Option<f64>,
    /// How the learning rates change after the warm-up.
    #[serde(default, skip_serializing_if = "is_default")]
    pub lr_schedule: LrSchedule,
    /// Steps of linear learning-rate warm-up.
    #[serde(default, skip_serializing_if = "is_default")]
    pub warmup: usize,
    /// Where the learned log Z starts (`None`, as in runs saved before the option: at 0; the
    /// default is `auto`, measured on bn_structure: exact L1 0.58 → 0.37 at 3,000 steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_z_init: Option<LogZInit>,
    /// Which objects the replay buffer keeps.
    #[serde(default, skip_serializing_if = "is_default")]
    pub replay_keep: ReplayKeep,
    /// Local search (LS-GFN): each sampled object is refined by going back this many steps by
    /// P_B and forward again by P_F, kept when its reward is not lower (0: off).
    #[serde(default, skip_serializing_if = "is_default")]
    pub local_search: usize,
    /// The network (`--policy`); a run records the architecture `auto` chose. Runs saved
    /// before the option trained the MLP.
    #[serde(default, skip_serializing_if = "is_default")]
    pub policy: PolicyChoice,
    /// The transformer's token width (`--d-model`).
    #[serde(
        default = "default_d_model",
        skip_serializing_if = "is_default_d_model"
    )]
    pub d_model: usize,
    /// The transformer's attention heads per layer (`--heads`); they divide `--d-model`.
    #[serde(default = "default_heads", skip_serializing_if = "is_default_heads")]
    pub heads: usize,
    /// The transformer reads each possible member of a set field as a token of its own (with
    /// tied heads for actions that insert or remove their argument). Runs saved before sets
    /// were tokens read back `false`, and rebuild the network their checkpoints hold (sets among
    /// the context token's one-hot features).
    #[serde(default, skip_serializing_if = "is_default")]
    pub set_members: bool,
    /// Seconds the test-set correlations of one evaluation may take before they are skipped
    /// for the rest of the run (`--correlation-seconds`).
    #[serde(
        default = "default_correlation_seconds",
        skip_serializing_if = "is_default_correlation_seconds"
    )]
    pub correlation_seconds: f64,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Where the learned log Z starts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogZInit {
    /// An importance-sampled estimate from uniform random trajectories (a lower estimate).
    Auto,
    /// This value.
    Value(f64),
}

/// Which terminal objects the replay buffer keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplayKeep {
    /// The most recent objects sampled (a ring).
    #[default]
    Recent,
    /// The distinct objects of highest reward found so far (reward-prioritised replay): what
    /// the sampler found before it settled is trained on again.
    Best,
    /// Good objects of every region found (deterministic crowding): once full, a new object
    /// replaces the stored object nearest to it (fewest differing slots) if its reward is
    /// higher, so one region's many good objects cannot push out another region's few.
    Diverse,
}

impl Config {
    /// ε during step `step`.
    pub fn explore_at(&self, step: usize) -> f64 {
        self.anneal_of(self.explore, self.explore_end).at(step)
    }

    /// The sampling temperature during step `step`.
    pub fn temperature_at(&self, step: usize) -> f64 {
        self.anneal_of(self.temperature, self.temperature_end)
            .at(step)
    }

    /// The exponent of the reward trained on during step `step`.
    pub fn reward_exponent_at(&self, step: usize) -> f64 {
        self.anneal_of(self.reward_exponent, self.reward_exponent_end)
            .at(step)
    }

    fn anneal_of(&self, start: f64, end: Option<f64>) -> Anneal {
        Anneal {
            start,
            end: end.unwrap_or(start),
            over: self.anneal.unwrap_or(self.steps),
        }
    }

    /// This configuration with the recipe a resumed run may change set to the defaults:
    /// exploration and temperature with their annealing, the replay buffer, local search and
    /// the learning rates' schedule. What remains fixes the network and the loss.
    pub fn without_recipe(&self) -> Config {
        let defaults = Config::default();
        Config {
            explore: defaults.explore,
            explore_end: defaults.explore_end,
            temperature: defaults.temperature,
            temperature_end: defaults.temperature_end,
            anneal: defaults.anneal,
            reward_exponent: defaults.reward_exponent,
            reward_exponent_end: defaults.reward_exponent_end,
            replay: defaults.replay,
            replay_keep: defaults.replay_keep,
            local_search: defaults.local_search,
            lr_schedule: defaults.lr_schedule,
            warmup: defaults.warmup,
            ..self.clone()
        }
    }

    /// The most trajectories trained on per step: the batch, and with local search as many
    /// rebuilt (one per sampled or replayed trajectory).
    pub fn trajectories_per_step(&self) -> usize {
        match self.local_search {
            0 => self.batch,
            _ => 2 * self.batch,
        }
    }

    /// The factor on the learning rates during step `step`.
    pub fn lr_factor_at(&self, step: usize) -> f64 {
        lr_factor(self.lr_schedule, self.warmup, step, self.steps)
    }
}

fn one() -> f64 {
    1.0
}

fn is_one(value: &f64) -> bool {
    *value == 1.0
}

fn default_d_model() -> usize {
    64
}

// Written only when not the default, so that the configuration of a run saved before these
// options hashes as it did (see `rundir::config_hash`).
fn is_default_d_model(value: &usize) -> bool {
    *value == default_d_model()
}

fn is_default_heads(value: &usize) -> bool {
    *value == default_heads()
}

fn default_heads() -> usize {
    4
}

fn default_correlation_seconds() -> f64 {
    super::DEFAULT_CORRELATION_SECONDS
}

fn is_default_correlation_seconds(value: &f64) -> bool {
    *value == default_correlation_seconds()
}

fn default_top_k() -> usize {
    100
}

fn default_test_size() -> usize {
    64
}

fn default_test_samples() -> usize {
    4
}

impl Default for Config {
    fn default() -> Config {
        Config {
            objective: Objective::Tb,
            steps: 1000,
            batch: 16,
            hidden: 256,
            layers: 2,
            lr: 1e-3,
            lr_log_z: 1e-1,
            learned_backward: false,
            separate_backward: false,
            lambda: 0.9,
            explore: 0.0,
            temperature: 1.0,
            replay: 0,
            seed: 0,
            eval_every: 100,
            top_k: default_top_k(),
            test_size: default_test_size(),
            test_samples: default_test_samples(),
            explore_end: None,
            temperature_end: None,
            anneal: None,
            reward_exponent: 1.0,
            reward_exponent_end: None,
            lr_schedule: LrSchedule::Constant,
            warmup: 0,
            log_z_init: Some(LogZInit::Auto),
            replay_keep: ReplayKeep::Recent,
            local_search: 0,
            policy: PolicyChoice::Auto,
            d_model: default_d_model(),
            heads: default_heads(),
            set_members: true,
            correlation_seconds: default_correlation_seconds(),
        }
    }
}

/// Figures of one evaluation (a row of `metrics.csv`); `None` where not known.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Metrics {
    /// Training iterations done.
    pub step: usize,
    /// Trajectories trained on so far, replayed ones included.
    pub trajectories: usize,
    /// Seconds spent training so far, evaluations and checkpoints not counted.
    pub seconds: f64,
    /// The mean loss since the previous evaluation (NaN, written `null`, when none).
    #[serde(deserialize_with = "null_as_nan")]
    pub loss: f64,
    /// The model's estimate of log Z: the learned one for TB, the flow of s0 otherwise.
    #[serde(deserialize_with = "null_as_nan")]
    pub log_z: f64,
    /// The exact log Z, from the enumerated DAG.
    pub log_z_true: Option<f64>,
    /// Σ|P_T − R/Z| over terminal states, P_T the policy's exact terminal distribution.
    pub l1: Option<f64>,
    /// Total variation between P_T and R/Z: half the L1.
    pub tv: Option<f64>,
    /// KL(R/Z ‖ P_T), infinite when P_T misses a terminal state.
    pub kl: Option<f64>,
    /// Σ|P̂ − R/Z| with P̂ the histogram of the most recent forward-sampled objects (up to 16,384).
    pub empirical_l1: Option<f64>,
    /// Modes found: the distinct keys of `mode by KEY` reached, else the distinct terminal
    /// states where `mode` holds, among the objects sampled forward so far.
    pub modes_found: usize,
    /// Distinct objects where `mode` holds, among those sampled forward so far (with
    /// `mode by KEY`, `modes_found` counts the keys they reach).
    #[serde(default)]
    pub mode_objects: usize,
    /// Terminal states where `mode` holds, from the enumerated DAG.
    pub modes_total: Option<usize>,
    /// Distinct terminal objects among those sampled forward so far.
    #[serde(default)]
    pub distinct: usize,
    /// The mean reward of the best `top_k` distinct objects sampled so far.
    #[serde(default)]
    pub top_k_reward: Option<f64>,
    /// Its log, finite where the mean overflows a float (rewards beyond e^709).
    #[serde(default)]
    pub top_k_log_reward: Option<f64>,
    /// Spearman's correlation between log R(x) and the sampler's estimated log P_T(x) over
    /// the test set.
    #[serde(default)]
    pub spearman: Option<f64>,
    /// Pearson's correlation of the same.
    #[serde(default)]
    pub pearson: Option<f64>,
}

/// JSON has no NaN: serde_json writes it as `null`, read back here as NaN.
fn null_as_nan<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

/// The largest values of the count options (`--batch`, `--hidden`, ...): beyond them a run
/// cannot fit in memory or time anyway, and the allocation would abort rather than refuse.
pub mod limits {
    /// The most `--steps` (and `--eval-every`).
    pub const MAX_STEPS: usize = 1_000_000_000;
    /// The most `--batch`.
    pub const MAX_BATCH: usize = 65_536;
    /// The most `--hidden`.
    pub const MAX_HIDDEN: usize = 16_384;
    /// The most `--layers`.
    pub const MAX_LAYERS: usize = 64;
    /// The most `--d-model`.
    pub const MAX_D_MODEL: usize = 4096;
    /// The most `--heads`.
    pub const MAX_HEADS: usize = 256;
    /// The most `--replay`.
    pub const MAX_REPLAY: usize = 10_000_000;
}

/// The replay buffer a run gets when `--replay` is not given, on spaces of more than
/// [`AUTO_REPLAY_TERMINALS`] terminal objects (or too many to count).
pub const AUTO_REPLAY: usize = 1000;

/// Terminal objects above which replay is on by default.
pub const AUTO_REPLAY_TERMINALS: usize = 100_000;

/// The `--replay` of a run that did not choose one, from the number of terminal objects
/// (`None`: the exploration did not finish). Measured (docs/large-spaces.md): on 4-D hypergrid
/// H = 20 (194,481 objects) replay is what finds all 256 modes (65 without), while on spaces
/// of tens of thousands of objects or fewer its stale half-batch slows a 1,000-step run
/// (subsets L1 0.010 -> 0.045, bn_structure 0.63 -> 0.68, means of 3 seeds).
pub fn auto_replay(terminals: Option<usize>, batch: usize) -> usize {
    match terminals {
        Some(count) if count <= AUTO_REPLAY_TERMINALS => 0,
        _ => AUTO_REPLAY.max(batch),
    }
}

/// The smallest batch the memory estimate counts: the final draw's (see `train::draw_batch`).
pub const MIN_ESTIMATED_BATCH: usize = 16;

/// Bytes a run of `config` needs, roughly: the network four times over (weights, gradients,
/// Adam's two moments) and, per state of a batch of trajectories of `states` states, its
/// features, the activations and their gradients, and the logits.
pub fn estimated_bytes(shape: &PolicyShape, config: &Config, states: usize) -> f64 {
    if let Some(transformer) = &shape.transformer {
        return transformer_bytes(shape, transformer, config, states);
    }
    let (i, h, l, a) = (
        shape.inputs as f64,
        shape.hidden as f64,
        shape.layers as f64,
        shape.actions as f64,
    );
    let trunk = i * h + (l - 1.0).max(0.0) * h * h;
    let trunks = if shape.separate_backward { 2.0 } else { 1.0 };
    let parameters = trunks * trunk + 2.0 * h * a + h;
    let per_state = i + 3.0 * l * h * trunks + 4.0 * a;
    // The final draw takes up to this many trajectories at once (`train::draw_batch`), each
    // state costing less than in training (no saved activations).
    let batch = config.trajectories_per_step().max(MIN_ESTIMATED_BATCH) as f64;
    // Measured: weights, gradients, Adam's moments, the host copies Adam works on and Candle's
    // saved activations come to about six times the parameters.
    4.0 * (6.0 * parameters + batch * states as f64 * per_state)
}

/// [`estimated_bytes`] for the transformer: its parameters six times over (as the MLP's), and
/// per state its inputs, per layer the activations of every token (normalised input, queries,
/// keys, values, attention output, feed-forward's four widths, each kept for the gradient) and
/// the attention weights (tokens² per head), and the logits.
fn transformer_bytes(
    shape: &PolicyShape,
    transformer: &super::transformer::TransformerShape,
    config: &Config,
    states: usize,
) -> f64 {
    let encoders = if shape.separate_backward { 2.0 } else { 1.0 };
    let heads = 1.0 + f64::from(u8::from(shape.learned_backward));
    let parameters = encoders * transformer.encoder_parameters() as f64
        + heads * transformer.head_parameters() as f64
        + transformer.pooled_width() as f64;
    let tokens = (transformer.tokens.tokens + 1) as f64;
    let (d, l, h) = (
        transformer.d_model as f64,
        transformer.layers as f64,
        transformer.attention_heads as f64,
    );
    let per_layer =
        tokens * (10.0 * d + 2.0 * transformer.feed_forward() as f64) + 2.0 * h * tokens * tokens;
    let per_state = shape.inputs as f64
        + encoders * (l * per_layer + 2.0 * tokens * d)
        + 4.0 * shape.actions as f64;
    let batch = config.batch.max(MIN_ESTIMATED_BATCH) as f64;
    4.0 * (6.0 * parameters + batch * states as f64 * per_state)
}

impl Config {
    /// Why this configuration cannot be trained, if it cannot (the flags' own checks, also
    /// applied to a `run.json` read back).
    pub fn validate(&self) -> Result<(), String> {
        use limits::*;
        let within = |name: &str, value: usize, lo: usize, hi: usize| {
            if (lo..=hi).contains(&value) {
                Ok(())
            } else {
                Err(format!("{name} must be between {lo} and {hi}, not {value}"))
            }
        };
        within("--steps", self.steps, 1, MAX_STEPS)?;
        within("--batch", self.batch, 1, MAX_BATCH)?;
        within("--hidden", self.hidden, 1, MAX_HIDDEN)?;
        within("--layers", self.layers, 1, MAX_LAYERS)?;
        within("--replay", self.replay, 0, MAX_REPLAY)?;
        within("--eval-every", self.eval_every, 1, MAX_STEPS)?;
        within("--top-k", self.top_k, 1, MAX_BATCH)?;
        within("--test-size", self.test_size, 0, MAX_BATCH)?;
        within("--test-samples", self.test_samples, 1, 1024)?;
        within("--d-model", self.d_model, 1, MAX_D_MODEL)?;
        within("--heads", self.heads, 1, MAX_HEADS)?;
        if !self.d_model.is_multiple_of(self.heads) {
            return Err(format!(
                "--heads {} must divide --d-model {} (each head attends over d_model / heads features)",
                self.heads, self.d_model
            ));
        }
        let positive = |name: &str, value: f64| {
            if value > 0.0 && value.is_finite() {
                Ok(())
            } else {
                Err(format!("{name} must be a positive number, not {value}"))
            }
        };
        positive("--lr", self.lr)?;
        positive("--lr-logz", self.lr_log_z)?;
        positive("--temperature", self.temperature)?;
        if !(self.correlation_seconds > 0.0 && self.correlation_seconds <= 1e9) {
            return Err(format!(
                "--correlation-seconds must be above 0 and at most 1e9, not {}",
                self.correlation_seconds
            ));
        }
        if !(self.lambda > 0.0 && self.lambda <= 1e6) {
            return Err(format!(
                "--lambda must be above 0 (SubTB weighs a sub-trajectory of length k by λ^k; 0 weighs all but the empty ones to nothing) and at most 1e6, not {}",
                self.lambda
            ));
        }
        for value in std::iter::once(self.explore).chain(self.explore_end) {
            if !(0.0..=1.0).contains(&value) {
                return Err(format!("--explore must be between 0 and 1, not {value}"));
            }
        }
        if let Some(end) = self.temperature_end {
            positive("--temperature (its end value)", end)?;
        }
        for value in std::iter::once(self.reward_exponent).chain(self.reward_exponent_end) {
            // Past 100, log R·β of a modest reward leaves float32's comfortable range.
            if !(value > 0.0 && value <= 100.0) {
                return Err(format!(
                    "--reward-exponent must be above 0 and at most 100 (training on R^β), not {value}"
                ));
            }
        }
        within("--anneal", self.anneal.unwrap_or(1), 1, MAX_STEPS)?;
        within("--warmup", self.warmup, 0, MAX_STEPS)?;
        within("--local-search", self.local_search, 0, 1_000_000)?;
        if let Some(LogZInit::Value(v)) = self.log_z_init {
            if !v.is_finite() || v.abs() > 1e6 {
                return Err(format!("--log-z-init must be a finite number, not {v}"));
            }
        }
        if self.replay > 0 && self.replay < self.batch {
            return Err(format!(
                "--replay {} holds fewer objects than one batch ({}): use 0 or at least --batch",
                self.replay, self.batch
            ));
        }
        Ok(())
    }
}

/// What the metrics history says about log Z at the end of a run: far from the exact value
/// (when known) or still moving over the last fifth of the run. Empty when neither holds.
pub fn log_z_warnings(rows: &[Metrics]) -> Vec<String> {
    let mut notes = Vec::new();
    let Some(last) = rows.last() else {
        return notes;
    };
    if let Some(truth) = last.log_z_true {
        let gap = last.log_z - truth;
        if gap.abs() > LOG_Z_GAP {
            notes.push(format!(
                "the learned log Z ({:.3}) is {:.2} {} the exact one ({truth:.3}): the sampler has not converged{}",
                last.log_z,
                gap.abs(),
                if gap < 0.0 { "below" } else { "above" },
                if gap < 0.0 {
                    " and probably misses part of the reward mass (try more steps, --replay with --replay-keep best, --local-search, or an annealed --explore)"
                } else {
                    " (try more steps, --log-z-init auto, or a smaller --lr)"
                }
            ));
        }
    }
    // The row nearest to four fifths of the run.
    let mark = last.step.saturating_mul(4) / 5;
    if let Some(earlier) = rows.iter().rfind(|r| r.step <= mark && r.log_z.is_finite()) {
        let moved = last.log_z - earlier.log_z;
        if earlier.step > 0 && moved.abs() > LOG_Z_MOVING {
            notes.push(format!(
                "log Z moved by {moved:+.2} between step {} and step {} (from {:.3} to {:.3}): it is still moving; train longer",
                earlier.step, last.step, earlier.log_z, last.log_z
            ));
        }
    }
    notes
}

/// How far the learned log Z may end from the exact one without a warning.
pub const LOG_Z_GAP: f64 = 0.5;

/// How far log Z may move over the last fifth of a run without a warning.
pub const LOG_Z_MOVING: f64 = 0.25;

#[cfg(test)]
mod warnings {
    use super::*;

    fn row(step: usize, log_z: f64, truth: Option<f64>) -> Metrics {
        Metrics {
            step,
            log_z,
            log_z_true: truth,
            ..Metrics::default()
        }
    }

    #[test]
    fn log_z_far_or_moving_is_told() {
        let settled = [row(80, 2.0, Some(2.1)), row(100, 2.05, Some(2.1))];
        assert!(log_z_warnings(&settled).is_empty());
        let far = [row(80, 1.0, Some(2.1)), row(100, 1.05, Some(2.1))];
        let notes = log_z_warnings(&far);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("below the exact"), "{notes:?}");
        let moving = [row(50, 0.0, None), row(80, 1.0, None), row(100, 1.6, None)];
        let notes = log_z_warnings(&moving);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("still moving"), "{notes:?}");
    }
}

#[cfg(test)]
mod auto_replay {
    use super::*;

    #[test]
    fn on_only_beyond_the_threshold_or_when_uncounted() {
        assert_eq!(auto_replay(Some(64), 16), 0);
        assert_eq!(auto_replay(Some(AUTO_REPLAY_TERMINALS), 16), 0);
        assert_eq!(
            auto_replay(Some(AUTO_REPLAY_TERMINALS + 1), 16),
            AUTO_REPLAY
        );
        assert_eq!(auto_replay(None, 16), AUTO_REPLAY);
        // Never smaller than one batch, which the configuration would refuse.
        assert_eq!(auto_replay(None, 4096), 4096);
    }
}

#[cfg(test)]
mod reward_exponent {
    use super::*;

    #[test]
    fn anneals_with_the_others_and_is_checked() {
        let config = Config {
            steps: 100,
            reward_exponent: 0.2,
            reward_exponent_end: Some(1.0),
            anneal: Some(40),
            ..Config::default()
        };
        assert!((config.reward_exponent_at(0) - 0.2).abs() < 1e-12);
        assert!((config.reward_exponent_at(20) - 0.6).abs() < 1e-12);
        assert!((config.reward_exponent_at(40) - 1.0).abs() < 1e-12);
        assert!((config.reward_exponent_at(99) - 1.0).abs() < 1e-12);
        assert!(config.validate().is_ok());
        assert_eq!(config.without_recipe().reward_exponent_at(0), 1.0);
        for bad in [0.0, -1.0, f64::NAN, 101.0] {
            let error = Config {
                reward_exponent_end: Some(bad),
                ..config.clone()
            }
            .validate()
            .expect_err("refused");
            assert!(error.contains("--reward-exponent"), "{error}");
        }
        // A run.json written before the option reads back with β = 1 and hashes as before.
        let json = serde_json::to_string(&Config::default()).expect("json");
        assert!(!json.contains("reward_exponent"), "{json}");
    }
}
