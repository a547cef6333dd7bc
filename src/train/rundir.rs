//! The run directory: what `gfnc run` writes and `--resume` and `gfnc sample` read back.
//!
//! A checkpoint is one unit. Its files go into a fresh folder `checkpoints/step-N`, each
//! synced to disk; then the manifest `checkpoint.json` (the step, the folder, the size and
//! checksum of each file, the hash of the environment's source) is written beside and renamed
//! into place. That rename is the commit: after any kill or I/O error the manifest names either
//! the previous complete checkpoint or the new one, never a mix. Folders and temporary files no
//! manifest names are debris, removed when the directory is next opened. A directory is owned by
//! one process at a time (an advisory lock on `.lock`). The format is in `docs/run-directory.md`.

use super::{Config, Metrics, TrainError, Trainer};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The version of the layout below; a directory of another version is refused.
pub const FORMAT: u32 = 1;

/// The most `checkpoint.json` is read to: it names one folder and three files (well under a
/// kilobyte).
const MANIFEST_CAP: u64 = 1 << 20;

/// The most `run.json` is read to: besides the configuration it holds every param's value,
/// and an array param may hold up to 1,048,576 values (about 25 MB as text each).
pub const RECORD_CAP: u64 = 256 << 20;

/// Files and folders a run writes; the only ones `--force` removes.
const RUN_FILES: &[&str] = &[
    "run.json",
    "env.gfn",
    "checkpoint.json",
    "checkpoints",
    "metrics.csv",
    "samples.csv",
    "curves.svg",
    "curves.png",
    "test_set.txt",
];

/// `run.json`: what rebuilds the run (the source is beside it as `env.gfn`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    /// The version of gfnc that wrote the record.
    pub gfnc_version: String,
    /// The directory layout version; anything but [`FORMAT`] is refused.
    #[serde(default)]
    pub format: u32,
    /// The environment's name (`env NAME`).
    pub env: String,
    /// The `.gfn` file trained, as given on the command line.
    pub file: String,
    /// The `--set NAME=VALUE` overrides, as given.
    pub overrides: Vec<String>,
    /// Every param's value in the run, overrides applied.
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Every training option; checked on resume like the flags.
    pub config: Config,
    /// Hash of `env.gfn` and the overrides (see [`source_hash`]).
    #[serde(default)]
    pub source_hash: String,
    /// Whether the reachable graph was explored whole (exact metrics, exhaustive checks).
    #[serde(default)]
    pub exact: bool,
    /// Why not, when it was not (`reachable states > 1000000`).
    #[serde(default)]
    pub exact_reason: Option<String>,
    /// The last evaluation of the finished run; `None` while it is in progress.
    #[serde(default)]
    pub final_metrics: Option<Metrics>,
    /// The exploration budget the run was given (`--max-states`, `--max-memory` in MB) and the
    /// objects it draws at the end: a resumed run keeps them unless given again.
    #[serde(default)]
    pub max_states: Option<usize>,
    /// `--max-memory`, in MB, when given.
    #[serde(default)]
    pub max_memory_mb: Option<usize>,
    /// `--samples`: objects drawn at the end of the run, when given.
    #[serde(default)]
    pub samples: Option<usize>,
    /// The folder of the trained `.gfn` file (absolute): `load` paths and scorers are
    /// relative to it, also when the run is resumed or sampled from its copy `env.gfn`.
    #[serde(default)]
    pub folder: Option<String>,
    /// What the environment was built from besides its source: the values of its params and
    /// consts (hashed), which is where `--set W=@file` arrays and `load(...)` tables end up,
    /// and the commands of its scorers. `None` in runs written before gfnc recorded them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Inputs>,
    /// Recipes changed on `--resume` (the flags that only steer sampling and the learning
    /// rates' schedule), in order: `config` holds the latest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipe_changes: Vec<RecipeChange>,
}

/// A change of recipe on `--resume` (see [`RunRecord::recipe_changes`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecipeChange {
    /// The step the resumed run started from.
    pub step: usize,
    /// The flags given, as `--explore 0.1` and so on.
    pub flags: Vec<String>,
}

/// What an environment was built from besides its source text (see [`RunRecord::inputs`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    /// `param NAME` and `const NAME` → FNV-1a (64 bits) of the value as text.
    pub values: std::collections::BTreeMap<String, String>,
    /// The commands of the external scorers, whose answers cannot be hashed.
    #[serde(default)]
    pub scorers: Vec<String>,
}

