//! General functions: defaults, required values, types and identifiers.

use super::Function;

mod coalesce;
mod required;

pub(super) fn all() -> Vec<&'static Function> {
    vec![&coalesce::COALESCE, &required::REQUIRED]
}
