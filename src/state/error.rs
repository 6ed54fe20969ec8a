//! The state store's errors. Every one names the state file, so a user knows which file
//! to look at (or to move aside).

use std::io;
use std::path::PathBuf;

/// Something went wrong with the state file.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Another `State` (in this process or another one) has the file open.
    #[error("state file `{}` is in use by another sluice process", path.display())]
    InUse {
        /// The state file.
        path: PathBuf,
    },
    /// A new state file could not be put in place.
    #[error("cannot create state file `{}`: {source}", path.display())]
    Create {
        /// The state file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The folder for a new state file could not be made.
    #[error("cannot create the folder for state file `{}`: {source}", path.display())]
    CreateFolder {
        /// The state file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file could not be opened as a redb database.
    #[error("cannot open state file `{}`: {source}", path.display())]
    Open {
        /// The state file.
        path: PathBuf,
        /// Why.
        source: redb::DatabaseError,
    },
    /// The file was written by a newer sluice with a layout this one does not know.
    #[error(
        "state file `{}` was written by a newer sluice (state schema version {found}; this \
         sluice reads up to version {supported}): upgrade sluice or use another --state file",
        path.display()
    )]
    NewerSchema {
        /// The state file.
        path: PathBuf,
        /// The version found in the file.
        found: u64,
        /// The newest version this build reads.
        supported: u64,
    },
    /// Reading or writing the database failed.
    #[error("state file `{}`: {source}", path.display())]
    Storage {
        /// The state file.
        path: PathBuf,
        /// Why.
        source: redb::Error,
    },
    /// A stored value could not be read back.
    #[error("state file `{}` holds a damaged entry: {what}", path.display())]
    Damaged {
        /// The state file.
        path: PathBuf,
        /// Which entry and what is wrong with it.
        what: String,
    },
    /// A value could not be encoded for storing.
    #[error("state file `{}`: cannot store {what}: {source}", path.display())]
    Encode {
        /// The state file.
        path: PathBuf,
        /// What was being stored.
        what: &'static str,
        /// Why.
        source: serde_json::Error,
    },
}

/// An error inside the store, before the file's path is attached. Internal functions
/// return it so that `?` works on every redb and serde error.
#[derive(Debug)]
pub(crate) enum Fail {
    Db(redb::Error),
    Damaged(String),
    Encode(&'static str, serde_json::Error),
}

impl Fail {
    /// The public error, naming the file.
    pub(crate) fn at(self, path: PathBuf) -> StateError {
        match self {
            Fail::Db(source) => StateError::Storage { path, source },
            Fail::Damaged(what) => StateError::Damaged { path, what },
            Fail::Encode(what, source) => StateError::Encode { path, what, source },
        }
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for Fail {
            fn from(e: $t) -> Self {
                Fail::Db(e.into())
            }
        }
    )*};
}

from_redb!(
    redb::Error,
    redb::StorageError,
    redb::TableError,
    redb::TransactionError,
    redb::CommitError,
    redb::SetDurabilityError
);
