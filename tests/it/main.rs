//! The integration tests, in one binary so that they build once.

mod cli;
mod compare;
mod data;
mod diagnostics;
mod discovery;
mod env;
mod examples;
mod fuzz;
mod hostile;
mod hostile_data;
mod hostile_rundir;
mod layers;
mod lsp;
mod oracle;
mod plot;
mod policy;
mod speed;
mod third_round;
mod train;
mod trust;
mod tutorial;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run the `gfnc` binary from the repository root.
pub fn gfnc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gfnc"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("gfnc runs")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.gfn` file in a folder of the repository, sorted.
pub fn gfn_files(folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(folder))
        .expect("folder exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "gfn"))
        .collect();
    files.sort();
    files
}
