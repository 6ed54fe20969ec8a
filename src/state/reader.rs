//! A read snapshot of the records table, for the engine's per-record lookups during a
//! run: no transaction is begun per lookup, and a long run never blocks commits.

use std::path::PathBuf;

use redb::ReadOnlyTable;

use super::error::{Fail, StateError};
use super::model::RecordState;
use super::tables::decode_record;

/// A snapshot of every pipeline's records, as they were when `State::reader` was called.
/// Cheap to query from many threads at once (`Send + Sync`).
pub struct StateReader {
    records: ReadOnlyTable<(&'static str, &'static str), &'static [u8]>,
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
    pub(super) fn new(
        records: ReadOnlyTable<(&'static str, &'static str), &'static [u8]>,
        path: PathBuf,
    ) -> Self {
        StateReader { records, path }
    }

    /// What the snapshot knows of one source record of a pipeline.
    pub fn record(
        &self,
        pipeline: &str,
        source_id: &str,
    ) -> Result<Option<RecordState>, StateError> {
        let lookup = || -> Result<_, Fail> {
            match self.records.get((pipeline, source_id))? {
                Some(value) => Ok(Some(decode_record(pipeline, source_id, value.value())?)),
                None => Ok(None),
            }
        };
        lookup().map_err(|f| f.at(self.path.clone()))
    }
}
