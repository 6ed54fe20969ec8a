//! Rhai scripting: the single sandboxed engine, scripts compiled once at load,
//! `[sync] when` conditions, and script functions callable from the mapping language.
//!
//! Scripts are compiled when a pipeline is loaded (so `sluice validate` reports their
//! syntax errors with file:line:col) and evaluated many times, each evaluation with a
//! fresh scope. The engine and compiled scripts are `Send + Sync`; share them in `Arc`s.
//! Evaluation is CPU-bound and synchronous: run it off async worker threads.

pub mod codes;
mod compile;
mod condition;
pub mod convert;
mod engine;
mod error;
mod functions;
mod stdlib;
#[cfg(test)]
mod tests;

pub use compile::{CompiledScript, compile_script};
pub use condition::Condition;
pub(crate) use engine::with_stack;
pub use engine::{Limits, Sandbox, sandboxed_engine};
pub use error::{ScriptError, ScriptErrorKind};
pub use functions::register_functions;
pub use stdlib::{FUNCTION_FILES, stdlib_functions};
