//! Training a GFlowNet sampler on a compiled environment: sample trajectories (on-policy with
//! optional exploration, plus replayed terminal objects sampled backward), compute the
//! objective's loss in one batched pass, and update with Adam. Every step draws from an RNG
//! seeded by (seed, step), so a run — and a resumed run — repeats exactly on one machine.

mod adam;
mod checkpoint;
mod config;
mod estimate;
mod losses;
pub mod objective;
pub mod policy;
mod replay;
mod resume;
pub mod rundir;
mod sample;
pub mod saved;
pub mod schedule;
pub mod session;
pub mod sparse;
pub mod tables;
pub mod transformer;

use crate::env::dag::Dag;
use crate::env::probe::Sentinel;
use crate::env::{EnvError, Environment, Workspace};
pub use config::{
    auto_replay, estimated_bytes, limits, log_z_warnings, Config, LogZInit, Metrics, ReplayKeep,
};
pub use objective::Objective;
use policy::{Policy, PolicyShape};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use replay::Replay;
use sample::Exploration;
pub use session::Session;
use std::collections::{HashSet, VecDeque};
use std::time::Instant;

/// The first line of an error: candle appends a backtrace to some of its messages, which is
/// for its developers, not for a user.
pub fn first_line(error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    text.lines().next().unwrap_or("").trim().to_string()
}

/// Why training (or a run directory) stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A run-time error of the model (a cycle met while sampling, a bad reward, ...).
    #[error("{}", .0.message)]
    Env(#[from] EnvError),
    /// A tensor operation failed (its backtrace left out).
    #[error("tensor error: {}", first_line(.0))]
    Tensor(#[from] candle_core::Error),
    /// The loss became NaN or infinite.
    #[error("the loss became {loss} at step {step} (largest |log R| in the batch: {max_abs_log_reward:.1})")]
    NonFinite {
        /// The step whose loss it was.
        step: usize,
        /// The loss.
        loss: f64,
        /// The largest |log R| of the batch: float32 training fails past about 80.
        max_abs_log_reward: f64,
    },
    /// A sampled state with no allowed action.
    #[error("state {0} is a dead end: no action is allowed")]
    DeadEnd(String),
    /// A backward walk met a state without parent.
    #[error("state {0} has no parent: a backward walk cannot reach s0")]
    NoParent(String),
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(String),
    /// A run directory or checkpoint that cannot be used as it is.
    #[error("{0}")]
    Checkpoint(String),
    /// A request that cannot be carried out as given (a directory in use, not empty, ...).
    #[error("{0}")]
    Usage(String),
    /// A bug in gfnc, reported rather than panicking.
    #[error("internal error: {0}")]
    Internal(String),
    /// The stop flag given to [`Trainer::set_stop`] was raised during an evaluation.
    #[error("interrupted")]
    Interrupted,
    /// Work that did not finish within its time budget (what, and the budget).
    #[error("{0}")]
    OverBudget(String),
}

/// Samples kept for the empirical L1.
const RECENT_SAMPLES: usize = 16_384;

/// A run in progress.
pub struct Trainer<'e> {
    /// The environment trained on.
    pub env: &'e Environment,
    /// The run's options.
    pub config: Config,
    /// The network being trained, with its log Z.
    pub policy: Policy,
    network_optimiser: adam::Adam,
    log_z_optimiser: adam::Adam,
    ws: Workspace,
    /// The enumerated DAG, for exact metrics, when the space is small enough.
    pub dag: Option<Dag>,
    /// Without the DAG, the local checks of the states training meets: each step walks back
    /// from one sampled object by uniform P_B, proving any unreachable parent on the way.
    pub sentinel: Option<Sentinel>,
    replay: Replay,
    modes_found: HashSet<Vec<i32>>,
    /// With `mode by KEY`: the keys of the mode objects found.
    mode_keys: HashSet<i64>,
    discovery: crate::metrics::Discovery,
    /// The objects of the correlation metrics, back to back (built on first use).
    test_set: Option<Vec<i32>>,
    recent: VecDeque<usize>,
    /// Training iterations done.
    pub step: usize,
    /// Trajectories trained on so far, replayed ones included (`batch` per iteration).
    pub trajectories: usize,
    /// Seconds spent in training iterations, evaluations and checkpoints not counted.
    pub seconds: f64,
    losses_since_eval: Vec<f64>,
    last_log_z: f64,
    /// Seconds spent sampling, computing the loss, in the backward pass, and in Adam.
    pub phase_seconds: [f64; 4],
    /// Raised by the user (Ctrl-C, SIGTERM): evaluations stop at once.
    stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// The time the test-set correlations of one evaluation may take.
    correlation_seconds: f64,
    /// Why the correlations are no longer computed (they once ran past their budget).
    correlations_skipped: Option<String>,
    /// The importance-sampled estimate of log Z the run started from (`--log-z-init auto`).
    pub log_z_estimate: Option<f64>,
}

