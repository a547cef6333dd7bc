//! A trainer's whole state in a checkpoint folder and back: the tensors (`checkpoint.rs`), and
//! `state.json` with the counters, running tallies, replay buffer and metrics rows, validated
//! on the way in so that a damaged or forged checkpoint is refused rather than trained on.

use super::replay::Replay;
use super::{checkpoint, Metrics, TrainError, Trainer};
use crate::env::Workspace;
use serde::{Deserialize, Serialize};

impl<'e> Trainer<'e> {
    /// Write the files of a checkpoint into `folder` (see [`rundir`](super::rundir)): the model, the
    /// optimiser's moments, and `state.json` with the counters, every running tally, the replay
    /// buffer and the metrics rows so far. Returns the names written.
    pub fn write_checkpoint(
        &self,
        folder: &std::path::Path,
        rows: &[Metrics],
    ) -> Result<Vec<&'static str>, TrainError> {
        checkpoint::save_model(&self.policy, folder)?;
        let adam_steps =
            checkpoint::save_optimiser(&[&self.network_optimiser, &self.log_z_optimiser], folder)?;
        let mut modes: Vec<Vec<i32>> = self.modes_found.iter().cloned().collect();
        modes.sort();
        let state = TrainerState {
            step: self.step,
            trajectories: self.trajectories,
            seconds: self.seconds,
            adam_steps,
            modes_found: modes,
            discovery: self.discovery.clone(),
            recent: self.recent.iter().copied().collect(),
            losses_since_eval: self.losses_since_eval.clone(),
            last_log_z: self.last_log_z,
            replay: self.replay.clone(),
            metrics: rows.to_vec(),
        };
        let text =
            serde_json::to_string(&state).map_err(|e| TrainError::Internal(e.to_string()))?;
        let path = folder.join("state.json");
        std::fs::write(&path, text)
            .map_err(|e| TrainError::Io(format!("cannot write {}: {e}", path.display())))?;
        Ok(vec![
            "model.safetensors",
            "optimizer.safetensors",
            "state.json",
        ])
    }

    /// Continue from a checkpoint's files, read and verified against the manifest by
    /// [`rundir`](super::rundir); returns its metrics rows. Everything is checked against this
    /// run before the trainer's counters change: the tensors fit the network, the weights are
    /// finite and within what training can reach and give finite probabilities at s0, Adam's
    /// step counts are the run's, its moments finite (second moments not negative), the replay
    /// buffer has this run's size, the stored states are terminal objects of this environment,
    /// and the metrics rows are those the evaluation schedule wrote.
    pub fn read_checkpoint(
        &mut self,
        files: &super::rundir::CheckpointFiles,
    ) -> Result<Vec<Metrics>, TrainError> {
        let state: TrainerState = serde_json::from_slice(files.get("state.json")?)
            .map_err(|e| TrainError::Checkpoint(format!("state.json is not valid ({e})")))?;
        let adam_steps = self.check_adam_steps(&state)?;
        self.check_metrics_rows(&state)?;
        let initial = checkpoint::values_by_name(&self.policy)?;
        checkpoint::load_model(&mut self.policy, files.get("model.safetensors")?)?;
        checkpoint::check_model(
            &self.policy,
            &initial,
            (i64::from(adam_steps[0]), self.config.lr),
            (i64::from(adam_steps[1]), self.config.lr_log_z),
        )?;
        self.check_probabilities_at_s0()?;
        checkpoint::load_optimiser(
            &mut [&mut self.network_optimiser, &mut self.log_z_optimiser],
            &adam_steps,
            files.get("optimizer.safetensors")?,
        )?;
        let mut replay = state.replay;
        // A resumed run may keep another buffer (`--replay`, `--replay-keep` on resume): the
        // stored one must be sound in its own terms, and is poured into the new one below.
        let recipe_changed = replay.width == self.replay.width
            && (replay.capacity != self.replay.capacity || replay.keep != self.replay.keep);
        let sound = match recipe_changed {
            true => replay.fits(&replay),
            false => replay.fits(&self.replay),
        };
        if !sound || !replay.reindex() {
            return Err(TrainError::Checkpoint(format!(
                "state.json holds a replay buffer of {} states of width {} (capacity {}); this run needs capacity {} and width {}",
                replay.len(),
                replay.width,
                replay.capacity,
                self.replay.capacity,
                self.replay.width
            )));
        }
        if let Some(dag) = &self.dag {
            if state.recent.iter().any(|id| *id >= dag.len()) {
                return Err(TrainError::Checkpoint(
                    "state.json names states outside the environment's graph".to_string(),
                ));
            }
        }
        if state
            .modes_found
            .iter()
            .any(|m| m.len() != self.env.width())
        {
            return Err(TrainError::Checkpoint(
                "state.json holds modes of another state width".to_string(),
            ));
        }
        // Every stored state must be a state of this environment: a damaged or forged buffer
        // would otherwise train on nonsense.
        let layout = &self.env.program.layout;
        let valid = |s: &[i32]| {
            layout
                .fields
                .iter()
                .all(|(base, shape)| layout.is_valid(*shape, s, *base as usize))
        };
        let stored = replay
            .states
            .chunks_exact(self.env.width().max(1))
            .chain(state.modes_found.iter().map(Vec::as_slice))
            .chain(state.discovery.states());
        if let Some(bad) = stored.clone().find(|s| !valid(s)) {
            return Err(TrainError::Checkpoint(format!(
                "state.json holds {bad:?}, which is not a state of this environment"
            )));
        }
        let mut ws = Workspace::default();
        for s in stored {
            if !self.env.is_terminal(s, &mut ws).unwrap_or(false) {
                return Err(TrainError::Checkpoint(format!(
                    "state.json holds {}, which is not a terminal object",
                    self.env.render(s)
                )));
            }
        }
        // Local search adds one rebuilt trajectory per forward-sampled one.
        let least = state.step.saturating_mul(self.config.batch);
        let most = state
            .step
            .saturating_mul(self.config.trajectories_per_step());
        if !(least..=most).contains(&state.trajectories) {
            return Err(TrainError::Checkpoint(format!(
                "state.json counts {} trajectories in {} steps of {}",
                state.trajectories, state.step, self.config.batch
            )));
        }
        if recipe_changed {
            let w = self.env.width().max(1);
            let mut ws = Workspace::default();
            for state in replay.states.chunks_exact(w) {
                let log_reward = self.env.log_reward(state, &mut ws)?;
                self.replay.add(state, log_reward);
            }
        } else {
            self.replay = replay;
        }
        self.step = state.step;
        self.trajectories = state.trajectories;
        self.seconds = state.seconds;
        self.modes_found = state.modes_found.into_iter().collect();
        let mut ws = Workspace::default();
        self.mode_keys.clear();
        for object in &self.modes_found {
            if let Some(key) = self.env.mode_key(object, &mut ws)? {
                self.mode_keys.insert(key);
            }
        }
        self.discovery = state.discovery;
        self.recent = state.recent.into_iter().collect();
        self.losses_since_eval = state.losses_since_eval;
        self.last_log_z = state.last_log_z;
        Ok(state.metrics)
    }

    /// Adam's step counts: one per optimiser, the network's equal to the run's step, log Z's
    /// too when the objective learns it (else 0). Any other count changes the bias correction
    /// of every later update (a negative or overflowing one makes it NaN).
    fn check_adam_steps(&self, state: &TrainerState) -> Result<[i32; 2], TrainError> {
        let step = i32::try_from(state.step).map_err(|_| {
            TrainError::Checkpoint(format!(
                "state.json: step {} is beyond what a run reaches",
                state.step
            ))
        })?;
        let expected = [
            step,
            if self.config.objective.learns_log_z() {
                step
            } else {
                0
            },
        ];
        if state.adam_steps != expected {
            return Err(TrainError::Checkpoint(format!(
                "state.json: Adam's step counts are {:?}; at step {} this run's two optimisers (network, log Z) have made {:?} updates",
                state.adam_steps, state.step, expected
            )));
        }
        Ok(expected)
    }

    /// The metrics rows are the evaluations the schedule wrote up to the step: in step order,
    /// none past the step, each with `step × batch` trajectories (up to twice that with local
    /// search), and one at every multiple of `--eval-every` before the step (rows at other
    /// steps are the ends of earlier, shorter targets).
    fn check_metrics_rows(&self, state: &TrainerState) -> Result<(), TrainError> {
        let refuse = |why: String| TrainError::Checkpoint(format!("state.json: {why}"));
        let mut previous = 0;
        for row in &state.metrics {
            if row.step <= previous || row.step > state.step {
                return Err(refuse(format!(
                    "a metrics row of step {} is out of order (after step {previous}, checkpoint at step {})",
                    row.step, state.step
                )));
            }
            let least = row.step.saturating_mul(self.config.batch);
            let most = row.step.saturating_mul(self.config.trajectories_per_step());
            if !(least..=most).contains(&row.trajectories) {
                return Err(refuse(format!(
                    "the metrics row of step {} counts {} trajectories, not {} × {}",
                    row.step, row.trajectories, row.step, self.config.batch
                )));
            }
            previous = row.step;
        }
        let every = self.config.eval_every.max(1);
        // The checkpoint's own step may still be owed its evaluation: a run stopped inside
        // it evaluates first when resumed.
        let missing = (1..=state.step / every)
            .map(|k| k * every)
            .filter(|step| *step < state.step)
            .find(|step| !state.metrics.iter().any(|row| row.step == *step));
        if let Some(step) = missing {
            return Err(refuse(format!(
                "no metrics row for step {step}, though the run evaluates every {every} steps ({} rows up to step {}): the metrics history is incomplete",
                state.metrics.len(),
                state.step
            )));
        }
        Ok(())
    }

    /// The loaded network's forward log-probabilities at s0 must be finite: weights that
    /// overflow there would sample nonsense.
    fn check_probabilities_at_s0(&mut self) -> Result<(), TrainError> {
        let s0 = self.env.initial_state().to_vec();
        let probabilities =
            super::objective::forward_probabilities(self.env, &self.policy, &s0, &mut self.ws)?;
        if probabilities.iter().any(|p| !p.is_finite()) {
            return Err(TrainError::Checkpoint(
                "model.safetensors: the network's forward probabilities at s0 are not finite numbers; the weights are not a trained model's".to_string(),
            ));
        }
        Ok(())
    }
}

/// What a checkpoint holds besides the tensors.
#[derive(Serialize, Deserialize)]
struct TrainerState {
    step: usize,
    trajectories: usize,
    seconds: f64,
    adam_steps: Vec<i32>,
    /// The modes found so far (sorted).
    modes_found: Vec<Vec<i32>>,
    /// Distinct objects and the best ones so far.
    #[serde(default)]
    discovery: crate::metrics::Discovery,
    /// The DAG ids of the recent samples behind the empirical L1.
    recent: Vec<usize>,
    losses_since_eval: Vec<f64>,
    last_log_z: f64,
    replay: Replay,
    metrics: Vec<Metrics>,
}
