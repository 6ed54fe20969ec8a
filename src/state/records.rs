//! Per-record state: the engine's commits (records written, seen, deleted, failed, the
//! cursor) and the queries a run needs (deletion candidates, counts, records to retry).

use redb::Table;

use super::error::{Fail, StateError};
use super::model::{Commit, FailedRecord, RecordState};
use super::tables::{
    FAILED, RECORDS, SEEN, decode_record, encode_record, from_json, seen_of, to_json,
};
use super::{State, update_pipeline};

/// The records table as a write transaction opens it.
type Records<'txn> = Table<'txn, (&'static str, &'static str), &'static [u8]>;

impl State {
    /// Applies a batch of changes to a pipeline in one write transaction: after it
    /// returns they are all on disk, and after a crash either all or none of them are.
    pub fn commit(&self, pipeline: &str, batch: &Commit) -> Result<(), StateError> {
        self.write(|txn| {
            let mut records = txn.open_table(RECORDS)?;
            let mut buf = Vec::with_capacity(64);
            for (id, record) in &batch.records {
                encode_record(record, &mut buf);
                records.insert((pipeline, id.as_str()), buf.as_slice())?;
            }
            mark_seen(
                &mut records,
                pipeline,
                &batch.seen,
                batch.seen_run,
                &mut buf,
            )?;
            for id in &batch.deleted {
                records.remove((pipeline, id.as_str()))?;
            }
            drop(records);

            if let Some(cursor) = &batch.cursor {
                update_pipeline(txn, pipeline, |state| state.cursor = Some(cursor.clone()))?;
            }

            let mut failed = txn.open_table(FAILED)?;
            for record in &batch.failed {
                let bytes = to_json("failed record", record)?;
                failed.insert((pipeline, record.source_id.as_str()), bytes.as_slice())?;
            }
            for id in &batch.resolved {
                failed.remove((pipeline, id.as_str()))?;
            }
            Ok(())
        })
    }

    /// A pipeline's records not seen by run `run_seq` (`last_seen_run < run_seq`): the
    /// candidates for deletion after a complete read. In source id order.
    pub fn unseen(
        &self,
        pipeline: &str,
        run_seq: u64,
    ) -> Result<Vec<(String, RecordState)>, StateError> {
        self.read(|txn| {
            let records = txn.open_table(RECORDS)?;
            let mut out = Vec::new();
            for entry in records.range((pipeline, "")..)? {
                let (key, value) = entry?;
                let (owner, id) = key.value();
                if owner != pipeline {
                    break;
                }
                let bytes = value.value();
                let seen = seen_of(bytes).ok_or_else(|| {
                    Fail::Damaged(format!(
                        "record `{id}` of pipeline `{pipeline}`: value too short"
                    ))
                })?;
                if seen < run_seq {
                    out.push((id.to_string(), decode_record(pipeline, id, bytes)?));
                }
            }
            Ok(out)
        })
    }

    /// How many records the store knows for a pipeline.
    pub fn record_count(&self, pipeline: &str) -> Result<u64, StateError> {
        self.read(|txn| {
            let records = txn.open_table(RECORDS)?;
            let mut count = 0;
            for entry in records.range((pipeline, "")..)? {
                let (key, _) = entry?;
                if key.value().0 != pipeline {
                    break;
                }
                count += 1;
            }
            Ok(count)
        })
    }

    /// A pipeline's failed records waiting for a retry, in source id order.
    pub fn failed(&self, pipeline: &str) -> Result<Vec<FailedRecord>, StateError> {
        self.read(|txn| {
            let failed = txn.open_table(FAILED)?;
            let mut out = Vec::new();
            for entry in failed.range((pipeline, "")..)? {
                let (key, value) = entry?;
                let (owner, id) = key.value();
                if owner != pipeline {
                    break;
                }
                let what = || format!("failed record `{id}` of pipeline `{pipeline}`");
                out.push(from_json(what, value.value())?);
            }
            Ok(out)
        })
    }
}

/// Sets `last_seen_run` of known records to `run`, rewriting eight bytes of each value in
/// place. Ids are visited in key order so that neighbouring keys share B-tree pages.
fn mark_seen(
    records: &mut Records<'_>,
    pipeline: &str,
    ids: &[String],
    run: u64,
    buf: &mut Vec<u8>,
) -> Result<(), Fail> {
    let mut sorted: Vec<&str> = ids.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let run = run.to_le_bytes();
    for id in sorted {
        let Some(mut value) = records.get_mut((pipeline, id))? else {
            continue;
        };
        buf.clear();
        buf.extend_from_slice(value.value());
        let Some(seen) = buf.get_mut(SEEN) else {
            return Err(Fail::Damaged(format!(
                "record `{id}` of pipeline `{pipeline}`: value too short"
            )));
        };
        if seen == run.as_slice() {
            continue;
        }
        seen.copy_from_slice(&run);
        value.insert(buf.as_slice())?;
    }
    Ok(())
}