/// Uniform trajectories of the log Z estimate (`--log-z-init auto`).
const LOG_Z_TRAJECTORIES: usize = 1024;

/// The default time budget of the test-set correlations of one evaluation, in seconds: where a
/// mask costs milliseconds (a reachability guard over a large graph), estimating log P_T over
/// backward trajectories could otherwise take many minutes per evaluation.
pub const DEFAULT_CORRELATION_SECONDS: f64 = 60.0;

impl<'e> Trainer<'e> {
    /// A fresh run on `env`: a network initialised from `config.seed`, step 0. With `dag`
    /// the metrics are exact; without it a sentinel checks the states training meets.
    pub fn new(
        env: &'e Environment,
        config: Config,
        dag: Option<Dag>,
    ) -> Result<Trainer<'e>, TrainError> {
        let mut rng = StdRng::seed_from_u64(config.seed);
        // `auto` is recorded as what it chose, so that a resumed run rebuilds the same network
        // whatever a later gfnc's `auto` would choose.
        let mut config = config;
        config.policy = config.policy.resolve(env).into();
        let policy = Policy::new(PolicyShape::for_run(env, &config), &mut rng)?;
        let mut ws = Workspace::new();
        let log_z_estimate = match config.log_z_init {
            Some(LogZInit::Auto) => {
                let limit = estimate::Limit {
                    deadline: Instant::now().checked_add(std::time::Duration::from_secs(10)),
                    stop: None,
                };
                // An environment that fails on the way (a cycle, a non-injective action, a
                // scorer error) fails training at its first step with the same error, where the
                // run reports it; the estimate only chooses a start, so log Z then starts at 0.
                // Of the reward trained on first: R^β at the start of its annealing.
                estimate::log_z_estimate(
                    env,
                    LOG_Z_TRAJECTORIES,
                    config.seed,
                    config.reward_exponent,
                    &mut ws,
                    &limit,
                )
                .ok()
                .flatten()
            }
            _ => None,
        };
        let start = match config.log_z_init {
            Some(LogZInit::Value(v)) => Some(v),
            Some(LogZInit::Auto) => log_z_estimate,
            None => None,
        };
        if let Some(start) = start {
            // Before Adam copies the variables it updates.
            policy.log_z.set(&candle_core::Tensor::new(
                &[start as f32],
                &candle_core::Device::Cpu,
            )?)?;
        }
        let network_optimiser = adam::Adam::new(policy.network_vars(), config.lr)?;
        let log_z_optimiser = adam::Adam::new(vec![policy.log_z.clone()], config.lr_log_z)?;
        let top_k = config.top_k;
        let correlation_seconds = config.correlation_seconds;
        Ok(Trainer {
            env,
            discovery: crate::metrics::Discovery::new(top_k),
            test_set: None,
            replay: Replay::new(config.replay, env.width(), config.replay_keep),
            config,
            policy,
            network_optimiser,
            log_z_optimiser,
            ws,
            log_z_estimate,
            sentinel: dag.is_none().then(|| Sentinel::new(env)),
            dag,
            modes_found: HashSet::new(),
            mode_keys: HashSet::new(),
            recent: VecDeque::new(),
            step: 0,
            trajectories: 0,
            seconds: 0.0,
            losses_since_eval: Vec::new(),
            last_log_z: 0.0,
            phase_seconds: [0.0; 4],
            stop: None,
            correlation_seconds,
            correlations_skipped: None,
        })
    }

    /// A flag that, once raised, makes a running evaluation return
    /// [`TrainError::Interrupted`] within one mask of work.
    pub fn set_stop(&mut self, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) {
        self.stop = Some(stop);
    }

    /// The time budget of the test-set correlations of one evaluation; past it they are
    /// skipped for the rest of the run ([`Trainer::correlations_skipped`] says why).
    pub fn set_correlation_seconds(&mut self, seconds: f64) {
        self.correlation_seconds = seconds;
    }

    /// Why the test-set correlations are no longer computed, if they ran past their budget.
    pub fn correlations_skipped(&self) -> Option<&str> {
        self.correlations_skipped.as_deref()
    }

    fn limit(&self, seconds: f64) -> estimate::Limit {
        estimate::Limit {
            deadline: std::time::Instant::now()
                .checked_add(std::time::Duration::from_secs_f64(seconds.clamp(0.0, 1e9))),
            stop: self.stop.clone(),
        }
    }

    fn step_rng(&self) -> StdRng {
        // One stream per step, so that a resumed run continues exactly.
        StdRng::seed_from_u64(
            self.config.seed ^ (self.step as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        )
    }

    /// One training iteration; returns the loss.
    pub fn train_step(&mut self) -> Result<f64, TrainError> {
        let started = Instant::now();
        let mut rng = self.step_rng();
        let exploration = Exploration {
            epsilon: self.config.explore_at(self.step),
            temperature: self.config.temperature_at(self.step),
        };
        // With replay, half of the batch comes from replayed objects sampled backward.
        let replayed = if self.config.replay > 0 && self.replay.len() >= self.config.batch {
            self.config.batch / 2
        } else {
            0
        };
        let mut batch = sample::forward(
            self.env,
            &self.policy,
            self.config.batch - replayed,
            exploration,
            &mut rng,
            &mut self.ws,
        )?;
        if self.config.local_search > 0 {
            let (refined, _) = sample::local_search(
                self.env,
                &self.policy,
                &batch,
                self.config.local_search,
                (exploration, &mut rng),
                &mut self.ws,
            )?;
            batch.extend(&refined);
        }
        for b in 0..batch.trajectories() {
            let terminal = batch.terminal(b).to_vec();
            self.discovery.record(&terminal, batch.log_rewards[b]);
            self.record_sample(&terminal)?;
            self.replay.add(&terminal, batch.log_rewards[b]);
        }
        self.watch(&batch)?;
        if replayed > 0 {
            let terminals = self.replay.draw(replayed, &mut rng);
            let backward = sample::backward(
                self.env,
                &self.policy,
                &terminals,
                &mut rng,
                &mut self.ws,
                &estimate::Limit::default(),
            )?;
            batch.extend(&backward);
            if self.config.local_search > 0 {
                // The replayed objects are searched from too, and a better one takes its
                // original's place (with diverse replay, the stored object nearest to it):
                // without this, a region the sampler left keeps only the objects first found
                // there, whose low rewards never tell how much mass the region holds.
                let (refined, _) = sample::local_search(
                    self.env,
                    &self.policy,
                    &backward,
                    self.config.local_search,
                    (exploration, &mut rng),
                    &mut self.ws,
                )?;
                for b in 0..refined.trajectories() {
                    let terminal = refined.terminal(b).to_vec();
                    self.discovery.record(&terminal, refined.log_rewards[b]);
                    self.record_found(&terminal)?;
                    self.replay.add(&terminal, refined.log_rewards[b]);
                }
                self.watch(&refined)?;
                batch.extend(&refined);
            }
        }
        debug_assert!(batch.trajectories() <= self.config.trajectories_per_step());
        let sampled = Instant::now();
        let loss = objective::loss(
            self.env,
            &self.policy,
            &batch,
            objective::Target {
                objective: self.config.objective,
                lambda: self.config.lambda,
                reward_exponent: self.config.reward_exponent_at(self.step),
            },
            &mut self.ws,
        )?;
        let value = f64::from(loss.value.to_scalar::<f32>()?);
        if !value.is_finite() {
            return Err(TrainError::NonFinite {
                step: self.step + 1,
                loss: value,
                max_abs_log_reward: batch
                    .log_rewards
                    .iter()
                    .fold(0.0, |m: f64, r| m.max(r.abs())),
            });
        }
        let computed = Instant::now();
        let grads = loss.value.backward()?;
        let differentiated = Instant::now();
        let factor = self.config.lr_factor_at(self.step);
        self.network_optimiser.lr = self.config.lr * factor;
        self.log_z_optimiser.lr = self.config.lr_log_z * factor;
        self.network_optimiser.step(&grads)?;
        if self.config.objective.learns_log_z() {
            self.log_z_optimiser.step(&grads)?;
        }
        let phases = [started, sampled, computed, differentiated, Instant::now()];
        for (k, seconds) in self.phase_seconds.iter_mut().enumerate() {
            *seconds += (phases[k + 1] - phases[k]).as_secs_f64();
        }
        self.step += 1;
        self.trajectories += batch.trajectories();
        self.seconds += started.elapsed().as_secs_f64();
        self.losses_since_eval.push(value);
        self.last_log_z = loss.log_z;
        Ok(value)
    }

    /// The sentinel's share of a step: the forward-sampled states are reachable; one walk back
    /// from one of them (its own RNG stream, so runs repeat with or without it).
    fn watch(&mut self, batch: &sample::Batch) -> Result<(), TrainError> {
        let Some(sentinel) = self.sentinel.as_mut() else {
            return Ok(());
        };
        for k in 0..batch.state_count() {
            sentinel.reached(batch.state(k));
        }
        if batch.trajectories() == 0 {
            return Ok(());
        }
        let mut rng = StdRng::seed_from_u64(
            self.config.seed ^ (self.step as u64 + 1).wrapping_mul(0xd1b5_4a32_d192_ed03),
        );
        let b = rng.random_range(0..batch.trajectories());
        sentinel.walk_back(self.env, batch.terminal(b), &mut rng, &mut self.ws)?;
        Ok(())
    }

    /// An object found (sampled, or refined by local search): its mode and key.
    fn record_found(&mut self, terminal: &[i32]) -> Result<(), TrainError> {
        if let Some(key) = self.env.mode_key(terminal, &mut self.ws)? {
            if !self.modes_found.contains(terminal) {
                self.modes_found.insert(terminal.to_vec());
            }
            self.mode_keys.insert(key);
        }
        Ok(())
    }

    fn record_sample(&mut self, terminal: &[i32]) -> Result<(), TrainError> {
        self.record_found(terminal)?;
        if let Some(id) = self.dag.as_ref().and_then(|d| d.states.find(terminal)) {
            if self.recent.len() == RECENT_SAMPLES {
                self.recent.pop_front();
            }
            self.recent.push_back(id);
        }
        Ok(())
    }

    /// Evaluate now: exact figures when the DAG is known, modes found, the mean loss since the
    /// last evaluation.
    pub fn evaluate(&mut self) -> Result<Metrics, TrainError> {
        let metrics = self.peek()?;
        self.losses_since_eval.clear();
        Ok(metrics)
    }

    /// The figures [`Trainer::evaluate`] would give, without closing the window of losses it
    /// averages: for a run stopped between evaluations, so that its resumed metrics equal an
    /// uninterrupted run's.
    pub fn peek(&mut self) -> Result<Metrics, TrainError> {
        self.figures(true)
    }

    /// [`Trainer::peek`] without the test-set correlations, which may take long: for the
    /// summary of a run the user stopped.
    pub fn peek_quickly(&mut self) -> Result<Metrics, TrainError> {
        self.figures(false)
    }

    fn figures(&mut self, correlations: bool) -> Result<Metrics, TrainError> {
        let loss = if self.losses_since_eval.is_empty() {
            f64::NAN
        } else {
            self.losses_since_eval.iter().sum::<f64>() / self.losses_since_eval.len() as f64
        };
        let mut metrics = Metrics {
            step: self.step,
            trajectories: self.trajectories,
            seconds: self.seconds,
            loss,
            log_z: self.current_log_z()?,
            modes_found: self.modes_found(),
            mode_objects: self.modes_found.len(),
            distinct: self.discovery.distinct(),
            top_k_reward: self.discovery.top_k_reward(),
            top_k_log_reward: self.discovery.top_k_log_reward(),
            ..Metrics::default()
        };
        let mut exact_p = None;
        if let Some(dag) = &self.dag {
            let forward = objective::forward_probabilities(
                self.env,
                &self.policy,
                dag.states.slots(),
                &mut self.ws,
            )?;
            let (distances, p) = crate::metrics::exact(dag, &forward, self.env.action_count());
            exact_p = Some(p);
            metrics.l1 = Some(distances.l1);
            metrics.tv = Some(distances.tv);
            metrics.kl = Some(distances.kl);
            metrics.log_z_true = Some(dag.log_z);
            metrics.modes_total = Some(dag.mode_count());
            metrics.empirical_l1 = crate::metrics::empirical_l1(dag, self.recent.iter().copied());
        }
        if correlations {
            (metrics.spearman, metrics.pearson) = self.correlations(exact_p.as_deref())?;
        }
        Ok(metrics)
    }

    /// Distinct objects where `mode` holds, among those sampled so far.
    pub fn modes_found(&self) -> usize {
        match self.env.has_mode_key() {
            true => self.mode_keys.len(),
            false => self.modes_found.len(),
        }
    }

    /// Use these objects (back to back; terminal states of the environment) for the
    /// correlation metrics instead of the default test set.
    pub fn set_test_set(&mut self, objects: Vec<i32>) {
        self.test_set = Some(objects);
    }

    /// The test set of the correlation metrics: the one given, or the default (see
    /// `docs/metrics.md`), drawn once from the run's seed.
    pub fn test_set(&mut self) -> Result<&[i32], TrainError> {
        self.test_set_within(&estimate::Limit::default())
    }

    fn test_set_within(&mut self, limit: &estimate::Limit) -> Result<&[i32], TrainError> {
        if self.test_set.is_none() {
            let seed = self.config.seed ^ 0x7e57_5e7d_u64;
            let objects = estimate::uniform_test_set(
                self.env,
                self.config.test_size,
                seed,
                &mut self.ws,
                limit,
            )?;
            self.test_set = Some(objects);
        }
        Ok(self.test_set.as_deref().unwrap_or_default())
    }

    /// Importance-sampled estimates of log P_T(x) for each object (back to back), `samples`
    /// backward trajectories each (see `docs/metrics.md`).
    pub fn estimate_log_pt(
        &mut self,
        objects: &[i32],
        samples: usize,
        seed: u64,
    ) -> Result<Vec<f64>, TrainError> {
        estimate::log_pt_estimates(
            self.env,
            &self.policy,
            objects,
            (samples, seed),
            &mut self.ws,
            &estimate::Limit::default(),
        )
    }

    /// Spearman's and Pearson's correlation between log R(x) and the estimated log P_T(x) over
    /// the test set; `None` without one (`test_size` 0) or when undefined (constant rewards).
    /// With the DAG (`exact_p`: P_T of every DAG state), log P_T of the test objects is exact;
    /// otherwise it is estimated.
    fn correlations(
        &mut self,
        exact_p: Option<&[f64]>,
    ) -> Result<(Option<f64>, Option<f64>), TrainError> {
        if (self.config.test_size == 0 && self.test_set.is_none())
            || self.correlations_skipped.is_some()
        {
            return Ok((None, None));
        }
        let limit = self.limit(self.correlation_seconds);
        match self.correlations_within(exact_p, &limit) {
            Err(TrainError::OverBudget(why)) => {
                self.correlations_skipped = Some(why);
                Ok((None, None))
            }
            other => other,
        }
    }

    fn correlations_within(
        &mut self,
        exact_p: Option<&[f64]>,
        limit: &estimate::Limit,
    ) -> Result<(Option<f64>, Option<f64>), TrainError> {
        let objects = self.test_set_within(limit)?.to_vec();
        let w = self.env.width().max(1);
        let mut log_rewards = vec![0.0; objects.len() / w];
        self.env
            .log_rewards(&objects, &mut log_rewards, &mut self.ws)?;
        let exact = match (exact_p, &self.dag) {
            (Some(p), Some(dag)) => objects
                .chunks_exact(w)
                .map(|x| dag.states.find(x).map(|id| p[id].ln()))
                .collect::<Option<Vec<f64>>>(),
            _ => None,
        };
        let log_pt = match exact {
            Some(log_pt) => log_pt,
            None => {
                // Seeded by the step, so that a resumed run reports what an uninterrupted
                // one would.
                let seed =
                    self.config.seed ^ (self.step as u64).wrapping_mul(0xa076_1d64_78bd_642f);
                estimate::log_pt_estimates(
                    self.env,
                    &self.policy,
                    &objects,
                    (self.config.test_samples, seed),
                    &mut self.ws,
                    limit,
                )?
            }
        };
        Ok((
            crate::metrics::spearman(&log_rewards, &log_pt),
            crate::metrics::pearson(&log_rewards, &log_pt),
        ))
    }

    fn current_log_z(&self) -> Result<f64, TrainError> {
        Ok(match self.config.objective {
            Objective::Tb | Objective::Maxent => self.policy.log_z_value()?,
            _ => self.last_log_z,
        })
    }

    /// Draw `count` objects with the trained policy (no exploration): each terminal state, its
    /// log reward and the log probability of drawing it — exact when the DAG is known, else the
    /// log probability of the trajectory that produced it.
    pub fn draw(
        &mut self,
        count: usize,
        seed: u64,
        stop: &dyn Fn() -> bool,
    ) -> Result<Vec<Drawn>, TrainError> {
        draw(
            self.env,
            &self.policy,
            self.dag.as_ref(),
            (count, seed, draw_batch(&self.config)),
            stop,
            &mut self.ws,
        )
    }
}

