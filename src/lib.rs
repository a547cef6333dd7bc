#![warn(missing_docs)]
//! `gfnc`: a compiler and trainer for declarative GFlowNet environments.
//!
//! The public API follows the pipeline: [`load`] parses and checks a `.gfn` source into a
//! [`Model`]; [`validate`] also compiles it into an [`env::Environment`] and checks the graph
//! reachable from s0 (exhaustively when it fits, by a probe otherwise); a [`train::Trainer`]
//! trains a sampler on that environment and draws objects from it, and a
//! [`train::Session`] does so in a run directory (checkpoints, resume, samples.csv), as
//! `gfnc run` does. Everything a user can get
//! wrong comes back as [`Diagnostic`]s, rendered by [`diagnostic::render`].
//!
//! ```
//! use gfnc::train::{Config, Objective, Trainer};
//!
//! let source = "env tiny
//! state { n: 0..4 }
//! action inc when n < 3 { n += 1 }
//! stop
//! reward float(n) + 1";
//!
//! // Parse, check, compile and explore: four states, all checks passed.
//! let checked = gfnc::validate(source, &[]).expect("a valid program");
//! let dag = checked.dag.expect("the graph fits the default budget");
//! assert_eq!(dag.states.len(), 4);
//!
//! // Train with trajectory balance; exact metrics come from the DAG.
//! let config = Config { objective: Objective::Tb, steps: 200, hidden: 32, ..Config::default() };
//! let mut trainer = Trainer::new(&checked.env, config, Some(dag)).expect("a trainer");
//! for _ in 0..200 {
//!     trainer.train_step().expect("a step");
//! }
//! let metrics = trainer.evaluate().expect("metrics");
//! assert!((metrics.log_z - 10f64.ln()).abs() < 0.2, "log Z = ln(1+2+3+4)");
//! assert!(metrics.l1.expect("exact L1") < 0.2);
//!
//! // Draw objects: each terminal state with its log reward and exact log P_T.
//! for (state, log_reward, log_p) in trainer.draw(5, 0, &|| false).expect("samples") {
//!     println!("{}  R = {:.0}  P = {:.3}", checked.env.render(&state), log_reward.exp(), log_p.exp());
//! }
//! ```

pub mod bench;
pub mod check;
pub mod compare;
mod compile;
pub mod diagnostic;
pub mod env;
pub mod files;
pub mod hir;
mod ir;
pub mod lsp;
mod metrics;
pub mod number;
mod ops;
pub mod plot;
mod run;
pub mod span;
mod stack;
mod syntax;
pub mod train;

pub use check::{Model, Override};
pub use diagnostic::Diagnostic;

/// How thoroughly [`validate_with`] checks the environment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Checks {
    /// The reachable graph is explored and checked exhaustively within this budget.
    pub budget: env::dag::Budget,
    /// Beyond the budget: forward trajectories of the seeded probe (0: none).
    pub probe: usize,
    /// The probe's seed.
    pub seed: u64,
    /// The probe stops after this many seconds, whatever `probe` says.
    pub probe_seconds: f64,
    /// How long an external scorer may take to answer one batch.
    pub scorer_timeout: std::time::Duration,
    /// Copies of each external scorer that share every batch (`--scorer-workers`).
    pub scorer_workers: usize,
    /// The most actions a trajectory may take (`--max-length`): the probe's, and those of
    /// everything that later samples on the environment [`validate_with`] returns.
    pub max_length: usize,
}

/// Forward trajectories of the probe when the reachable graph does not fit.
pub const DEFAULT_PROBE: usize = 2000;

/// The probe's time limit, in seconds.
pub const DEFAULT_PROBE_SECONDS: f64 = 5.0;

impl Default for Checks {
    fn default() -> Checks {
        Checks {
            budget: env::dag::Budget::default(),
            probe: DEFAULT_PROBE,
            seed: 0,
            probe_seconds: DEFAULT_PROBE_SECONDS,
            scorer_timeout: env::DEFAULT_SCORER_TIMEOUT,
            scorer_workers: 1,
            max_length: env::DEFAULT_MAX_LENGTH,
        }
    }
}

