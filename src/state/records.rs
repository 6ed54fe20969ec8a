//! Per-record state: the engine's commits (records written, seen, deleted, failed, the
//! cursor) and the queries a run needs (deletion candidates, counts, records to retry).
//! Record changes go through the journal (`journal.rs`); reads fold it first.

use redb::{Durability, ReadableTable, ReadableTableMetadata, TableError, WriteTransaction};

use super::chunks::{Chunk, damaged_chunk};
use super::error::{Fail, StateError};
use super::journal;
use super::model::{Commit, FailedRecord, RecordState};
use super::tables::{
    FAILED, JOURNAL_OPS, chunks_table, chunks_table_name, decode_record, from_json, seen_of,
    to_json,
};
use super::{State, update_pipeline};

impl State {
    /// Applies a batch of changes to a pipeline in one write transaction: after it
    /// returns they are all on disk (through a [`State::deferred`] handle: with the next
    /// durable commit), and after a crash either all or none of them are.
    pub fn commit(&self, pipeline: &str, batch: &Commit) -> Result<(), StateError> {
        self.commit_with(self.durability(), pipeline, batch)
    }

    /// [`commit`](Self::commit) without waiting for the disk: later reads see the
    /// changes at once, but a crash loses them unless a durable write (a
    /// [`commit`](Self::commit), [`finish_run`](Self::finish_run)) came after — then
    /// all of them last, in order. For the states of writes that a crash would undo as
    /// well (a file put in place only at the end of the run): they need no fsync each.
    /// (The engine's runs hold such batches back and use
    /// [`commit_staged`](Self::commit_staged) instead.)
    pub fn commit_unsynced(&self, pipeline: &str, batch: &Commit) -> Result<(), StateError> {
        self.commit_with(Durability::None, pipeline, batch)
    }

    fn commit_with(
        &self,
        durability: Durability,
        pipeline: &str,
        batch: &Commit,
    ) -> Result<(), StateError> {
        self.write_with(durability, |txn| {
            journal::append(txn, pipeline, batch)?;
            commit_rest(txn, pipeline, batch)
        })
    }

    /// Commits the batches held in `staged`, in order, in one transaction without
    /// waiting for the disk (like [`commit_unsynced`](Self::commit_unsynced)), their
    /// record changes folded straight into the records table rather than written to
    /// the journal first: for a staged destination's run.
    pub fn commit_staged(&self, pipeline: &str, staged: &Staged) -> Result<(), StateError> {
        self.commit_staged_if(pipeline, staged, || true).map(|_| ())
    }

    /// [`commit_staged`](Self::commit_staged), once `settle` agrees: it is called when
    /// the changes are in the transaction, and the transaction commits only if it
    /// returns true (the engine folds a run's held batches while the destination
    /// finishes on another thread, and keeps them only if it finished). Whether the
    /// batches were committed.
    pub fn commit_staged_if(
        &self,
        pipeline: &str,
        staged: &Staged,
        settle: impl FnOnce() -> bool,
    ) -> Result<bool, StateError> {
        let run = || -> Result<bool, Fail> {
            let mut txn = self.db.begin_write()?;
            txn.set_durability(Durability::None)?;
            for rest in &staged.rest {
                commit_rest(&txn, pipeline, rest)?;
            }
            journal::fold_with(&txn, pipeline, &staged.entries, staged.changes)?;
            if !settle() {
                txn.abort()?;
                return Ok(false);
            }
            txn.commit()?;
            Ok(true)
        };
        run().map_err(|f| f.at(self.path.clone()))
    }

