//! Object functions: keys, values, merging and picking fields.

use super::Function;

pub(super) fn all() -> Vec<&'static Function> {
    vec![]
}
