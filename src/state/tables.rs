//! The on-disk layout: redb table definitions, the schema version, and how values are
//! encoded.
//!
//! Per-record values are many (a million for a large pipeline) and read and written on
//! every run, so each pipeline has a table of its own holding them in chunks sorted by
//! the bare source id (no pipeline prefix to store and compare a million times; a few
//! dozen records a value, see `chunks.rs`), and each record uses a compact fixed layout
//! of 25 bytes plus the destination id (serde_json would take ~80 bytes and a parse per
//! lookup); the fixed layout also lets a "seen" mark rewrite eight bytes of a record.
//! Commits reach these tables through the journal (`journal.rs`).
//! Everything else (pipeline state, reports, failed records) is rare and is stored as
//! serde_json, readable and easy to extend with `#[serde(default)]` fields.

use redb::TableDefinition;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::Fail;
use super::model::RecordState;

/// The layout version this build writes. A file with a newer one is refused; an older
/// one is migrated on open. Version 2 keeps record states in chunks (`chunks.rs`);
/// version 1 kept one entry per record in `records/{pipeline}` tables.
pub(crate) const SCHEMA_VERSION: u64 = 2;

/// `meta`: `"schema_version"` → the layout version.
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// The key of the schema version in `META`.
pub(crate) const SCHEMA_KEY: &str = "schema_version";

/// pipeline → [`super::PipelineState`] as JSON.
pub(crate) const PIPELINES: TableDefinition<&str, &[u8]> = TableDefinition::new("pipelines");
/// pipeline → the last run sequence number handed out.
pub(crate) const RUN_SEQ: TableDefinition<&str, u64> = TableDefinition::new("run_seq");
/// run id → (pipeline, sequence number), written by `begin_run`.
pub(crate) const RUN_IDS: TableDefinition<&str, (&str, u64)> = TableDefinition::new("run_ids");
/// (pipeline, sequence number) → [`crate::report::Report`] as JSON.
pub(crate) const REPORTS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("reports");
/// (pipeline, entry number) → one commit's record changes, not yet folded into the
/// pipeline's records table (see `journal.rs`).
pub(crate) const JOURNAL: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("journal");
/// pipeline → how many record changes its journal holds.
pub(crate) const JOURNAL_OPS: TableDefinition<&str, u64> = TableDefinition::new("journal_ops");
/// The prefix of the per-pipeline records tables' names.
pub(crate) const CHUNKS_PREFIX: &str = "record_chunks/";
/// The prefix of the records tables of schema version 1: source id → one
/// [`RecordState`] in the compact layout of [`encode_record`].
pub(crate) const V1_RECORDS_PREFIX: &str = "records/";

/// The name of a pipeline's records table: a chunk's lower bound → a chunk of
/// [`RecordState`]s in the compact layout of [`encode_record`] (see `chunks.rs`).
pub(crate) fn chunks_table_name(pipeline: &str) -> String {
    format!("{CHUNKS_PREFIX}{pipeline}")
}

/// A pipeline's records table, named by `name` from [`chunks_table_name`] (or a table
/// of schema version 1, which has the same key and value types).
pub(crate) fn chunks_table(name: &str) -> TableDefinition<'_, &'static str, &'static [u8]> {
    TableDefinition::new(name)
}
/// (pipeline, source id) → [`super::FailedRecord`] as JSON.
pub(crate) const FAILED: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("failed");

/// token cache key → [`crate::auth::CachedToken`] as JSON. Created when first written
/// (files of schema version 1 made before it existed lack it).
pub(crate) const TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("tokens");

/// (pipeline, sequence number) → one received webhook event ([`super::InboxEvent`]) as
/// JSON, stored durably before the call is answered and removed once applied. Created
/// when first written, like `TOKENS`.
pub(crate) const INBOX: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("inbox");
/// pipeline → the last inbox sequence number handed out (never reused).
pub(crate) const INBOX_SEQ: TableDefinition<&str, u64> = TableDefinition::new("inbox_seq");
/// (pipeline, delivery key) → until when (Unix milliseconds) a call with that key is a
/// repeat. Keys are `id:<delivery id>` or `body:<sha-256 of the body>`.
pub(crate) const DELIVERIES: TableDefinition<(&str, &str), i64> =
    TableDefinition::new("deliveries");

