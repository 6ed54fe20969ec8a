//! The sync state: one redb file (by default `./.sluice/state.redb`) holding, per
//! pipeline, the cursor and run history, per record the destination id and the
//! fingerprint of the value last written, run reports, and failed records waiting for a
//! retry. This module is the only place that opens redb transactions; every call is
//! blocking (async callers use `spawn_blocking`) and every write is durable when it
//! returns, except [`State::commit_unsynced`]'s and those of a [`State::deferred`]
//! handle (durable with the next durable write).
//!
//! Layout and encodings: `tables.rs`. Records and commits: `records.rs`, through the
//! journal (`journal.rs`). Runs and reports: `runs.rs`. Cached
//! authentication tokens: `tokens.rs`. The webhook inbox: `inbox.rs`.

mod chunks;
mod error;
mod inbox;
mod journal;
mod migrate;
mod model;
mod reader;
mod records;
mod runs;
mod synced;
mod tables;
#[cfg(test)]
mod tests;
mod tokens;

use std::fs;
use std::path::{Path, PathBuf};

use redb::{
    Database, DatabaseError, Durability, ReadTransaction, ReadableDatabase, ReadableTable,
    TableError, WriteTransaction,
};

use error::Fail;
pub use error::StateError;
pub use inbox::{EncodedEvent, InboxEvent, Incoming, Received};
pub use model::{Commit, FailedRecord, PipelineState, RecordState, RunTicket};
pub use reader::{PipelineRecords, StateReader};
pub use records::Staged;
pub use synced::Synced;
use tables::{
    FAILED, JOURNAL, JOURNAL_OPS, META, PIPELINES, REPORTS, RUN_IDS, RUN_SEQ, SCHEMA_KEY,
    SCHEMA_VERSION, from_json, to_json,
};

/// The open state file. One per file: a second open, from this process or another, is
/// refused with [`StateError::InUse`]. `State` is `Send + Sync`; share it in an `Arc`.
/// Writes are serialized by redb (one write transaction at a time; others wait).
/// Clones share the one open file.
#[derive(Clone)]
pub struct State {
    db: std::sync::Arc<Database>,
    path: PathBuf,
    /// Whether this handle's commits wait for the disk ([`State::deferred`]).
    durable: bool,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").field("path", &self.path).finish()
    }
}

/// Creates a new state file as a whole: it is built (schema and tables) under a
/// temporary name next to `path` and linked into place, so a process killed while
/// creating it never leaves a half-written file that no later run could open. Linking
/// never replaces a file another process put there first: then `None`, and the caller
/// opens that one. Otherwise the new file stays open (no second open, whose syncs cost
/// milliseconds on every run that starts from scratch).
fn create_new(path: &Path) -> Result<Option<State>, StateError> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".new-{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    // Left by a killed process that had the same id.
    let _ = fs::remove_file(&temporary);
    let built = Database::builder()
        .set_cache_size(CACHE_BYTES)
        .create(&temporary)
        .map_err(|source| StateError::Open {
            path: path.to_path_buf(),
            source,
        })
        .and_then(|db| {
            let state = State {
                db: std::sync::Arc::new(db),
                path: path.to_path_buf(),
                durable: true,
            };
            state.prepare()?;
            Ok(state)
        })
        .and_then(|state| match fs::hard_link(&temporary, path) {
            Ok(()) => Ok(Some(state)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
            // A file system without hard links: a rename is atomic too.
            Err(_) => match fs::rename(&temporary, path) {
                Ok(()) => Ok(Some(state)),
                Err(source) => Err(StateError::Create {
                    path: path.to_path_buf(),
                    source,
                }),
            },
        });
    let _ = fs::remove_file(&temporary);
    built
}

/// The page cache of the state file.
const CACHE_BYTES: usize = 32 << 20;

