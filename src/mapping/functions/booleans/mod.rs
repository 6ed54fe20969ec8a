//! Boolean functions.

use super::Function;

mod to_bool;

pub(super) fn all() -> Vec<&'static Function> {
    vec![&to_bool::TO_BOOL]
}
