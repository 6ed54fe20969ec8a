//! Date and time functions: parsing, formatting, time zones and arithmetic.

use super::Function;

mod add_duration;
mod civil;
mod common;
mod day_offsets;
pub(crate) mod duration;
mod format_time;
mod from_unix;
mod now;
mod parse_time;
mod to_date;
mod to_unix;

pub(crate) use parse_time::FixedParseTime;

pub(super) fn all() -> Vec<&'static Function> {
    vec![
        &parse_time::PARSE_TIME,
        &format_time::FORMAT_TIME,
        &to_date::TO_DATE,
        &to_unix::TO_UNIX,
        &from_unix::FROM_UNIX,
        &now::NOW,
        &add_duration::ADD_DURATION,
    ]
}