/// What was checked of a reachable graph too large to explore.
#[derive(Clone, Debug, PartialEq)]
pub struct Partial {
    /// Why the exploration stopped (`reachable states > 1000000`).
    pub overflow: env::dag::Overflow,
    /// What the probe saw, when one ran.
    pub probe: Option<env::probe::ProbeReport>,
}

/// A program that passed every check `gfnc check` runs.
pub struct Validated {
    /// The checked program, with `--set` overrides applied.
    pub model: Model,
    /// The compiled environment: states, masks, transitions, parents and rewards.
    pub env: env::Environment,
    /// The whole reachable DAG, checked exhaustively, when it fit the budget.
    pub dag: Option<env::dag::Dag>,
    /// Otherwise what stopped the exploration and what the partial checks saw.
    pub partial: Option<Partial>,
}

/// [`validate_with`] with the default budget (10⁶ reachable states, 2 GB) and probe.
pub fn validate(source: &str, overrides: &[Override]) -> Result<Validated, Vec<Diagnostic>> {
    validate_with(source, overrides, &Checks::default(), &mut |_, _| {})
}

/// Everything `gfnc check` does: parse, check, compile, explore the graph reachable from s0
/// and, when it fits `checks.budget`, run every validity check of the spec on it; otherwise run
/// the partial checks (a seeded probe of forward trajectories and backward walks).
/// `progress` hears of long explorations (states expanded, states discovered).
pub fn validate_with(
    source: &str,
    overrides: &[Override],
    checks: &Checks,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Validated, Vec<Diagnostic>> {
    validate_in(
        source,
        overrides,
        std::path::Path::new("."),
        checks,
        progress,
    )
}

/// [`validate_with`] for a file in folder `dir` (see [`load_in`]).
pub fn validate_in(
    source: &str,
    overrides: &[Override],
    dir: &std::path::Path,
    checks: &Checks,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Validated, Vec<Diagnostic>> {
    let model = load_in(source, overrides, dir)?;
    let env = env::Environment::new(&model)?;
    check_graph(model, env, checks, progress, &|| false)
}

/// The graph checks of [`validate_in`] on a program already loaded and compiled; they stop
/// early (partial, with the reason) once `cancelled` says so.
pub fn check_graph(
    model: Model,
    mut env: env::Environment,
    checks: &Checks,
    progress: &mut dyn FnMut(usize, usize),
    cancelled: &dyn Fn() -> bool,
) -> Result<Validated, Vec<Diagnostic>> {
    env.set_scorer_timeout(checks.scorer_timeout);
    env.set_scorer_workers(checks.scorer_workers);
    env.set_max_length(checks.max_length);
    let fail = |e: env::EnvError| vec![e.to_diagnostic()];
    let explored =
        env::dag::explore_until(&env, checks.budget, progress, cancelled).map_err(fail)?;
    let (dag, partial) = match explored {
        env::dag::Explored::Complete(dag) => {
            env::dag::check_parents(&env, &dag).map_err(fail)?;
            (Some(*dag), None)
        }
        env::dag::Explored::TooLarge(overflow) => {
            let probe = if checks.probe > 0 {
                Some(
                    env::probe::probe(&env, checks.probe, checks.seed, checks.probe_seconds)
                        .map_err(fail)?,
                )
            } else {
                None
            };
            (None, Some(Partial { overflow, probe }))
        }
    };
    Ok(Validated {
        model,
        env,
        dag,
        partial,
    })
}

/// Parse and check a program with `--set` overrides; all problems come back sorted by position.
/// `load(...)` paths and scorers are relative to the current folder; see [`load_in`].
pub fn load(source: &str, overrides: &[Override]) -> Result<Model, Vec<Diagnostic>> {
    check::load(source, overrides)
}

/// [`load`] for a file in folder `dir`: `load("PATH")` reads `dir/PATH` and scorers run in
/// `dir`.
pub fn load_in(
    source: &str,
    overrides: &[Override],
    dir: &std::path::Path,
) -> Result<Model, Vec<Diagnostic>> {
    check::load_in(source, overrides, dir)
}
