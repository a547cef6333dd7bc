//! The command line: `gfnc check | ...`. Exit codes: 0 ok, 1 diagnostics or a run-time error
//! in the model, 2 bad usage (clap's own errors use 2 as well).

#[macro_use]
mod output;
mod bench;
mod check;
mod compare;
mod enumerate;
mod inspect;
mod plot;
mod run;
mod run_args;
mod run_report;
mod scorer_bench;

use clap::{Parser, Subcommand, ValueEnum};
use gfnc::diagnostic::{self, Diagnostic};
use gfnc::Override;
use run_args::RunArgs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
    /// Threads for tensor operations (one is fastest for small networks on two cores).
    #[arg(long, default_value_t = 1, global = true, value_parser = count(1, 256))]
    threads: usize,
    #[command(subcommand)]
    command: Command,
}

/// How much of the reachable graph to explore and check (every command that loads a file).
#[derive(clap::Args, Debug, Clone, Copy)]
struct ExploreArgs {
    /// Explore and check at most this many reachable states; beyond, checks are partial and
    /// exact metrics are off [default: 1000000; a resumed run keeps its own].
    #[arg(long = "max-states", value_name = "N", value_parser = count(1, 1_000_000_000))]
    max_states: Option<usize>,
    /// Memory the exploration (and a run) may hold, in MB [default: 4000; a resumed run keeps
    /// its own].
    #[arg(long = "max-memory", value_name = "MB", value_parser = count(1, 1_000_000))]
    max_memory: Option<usize>,
    /// When the graph does not fit: forward trajectories (and backward walks) of the seeded
    /// probe that checks what it meets (0: none).
    #[arg(long, default_value_t = gfnc::DEFAULT_PROBE, value_name = "K", value_parser = count(0, 10_000_000))]
    probe: usize,
    /// Time the exploration may take, in seconds; beyond, checks are partial (with the reason)
    /// [default: 60 for check and enumerate, whose job it is; 3 for the others].
    #[arg(long = "explore-seconds", value_name = "S", value_parser = seconds)]
    explore_seconds: Option<f64>,
    /// The probe's time limit, in seconds.
    #[arg(long = "probe-seconds", default_value_t = gfnc::DEFAULT_PROBE_SECONDS, value_name = "S", value_parser = seconds)]
    probe_seconds: f64,
    /// How long an external scorer (`extern(...)` in the reward) may take to answer one batch
    /// before the command fails, in seconds.
    #[arg(long = "scorer-timeout", default_value_t = 60.0, value_name = "S", value_parser = seconds)]
    scorer_timeout: f64,
    /// Copies of each external scorer started side by side: every batch is split among them
    /// (answers memoised once for all).
    #[arg(long = "scorer-workers", default_value_t = 1, value_name = "N", value_parser = count(1, gfnc::env::MAX_SCORER_WORKERS))]
    scorer_workers: usize,
    /// The most actions a trajectory may take (sampled, probed, estimated, walked back or
    /// searched locally); a longer one stops the command with an error naming the state.
    #[arg(long = "max-length", default_value_t = gfnc::env::DEFAULT_MAX_LENGTH, value_name = "N", value_parser = count(1, 1_000_000_000))]
    max_length: usize,
}

impl ExploreArgs {
    /// The checks of a command that explores on its way to something else (run, sample,
    /// compare, inspect): a short time budget by default.
    fn checks(self) -> gfnc::Checks {
        self.checks_within(gfnc::env::dag::DEFAULT_EXPLORE_SECONDS)
    }

    /// The checks of `gfnc check` and `enumerate`, whose job is the exploration.
    fn thorough_checks(self) -> gfnc::Checks {
        self.checks_within(gfnc::env::dag::DEFAULT_THOROUGH_EXPLORE_SECONDS)
    }