/// Trajectories drawn at once by [`Trainer::draw`]: no more than the memory estimate allows
/// for (it counts `max(--batch, 16)` trajectories of the longest length, see
/// [`estimated_bytes`]), so that the final draw of a run whose trajectories are long does not
/// need more memory than training did.
pub fn draw_batch(config: &Config) -> usize {
    config.batch.clamp(config::MIN_ESTIMATED_BATCH, 256)
}

/// Draw objects from a policy, `batch` trajectories at a time; see [`Trainer::draw`].
/// `stop` is asked between batches: drawing ends early (with what it has) when
/// it says so, as on Ctrl-C or SIGTERM.
pub fn draw(
    env: &Environment,
    policy: &Policy,
    dag: Option<&Dag>,
    (count, seed, batch): (usize, u64, usize),
    stop: &dyn Fn() -> bool,
    ws: &mut Workspace,
) -> Result<Vec<Drawn>, TrainError> {
    let mut out = Vec::with_capacity(count.min(1 << 20));
    draw_each(
        env,
        policy,
        dag,
        (count, seed, batch),
        stop,
        ws,
        &mut |drawn| out.extend_from_slice(drawn),
    )?;
    Ok(out)
}

/// An object drawn: its terminal state, log reward, and log probability (see [`Trainer::draw`]).
pub type Drawn = (Vec<i32>, f64, f64);

