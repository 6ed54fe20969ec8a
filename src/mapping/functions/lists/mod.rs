//! List functions: transforming, filtering, ordering and searching lists.

use super::Function;

mod filter;
mod map;

pub(super) fn all() -> Vec<&'static Function> {
    vec![&map::MAP, &filter::FILTER]
}
