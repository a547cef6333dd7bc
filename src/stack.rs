//! Running recursive front-end work on a thread with a known, large stack.

use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;

/// Unoptimised pest code needs tens of kilobytes of stack per nesting level, more than a test
/// thread's 2 MiB holds even for ordinary files; with this much, the nesting limits of the
/// parser, not the caller's stack, decide what is too deep.
const FRONT_END_STACK_BYTES: usize = 64 << 20;

/// Run `work` on a scoped thread with a large stack; panics propagate unchanged.
pub fn with_large_stack<T: Send>(
    work: impl FnOnce() -> Result<T, Vec<Diagnostic>> + Send,
) -> Result<T, Vec<Diagnostic>> {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("gfnc-front-end".to_string())
            .stack_size(FRONT_END_STACK_BYTES)
            .spawn_scoped(scope, work);
        match worker.map(|handle| handle.join()) {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(error) => Err(vec![Diagnostic::new(
                codes::internal::THREAD,
                format!("could not start the front end: {error}"),
            )
            .help("the machine may be out of memory or threads")]),
        }
    })
}
