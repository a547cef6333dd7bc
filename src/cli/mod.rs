//! The command line: `gfnc check | ...`. Exit codes: 0 ok, 1 diagnostics or a run-time error
//! in the model, 2 bad usage (clap's own errors use 2 as well).

mod bench;
mod check;
mod enumerate;

use clap::{Parser, Subcommand, ValueEnum};
use gfnc::diagnostic::{self, Diagnostic};
use gfnc::Override;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Width used to lay out diagnostics; fixed so that output does not depend on the terminal.
const RENDER_WIDTH: usize = 100;

#[derive(Parser, Debug)]
#[command(
    name = "gfnc",
    version,
    about = "Compile and train GFlowNet environments written in .gfn"
)]
struct Cli {
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse and check a .gfn file; print a one-line summary.
    Check {
        /// The .gfn file.
        file: PathBuf,
        /// Override a param: --set NAME=VALUE (repeatable).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_override)]
        overrides: Vec<Override>,
    },
    /// Enumerate the reachable DAG: states, edges, exact log Z, modes, top objects.
    Enumerate {
        /// The .gfn file.
        file: PathBuf,
        /// Override a param: --set NAME=VALUE (repeatable).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_override)]
        overrides: Vec<Override>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// How many terminal objects to list, by reward.
        #[arg(long, default_value_t = 5)]
        top: usize,
        /// Stop with an error past this many states.
        #[arg(long, default_value_t = gfnc::env::dag::DEFAULT_LIMIT)]
        limit: usize,
    },
    /// Benchmarks that print ratios against a reference measured in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Random trajectories through the compiled hypergrid and a hand-written one.
    Env {
        /// The hypergrid .gfn file.
        #[arg(long, default_value = "examples/hypergrid.gfn")]
        file: PathBuf,
        #[arg(long, default_value_t = 4)]
        dims: usize,
        #[arg(long, default_value_t = 8)]
        side: i32,
        #[arg(long, default_value_t = 256)]
        batch: usize,
        #[arg(long, default_value_t = 100_000)]
        trajectories: usize,
        #[arg(long, default_value_t = 3)]
        repeats: usize,
    },
}

fn parse_override(text: &str) -> Result<Override, String> {
    Override::parse(text).ok_or_else(|| format!("expected NAME=VALUE, found `{text}`"))
}

/// What a command needs to report problems.
pub struct Output {
    color: diagnostic::Color,
}

impl Output {
    /// Print diagnostics about `source` to stderr.
    pub fn diagnostics(&self, path: &Path, source: &str, diagnostics: &[Diagnostic]) {
        let name = path.display().to_string();
        eprint!(
            "{}",
            diagnostic::render(diagnostics, &name, source, self.color, RENDER_WIDTH)
        );
        let errors = diagnostics.len();
        eprintln!(
            "{name}: {errors} error{}",
            if errors == 1 { "" } else { "s" }
        );
    }
}

/// A failure that ends the command with an exit code.
pub enum Failure {
    /// Diagnostics were printed: exit 1.
    Reported,
    /// Bad usage (a file that cannot be read, ...): exit 2.
    Usage(String),
}

/// Read a source file; unreadable files are a usage error, non-UTF-8 ones a diagnostic.
pub fn read_source(path: &Path) -> Result<String, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|e| {
        Failure::Usage(format!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        ColorChoice::Always => diagnostic::Color::Always,
        ColorChoice::Never => diagnostic::Color::Never,
        ColorChoice::Auto
            if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() =>
        {
            diagnostic::Color::Always
        }
        ColorChoice::Auto => diagnostic::Color::Never,
    };
    let output = Output { color };
    let result = match cli.command {
        Command::Check { file, overrides } => check::run(&output, &file, &overrides),
        Command::Enumerate {
            file,
            overrides,
            json,
            top,
            limit,
        } => enumerate::run(
            &output,
            &file,
            &overrides,
            &enumerate::Options { json, top, limit },
        ),
        Command::Bench(BenchCommand::Env {
            file,
            dims,
            side,
            batch,
            trajectories,
            repeats,
        }) => bench::env(
            &output,
            &file,
            &bench::EnvOptions {
                dims,
                side,
                batch,
                trajectories,
                repeats,
            },
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Reported) => ExitCode::from(1),
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
