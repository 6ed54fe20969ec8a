//! Lookup tables.

use super::Function;

// One file per function, named after it, even when the family shares the name.
mod link;
#[allow(clippy::module_inception)]
mod lookup;

pub(crate) use lookup::Table;

pub(super) fn all() -> Vec<&'static Function> {
    vec![&lookup::LOOKUP, &link::LINK, &link::LINK_OR_NULL]
}
