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

pub mod check;
pub mod compile;
pub mod diagnostic;
pub mod env;
pub mod number;
pub mod span;
mod stack;
pub mod syntax;

pub use check::{Env, Override};
pub use diagnostic::Diagnostic;

/// Parse and check a program with `--set` overrides; all problems come back sorted by position.
pub fn load(source: &str, overrides: &[Override]) -> Result<Env, Vec<Diagnostic>> {
    stack::with_large_stack(|| {
        let program = syntax::parse::parse_here(source).map_err(|d| vec![d])?;
        check::check(&program, overrides)
    })
}
