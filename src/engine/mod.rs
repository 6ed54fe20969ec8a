//! The sync engine: one run of one pipeline. Read source records (streamed) → `when`
//! filter → map → duplicate-id check → compare the mapped record's fingerprint with
//! state → write only what is new or changed → commit state. The flow lives in
//! `run.rs` and reads top to bottom; connectors are behind the `Source` and
//! `Destination` traits.
//!
//! Crash safety: record states are committed in batches after the destination took
//! the records; the cursor moves only in the last commit, after the destination
//! finished and only when no record failed; source files are deleted or moved only
//! after that. A run killed at any point is repeated by the next one without loss.

mod ahead;
pub mod connect;
pub mod cursor;
pub mod destination;
pub mod doc;
pub mod identity;
pub mod links;
pub mod preview;
mod run;
pub mod source;
pub mod two_way;

pub use preview::Preview;
pub use run::{Progress, RunOptions, RunResult, apply_records, run};

/// Why a run could not run at all (as opposed to problems with records, which go in
/// the report).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    State(#[from] crate::state::StateError),
    #[error("{0}")]
    Setup(String),
}