impl Inputs {
    /// The inputs of a checked model.
    pub fn of(model: &crate::hir::Interface) -> Inputs {
        let params = model
            .params
            .iter()
            .map(|p| (format!("param {}", p.name), p));
        let consts = model
            .consts
            .iter()
            .map(|c| (format!("const {}", c.name), c));
        Inputs {
            values: params
                .chain(consts)
                .map(|(key, c)| (key, checksum(c.value.to_string().as_bytes())))
                .collect(),
            scorers: model.scorers.iter().map(|s| s.command.clone()).collect(),
        }
    }

    /// The params and consts (`param W`, `const TABLE`) whose values differ from `recorded`'s,
    /// or that either lacks.
    pub fn changed_since(&self, recorded: &Inputs) -> Vec<String> {
        let mut changed: Vec<String> = self
            .values
            .iter()
            .filter(|(name, hash)| recorded.values.get(*name) != Some(hash))
            .map(|(name, _)| name.clone())
            .chain(
                recorded
                    .values
                    .keys()
                    .filter(|name| !self.values.contains_key(*name))
                    .cloned(),
            )
            .collect();
        changed.sort();
        changed.dedup();
        changed
    }
}

/// `checkpoint.json`: the one complete checkpoint of the directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    step: usize,
    /// The checkpoint's folder, relative to the run directory.
    folder: String,
    source_hash: String,
    /// Hash of the training configuration but its length, which a resume may extend.
    config_hash: String,
    files: Vec<FileEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct FileEntry {
    name: String,
    bytes: u64,
    /// FNV-1a, 64 bits, in hex: catches damage, not malice.
    fnv64: String,
}

/// 64-bit FNV-1a of some bytes, in hex.
pub fn checksum(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The identity of a training configuration: its length (`steps`) and the recipe a resumed
/// run may change (see [`Config::without_recipe`]) left out.
pub fn config_hash(config: &Config) -> String {
    length_free_hash(config.without_recipe())
}

/// [`config_hash`] as checkpoints written before the recipe could change on resume have it.
fn legacy_config_hash(config: &Config) -> String {
    length_free_hash(config.clone())
}

/// The checksum of a configuration's JSON with its length (`steps`) left out.
fn length_free_hash(mut config: Config) -> String {
    config.steps = 0;
    checksum(
        serde_json::to_string(&config)
            .unwrap_or_default()
            .as_bytes(),
    )
}

/// The identity of an environment: its source and the overrides applied to it.
pub fn source_hash(source: &str, overrides: &[String]) -> String {
    checksum(format!("{source}\u{0}{}", overrides.join("\u{0}")).as_bytes())
}

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Io(format!("cannot {what} {}: {e}", path.display()))
}

fn damaged(path: &Path, why: impl std::fmt::Display) -> TrainError {
    TrainError::Checkpoint(format!("{}: {why}", path.display()))
}

/// Write a file and sync it to disk (the caller renames it into place).
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let mut file = File::create(path).map_err(|e| io("write", path, e))?;
    file.write_all(bytes).map_err(|e| io("write", path, e))?;
    file.sync_all().map_err(|e| io("write", path, e))
}

fn sync_folder(path: &Path) {
    // Makes the renames inside durable; not every file system allows it, and nothing is lost
    // by failing here beyond that durability.
    if let Ok(folder) = File::open(path) {
        let _ = folder.sync_all();
    }
}

/// Write `path` whole or not at all: a synced sibling temporary, renamed over it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = write_synced(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path).map_err(|e| io("write", path, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// A run directory held by this process.
pub struct RunDir {
    path: PathBuf,
    /// Holds the advisory lock while the directory is in use.
    _lock: File,
}

