//! Object functions: keys, values, merging and picking fields.

use super::Function;

mod get;
mod keys;
mod merge;
mod omit;
mod pick;
mod values;

pub(super) fn all() -> Vec<&'static Function> {
    vec![
        &keys::KEYS,
        &values::VALUES,
        &merge::MERGE,
        &pick::PICK,
        &omit::OMIT,
        &get::GET,
    ]
}