    /// A pipeline's records not seen by run `run_seq` (`last_seen_run < run_seq`): the
    /// candidates for deletion after a complete read. In source id order.
    pub fn unseen(
        &self,
        pipeline: &str,
        run_seq: u64,
    ) -> Result<Vec<(String, RecordState)>, StateError> {
        self.settle(Some(pipeline))?;
        let mut out = Vec::new();
        self.each_record(pipeline, |id, bytes| {
            let seen = seen_of(bytes).ok_or_else(|| {
                Fail::Damaged(format!(
                    "record `{id}` of pipeline `{pipeline}`: value too short"
                ))
            })?;
            if seen < run_seq {
                out.push((id.to_string(), decode_record(pipeline, id, bytes)?));
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// A pipeline's records whose source ids `seen` does not accept, in source id
    /// order: after a complete read, the ones the source no longer has. Streams the
    /// table, so memory follows the answer, not the number of records.
    pub fn missing(
        &self,
        pipeline: &str,
        seen: impl Fn(&str) -> bool,
    ) -> Result<Vec<(String, RecordState)>, StateError> {
        self.settle(Some(pipeline))?;
        let mut out = Vec::new();
        self.each_record(pipeline, |id, bytes| {
            if !seen(id) {
                out.push((id.to_string(), decode_record(pipeline, id, bytes)?));
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// How many records the store knows for a pipeline.
    pub fn record_count(&self, pipeline: &str) -> Result<u64, StateError> {
        self.settle(Some(pipeline))?;
        let name = chunks_table_name(pipeline);
        self.read(|txn| {
            let chunks = match txn.open_table(chunks_table(&name)) {
                Ok(chunks) => chunks,
                Err(TableError::TableDoesNotExist(_)) => return Ok(0),
                Err(e) => return Err(e.into()),
            };
            let mut count = 0;
            for entry in chunks.iter()? {
                let (key, value) = entry?;
                let chunk = Chunk::parse(value.value())
                    .map_err(|why| damaged_chunk(pipeline, key.value(), why))?;
                count += chunk.len() as u64;
            }
            Ok(count)
        })
    }

    /// Calls `each` with every record of a pipeline (source id, compact record bytes),
    /// in source id order, from one read transaction.
    fn each_record(
        &self,
        pipeline: &str,
        mut each: impl FnMut(&str, &[u8]) -> Result<(), Fail>,
    ) -> Result<(), StateError> {
        let name = chunks_table_name(pipeline);
        self.read(|txn| {
            let chunks = match txn.open_table(chunks_table(&name)) {
                Ok(chunks) => chunks,
                Err(TableError::TableDoesNotExist(_)) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            for entry in chunks.iter()? {
                let (key, value) = entry?;
                let damaged = |why| damaged_chunk(pipeline, key.value(), why);
                for record in Chunk::parse(value.value()).map_err(damaged)?.entries() {
                    let (id, bytes) = record.map_err(damaged)?;
                    each(id, bytes)?;
                }
            }
            Ok(())
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

    /// Folds the journal of `pipeline` (of every pipeline for `None`) into the records
    /// tables, when it holds anything; a read alone when it does not.
    pub(super) fn settle(&self, pipeline: Option<&str>) -> Result<(), StateError> {
        let pending = self.read(|txn| {
            let ops = txn.open_table(JOURNAL_OPS)?;
            Ok(match pipeline {
                Some(name) => ops.get(name)?.is_some(),
                None => !ops.is_empty()?,
            })
        })?;
        if !pending {
            return Ok(());
        }
        self.write(|txn| match pipeline {
            Some(name) => journal::fold(txn, name),
            None => journal::fold_all(txn),
        })
    }
}

/// Batches held back for [`State::commit_staged`]: their record changes in the
/// journal's compact layout (the batches themselves are freed as they come), the rest
/// of each (cursor, failed and resolved records) as it was.
#[derive(Debug, Default)]
pub struct Staged {
    entries: Vec<journal::Entry>,
    rest: Vec<Commit>,
    changes: usize,
}

impl Staged {
    /// Holds back what `batch` holds and leaves it empty, its record vectors with their
    /// room (for the next batch to fill).
    pub fn take(&mut self, batch: &mut Commit) {
        let changes = batch.records.len() + batch.seen.len() + batch.deleted.len();
        if changes > 0 {
            self.entries.push(journal::encode_entry(batch));
            self.changes += changes;
        }
        batch.records.clear();
        batch.seen.clear();
        batch.deleted.clear();
        if batch.cursor.is_some() || !batch.failed.is_empty() || !batch.resolved.is_empty() {
            self.rest.push(Commit {
                seen_run: batch.seen_run,
                cursor: batch.cursor.take(),
                failed: std::mem::take(&mut batch.failed),
                resolved: std::mem::take(&mut batch.resolved),
                ..Commit::default()
            });
        }
    }

    /// The record changes held.
    pub fn changes(&self) -> usize {
        self.changes
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.rest.is_empty()
    }
}

/// What a commit holds besides its record changes: the cursor, failed and resolved
/// records.
fn commit_rest(txn: &WriteTransaction, pipeline: &str, batch: &Commit) -> Result<(), Fail> {
    if let Some(cursor) = &batch.cursor {
        update_pipeline(txn, pipeline, |state| state.cursor = Some(cursor.clone()))?;
    }
    let mut failed = txn.open_table(FAILED)?;
    for record in &batch.failed {
        let bytes = to_json("failed record", record)?;
        failed.insert((pipeline, record.source_id.as_str()), bytes.as_slice())?;
    }
    // Most runs have no failed records: then there is nothing to resolve.
    let any_failed = match failed.range((pipeline, "")..)?.next() {
        Some(entry) => entry?.0.value().0 == pipeline,
        None => false,
    };
    if any_failed {
        for id in &batch.resolved {
            failed.remove((pipeline, id.as_str()))?;
        }
    }
    Ok(())
}