impl RunDir {
    /// A directory for a new run: created if missing; an existing non-empty one is refused
    /// unless `force`, which removes a previous run's files (and only those).
    pub fn create(path: &Path, force: bool) -> Result<RunDir, TrainError> {
        not_a_file(path)?;
        std::fs::create_dir_all(path).map_err(|e| io("create", path, e))?;
        let lock = lock(path)?;
        refuse_if_taken(path, force)?;
        if force {
            for name in RUN_FILES {
                let target = path.join(name);
                let is_link =
                    std::fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink());
                if is_link {
                    // A link is removed, never followed: what it points to is not the run's.
                    let _ = std::fs::remove_file(&target);
                } else if *name == "checkpoints" {
                    // Only checkpoint folders: a user's own file in there stays.
                    remove_checkpoint_folders(&target, None);
                    let _ = std::fs::remove_dir(&target);
                } else {
                    let _ = std::fs::remove_file(&target);
                }
            }
        }
        let dir = RunDir {
            path: path.to_path_buf(),
            _lock: lock,
        };
        dir.remove_debris(None);
        Ok(dir)
    }

    /// Claim `path` for a command that writes a folder of its own (`gfnc compare`): created
    /// if missing, locked as a run directory is for as long as the returned file is open, and
    /// refused when it holds something and `force` is not given.
    pub fn claim(path: &Path, force: bool) -> Result<File, TrainError> {
        not_a_file(path)?;
        std::fs::create_dir_all(path).map_err(|e| io("create", path, e))?;
        let lock = lock(path)?;
        refuse_if_taken(path, force)?;
        Ok(lock)
    }

    /// Whether a new run could use `path` (as [`RunDir::create`] would decide), without
    /// creating or changing anything: so that a run is refused before it explores and checks.
    pub fn check_available(path: &Path, force: bool) -> Result<(), TrainError> {
        not_a_file(path)?;
        if !path.exists() {
            return Ok(());
        }
        drop(lock(path)?);
        refuse_if_taken(path, force)
    }

    /// An existing run directory, for `--resume` or `gfnc sample`.
    pub fn open(path: &Path) -> Result<RunDir, TrainError> {
        // Any run.json (a link to a device too: reading it says what it is).
        if !path.join("run.json").exists() {
            return Err(TrainError::Usage(format!(
                "{} is not a gfnc run directory (no run.json)",
                path.display()
            )));
        }
        refuse_linked_checkpoints(path)?;
        // Nothing is removed here: debris is cleared once the checkpoint has been verified
        // ([`RunDir::load`]), so that a damaged or newer manifest leaves the directory as it was.
        Ok(RunDir {
            path: path.to_path_buf(),
            _lock: lock(path)?,
        })
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Temporary files, and checkpoint folders other than `keep`, left by an interrupted run.
    fn remove_debris(&self, keep: Option<&str>) {
        let temporary = |name: &str| name.starts_with('.') && name.ends_with(".tmp");
        if let Ok(entries) = std::fs::read_dir(&self.path) {
            for entry in entries.filter_map(|e| e.ok()) {
                if temporary(&entry.file_name().to_string_lossy()) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        remove_checkpoint_folders(&self.path.join("checkpoints"), keep);
    }

    /// Read `run.json`, refusing another format or an invalid configuration.
    pub fn read_record(&self) -> Result<RunRecord, TrainError> {
        read_record(&self.path)
    }

    /// Write `run.json` atomically (a temporary file renamed into place).
    pub fn write_record(&self, record: &RunRecord) -> Result<(), TrainError> {
        let text = serde_json::to_string_pretty(record)
            .map_err(|e| TrainError::Internal(e.to_string()))?;
        write_atomically(&self.path.join("run.json"), text.as_bytes())
    }

    /// Any other file of the run (the source, metrics.csv, samples.csv), atomically.
    pub fn write_file(&self, name: &str, text: &str) -> Result<(), TrainError> {
        write_atomically(&self.path.join(name), text.as_bytes())
    }

    fn manifest(&self) -> Result<Option<Manifest>, TrainError> {
        read_manifest(&self.path)
    }

    /// The step of the directory's checkpoint, if it has one.
    pub fn checkpoint_step(&self) -> Result<Option<usize>, TrainError> {
        Ok(self.manifest()?.map(|m| m.step))
    }

    /// Save the trainer and the metrics so far as one checkpoint; then refresh metrics.csv.
    pub fn save(
        &self,
        trainer: &Trainer,
        rows: &[Metrics],
        source_hash: &str,
    ) -> Result<(), TrainError> {
        let folder = format!("checkpoints/step-{:09}", trainer.step);
        let final_path = self.path.join(&folder);
        let building = self.path.join(format!(
            "checkpoints/.step-{:09}.{}.tmp",
            trainer.step,
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&building);
        std::fs::create_dir_all(&building).map_err(|e| io("create", &building, e))?;
        let result = (|| {
            let mut files = Vec::new();
            for name in trainer.write_checkpoint(&building, rows)? {
                // Read back what was written: the checksum is of the bytes on disk.
                let path = building.join(name);
                let bytes = std::fs::read(&path).map_err(|e| io("read", &path, e))?;
                File::open(&path)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| io("write", &path, e))?;
                files.push(FileEntry {
                    name: name.to_string(),
                    bytes: bytes.len() as u64,
                    fnv64: checksum(&bytes),
                });
            }
            sync_folder(&building);
            let _ = std::fs::remove_dir_all(&final_path);
            std::fs::rename(&building, &final_path).map_err(|e| io("write", &final_path, e))?;
            sync_folder(&self.path.join("checkpoints"));
            let manifest = Manifest {
                format: FORMAT,
                step: trainer.step,
                folder: folder.clone(),
                source_hash: source_hash.to_string(),
                config_hash: config_hash(&trainer.config),
                files,
            };
            let text = serde_json::to_string_pretty(&manifest)
                .map_err(|e| TrainError::Internal(e.to_string()))?;
            write_atomically(&self.path.join("checkpoint.json"), text.as_bytes())?;
            sync_folder(&self.path);
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&building);
            return result;
        }
        self.remove_debris(Some(&folder));
        self.write_file("metrics.csv", &super::tables::metrics_csv(rows))
    }

    /// Restore the trainer from the checkpoint, verified file by file against the manifest and
    /// the environment's source; returns the metrics rows saved with it.
    pub fn load(
        &self,
        trainer: &mut Trainer,
        source_hash: &str,
    ) -> Result<Vec<Metrics>, TrainError> {
        let (rows, folder) = read_verified(&self.path, trainer, source_hash)?;
        self.remove_debris(Some(&folder));
        Ok(rows)
    }
}

/// The files of one checkpoint, read whole and verified against the manifest: what the trainer
/// loads is exactly the bytes that were checked, whatever happens on disk afterwards.
pub struct CheckpointFiles {
    files: Vec<(String, Vec<u8>)>,
}

impl CheckpointFiles {
    /// The bytes of the file `name`; a checkpoint without it is refused.
    pub fn get(&self, name: &str) -> Result<&[u8], TrainError> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, bytes)| bytes.as_slice())
            .ok_or_else(|| TrainError::Checkpoint(format!("checkpoint.json does not list {name}")))
    }
}

