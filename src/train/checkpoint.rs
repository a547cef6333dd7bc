//! Checkpoints in a run directory, each file written to a temporary name and renamed, so that an
//! interrupted write never leaves a broken file: `model.safetensors` (the network and log Z),
//! `optimizer.safetensors` (Adam's moments) and `progress.json` (step counters).

use super::adam::Adam;
use super::policy::Policy;
use super::TrainError;
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::path::Path;

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Io(format!("cannot {what} {}: {e}", path.display()))
}

/// Write `path` by writing a sibling temporary file and renaming it over `path`.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.tmp"));
    write(&temporary)?;
    std::fs::rename(&temporary, path).map_err(|e| io("write", path, e))
}

/// Text files, atomically.
pub fn write_text(path: &Path, text: &str) -> Result<(), TrainError> {
    write_atomically(path, |tmp| {
        std::fs::write(tmp, text).map_err(|e| io("write", tmp, e))
    })
}

pub fn save_model(policy: &Policy, dir: &Path) -> Result<(), TrainError> {
    let path = dir.join("model.safetensors");
    write_atomically(&path, |tmp| {
        policy.varmap.save(tmp).map_err(|e| io("write", tmp, e))
    })
}

pub fn load_model(policy: &mut Policy, dir: &Path) -> Result<(), TrainError> {
    let path = dir.join("model.safetensors");
    policy.varmap.load(&path).map_err(|e| io("read", &path, e))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Progress {
    step: usize,
    trajectories: usize,
    seconds: f64,
    adam_steps: Vec<i32>,
}

pub fn save_optimiser(
    optimisers: &[&Adam],
    step: usize,
    trajectories: usize,
    seconds: f64,
    dir: &Path,
) -> Result<(), TrainError> {
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
    write_atomically(&path, |tmp| {
        candle_core::safetensors::save(&tensors, tmp).map_err(|e| io("write", tmp, e))
    })?;
    let progress = Progress {
        step,
        trajectories,
        seconds,
        adam_steps,
    };
    let text =
        serde_json::to_string_pretty(&progress).map_err(|e| TrainError::Io(e.to_string()))?;
    write_text(&dir.join("progress.json"), &text)
}

pub fn load_optimiser(
    optimisers: &mut [&mut Adam],
    dir: &Path,
) -> Result<(usize, usize, f64), TrainError> {
    let path = dir.join("progress.json");
    let text = std::fs::read_to_string(&path).map_err(|e| io("read", &path, e))?;
    let progress: Progress = serde_json::from_str(&text).map_err(|e| io("parse", &path, e))?;
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
            moments.push((m.to_vec1::<f32>()?, v.to_vec1::<f32>()?));
            k += 1;
        }
        let t = progress.adam_steps.get(o).copied().unwrap_or(0);
        optimiser.set_moments(t, moments)?;
    }
    Ok((progress.step, progress.trajectories, progress.seconds))
}