/// Byte 0 of a record value: whether a destination id follows the fixed part.
const NO_DEST: u8 = 0;
const HAS_DEST: u8 = 1;
/// Bytes 1..17: the fingerprint; 17..25: `last_seen_run`, little-endian; 25..: the
/// destination id in UTF-8.
const FINGERPRINT: std::ops::Range<usize> = 1..17;
pub(crate) const SEEN: std::ops::Range<usize> = 17..25;
pub(crate) const FIXED: usize = 25;

/// A record in the compact layout.
pub(crate) fn encode_record(record: &RecordState, out: &mut Vec<u8>) {
    out.clear();
    out.reserve(FIXED + record.dest_id.as_ref().map_or(0, String::len));
    out.push(if record.dest_id.is_some() {
        HAS_DEST
    } else {
        NO_DEST
    });
    out.extend_from_slice(&record.fingerprint);
    out.extend_from_slice(&record.last_seen_run.to_le_bytes());
    if let Some(dest) = &record.dest_id {
        out.extend_from_slice(dest.as_bytes());
    }
}

/// A record back from the compact layout.
pub(crate) fn decode_record(pipeline: &str, id: &str, bytes: &[u8]) -> Result<RecordState, Fail> {
    let damaged =
        |why: &str| Fail::Damaged(format!("record `{id}` of pipeline `{pipeline}`: {why}"));
    if bytes.len() < FIXED {
        return Err(damaged("value too short"));
    }
    let mut fingerprint = [0u8; 16];
    fingerprint.copy_from_slice(&bytes[FINGERPRINT]);
    let last_seen_run = seen_of(bytes).ok_or_else(|| damaged("value too short"))?;
    let dest_id = match bytes[0] {
        NO_DEST if bytes.len() == FIXED => None,
        HAS_DEST => match std::str::from_utf8(&bytes[FIXED..]) {
            Ok(dest) => Some(dest.to_string()),
            Err(_) => return Err(damaged("destination id is not UTF-8")),
        },
        _ => return Err(damaged("unknown layout")),
    };
    Ok(RecordState {
        dest_id,
        fingerprint,
        last_seen_run,
    })
}

/// `last_seen_run` of a record value, without decoding the rest.
pub(crate) fn seen_of(bytes: &[u8]) -> Option<u64> {
    let seen: [u8; 8] = bytes.get(SEEN)?.try_into().ok()?;
    Some(u64::from_le_bytes(seen))
}

/// A rarely written value as JSON.
pub(crate) fn to_json<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, Fail> {
    serde_json::to_vec(value).map_err(|e| Fail::Encode(what, e))
}

/// A JSON value back; `what` names the entry in the error.
pub(crate) fn from_json<T: DeserializeOwned>(
    what: impl FnOnce() -> String,
    bytes: &[u8],
) -> Result<T, Fail> {
    serde_json::from_slice(bytes).map_err(|e| Fail::Damaged(format!("{}: {e}", what())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_compactly() {
        let mut buf = Vec::new();
        for dest_id in [None, Some(String::new()), Some("dest-éé-42".to_string())] {
            let record = RecordState {
                dest_id: dest_id.clone(),
                fingerprint: *b"0123456789abcdef",
                last_seen_run: 0x0102_0304_0506_0708,
            };
            encode_record(&record, &mut buf);
            assert_eq!(buf.len(), FIXED + dest_id.map_or(0, |d| d.len()));
            assert_eq!(decode_record("p", "1", &buf).expect("decodes"), record);
            assert_eq!(seen_of(&buf), Some(0x0102_0304_0506_0708));
        }
    }

    #[test]
    fn damaged_records_are_errors() {
        assert!(decode_record("p", "1", &[0; 3]).is_err());
        let mut bad = vec![7u8; FIXED];
        assert!(decode_record("p", "1", &bad).is_err());
        bad[0] = NO_DEST;
        bad.push(b'x');
        assert!(decode_record("p", "1", &bad).is_err());
        bad[0] = HAS_DEST;
        bad.push(0xff);
        let Err(Fail::Damaged(what)) = decode_record("p", "1", &bad) else {
            panic!("not damaged");
        };
        assert!(what.contains("record `1` of pipeline `p`"), "{what}");
    }
}
