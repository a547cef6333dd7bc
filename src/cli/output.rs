//! Writing to stdout and stderr without panicking: `println!` panics when the reader of a pipe
//! goes away (`gfnc sample DIR | head -1`) or the disk is full (`> /dev/full`). Here a closed
//! pipe ends the program quietly with exit 0, as `head` users expect; any other failure to
//! write the output is an error with exit 2. Failing to write to stderr is ignored: there is
//! nowhere left to say so.

use std::io::Write;

/// Write formatted text to stdout, ending the process on failure (see the module docs).
pub fn stdout(args: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    let result = out.write_fmt(args).and_then(|()| out.flush());
    if let Err(e) = result {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        stderr(format_args!("error: cannot write the output: {e}\n"));
        std::process::exit(2);
    }
}

/// Write formatted text to stderr; failures are ignored.
pub fn stderr(args: std::fmt::Arguments) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.flush());
}

/// `println!` to stdout without panics.
macro_rules! say {
    () => { $crate::cli::output::stdout(format_args!("\n")) };
    ($($arg:tt)*) => {{
        $crate::cli::output::stdout(format_args!($($arg)*));
        $crate::cli::output::stdout(format_args!("\n"));
    }};
}

/// `print!` to stdout without panics.
macro_rules! say_raw {
    ($($arg:tt)*) => { $crate::cli::output::stdout(format_args!($($arg)*)) };
}

/// `eprintln!` without panics.
macro_rules! warn {
    ($($arg:tt)*) => {{
        $crate::cli::output::stderr(format_args!($($arg)*));
        $crate::cli::output::stderr(format_args!("\n"));
    }};
}

/// `eprint!` without panics.
macro_rules! warn_raw {
    ($($arg:tt)*) => { $crate::cli::output::stderr(format_args!($($arg)*)) };
}
