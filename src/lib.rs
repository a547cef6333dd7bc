//! `gfnc`: a compiler for declarative GFlowNet environments.
//!
//! The pipeline reads a `.gfn` file, parses it into an AST, and checks it into a
//! [`check::Env`]: names resolved, every expression typed, params and consts folded.
//!
//! ```
//! let source = "env tiny\nstate { n: 0..4 }\naction inc when n < 3 { n += 1 }\nstop\nreward float(n) + 1";
//! let env = gfnc::load(source, &[]).expect("a valid program");
//! assert_eq!(env.name, "tiny");
//! assert_eq!(env.state_count_bound(), 4.0);
//! ```

pub mod bench;
pub mod check;
pub mod compile;
pub mod diagnostic;
pub mod env;
pub mod ir;
pub mod metrics;
pub mod number;
pub mod ops;
pub mod run;
pub mod span;
mod stack;
pub mod syntax;
pub mod train;

pub use check::{Env, Override};
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
    pub model: Env,
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
    let model = load(source, overrides)?;
    let env = env::Environment::new(&model)?;
    let fail = |e: env::EnvError| vec![e.to_diagnostic()];
    let explored = env::dag::explore(&env, checks.budget, progress).map_err(fail)?;
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
pub fn load(source: &str, overrides: &[Override]) -> Result<Env, Vec<Diagnostic>> {
    stack::with_large_stack(|| {
        let program = syntax::parse::parse_here(source).map_err(|d| vec![d])?;
        check::check(&program, overrides)
    })
}
