//! Two-way pipelines' memory: per user and item, the version each side had when the
//! item was last synced (a fingerprint of its content, the timestamp left out). A side
//! whose item still has that fingerprint has not changed since, whatever its timestamp
//! says, so a platform that restamps what sluice wrote does not send it back, and an
//! item that disappeared from a side after a sync was deleted there.

use std::collections::HashMap;

use redb::{TableDefinition, TableError};
use serde::{Deserialize, Serialize};

use super::tables::{from_json, to_json};
use super::{State, StateError};

/// (pipeline, user, item id) → [`Synced`] as JSON. Created when first written.
const SYNCED: TableDefinition<(&str, &str, &str), &[u8]> = TableDefinition::new("two_way");

/// What each side held when an item was last synced; `None`: the side had no such item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synced {
    /// The left side's version (a fingerprint), if it had the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<String>,
    /// The right side's version, if it had the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<String>,
}

impl State {
    /// The synced versions of `user`'s items in `pipeline`, by item id.
    pub fn synced(
        &self,
        pipeline: &str,
        user: &str,
    ) -> Result<HashMap<String, Synced>, StateError> {
        self.read(|txn| {
            let table = match txn.open_table(SYNCED) {
                Ok(table) => table,
                Err(TableError::TableDoesNotExist(_)) => return Ok(HashMap::new()),
                Err(e) => return Err(e.into()),
            };
            let mut out = HashMap::new();
            for entry in table.range((pipeline, user, "")..)? {
                let (key, value) = entry?;
                let (p, u, id) = key.value();
                if p != pipeline || u != user {
                    break;
                }
                let synced = from_json(|| format!("synced item `{id}`"), value.value())?;
                out.insert(id.to_string(), synced);
            }
            Ok(out)
        })
    }

    /// Records `user`'s synced versions durably in one transaction: `Some` replaces an
    /// item's entry, `None` forgets it (the item is gone from both sides).
    pub fn put_synced(
        &self,
        pipeline: &str,
        user: &str,
        changes: &[(String, Option<Synced>)],
    ) -> Result<(), StateError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.write(|txn| {
            let mut table = txn.open_table(SYNCED)?;
            for (id, synced) in changes {
                match synced {
                    Some(synced) => {
                        let bytes = to_json("a synced item", synced)?;
                        table.insert((pipeline, user, id.as_str()), bytes.as_slice())?;
                    }
                    None => {
                        table.remove((pipeline, user, id.as_str()))?;
                    }
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synced_versions_are_kept_per_pipeline_and_user() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("state.redb");
        let both = |v: &str| Synced {
            left: Some(v.into()),
            right: Some(v.into()),
        };
        {
            let state = State::open(&path).expect("open");
            assert!(state.synced("fav", "anna").expect("read").is_empty());
            state
                .put_synced(
                    "fav",
                    "anna",
                    &[
                        ("s1".into(), Some(both("a"))),
                        ("s2".into(), Some(both("b"))),
                    ],
                )
                .expect("write");
            state
                .put_synced("fav", "bob", &[("s1".into(), Some(both("c")))])
                .expect("write");
            state
                .put_synced("fav", "anna", &[("s2".into(), None)])
                .expect("forget");
        }
        let state = State::open(&path).expect("reopen");
        let anna = state.synced("fav", "anna").expect("read");
        assert_eq!(anna.len(), 1);
        assert_eq!(anna["s1"], both("a"));
        assert_eq!(state.synced("fav", "bob").expect("read")["s1"], both("c"));
        assert!(state.synced("favourites", "anna").expect("read").is_empty());
    }
}