/// [`draw`], handing each batch of objects to `emit` as soon as it is drawn (so that a reader
/// sees the first objects at once, and a closed pipe ends the drawing early).
pub fn draw_each(
    env: &Environment,
    policy: &Policy,
    dag: Option<&Dag>,
    (count, seed, batch): (usize, u64, usize),
    stop: &dyn Fn() -> bool,
    ws: &mut Workspace,
    emit: &mut dyn FnMut(&[Drawn]),
) -> Result<(), TrainError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let exploration = Exploration {
        epsilon: 0.0,
        temperature: 1.0,
    };
    let exact = match dag {
        Some(dag) => {
            let forward = objective::forward_probabilities(env, policy, dag.states.slots(), ws)?;
            Some(dag.terminal_distribution(&forward, env.action_count()))
        }
        None => None,
    };
    let mut drawn = 0;
    let mut out = Vec::with_capacity(256);
    while drawn < count && !stop() {
        out.clear();
        let batch = sample::forward(
            env,
            policy,
            (count - drawn).min(batch.max(1)),
            exploration,
            &mut rng,
            ws,
        )?;
        let trajectory_log_p = if exact.is_none() {
            Some(trajectory_log_probabilities(env, policy, &batch)?)
        } else {
            None
        };
        for b in 0..batch.trajectories() {
            let terminal = batch.terminal(b).to_vec();
            let log_p = match (&exact, dag) {
                (Some(p), Some(dag)) => dag
                    .states
                    .find(&terminal)
                    .map(|s| p[s].ln())
                    .unwrap_or(f64::NAN),
                _ => trajectory_log_p
                    .as_ref()
                    .map(|lp| lp[b])
                    .unwrap_or(f64::NAN),
            };
            out.push((terminal, batch.log_rewards[b], log_p));
        }
        drawn += out.len();
        emit(&out);
    }
    Ok(())
}