/// How often [`read_checkpoint`] reads a checkpoint again when the manifest changed while it
/// was reading (a run in progress replaced it).
const ATTEMPTS: usize = 5;

/// [`RunDir::load`] without taking the directory (for `gfnc sample`, which only reads while a
/// run may be writing): when verification fails and the manifest changed meanwhile, the newer
/// checkpoint is read instead, a few times at most.
pub fn read_checkpoint(
    path: &Path,
    trainer: &mut Trainer,
    source_hash: &str,
) -> Result<Vec<Metrics>, TrainError> {
    let mut attempt = 0;
    loop {
        let before = read_manifest(path).ok().flatten();
        match read_verified(path, trainer, source_hash) {
            Ok((rows, _)) => return Ok(rows),
            Err(e) => {
                attempt += 1;
                let after = read_manifest(path).ok().flatten();
                if attempt >= ATTEMPTS || before.is_none() || after == before {
                    return Err(e);
                }
            }
        }
    }
}

/// Read the manifest and the folder it names, verify every file, then load the trainer from
/// the verified bytes; returns the metrics rows and the folder.
fn read_verified(
    path: &Path,
    trainer: &mut Trainer,
    source_hash: &str,
) -> Result<(Vec<Metrics>, String), TrainError> {
    let manifest_path = path.join("checkpoint.json");
    let manifest = read_manifest(path)?.ok_or_else(|| {
        damaged(
            &manifest_path,
            "missing: the run has no complete checkpoint; start it anew with --force",
        )
    })?;
    if manifest.source_hash != source_hash {
        return Err(damaged(
            &path.join("env.gfn"),
            "changed since the checkpoint was written (or the overrides in run.json did): restore it, or start a new run",
        ));
    }
    if manifest.config_hash != config_hash(&trainer.config)
        && manifest.config_hash != legacy_config_hash(&trainer.config)
    {
        return Err(damaged(
            &path.join("run.json"),
            "its configuration differs from the one the checkpoint was trained with: restore it, or start a new run",
        ));
    }
    let folder = path.join(&manifest.folder);
    if !folder.is_dir() {
        return Err(damaged(
            &manifest_path,
            format!(
                "names the checkpoint folder {}, which is missing: the checkpoint is lost (start the run anew with --force)",
                folder.display()
            ),
        ));
    }
    let mut files = Vec::new();
    for entry in &manifest.files {
        let file = folder.join(&entry.name);
        // Read through the size the manifest records: a file that grew, or a link to a device,
        // is refused without reading more.
        let bytes = crate::files::read_bounded(&file, entry.bytes).map_err(|e| match e {
            crate::files::ReadError::Io(e) => io("read", &file, e),
            other => damaged(
                &file,
                format!("{other}; checkpoint.json records {} bytes", entry.bytes),
            ),
        })?;
        if bytes.len() as u64 != entry.bytes || checksum(&bytes) != entry.fnv64 {
            return Err(damaged(
                &file,
                "does not match its checksum in checkpoint.json: the checkpoint is damaged",
            ));
        }
        files.push((entry.name.clone(), bytes));
    }
    let rows = trainer
        .read_checkpoint(&CheckpointFiles { files })
        .map_err(|e| match e {
            TrainError::Checkpoint(why) => damaged(&folder, why),
            other => other,
        })?;
    if trainer.step != manifest.step {
        return Err(damaged(
            &manifest_path,
            format!(
                "names step {} but the files hold step {}",
                manifest.step, trainer.step
            ),
        ));
    }
    Ok((rows, manifest.folder))
}

