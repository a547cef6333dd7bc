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
mod limits;
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

/// Run `gfnc` from the repository root, killed (and the test failed) past `seconds`: a limit
/// that is not enforced fails instead of hanging the suite.
pub fn gfnc_within(args: &[&str], seconds: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gfnc"))
        .args(args)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("gfnc starts");
    // Drain the pipes on threads: a child that fills one would otherwise block forever.
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut bytes);
        bytes
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gfnc {args:?} ran past {seconds} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
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
