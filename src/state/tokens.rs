//! Authentication tokens kept between runs (OAuth 2 access and refresh tokens, tokens
//! cached by auth scripts): the state file is the [`TokenCache`] of production runs, so
//! a refresh token the platform rotated survives the process. Tokens are credentials:
//! nothing here logs or prints them, and errors name the key only.

use redb::TableError;

use super::tables::{TOKENS, from_json, to_json};
use super::{State, StateError};
use crate::auth::{CachedToken, TokenCache};

impl State {
    /// The token cached under `key`.
    pub fn token(&self, key: &str) -> Result<Option<CachedToken>, StateError> {
        self.read(|txn| {
            let table = match txn.open_table(TOKENS) {
                Ok(table) => table,
                Err(TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            match table.get(key)? {
                Some(value) => from_json(|| format!("cached token `{key}`"), value.value()),
                None => Ok(None),
            }
        })
    }

    /// Caches `token` under `key`, durably.
    pub fn put_token(&self, key: &str, token: &CachedToken) -> Result<(), StateError> {
        self.write(|txn| {
            let bytes = to_json("a cached token", token)?;
            txn.open_table(TOKENS)?.insert(key, bytes.as_slice())?;
            Ok(())
        })
    }

    /// Forgets the token under `key`.
    pub fn forget_token(&self, key: &str) -> Result<(), StateError> {
        self.write(|txn| {
            txn.open_table(TOKENS)?.remove(key)?;
            Ok(())
        })
    }
}

/// A token that cannot be read or written costs a token request, nothing more: the
/// cache methods report no errors.
impl TokenCache for State {
    fn get(&self, key: &str) -> Option<CachedToken> {
        self.token(key).ok().flatten()
    }

    fn put(&self, key: &str, token: &CachedToken) {
        let _ = self.put_token(key, token);
    }

    fn forget(&self, key: &str) {
        let _ = self.forget_token(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_survive_reopening_and_can_be_forgotten() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("state.redb");
        let token = CachedToken {
            value: "access".into(),
            expires_at: Some(chrono::DateTime::UNIX_EPOCH),
            refresh_token: Some("refresh".into()),
        };
        {
            let state = State::open(&path).expect("open");
            assert_eq!(TokenCache::get(&state, "k"), None);
            state.put("k", &token);
        }
        let state = State::open(&path).expect("reopen");
        assert_eq!(state.token("k").expect("read"), Some(token));
        state.forget("k");
        assert_eq!(state.token("k").expect("read"), None);
    }
}
