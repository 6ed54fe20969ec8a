//! List functions: transforming, filtering, ordering and searching lists.

use super::Function;

mod compact;
mod filter;
mod first;
mod flatten;
mod index_of;
mod last;
mod length;
mod map;
mod reverse;
mod sort;
mod unique;

pub(super) fn all() -> Vec<&'static Function> {
    vec![
        &map::MAP,
        &filter::FILTER,
        &first::FIRST,
        &last::LAST,
        &length::LENGTH,
        &unique::UNIQUE,
        &sort::SORT,
        &reverse::REVERSE,
        &flatten::FLATTEN,
        &index_of::INDEX_OF,
        &compact::COMPACT,
    ]
}