    fn checks_within(self, default_seconds: f64) -> gfnc::Checks {
        let seconds = self.explore_seconds.unwrap_or(default_seconds);
        gfnc::Checks {
            budget: gfnc::env::dag::Budget {
                max_states: self
                    .max_states
                    .unwrap_or(gfnc::env::dag::DEFAULT_MAX_STATES),
                max_bytes: self
                    .max_memory
                    .map_or(gfnc::env::dag::DEFAULT_MAX_BYTES, |mb| {
                        mb.saturating_mul(1_000_000)
                    }),
                max_time: Some(
                    std::time::Duration::try_from_secs_f64(seconds)
                        .unwrap_or(std::time::Duration::MAX),
                ),
                ..gfnc::env::dag::Budget::default()
            },
            probe: self.probe,
            seed: 0,
            probe_seconds: self.probe_seconds,
            scorer_timeout: std::time::Duration::try_from_secs_f64(self.scorer_timeout)
                .unwrap_or(std::time::Duration::MAX),
            scorer_workers: self.scorer_workers,
            max_length: self.max_length,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse and check a .gfn file; print a one-line summary. Example:
    /// `gfnc check examples/hypergrid.gfn --set D=3`
    Check {
        /// The .gfn file.
        file: PathBuf,
        /// Override a param: --set NAME=VALUE (repeatable).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_override)]
        overrides: Vec<Override>,
        #[command(flatten)]
        explore: ExploreArgs,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Enumerate the reachable DAG: states, edges, exact log Z, modes, top objects. Example:
    /// `gfnc enumerate examples/hypergrid.gfn --top 10`
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
        #[arg(long, default_value_t = 5, value_parser = count(0, 1_000_000))]
        top: usize,
        #[command(flatten)]
        explore: ExploreArgs,
    },
    /// Show one state: its kind, reward, children and derived parents. Example:
    /// `gfnc inspect examples/hypergrid.gfn --state 'x=[3, 5]'`
    Inspect {
        /// The .gfn file.
        file: PathBuf,
        /// Override a param: --set NAME=VALUE (repeatable).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_override)]
        overrides: Vec<Override>,
        /// The state, as rendered by gfnc: `x=[3, 5]` (default: the initial state).
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        explore: ExploreArgs,
    },
    /// Train a sampler whose terminal distribution is proportional to the reward. Example:
    /// `gfnc run examples/hypergrid.gfn --steps 2000 --out runs/grid`
    Run(Box<RunArgs>),
    /// Compare GFlowNets with MCMC, tree search, reward maximisation, MaxEnt RL and the uniform
    /// policy at an equal budget of states visited. Example:
    /// `gfnc compare examples/hypergrid.gfn --set D=4 --set R0=0.01 --budget 20000 --seeds 3`
    Compare(Box<compare::CompareArgs>),
    /// Draw objects from a trained run. Example: `gfnc sample runs/grid -n 10`
    Sample {
        /// The run directory (from `gfnc run --out`).
        dir: PathBuf,
        /// How many objects.
        #[arg(short = 'n', long = "count", default_value_t = 100, value_parser = count(0, 10_000_000))]
        count: usize,
        #[arg(long, value_enum, default_value_t = run::SampleFormat::Csv)]
        format: run::SampleFormat,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        explore: ExploreArgs,
    },
    /// Draw runs as SVG and PNG: curves (several runs overlaid), a histogram of the sampled
    /// log rewards, a heat map of 2-D states. Example: `gfnc plot runs/a runs/b --out plots`
    Plot {
        /// The run directories (from `gfnc run --out`).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where the pictures go [default: the run directory; needed for several runs].
        #[arg(long)]
        out: Option<PathBuf>,
        /// The heat map's two coordinates: a field of two ints (`x`), two coordinates
        /// (`x[0],x[2]`, `a,b`) or two indices into the state's int array (`0,2`).
        #[arg(long, value_name = "FIELD_OR_INDICES")]
        axes: Option<String>,
    },
    /// Benchmarks that print ratios against a reference measured in the same run. Example:
    /// `gfnc bench env --trajectories 10000`
    #[command(subcommand)]
    Bench(BenchCommand),
    /// A language server for editors. Example: `gfnc lsp` speaks LSP over stdio.
    Lsp,
    /// Print a shell completion script. Example: `gfnc completions zsh > ~/.zfunc/_gfnc`
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Milliseconds per training iteration on hypergrids, by batch size and backward policy.
    /// Example: `gfnc bench train --batches 16 --iterations 50`
    Train {
        /// The hypergrid .gfn file.
        #[arg(long, default_value = "examples/hypergrid.gfn")]
        file: PathBuf,
        /// Untimed iterations first, so that the policy walks trajectories of trained length.
        #[arg(long, default_value_t = 500, value_parser = count(0, 1_000_000))]
        warmup: usize,
        #[arg(long, default_value_t = 100, value_parser = count(1, 1_000_000))]
        iterations: usize,
        /// Batch sizes to time.
        #[arg(long, value_delimiter = ',', default_value = "16,128", value_parser = count(1, 65_536))]
        batches: Vec<usize>,
    },
    /// Random trajectories through the compiled hypergrid and a hand-written one. Example:
    /// `gfnc bench env --dims 2 --side 8`
    Env {
        /// The hypergrid .gfn file.
        #[arg(long, default_value = "examples/hypergrid.gfn")]
        file: PathBuf,
        #[arg(long, default_value_t = 4, value_parser = count(1, 16))]
        dims: usize,
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(i32).range(2..=1000))]
        side: i32,
        #[arg(long, default_value_t = 256, value_parser = count(1, 65_536))]
        batch: usize,
        #[arg(long, default_value_t = 100_000, value_parser = count(1, 1_000_000_000))]
        trajectories: usize,
        #[arg(long, default_value_t = 3, value_parser = count(1, 100))]
        repeats: usize,
    },
    /// Objects per second through a trivial external scorer (python3), by batch size.
    /// Example: `gfnc bench scorer --batches 1,16`
    Scorer {
        /// Batch sizes to time.
        #[arg(long, value_delimiter = ',', default_value = "1,16,256", value_parser = count(1, 65_536))]
        batches: Vec<usize>,
        /// Objects scored per batch size (at most 4^8, all distinct).
        #[arg(long, default_value_t = 20_000, value_parser = count(1, 60_000))]
        objects: usize,
    },
}