/// log P_F of each trajectory of a batch (stop included).
fn trajectory_log_probabilities(
    env: &Environment,
    policy: &Policy,
    batch: &sample::Batch,
) -> Result<Vec<f64>, TrainError> {
    let a = env.action_count();
    let logits = policy
        .forward(&sample::encode(env, policy, &batch.states)?, false)?
        .forward
        .flatten_all()?
        .to_vec1::<f32>()?;
    let mut out = Vec::with_capacity(batch.trajectories());
    for b in 0..batch.trajectories() {
        let mut total = 0.0;
        let (start, end) = (batch.starts[b], batch.starts[b + 1]);
        let mut moves: Vec<(usize, usize)> = (start..end - 1)
            .map(|s| (s, batch.actions[s - b]))
            .collect();
        if batch.stopped[b] {
            moves.push((end - 1, a - 1));
        }
        for (s, action) in moves {
            let row = &logits[s * a..(s + 1) * a];
            let mask = &batch.forward_masks[s * a..(s + 1) * a];
            let max = row
                .iter()
                .zip(mask)
                .filter(|(_, m)| **m)
                .map(|(l, _)| f64::from(*l))
                .fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = row
                .iter()
                .zip(mask)
                .filter(|(_, m)| **m)
                .map(|(l, _)| (f64::from(*l) - max).exp())
                .sum();
            total += f64::from(row[action]) - max - sum.ln();
        }
        out.push(total);
    }
    Ok(out)
}
