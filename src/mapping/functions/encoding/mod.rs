//! Hashing and encoding functions.

use super::Function;

pub(super) fn all() -> Vec<&'static Function> {
    vec![]
}
