//! The `gfnc` binary: parses the command line and hands over to [`cli`].

mod cli;

fn main() -> std::process::ExitCode {
    keep_freed_memory();
    cli::main()
}

/// Training allocates and frees the same tensor-sized blocks every step. glibc returns large
/// blocks to the kernel at once (mmap above 128 KiB, heap trimming), so each step paid for
/// fresh zeroed pages: a quarter of the run in page faults. Keeping freed memory in the
/// process removes that.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning and is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
    }
}
