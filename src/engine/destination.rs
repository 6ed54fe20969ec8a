//! Destinations: where a run writes. The engine hands each one the changes a run
//! decided on; each connector is one implementation.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::formats::{self, RecordWriter, WriteOptions};
use crate::pipeline::FileDestination;

/// One decision of the run for one record.
#[derive(Debug)]
pub enum Change<'a> {
    Create {
        record: &'a Value,
    },
    Update {
        dest_id: Option<&'a str>,
        record: &'a Value,
    },
    /// Already written as it is; a destination that rewrites everything (a file)
    /// still needs it.
    Unchanged {
        record: &'a Value,
    },
    Delete {
        dest_id: Option<&'a str>,
    },
}

/// Why a write failed, and whether trying again later may help.
#[derive(Debug, Clone)]
pub struct WriteFailure {
    pub message: String,
}

/// One change for the record with this source id.
#[derive(Debug)]
pub struct Write<'a> {
    pub source_id: &'a str,
    pub change: Change<'a>,
    /// The record's compact JSON text, when the engine made it for a destination that
    /// [takes it](Destination::takes_json). The text is then the record: the change's
    /// record is not built and is null.
    pub json: Option<&'a [u8]>,
}

/// What the destination answered for one write: the destination's id for the record
/// when it gave one.
pub type WriteResult = Result<Option<String>, WriteFailure>;

/// A place records are written to. The engine hands over writes in windows of up to
/// [`window`](Destination::window) (a destination that writes concurrently or in
/// batches asks for more than one) and commits a record's state only after its result
/// came back as a success.
pub trait Destination {
    /// How many writes the engine hands over at once.
    fn window(&self) -> usize {
        1
    }

    /// Whether the writes stay invisible until [`finish`](Destination::finish)
    /// succeeds, so that a crash before then undoes all of them (a file written aside
    /// and put in place at the end). The engine then commits the run's record states
    /// without an fsync each and makes them durable only after `finish`: a state never
    /// outlives the write it stands for.
    fn staged(&self) -> bool {
        false
    }

    /// Whether writes should come with the record's compact JSON text (`Write::json`),
    /// which the engine then makes ahead of the record's turn (a JSON or NDJSON file).
    fn takes_json(&self) -> bool {
        false
    }

    /// Applies the writes; one result per write, in the same order.
    fn apply(&mut self, writes: &[Write<'_>]) -> Vec<WriteResult>;

    /// Completes the run's writes (a file is put in place here). A failure here fails
    /// the run and nothing of it counts as written.
    fn finish(self: Box<Self>) -> Result<(), WriteFailure>;

    /// [`finish`](Self::finish) as work for another thread, which the engine runs
    /// while it folds the run's state (a file is synced to the disk meanwhile). By
    /// default the destination finishes here and the work hands over the outcome.
    fn finishing(self: Box<Self>) -> Finishing {
        let outcome = self.finish();
        Box::new(move || outcome)
    }
}

/// A destination's [`finish`](Destination::finish), ready to run on another thread.
pub type Finishing = Box<dyn FnOnce() -> Result<(), WriteFailure> + Send>;

/// How many writes a file destination takes at once.
const FILE_WINDOW: usize = 64;

/// `type = "file"`: a file holding the records of the last run (created, updated and
/// unchanged), written to a temporary file and renamed into place at the end.
pub struct FileDestinationWriter {
    writer: Box<dyn RecordWriter>,
    path: PathBuf,
}

impl FileDestinationWriter {
    /// Opens the file at `config.path` (relative to `base`; `{date}` and friends filled
    /// from `started_at` in `zone`). CSV and XLSX files get `columns` in that order,
    /// so a record that leaves an empty field out still lines up.
    pub fn open(
        config: &FileDestination,
        columns: Vec<String>,
        base: &Path,
        started_at: DateTime<Utc>,
        zone: chrono_tz::Tz,
    ) -> Result<FileDestinationWriter, String> {
        let relative = formats::expand_path(&config.path, started_at, zone)
            .map_err(|e| format!("destination path `{}`: {e}", config.path))?;
        let path = base.join(relative);
        let Some(format) = config.format() else {
            return Err(format!(
                "the format of `{}` cannot be told from its extension",
                config.path
            ));
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create folder `{}`: {e}", parent.display()))?;
        }
        let options = WriteOptions {
            delimiter: config
                .delimiter
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(b','),
            sheet: config.sheet.clone(),
            columns: Some(columns),
            ..WriteOptions::default()
        };
        let writer = formats::create_writer(&path, format, &options)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        Ok(FileDestinationWriter { writer, path })
    }
}

impl FileDestinationWriter {
    fn write_one(&mut self, write: &Write<'_>) -> WriteResult {
        let record = match &write.change {
            Change::Create { record }
            | Change::Update { record, .. }
            | Change::Unchanged { record } => record,
            Change::Delete { .. } => return Ok(None),
        };
        let written = match write.json {
            Some(json) => self.writer.write_json(record, json),
            None => self.writer.write(record),
        };
        written.map_err(|e| WriteFailure {
            message: format!("cannot write `{}`: {e}", self.path.display()),
        })?;
        Ok(None)
    }
}

impl Destination for FileDestinationWriter {
    /// Writes are handed over in windows (each write still gets its own result): fewer
    /// calls, and no vectors per record.
    fn window(&self) -> usize {
        FILE_WINDOW
    }

    fn takes_json(&self) -> bool {
        self.writer.takes_json()
    }

    /// The file is written under a temporary name and renamed into place by `finish`.
    fn staged(&self) -> bool {
        true
    }

    fn apply(&mut self, writes: &[Write<'_>]) -> Vec<WriteResult> {
        writes.iter().map(|write| self.write_one(write)).collect()
    }

    fn finish(self: Box<Self>) -> Result<(), WriteFailure> {
        let path = self.path.clone();
        self.writer.finish().map_err(|e| WriteFailure {
            message: format!("cannot write `{}`: {e}", path.display()),
        })
    }

    /// The file is synced and renamed on the engine's finishing thread.
    fn finishing(self: Box<Self>) -> Finishing {
        Box::new(move || self.finish())
    }
}
