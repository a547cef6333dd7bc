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
pub mod eval;
pub mod number;
pub mod span;
mod stack;
pub mod syntax;
pub mod train;

pub use check::{Env, Override};
pub use diagnostic::Diagnostic;

/// State spaces up to this bound are enumerated and checked exhaustively by [`validate`].
pub const EXHAUSTIVE_LIMIT: usize = 1_000_000;

/// The most (state, action) pairs [`validate`] examines exhaustively.
pub const EXHAUSTIVE_WORK: f64 = 5e7;

/// A program that passed every check `gfnc check` runs.
pub struct Validated {
    pub model: Env,
    pub env: env::Environment,
    /// The enumerated DAG, when the state space was small enough to check exhaustively.
    pub dag: Option<env::dag::Dag>,
}

/// Everything `gfnc check` does: parse, check, compile, and when the state-space bound is at
/// most [`EXHAUSTIVE_LIMIT`] (and states × actions at most [`EXHAUSTIVE_WORK`]), enumerate the
/// DAG and run every validity check of the spec.
pub fn validate(source: &str, overrides: &[Override]) -> Result<Validated, Vec<Diagnostic>> {
    let model = load(source, overrides)?;
    let env = env::Environment::new(&model)?;
    let bound = model.state_count_bound();
    // Every state tries every action: bound the work as well as the states.
    let work = bound * env.action_count() as f64;
    let dag = if bound <= EXHAUSTIVE_LIMIT as f64 && work <= EXHAUSTIVE_WORK {
        Some(
            env::dag::check_exhaustively(&env, EXHAUSTIVE_LIMIT)
                .map_err(|e| vec![e.to_diagnostic()])?,
        )
    } else {
        None
    };
    Ok(Validated { model, env, dag })
}

/// Parse and check a program with `--set` overrides; all problems come back sorted by position.
pub fn load(source: &str, overrides: &[Override]) -> Result<Env, Vec<Diagnostic>> {
    stack::with_large_stack(|| {
        let program = syntax::parse::parse_here(source).map_err(|d| vec![d])?;
        check::check(&program, overrides)
    })
}
