//! Contact data: e-mail addresses and phone numbers.

use super::Function;

pub(super) fn all() -> Vec<&'static Function> {
    vec![]
}
