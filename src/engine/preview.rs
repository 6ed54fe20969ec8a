//! What a dry run shows: the counts, a sample of raw source records beside their
//! mapped form, every invalid record with its reason, every duplicated id, and what
//! would be deleted.

use serde::Serialize;
use serde_json::Value;

/// A sample pair: the record as read and as it would be written.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub source_id: String,
    /// `create`, `update` or `unchanged`.
    pub change: &'static str,
    pub raw: Value,
    pub mapped: Value,
}

/// One record that would not be written, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    pub source_id: Option<String>,
    pub message: String,
}

/// The preview of a dry run (its counts are in the run's report).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Preview {
    pub samples: Vec<Sample>,
    pub invalid: Vec<Rejected>,
    pub duplicates: Vec<Rejected>,
    pub deletes: Vec<String>,
    /// Two-way runs: what would be written to each side.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub writes: Vec<SideWrite>,
}

/// One write a two-way run would make.
#[derive(Debug, Clone, Serialize)]
pub struct SideWrite {
    /// `left` or `right`.
    pub side: &'static str,
    /// The user, in a per-user pipeline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The item's id.
    pub id: String,
    /// `create`, `update` or `delete` (a tombstone written, or the item removed).
    pub change: &'static str,
    /// The item written; `None` when the item is removed.
    pub item: Option<Value>,
}
