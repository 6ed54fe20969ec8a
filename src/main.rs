//! The `sluice` binary: everything happens in [`sluice::cli`].

use std::io::Write;

/// mimalloc: mapping records allocates many small strings; it is markedly faster at
/// that than the system allocator (see benches/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let code = sluice::cli::main();
    // Everything is done and dropped (the state file closed); what is left is the
    // allocator's tidying up at exit, which hands its memory back to the system piece
    // by piece (~50 `madvise` calls, a few milliseconds) just before the system takes
    // all of it back at once. Leave straight away instead, output flushed.
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` ends the process; no Rust code runs after it and nothing that
    // needed running at exit is left (no destructors of statics, no open state file).
    unsafe { libc::_exit(i32::from(code)) }
}
