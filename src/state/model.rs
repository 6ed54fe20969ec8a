//! The values the state store keeps and hands out: per pipeline, per record, per failed
//! record, and the batch of changes one commit applies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::report::RunStatus;

/// What the store knows of one pipeline. A pipeline never run has the default: no
/// cursor, no runs. The `last_*` fields and `runs` follow the runs the schedule counts:
/// manual and scheduled ones, not dry runs nor webhook batches (their reports are
/// stored all the same).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PipelineState {
    /// Where an incremental read resumes; `None` reads everything.
    pub cursor: Option<String>,
    /// The id of the last finished manual or scheduled run.
    pub last_run_id: Option<String>,
    /// When the last finished run began.
    pub last_started_at: Option<DateTime<Utc>>,
    /// When the last finished run ended (the schedule counts `every` from here).
    pub last_finished_at: Option<DateTime<Utc>>,
    /// How the last finished run ended.
    pub last_status: Option<RunStatus>,
    /// When the last run that succeeded ended.
    pub last_success_at: Option<DateTime<Utc>>,
    /// How many manual and scheduled runs have finished.
    pub runs: u64,
}

/// What the store knows of one source record of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordState {
    /// The record's id at the destination, once known.
    pub dest_id: Option<String>,
    /// A fingerprint of the mapped value last written: an unchanged fingerprint means
    /// nothing needs to be sent.
    pub fingerprint: [u8; 16],
    /// The sequence number of the last run that read this record from the source.
    pub last_seen_run: u64,
}

/// A record whose write failed, kept to be retried on the next run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedRecord {
    /// The source record's id.
    pub source_id: String,
    /// The source record as read, so a retry needs no new read.
    pub record: serde_json::Value,
    /// The last error, free of secrets.
    pub error: String,
    /// How many times writing it has failed.
    pub attempts: u32,
    /// When it first failed.
    pub first_failed_at: DateTime<Utc>,
    /// When it last failed.
    pub last_failed_at: DateTime<Utc>,
}

/// A run's number and id, handed out by `State::begin_run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTicket {
    /// `{pipeline}-{seq}`, never used twice for a pipeline.
    pub run_id: String,
    /// The run's sequence number within its pipeline, from 1.
    pub seq: u64,
}

/// The changes one `State::commit` applies to a pipeline, all or nothing. They are
/// applied in field order: records, seen, deleted, cursor, failed, resolved.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    /// Records written or confirmed unchanged: stored as given.
    pub records: Vec<(String, RecordState)>,
    /// Ids seen unchanged this run: only their `last_seen_run` becomes `seen_run`. Ids the
    /// store does not know are passed over.
    pub seen: Vec<String>,
    /// The run sequence number that `seen` ids are marked with.
    pub seen_run: u64,
    /// Ids whose records were removed.
    pub deleted: Vec<String>,
    /// The new cursor, when it advances.
    pub cursor: Option<String>,
    /// Records whose write failed: stored as given (the caller counts attempts).
    pub failed: Vec<FailedRecord>,
    /// Ids of failed records that now succeeded or vanished: no longer waiting for a retry.
    pub resolved: Vec<String>,
}
