//! The `sluice` binary: everything happens in [`sluice::cli`].

/// mimalloc: mapping records allocates many small strings; it is markedly faster at
/// that than the system allocator (see benches/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sluice::cli::main()
}