/// Read a file of the run directory through `cap` bytes (regular files only: a link to
/// `/dev/zero` is refused, not read); `None` when it does not exist.
fn read_run_file(file: &Path, cap: u64) -> Result<Option<Vec<u8>>, TrainError> {
    match crate::files::read_bounded(file, cap) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(crate::files::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(crate::files::ReadError::Io(e)) => Err(io("read", file, e)),
        Err(other) => Err(damaged(file, other)),
    }
}

fn read_manifest(path: &Path) -> Result<Option<Manifest>, TrainError> {
    let file = path.join("checkpoint.json");
    let Some(bytes) = read_run_file(&file, MANIFEST_CAP)? else {
        return Ok(None);
    };
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| damaged(&file, format!("not a manifest ({e})")))?;
    if manifest.format != FORMAT {
        return Err(damaged(
            &file,
            format!(
                "format {} (this gfnc reads format {FORMAT})",
                manifest.format
            ),
        ));
    }
    let inside = manifest
        .folder
        .strip_prefix("checkpoints/")
        .is_some_and(is_checkpoint_folder);
    let plain_names = manifest
        .files
        .iter()
        .all(|f| !f.name.is_empty() && !f.name.contains(['/', '\\']) && !f.name.starts_with('.'));
    if !inside || !plain_names {
        return Err(damaged(
            &file,
            format!(
                "names `{}`, not a checkpoint folder of this directory",
                manifest.folder
            ),
        ));
    }
    Ok(Some(manifest))
}

/// `run.json` of a directory, without taking the lock (for reading only).
pub fn read_record(path: &Path) -> Result<RunRecord, TrainError> {
    let file = path.join("run.json");
    let bytes = read_run_file(&file, RECORD_CAP)?
        .ok_or_else(|| io("read", &file, "No such file or directory"))?;
    if !is_gfnc_record(&bytes) {
        return Err(TrainError::Usage(format!(
            "{} was not written by gfnc: {} is not a gfnc run directory",
            file.display(),
            path.display()
        )));
    }
    let record: RunRecord = serde_json::from_slice(&bytes)
        .map_err(|e| damaged(&file, format!("not a gfnc run record ({e})")))?;
    if record.format != FORMAT {
        return Err(damaged(
            &file,
            format!(
                "format {} (this gfnc reads format {FORMAT}; the run was written by gfnc {})",
                record.format, record.gfnc_version
            ),
        ));
    }
    record
        .config
        .validate()
        .map_err(|why| damaged(&file, format!("invalid configuration: {why}")))?;
    Ok(record)
}

/// Whether `run.json`'s bytes are a record gfnc wrote (of any format): a JSON object naming
/// the `gfnc_version` that wrote it. Another program's run.json is the user's own.
fn is_gfnc_record(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .is_ok_and(|value| value.get("gfnc_version").is_some_and(|v| v.is_string()))
}

/// Whether the directory's `run.json` is a user's own file rather than gfnc's (unreadable or
/// huge counts as the user's: gfnc never removes what it cannot recognise).
fn holds_foreign_record(path: &Path) -> bool {
    match read_run_file(&path.join("run.json"), RECORD_CAP) {
        Ok(Some(bytes)) => !is_gfnc_record(&bytes),
        Ok(None) => false,
        Err(_) => true,
    }
}

/// A `checkpoints` that is a symbolic link would put the run's files outside its directory.
fn refuse_linked_checkpoints(path: &Path) -> Result<(), TrainError> {
    let target = path.join("checkpoints");
    if std::fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(TrainError::Usage(format!(
            "{} is a symbolic link: a run keeps its checkpoints inside its directory; remove the link",
            target.display()
        )));
    }
    Ok(())
}

