//! Text functions: cleaning, case, searching, splitting and shaping strings.

use super::Function;

mod concat;
mod contains;
mod ends_with;
mod join;
mod lower;
mod pad_end;
mod pad_start;
mod pattern;
mod regex_capture;
mod regex_match;
mod regex_replace;
mod replace;
mod slug;
mod split;
mod starts_with;
mod strip_html;
mod substring;
mod title;
mod to_string;
mod trim;
mod truncate;
mod upper;

pub(super) fn all() -> Vec<&'static Function> {
    vec![
        &trim::TRIM,
        &lower::LOWER,
        &upper::UPPER,
        &title::TITLE,
        &replace::REPLACE,
        &regex_replace::REGEX_REPLACE,
        &regex_match::REGEX_MATCH,
        &regex_capture::REGEX_CAPTURE,
        &split::SPLIT,
        &join::JOIN,
        &concat::CONCAT,
        &substring::SUBSTRING,
        &starts_with::STARTS_WITH,
        &ends_with::ENDS_WITH,
        &contains::CONTAINS,
        &pad_start::PAD_START,
        &pad_end::PAD_END,
        &truncate::TRUNCATE,
        &slug::SLUG,
        &strip_html::STRIP_HTML,
        &to_string::TO_STRING,
    ]
}
