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

/// A place records are written to.
pub trait Destination {
    /// Applies one change; the destination's id for the record when it has one.
    fn apply(
        &mut self,
        source_id: &str,
        change: Change<'_>,
    ) -> Result<Option<String>, WriteFailure>;
    /// Completes the run's writes (a file is renamed into place). Until this returns,
    /// nothing a destination wrote may be visible as complete.
    fn finish(self: Box<Self>) -> Result<(), WriteFailure>;
}

/// `type = "file"`: a file holding the records of the last run (created, updated and
/// unchanged), written to a temporary file and renamed into place at the end.
pub struct FileDestinationWriter {
    writer: Box<dyn RecordWriter>,
    path: PathBuf,
}

impl FileDestinationWriter {
    /// Opens the file at `config.path` (relative to `base`; `{date}` and friends filled
    /// from `started_at` in `zone`).
    pub fn open(
        config: &FileDestination,
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
            ..WriteOptions::default()
        };
        let writer = formats::create_writer(&path, format, &options)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        Ok(FileDestinationWriter { writer, path })
    }
}

impl Destination for FileDestinationWriter {
    fn apply(
        &mut self,
        _source_id: &str,
        change: Change<'_>,
    ) -> Result<Option<String>, WriteFailure> {
        let record = match change {
            Change::Create { record }
            | Change::Update { record, .. }
            | Change::Unchanged { record } => record,
            Change::Delete { .. } => return Ok(None),
        };
        self.writer.write(record).map_err(|e| WriteFailure {
            message: format!("cannot write `{}`: {e}", self.path.display()),
        })?;
        Ok(None)
    }

    fn finish(self: Box<Self>) -> Result<(), WriteFailure> {
        let path = self.path.clone();
        self.writer.finish().map_err(|e| WriteFailure {
            message: format!("cannot write `{}`: {e}", path.display()),
        })
    }
}
