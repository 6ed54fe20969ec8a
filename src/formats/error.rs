//! FileError: a file that cannot be read or written as a whole, or a record that cannot
//! be written. Record-level read problems are `ReadError`s handed to the caller instead.

use std::io;
use std::path::{Path, PathBuf};

/// Why a file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file (or its temporary twin) could not be opened, read, written or renamed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The file is not valid in its format; nothing after `location` could be read.
    #[error("{}: {location}: {message}", path.display())]
    Parse {
        /// The file concerned.
        path: PathBuf,
        /// Where: `line 12, column 3`, `row 5`, `byte 1234`.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// The options do not fit the file: an unknown sheet, a `records` path that is not
    /// there, a format that cannot be written, an invalid element name.
    #[error("{}: {message}", path.display())]
    Options {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// One record cannot be written in the format (not an object, a key the CSV header
    /// lacks, a value XML cannot hold). Nothing of it was written; the writer can go on.
    #[error("{}: {message}", path.display())]
    Record {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong with the record.
        message: String,
    },
}

impl FileError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: io::Error) -> FileError {
        FileError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A format error at `location` in `path`.
    pub fn parse(
        path: &Path,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> FileError {
        FileError::Parse {
            path: path.to_path_buf(),
            location: location.into(),
            message: message.into(),
        }
    }

    /// Options that do not fit `path`.
    pub fn options(path: &Path, message: impl Into<String>) -> FileError {
        FileError::Options {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    /// A record that cannot be written to `path`.
    pub fn record(path: &Path, message: impl Into<String>) -> FileError {
        FileError::Record {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    /// True for a problem with one record only: the writer is still usable.
    pub fn is_record_error(&self) -> bool {
        matches!(self, FileError::Record { .. })
    }
}
