//! Hashing and encoding functions.

use super::Function;

mod base64_decode;
mod base64_encode;
mod md5;
mod sha256;
mod url_decode;
mod url_encode;

pub(super) fn all() -> Vec<&'static Function> {
    vec![
        &sha256::SHA256,
        &md5::MD5,
        &base64_encode::BASE64_ENCODE,
        &base64_decode::BASE64_DECODE,
        &url_encode::URL_ENCODE,
        &url_decode::URL_DECODE,
    ]
}
