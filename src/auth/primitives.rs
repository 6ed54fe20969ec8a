//! The building blocks signers are made of — HMACs, hashes, base64, RFC 3986
//! percent-encoding, nonces and the clock — written once and shared by the built-in
//! schemes and by auth scripts (which get exactly these and nothing else).
//!
//! Time and nonces come from a [`Clock`] and [`Nonces`] carried in the
//! [`AuthContext`](super::AuthContext), so tests can fix them.

use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Every byte but the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is encoded:
/// the encoding OAuth 1 signatures require (RFC 5849 §3.6).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `text` per RFC 3986: unreserved characters stay, every other byte of
/// its UTF-8 form becomes `%XX` (upper-case hex).
pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, RFC3986).to_string()
}

/// HMAC-SHA1 of `message` under `key`.
pub fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    match Hmac::<Sha1>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// SHA-1 digest.
pub fn sha1(data: &[u8]) -> Vec<u8> {
    Sha1::digest(data).to_vec()
}

/// SHA-256 digest.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    Sha256::digest(data).to_vec()
}

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// URL-safe base64 without padding (as in JWTs).
pub fn base64url_encode(data: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

/// Decodes standard base64 (padding optional).
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
        .ok()
}

/// Decodes URL-safe base64 (padding optional).
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
}

/// The current time, replaceable in tests.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that reads `now` each time (a test's controllable time).
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Clock {
        Clock(Some(Arc::new(now)))
    }

    /// A clock stopped at `at`.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock::from_fn(move || at)
    }

    /// The time now.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            Some(now) => now(),
            None => Utc::now(),
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Clock(test)"
        } else {
            "Clock(system)"
        })
    }
}

/// Where nonces come from: random by default, fixed in tests.
#[derive(Clone, Default)]
pub struct Nonces(Option<Arc<dyn Fn() -> String + Send + Sync>>);

impl Nonces {
    /// Random nonces: 32 hex digits from 122 random bits.
    pub fn random() -> Nonces {
        Nonces(None)
    }

    /// Always `nonce` (for tests against published signatures).
    pub fn fixed(nonce: &str) -> Nonces {
        let nonce = nonce.to_string();
        Nonces(Some(Arc::new(move || nonce.clone())))
    }

    /// A fresh nonce.
    pub fn next(&self) -> String {
        match &self.0 {
            Some(next) => next(),
            None => uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

impl std::fmt::Debug for Nonces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Nonces(fixed)"
        } else {
            "Nonces(random)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(percent_encode("Az09-._~"), "Az09-._~");
        assert_eq!(
            percent_encode("a b+c/é!*'()"),
            "a%20b%2Bc%2F%C3%A9%21%2A%27%28%29"
        );
    }

    #[test]
    fn hmacs_match_rfc_2202_and_4231() {
        // RFC 2202 test case 2 and RFC 4231 test case 2.
        assert_eq!(
            hex::encode(hmac_sha1(b"Jefe", b"what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex::encode(sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex::encode(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn base64_round_trips_in_both_alphabets() {
        let data = [0xfb, 0xff, 0x00, 0x41];
        assert_eq!(base64_encode(&data), "+/8AQQ==");
        assert_eq!(base64url_encode(&data), "-_8AQQ");
        assert_eq!(base64_decode("+/8AQQ=="), Some(data.to_vec()));
        assert_eq!(base64_decode("+/8AQQ"), Some(data.to_vec()));
        assert_eq!(base64url_decode("-_8AQQ=="), Some(data.to_vec()));
        assert_eq!(base64_decode("not base64!"), None);
    }

    #[test]
    fn random_nonces_differ() {
        let nonces = Nonces::random();
        assert_ne!(nonces.next(), nonces.next());
        assert_eq!(Nonces::fixed("n").next(), "n");
    }
}
