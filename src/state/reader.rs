//! A read snapshot of the records tables, for the engine's per-record lookups during a
//! run: no transaction is begun per lookup, and a long run never blocks commits.

use std::path::PathBuf;
use std::sync::RwLock;

use redb::{ReadOnlyTable, ReadTransaction, TableError};

use super::chunks::{Chunk, damaged_chunk};
use super::error::{Fail, StateError};
use super::model::RecordState;
use super::tables::{chunks_table, chunks_table_name, decode_record};

/// A pipeline's records table (chunks) as the snapshot sees it (`None`: the pipeline has
/// none).
type Records = Option<ReadOnlyTable<&'static str, &'static [u8]>>;

/// A snapshot of every pipeline's records, as they were when `State::reader` was called.
/// Queries from many threads at once are fine (`Send + Sync`).
pub struct StateReader {
    txn: ReadTransaction,
    /// The records tables opened so far, by pipeline (few: usually one).
    tables: RwLock<Vec<(String, Records)>>,
    path: PathBuf,
}

impl std::fmt::Debug for StateReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateReader")
            .field("path", &self.path)
            .finish()
    }
}

impl StateReader {
    pub(super) fn new(txn: ReadTransaction, path: PathBuf) -> Self {
        StateReader {
            txn,
            tables: RwLock::new(Vec::new()),
            path,
        }
    }

    /// What the snapshot knows of one source record of a pipeline.
    pub fn record(
        &self,
        pipeline: &str,
        source_id: &str,
    ) -> Result<Option<RecordState>, StateError> {
        self.lookup(pipeline, source_id)
            .map_err(|f| f.at(self.path.clone()))
    }

    /// One pipeline's records, for a run's many lookups: the handle opens the table once
    /// and answers without the shared list of opened tables (and its lock).
    pub fn pipeline<'r>(&'r self, pipeline: &'r str) -> Result<PipelineRecords<'r>, StateError> {
        let records = self.open(pipeline).map_err(|f| f.at(self.path.clone()))?;
        Ok(PipelineRecords {
            pipeline,
            records,
            path: &self.path,
        })
    }

    fn open(&self, pipeline: &str) -> Result<Records, Fail> {
        match self
            .txn
            .open_table(chunks_table(&chunks_table_name(pipeline)))
        {
            Ok(records) => Ok(Some(records)),
            Err(TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn lookup(&self, pipeline: &str, source_id: &str) -> Result<Option<RecordState>, Fail> {
        {
            let tables = self.tables.read().unwrap_or_else(|e| e.into_inner());
            if let Some((_, records)) = tables.iter().find(|(name, _)| name == pipeline) {
                return find(records, pipeline, source_id);
            }
        }
        let records = self.open(pipeline)?;
        let found = find(&records, pipeline, source_id);
        let mut tables = self.tables.write().unwrap_or_else(|e| e.into_inner());
        if !tables.iter().any(|(name, _)| name == pipeline) {
            tables.push((pipeline.to_string(), records));
        }
        found
    }
}

/// One pipeline's records in a snapshot (`StateReader::pipeline`).
pub struct PipelineRecords<'r> {
    pipeline: &'r str,
    records: Records,
    path: &'r PathBuf,
}

impl PipelineRecords<'_> {
    /// What the snapshot knows of one source record of the pipeline.
    pub fn record(&self, source_id: &str) -> Result<Option<RecordState>, StateError> {
        find(&self.records, self.pipeline, source_id).map_err(|f| f.at(self.path.clone()))
    }
}

/// A record in one pipeline's table.
fn find(records: &Records, pipeline: &str, source_id: &str) -> Result<Option<RecordState>, Fail> {
    let Some(records) = records else {
        return Ok(None);
    };
    // The last chunk keyed at or below the id holds it, if any does.
    let Some(entry) = records.range::<&str>(..=source_id)?.next_back() else {
        return Ok(None);
    };
    let (key, value) = entry?;
    let damaged = |why| damaged_chunk(pipeline, key.value(), why);
    let chunk = Chunk::parse(value.value()).map_err(damaged)?;
    match chunk.find(source_id).map_err(damaged)? {
        Some(bytes) => Ok(Some(decode_record(pipeline, source_id, bytes)?)),
        None => Ok(None),
    }
}