impl State {
    /// Opens the state file at `path`, creating it (and its folders) when missing.
    /// Refuses a file in use by another `State` and a file written with a newer schema.
    pub fn open(path: &Path) -> Result<State, StateError> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(folder).map_err(|source| StateError::CreateFolder {
                path: path.to_path_buf(),
                source,
            })?;
        }
        if !path.exists()
            && let Some(state) = create_new(path)?
        {
            return Ok(state);
        }
        // redb caches up to 1 GiB by default; a sync run reads each record's state
        // once, so a small cache serves it as well and keeps memory flat.
        let db = match Database::builder().set_cache_size(CACHE_BYTES).create(path) {
            Ok(db) => db,
            Err(DatabaseError::DatabaseAlreadyOpen) => {
                return Err(StateError::InUse {
                    path: path.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(StateError::Open {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let state = State {
            db: std::sync::Arc::new(db),
            path: path.to_path_buf(),
            durable: true,
        };
        state.prepare()?;
        Ok(state)
    }

    /// The file this state lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks the schema version; on a new file writes it and creates every table.
    fn prepare(&self) -> Result<(), StateError> {
        let found = self.read(|txn| match txn.open_table(META) {
            Ok(meta) => Ok(meta.get(SCHEMA_KEY)?.map(|v| v.value())),
            Err(TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(e.into()),
        })?;
        match found {
            Some(SCHEMA_VERSION) => Ok(()),
            Some(found) if found > SCHEMA_VERSION => Err(StateError::NewerSchema {
                path: self.path.clone(),
                found,
                supported: SCHEMA_VERSION,
            }),
            Some(1) => self.write(|txn| {
                migrate::records_into_chunks(txn)?;
                txn.open_table(META)?.insert(SCHEMA_KEY, SCHEMA_VERSION)?;
                Ok(())
            }),
            Some(_) | None => self.write(|txn| {
                txn.open_table(META)?.insert(SCHEMA_KEY, SCHEMA_VERSION)?;
                txn.open_table(PIPELINES)?;
                txn.open_table(RUN_SEQ)?;
                txn.open_table(RUN_IDS)?;
                txn.open_table(REPORTS)?;
                txn.open_table(JOURNAL)?;
                txn.open_table(JOURNAL_OPS)?;
                txn.open_table(FAILED)?;
                txn.open_table(tables::TOKENS)?;
                Ok(())
            }),
        }
    }

    /// What the store knows of a pipeline; the default for one it has never seen.
    pub fn pipeline(&self, name: &str) -> Result<PipelineState, StateError> {
        self.read(|txn| load_pipeline(&txn.open_table(PIPELINES)?, name))
    }

    /// Every pipeline that has state (a finished run or a saved cursor), by name.
    pub fn pipelines(&self) -> Result<Vec<(String, PipelineState)>, StateError> {
        self.read(|txn| {
            let table = txn.open_table(PIPELINES)?;
            let mut out = Vec::new();
            for entry in table.iter()? {
                let (name, value) = entry?;
                let name = name.value().to_string();
                let state = from_json(|| format!("state of pipeline `{name}`"), value.value())?;
                out.push((name, state));
            }
            Ok(out)
        })
    }

    /// Forgets a pipeline's cursor, so its next incremental run reads everything.
    /// A pipeline the store does not know is left unknown.
    pub fn reset_cursor(&self, pipeline: &str) -> Result<(), StateError> {
        self.write(|txn| {
            if txn.open_table(PIPELINES)?.get(pipeline)?.is_none() {
                return Ok(());
            }
            update_pipeline(txn, pipeline, |state| state.cursor = None)
        })
    }

    /// A read snapshot for fast per-record lookups during a run. It sees the state as it
    /// was when it was taken, not later commits.
    pub fn reader(&self) -> Result<StateReader, StateError> {
        self.settle(None)?;
        let txn = self
            .db
            .begin_read()
            .map_err(|e| Fail::from(e).at(self.path.clone()))?;
        Ok(StateReader::new(txn, self.path.clone()))
    }

    /// Runs `work` in a read transaction.
    fn read<T>(
        &self,
        work: impl FnOnce(&ReadTransaction) -> Result<T, Fail>,
    ) -> Result<T, StateError> {
        let run = || {
            let txn = self.db.begin_read()?;
            work(&txn)
        };
        run().map_err(|f| f.at(self.path.clone()))
    }

    /// A handle on the same file whose commits do not wait for the disk (no fsync).
    /// Each commit is still atomic and seen at once through every handle; it reaches
    /// the disk with the next durable commit through any handle. After a crash the file
    /// is as of the last durable commit: the commits after it are lost, never a part
    /// of one. For work that is done again when lost: the webhook worker applies events
    /// through one, then removes them from the inbox durably ([`State::inbox_done`]),
    /// which takes what was applied to the disk with it.
    pub fn deferred(&self) -> State {
        State {
            durable: false,
            ..self.clone()
        }
    }

    /// Takes every commit made so far (through a [`State::deferred`] handle too) to
    /// the disk.
    pub fn persist(&self) -> Result<(), StateError> {
        self.write_durably(|_| Ok(()))
    }

    /// Runs `work` in one write transaction, committed (durably unless this handle is
    /// [`State::deferred`]) when `work` succeeds and dropped (nothing written) when it
    /// fails.
    fn write<T>(
        &self,
        work: impl FnOnce(&WriteTransaction) -> Result<T, Fail>,
    ) -> Result<T, StateError> {
        self.write_with(self.durability(), work)
    }

    /// [`State::write`], committed durably whatever the handle.
    fn write_durably<T>(
        &self,
        work: impl FnOnce(&WriteTransaction) -> Result<T, Fail>,
    ) -> Result<T, StateError> {
        self.write_with(Durability::Immediate, work)
    }

    /// How this handle's commits reach the disk (see [`State::deferred`]).
    fn durability(&self) -> Durability {
        if self.durable {
            Durability::Immediate
        } else {
            Durability::None
        }
    }

    /// [`write`](Self::write) with the given durability: `Durability::None` commits
    /// without waiting for the disk; such a commit is seen by later reads and writes but
    /// lasts a crash only once a durable commit followed it.
    fn write_with<T>(
        &self,
        durability: Durability,
        work: impl FnOnce(&WriteTransaction) -> Result<T, Fail>,
    ) -> Result<T, StateError> {
        let run = || {
            let mut txn = self.db.begin_write()?;
            txn.set_durability(durability)?;
            let out = work(&txn)?;
            txn.commit()?;
            Ok(out)
        };
        run().map_err(|f: Fail| f.at(self.path.clone()))
    }
}

/// A pipeline's state from the `PIPELINES` table, the default when absent.
fn load_pipeline(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    name: &str,
) -> Result<PipelineState, Fail> {
    match table.get(name)? {
        Some(value) => from_json(|| format!("state of pipeline `{name}`"), value.value()),
        None => Ok(PipelineState::default()),
    }
}

/// Changes a pipeline's state inside a write transaction.
fn update_pipeline(
    txn: &WriteTransaction,
    name: &str,
    change: impl FnOnce(&mut PipelineState),
) -> Result<(), Fail> {
    let mut table = txn.open_table(PIPELINES)?;
    let mut state = load_pipeline(&table, name)?;
    change(&mut state);
    let bytes = to_json("pipeline state", &state)?;
    table.insert(name, bytes.as_slice())?;
    Ok(())
}