/// A parser of counts between `lo` and `hi`: every count flag has a documented maximum, so a
/// huge value is a usage error rather than an allocation that aborts.
fn count(lo: usize, hi: usize) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync {
    move |text: &str| {
        let value: usize =
            text.trim().replace('_', "").parse().map_err(|_| {
                format!("expected a whole number from {lo} to {hi}, found `{text}`")
            })?;
        if (lo..=hi).contains(&value) {
            Ok(value)
        } else {
            Err(format!("must be from {lo} to {hi}, not {value}"))
        }
    }
}

/// A flag raised by Ctrl-C or SIGTERM (the `ctrlc` crate's `termination` feature): `run`
/// finishes the current step, saves and exits, `compare` writes the runs finished; a second
/// one exits at once.
fn interruption() -> Arc<AtomicBool> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    interrupted
}

/// A param set twice with `--set` is a usage error rather than a silent last-one-wins.
fn unique_overrides(command: &Command) -> Result<(), Failure> {
    let overrides: &[Override] = match command {
        Command::Check { overrides, .. }
        | Command::Enumerate { overrides, .. }
        | Command::Inspect { overrides, .. } => overrides,
        Command::Run(args) => &args.overrides,
        Command::Compare(args) => &args.overrides,
        _ => &[],
    };
    for (k, o) in overrides.iter().enumerate() {
        if overrides[..k].iter().any(|p| p.name == o.name) {
            return Err(Failure::Usage(format!(
                "--set {} is given twice: keep one value",
                o.name
            )));
        }
    }
    Ok(())
}

/// A duration in seconds: finite and not negative.
fn seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(s),
        _ => Err(format!(
            "expected a number of seconds, 0 or more, found `{text}`"
        )),
    }
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
        warn_raw!(
            "{}",
            diagnostic::render(diagnostics, &name, source, self.color, RENDER_WIDTH)
        );
        let errors = diagnostics.len();
        warn!(
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
    /// Stopped by Ctrl-C after saving: exit 130.
    Interrupted,
}

pub use gfnc::number::{number_text, reward_text};

/// Load, check and explore a file as `gfnc check` does, printing its diagnostics on failure
/// and a progress line on long explorations (when stderr is a terminal).
pub fn validate(
    output: &Output,
    path: &Path,
    source: &str,
    overrides: &[Override],
    checks: &gfnc::Checks,
) -> Result<gfnc::Validated, Failure> {
    validate_in(
        output,
        (path, &folder_of(path)),
        source,
        overrides,
        checks,
        &|_| {},
    )
}