/// `--out` naming a file rather than a directory.
fn not_a_file(path: &Path) -> Result<(), TrainError> {
    if path.exists() && !path.is_dir() {
        return Err(TrainError::Usage(format!(
            "{} exists and is not a directory: choose another --out",
            path.display()
        )));
    }
    Ok(())
}

/// A non-empty directory is refused for a new run unless `force`.
fn refuse_if_taken(path: &Path, force: bool) -> Result<(), TrainError> {
    let entries: Vec<String> = std::fs::read_dir(path)
        .map_err(|e| io("read", path, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|name| name != ".lock")
        .collect();
    let holds = |name: &str| entries.iter().any(|n| n == name);
    if holds("run.json") && holds_foreign_record(path) {
        // Not a run of gfnc's: --force would remove the user's own run.json.
        return Err(TrainError::Usage(format!(
            "{} holds a run.json that gfnc did not write: it is not a gfnc run directory; choose another --out",
            path.display()
        )));
    }
    if entries.is_empty() || force {
        return Ok(());
    }
    Err(TrainError::Usage(
        if holds("run.json") && holds("checkpoint.json") {
            format!(
            "{} holds another run: continue it with `gfnc run --resume {}`, or replace it with --force",
            path.display(),
            path.display()
        )
        } else if holds("run.json") {
            format!(
            "{} holds a run that stopped before its first checkpoint (nothing to resume): replace it with --force",
            path.display()
        )
        } else {
            format!(
            "{} is not empty ({} entries, e.g. {}): choose another --out, or pass --force to write into it",
            path.display(),
            entries.len(),
            entries[0]
        )
        },
    ))
}

/// Remove the checkpoint folders (`step-N`, and `.step-N.PID.tmp` being built) in `folder`,
/// except `keep`; nothing else there is touched.
fn remove_checkpoint_folders(folder: &Path, keep: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().to_string();
        let ours =
            is_checkpoint_folder(&name) || (name.starts_with(".step-") && name.ends_with(".tmp"));
        if ours && Some(format!("checkpoints/{name}").as_str()) != keep {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// `step-000001000`: the name of a checkpoint folder.
fn is_checkpoint_folder(name: &str) -> bool {
    name.strip_prefix("step-")
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// An exclusive advisory lock on `DIR/.lock`, refused at once if another process holds it.
fn lock(path: &Path) -> Result<File, TrainError> {
    let lock_path = path.join(".lock");
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    {
        // A `.lock` that is a symbolic link is refused, not followed: writing the pid into it
        // would overwrite whatever it points to.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = options.open(&lock_path).map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            TrainError::Usage(format!(
                "{} is a symbolic link; remove it (gfnc writes its lock there)",
                lock_path.display()
            ))
        } else {
            io("open", &lock_path, e)
        }
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on a file descriptor this function owns; no memory is shared.
        let status = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if status != 0 {
            let holder = std::fs::read_to_string(&lock_path).unwrap_or_default();
            let holder = holder.trim();
            return Err(TrainError::Usage(format!(
                "{} is in use by another gfnc process{}: wait for it to finish, or choose another directory",
                path.display(),
                if holder.is_empty() { String::new() } else { format!(" (pid {holder})") }
            )));
        }
    }
    let _ = file.set_len(0);
    let _ = write!(file, "{}", std::process::id());
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_gfncs_when_it_names_the_version_that_wrote_it() {
        assert!(is_gfnc_record(br#"{"gfnc_version": "9.0.0", "format": 7}"#));
        assert!(!is_gfnc_record(br#"{"hello": 1}"#));
        assert!(!is_gfnc_record(br#"{"gfnc_version": 1}"#));
        assert!(!is_gfnc_record(b"[1, 2]"));
        assert!(!is_gfnc_record(b"not json"));
    }

    #[test]
    fn changed_inputs_are_named() {
        let recorded = Inputs {
            values: [("param W", "1"), ("const T", "2"), ("const Gone", "3")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            scorers: Vec::new(),
        };
        let mut now = recorded.clone();
        assert!(now.changed_since(&recorded).is_empty());
        now.values.insert("const T".to_string(), "9".to_string());
        now.values.remove("const Gone");
        now.values.insert("param New".to_string(), "4".to_string());
        assert_eq!(
            now.changed_since(&recorded),
            ["const Gone", "const T", "param New"]
        );
    }
}
