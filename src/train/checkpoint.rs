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

/// Load the model's weights from the bytes of a `model.safetensors` (read and verified by the
/// caller); a file whose tensors do not fit this run's network is refused.
pub fn load_model(policy: &mut Policy, bytes: &[u8]) -> Result<(), TrainError> {
    let unfit = |why: String| {
        TrainError::Checkpoint(format!(
            "model.safetensors: does not fit this run's network ({why})"
        ))
    };
    let tensors = candle_core::safetensors::load_buffer(bytes, &Device::Cpu)
        .map_err(|e| unfit(super::first_line(&e)))?;
    let variables = variables(policy)?;
    for (name, var) in &variables {
        let tensor = tensors
            .get(name)
            .ok_or_else(|| unfit(format!("no tensor `{name}`")))?;
        if tensor.dtype() != candle_core::DType::F32 {
            return Err(unfit(format!("`{name}` is {:?}, not f32", tensor.dtype())));
        }
        var.set(tensor)
            .map_err(|e| unfit(format!("`{name}`: {}", super::first_line(&e))))?;
    }
    if let Some(extra) = tensors
        .keys()
        .find(|k| !variables.iter().any(|(n, _)| n == *k))
    {
        return Err(unfit(format!(
            "it holds `{extra}`, which this network has not"
        )));
    }
    Ok(())
}

/// The model's variables by name, sorted (so that messages name the first bad one stably).
fn variables(policy: &Policy) -> Result<Vec<(String, candle_core::Var)>, TrainError> {
    let mut names: Vec<(String, candle_core::Var)> = policy
        .varmap
        .data()
        .lock()
        .map_err(|_| TrainError::Internal("the model's variables are poisoned".to_string()))?
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(names)
}

/// The values of every variable of `policy` by name: a fresh network's, drawn from the run's
/// seed, are where training started.
pub fn values_by_name(policy: &Policy) -> Result<HashMap<String, Vec<f32>>, TrainError> {
    let mut out = HashMap::new();
    for (name, var) in variables(policy)? {
        out.insert(name, var.as_tensor().flatten_all()?.to_vec1::<f32>()?);
    }
    Ok(out)
}

/// Refuse a model with a weight that is NaN or infinite (it samples nonsense), or beyond what
/// training can reach: a weight starts at its value in `initial` (the run's seeded
/// initialisation, whatever the architecture) and one Adam step moves it by at most
/// lr·(1−β1)/√(1−β2)·(1−β1²/β2)^(−1/2) < 7.3·lr (Cauchy–Schwarz on the moments' sums; schedules
/// only lower the rate), so after `steps` updates at `lr` it lies within 10·steps·lr of it
/// (`log_z_steps` at `lr_log_z` for log Z). A weight further away was not written by training.
pub fn check_model(
    policy: &Policy,
    initial: &HashMap<String, Vec<f32>>,
    (steps, lr): (i64, f64),
    (log_z_steps, lr_log_z): (i64, f64),
) -> Result<(), TrainError> {
    for (name, var) in variables(policy)? {
        let values = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return Err(TrainError::Checkpoint(format!(
                "model.safetensors: the weight `{name}` holds {bad}; the model is unusable (retrain, or resume from a run saved before it diverged)"
            )));
        }
        let (t, lr) = match name.as_str() {
            "log_z" => (log_z_steps, lr_log_z),
            _ => (steps, lr),
        };
        let bound = 1e-3 + 10.0 * t as f64 * lr;
        let start = initial.get(&name).filter(|s| s.len() == values.len());
        let far = values.iter().enumerate().find(|(k, v)| {
            let from = start.map_or(0.0, |s| s[*k]);
            f64::from((**v - from).abs()) > bound
        });
        if let Some((k, big)) = far {
            let from = start.map_or(0.0, |s| s[k]);
            return Err(TrainError::Checkpoint(format!(
                "model.safetensors: the weight `{name}` holds {big:e}, {:.3} from its initial value {from:e}, beyond {bound:.3}, the most {t} Adam steps at learning rate {lr} can move it: the model was not written by this run's training",
                (big - from).abs()
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

/// Restore the optimisers from the bytes of an `optimizer.safetensors` and their step counts
/// (checked by the caller). Moments that are not finite, and second moments below zero (a
/// running mean of squares), are refused.
pub fn load_optimiser(
    optimisers: &mut [&mut Adam],
    adam_steps: &[i32],
    bytes: &[u8],
) -> Result<(), TrainError> {
    let tensors = candle_core::safetensors::load_buffer(bytes, &Device::Cpu).map_err(|e| {
        TrainError::Checkpoint(format!(
            "optimizer.safetensors: not a tensor file ({})",
            super::first_line(&e)
        ))
    })?;
    let mut expected = 0;
    for (o, optimiser) in optimisers.iter_mut().enumerate() {
        let mut moments = Vec::new();
        let mut k = 0;
        while let (Some(m), Some(v)) = (
            tensors.get(&format!("{o}.{k}.m")),
            tensors.get(&format!("{o}.{k}.v")),
        ) {
            let read = |t: &Tensor| {
                t.to_dtype(candle_core::DType::F32)
                    .and_then(|t| t.flatten_all())
                    .and_then(|t| t.to_vec1::<f32>())
            };
            let (m, v) = (read(m)?, read(v)?);
            if m.iter().chain(&v).any(|x| !x.is_finite()) {
                return Err(TrainError::Checkpoint(format!(
                    "optimizer.safetensors: moment {o}.{k} holds a value that is not finite"
                )));
            }
            if let Some(negative) = v.iter().find(|x| **x < 0.0) {
                return Err(TrainError::Checkpoint(format!(
                    "optimizer.safetensors: the second moment {o}.{k}.v holds {negative}; a mean of squared gradients is never negative"
                )));
            }
            moments.push((m, v));
            k += 1;
        }
        expected += 2 * k;
        let t = adam_steps.get(o).copied().unwrap_or(0);
        optimiser
            .set_moments(t, moments)
            .map_err(|e| TrainError::Checkpoint(format!("optimizer.safetensors: {e}")))?;
    }
    if tensors.len() != expected {
        return Err(TrainError::Checkpoint(format!(
            "optimizer.safetensors: holds {} tensors; this run's optimisers have {expected}",
            tensors.len()
        )));
    }
    Ok(())
}