/// The folder of a `.gfn` file, where its `load` paths and scorers are.
pub fn folder_of(path: &Path) -> std::path::PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// [`validate`] with `load` and scorers relative to `folder` (a saved run's original folder);
/// `adjust` rewords a diagnostic for where the inputs came from (a saved run's record).
pub fn validate_in(
    output: &Output,
    (path, folder): (&Path, &Path),
    source: &str,
    overrides: &[Override],
    checks: &gfnc::Checks,
    adjust: &dyn Fn(&mut gfnc::Diagnostic),
) -> Result<gfnc::Validated, Failure> {
    let mut bar: Option<indicatif::ProgressBar> = None;
    let interactive = std::io::stderr().is_terminal();
    let mut progress = |expanded: usize, discovered: usize| {
        if !interactive {
            return;
        }
        let bar = bar.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::new(checks.budget.max_states as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "exploring {bar:30} {pos}/{len} states found, {per_sec}, {elapsed}  {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        bar.set_position(discovered as u64);
        bar.set_message(format!("{expanded} expanded"));
    };
    let result = gfnc::validate_in(source, overrides, folder, checks, &mut progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result.map_err(|mut diagnostics| {
        diagnostics.iter_mut().for_each(adjust);
        output.diagnostics(path, source, &diagnostics);
        Failure::Reported
    })
}

/// The largest source file read (the same limit the parser enforces).
const MAX_SOURCE_BYTES: u64 = 1 << 20;

/// Read a source file; unreadable or oversized files are a usage error, and so are files that
/// are not regular (a FIFO would block, `/dev/zero` never ends) and non-UTF-8 ones. A leading
/// byte-order mark is dropped (editors on some systems write one): the spans of diagnostics
/// then refer to the text without it, which is the text they are rendered with.
pub fn read_source(path: &Path) -> Result<String, Failure> {
    let bytes = gfnc::files::read_bounded(path, MAX_SOURCE_BYTES).map_err(|e| match e {
        gfnc::files::ReadError::TooLarge { .. } => Failure::Usage(format!(
            "{} is larger than 1 MiB: a .gfn file describes an environment; keep data in files the program loads",
            path.display()
        )),
        e => Failure::Usage(format!("cannot read {}: {e}", path.display())),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Failure::Usage(format!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })?;
    Ok(gfnc::files::strip_bom(text))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Tensor code reads the thread count from the environment; an explicit setting wins.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", cli.threads.max(1).to_string());
    }
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
    let result = unique_overrides(&cli.command).and_then(|()| dispatch(cli.command, &output));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Reported) => ExitCode::from(1),
        Err(Failure::Interrupted) => ExitCode::from(130),
        Err(Failure::Usage(message)) => {
            warn!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Run one `gfnc bench` subcommand.
fn bench_command(command: BenchCommand, output: &Output) -> Result<(), Failure> {
    match command {
        BenchCommand::Train {
            file,
            warmup,
            iterations,
            batches,
        } => bench::train(
            output,
            &file,
            &bench::TrainOptions {
                warmup,
                iterations,
                batches,
            },
        ),
        BenchCommand::Scorer { batches, objects } => {
            scorer_bench::scorer(output, &batches, objects)
        }
        BenchCommand::Env {
            file,
            dims,
            side,
            batch,
            trajectories,
            repeats,
        } => bench::env(
            output,
            &file,
            &bench::EnvOptions {
                dims,
                side,
                batch,
                trajectories,
                repeats,
            },
        ),
    }
}

/// Run one command.
fn dispatch(command: Command, output: &Output) -> Result<(), Failure> {
    match command {
        Command::Check {
            file,
            overrides,
            explore,
            json,
        } => check::run(output, &file, &overrides, &explore.thorough_checks(), json),
        Command::Enumerate {
            file,
            overrides,
            json,
            top,
            explore,
        } => enumerate::run(
            output,
            &file,
            &overrides,
            &enumerate::Options {
                json,
                top,
                checks: explore.thorough_checks(),
            },
        ),
        Command::Compare(args) => compare::run(output, *args, interruption()),
        Command::Run(args) => args
            .options()
            .and_then(|options| run::run(output, options, interruption())),
        Command::Inspect {
            file,
            overrides,
            state,
            explore,
        } => inspect::run(
            output,
            &file,
            &overrides,
            state.as_deref(),
            &explore.checks(),
        ),
        Command::Sample {
            dir,
            count,
            format,
            seed,
            explore,
        } => run::sample(
            output,
            &dir,
            &run::SampleOptions {
                count,
                format,
                seed,
                max_states: explore.max_states,
                max_memory_mb: explore.max_memory,
                checks: explore.checks(),
            },
        ),
        Command::Plot { dirs, out, axes } => plot::run(&plot::Options { dirs, out, axes }),
        Command::Lsp => gfnc::lsp::serve_stdio().map_err(|e| {
            // The session ended against the protocol (exit before shutdown, stdin closed):
            // LSP asks for exit status 1.
            warn!("gfnc lsp: {e}");
            Failure::Reported
        }),
        Command::Completions { shell } => {
            // Generated into memory and printed by `say_raw!`: clap_complete's writer panics
            // on a closed pipe (`gfnc completions bash | head`).
            let mut script = Vec::new();
            let mut cli = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cli, "gfnc", &mut script);
            say_raw!("{}", String::from_utf8_lossy(&script));
            Ok(())
        }
        Command::Bench(command) => bench_command(command, output),
    }
}
