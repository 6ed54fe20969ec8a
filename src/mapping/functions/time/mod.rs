//! Date and time functions: parsing, formatting, time zones and arithmetic.

use super::Function;

pub(super) fn all() -> Vec<&'static Function> {
    vec![]
}
