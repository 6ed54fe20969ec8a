//! Text functions: cleaning, case, searching, splitting and shaping strings.

use super::Function;

mod lower;
mod regex_replace;
mod trim;

pub(super) fn all() -> Vec<&'static Function> {
    vec![&trim::TRIM, &lower::LOWER, &regex_replace::REGEX_REPLACE]
}
