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

    /// Continue from the checkpoint files in `folder`; returns its metrics rows. Shapes that do
    /// not fit this run, non-finite weights or moments, and a replay buffer of another size are
    /// refused.
    pub fn read_checkpoint(
        &mut self,
        folder: &std::path::Path,
    ) -> Result<Vec<Metrics>, TrainError> {
        let path = folder.join("state.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| TrainError::Io(format!("cannot read {}: {e}", path.display())))?;
        let state: TrainerState = serde_json::from_str(&text)
            .map_err(|e| TrainError::Checkpoint(format!("state.json is not valid ({e})")))?;
        checkpoint::load_model(&mut self.policy, folder)?;
        checkpoint::check_finite_model(&self.policy)?;
        checkpoint::load_optimiser(
            &mut [&mut self.network_optimiser, &mut self.log_z_optimiser],
            &state.adam_steps,
            folder,
        )?;
        let mut replay = state.replay;
        if !replay.fits(&self.replay) || !replay.reindex() {
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
        self.replay = replay;
        self.step = state.step;
        self.trajectories = state.trajectories;
        self.seconds = state.seconds;
        self.modes_found = state.modes_found.into_iter().collect();
        self.discovery = state.discovery;
        self.recent = state.recent.into_iter().collect();
        self.losses_since_eval = state.losses_since_eval;
        self.last_log_z = state.last_log_z;
        Ok(state.metrics)
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
