//! The tensor files of a checkpoint: `model.safetensors` (the network and log Z) and
//! `optimizer.safetensors` (Adam's moments). How a checkpoint is made atomic is
//! [`super::rundir`]'s business.

use super::adam::Adam;
use super::policy::Policy;
use super::TrainError;
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::path::Path;

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Io(format!(
        "cannot {what} {}: {}",
        path.display(),
        super::first_line(&e)
    ))
}

/// Write the network and log Z to `dir/model.safetensors`.
pub fn save_model(policy: &Policy, dir: &Path) -> Result<(), TrainError> {
    let path = dir.join("model.safetensors");
    policy.varmap.save(&path).map_err(|e| io("write", &path, e))
}

/// Load the model's weights; a file whose tensors do not fit this run's network is refused.
pub fn load_model(policy: &mut Policy, dir: &Path) -> Result<(), TrainError> {
    let path = dir.join("model.safetensors");
    policy.varmap.load(&path).map_err(|e| {
        TrainError::Checkpoint(format!(
            "{}: does not fit this run's network ({})",
            path.display(),
            super::first_line(&e)
        ))
    })
}

/// Refuse a model with a weight that is NaN or infinite: it samples nonsense.
pub fn check_finite_model(policy: &Policy) -> Result<(), TrainError> {
    let mut names: Vec<(String, candle_core::Var)> = policy
        .varmap
        .data()
        .lock()
        .map_err(|_| TrainError::Internal("the model's variables are poisoned".to_string()))?
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, var) in names {
        let values = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return Err(TrainError::Checkpoint(format!(
                "model.safetensors: the weight `{name}` holds {bad}; the model is unusable (retrain, or resume from a run saved before it diverged)"
            )));
        }
    }
    Ok(())
}

/// Write the optimisers' moments to `dir/optimizer.safetensors`; returns their step counts.
pub fn save_optimiser(optimisers: &[&Adam], dir: &Path) -> Result<Vec<i32>, TrainError> {
    let mut tensors = HashMap::new();
    let mut adam_steps = Vec::new();
    for (o, optimiser) in optimisers.iter().enumerate() {
        let (t, moments) = optimiser.moments();
        adam_steps.push(t);
        for (k, (m, v)) in moments.into_iter().enumerate() {
            tensors.insert(
                format!("{o}.{k}.m"),
                Tensor::from_slice(m, m.len(), &Device::Cpu)?,
            );
            tensors.insert(
                format!("{o}.{k}.v"),
                Tensor::from_slice(v, v.len(), &Device::Cpu)?,
            );
        }
    }
    let path = dir.join("optimizer.safetensors");
    candle_core::safetensors::save(&tensors, &path).map_err(|e| io("write", &path, e))?;
    Ok(adam_steps)
}

/// Restore the optimisers from `dir/optimizer.safetensors` and their step counts.
pub fn load_optimiser(
    optimisers: &mut [&mut Adam],
    adam_steps: &[i32],
    dir: &Path,
) -> Result<(), TrainError> {
    let path = dir.join("optimizer.safetensors");
    let tensors =
        candle_core::safetensors::load(&path, &Device::Cpu).map_err(|e| io("read", &path, e))?;
    for (o, optimiser) in optimisers.iter_mut().enumerate() {
        let mut moments = Vec::new();
        let mut k = 0;
        while let (Some(m), Some(v)) = (
            tensors.get(&format!("{o}.{k}.m")),
            tensors.get(&format!("{o}.{k}.v")),
        ) {
            let (m, v) = (m.to_vec1::<f32>()?, v.to_vec1::<f32>()?);
            if m.iter().chain(&v).any(|x| !x.is_finite()) {
                return Err(TrainError::Checkpoint(format!(
                    "optimizer.safetensors: moment {o}.{k} holds a value that is not finite"
                )));
            }
            moments.push((m, v));
            k += 1;
        }
        let t = adam_steps.get(o).copied().unwrap_or(0);
        optimiser
            .set_moments(t, moments)
            .map_err(|e| TrainError::Checkpoint(format!("optimizer.safetensors: {e}")))?;
    }
    Ok(())
}
