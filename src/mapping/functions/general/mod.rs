//! General functions: defaults, required values, types and identifiers.

use super::Function;

mod coalesce;
mod default;
mod is_empty;
mod required;
mod type_of;
mod uuid;

pub(super) fn all() -> Vec<&'static Function> {
    vec![
        &coalesce::COALESCE,
        &required::REQUIRED,
        &default::DEFAULT,
        &type_of::TYPE_OF,
        &is_empty::IS_EMPTY,
        &uuid::UUID,
    ]
}
