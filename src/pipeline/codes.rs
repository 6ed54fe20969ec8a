//! The stable codes of pipeline-file diagnostics. Users search for them and tools match
//! on them, so a code, once given, keeps its meaning.

/// A TOML syntax error.
pub const SYNTAX: &str = "P001";
/// A key the pipeline file format does not know (with a suggestion when one is close).
pub const UNKNOWN_KEY: &str = "P002";
/// A value of the wrong type or form: a number where text belongs, a bad duration,
/// cron expression, time zone, URL or timestamp, a number out of range.
pub const INVALID_VALUE: &str = "P003";
/// A required key or table is missing.
pub const MISSING_KEY: &str = "P004";
/// An unknown `type` (of a source, destination, auth block or pagination) or an
/// unknown choice (`mode = "ful"`).
pub const UNKNOWN_TYPE: &str = "P005";
/// `${env:NAME}` names an unset variable, or `${file:PATH}` a file that cannot be read.
pub const MISSING_SECRET: &str = "P006";
/// `{vars.name}` names no variable of `[vars]`.
pub const UNKNOWN_VAR: &str = "P007";
/// `extends` names a preset that cannot be found or read, or presets extend each other
/// in a cycle.
pub const EXTENDS: &str = "P008";
/// Two keys that exclude each other are both set (`every` and `cron`, `file` and
/// `inline`, `header` and `query`).
pub const CONFLICT: &str = "P009";
/// None of the keys of which one is needed is set (`file` or `inline`…).
pub const NEED_ONE: &str = "P010";
/// `every` is shorter than `min_interval`.
pub const SCHEDULE: &str = "P011";
/// Warning: `until` lies in the past, so the schedule never fires again.
pub const UNTIL_PAST: &str = "P012";
/// A source or destination names an auth block that `[auth]` does not define.
pub const UNKNOWN_AUTH: &str = "P013";
/// A referenced file (mapping, script) does not exist.
pub const MISSING_FILE: &str = "P014";
/// The pipeline file itself cannot be read.
pub const UNREADABLE: &str = "P015";
/// A setting that needs another one, or that does not fit the rest: `deletes =
/// "propagate"` outside full mode, `grant = "refresh_token"` without a token, a JWT
/// algorithm without its key, a file format that cannot be inferred.
pub const REQUIRES: &str = "P016";

/// Warning: a credential written in the file instead of `${env:…}` or `${file:…}`.
pub const INLINE_SECRET: &str = "P017";

/// `after` names a pipeline that does not exist.
pub const UNKNOWN_PIPELINE: &str = "P018";
/// Pipelines wait for each other through `after` in a cycle, so none would ever run.
pub const AFTER_CYCLE: &str = "P019";
/// Two pipeline files have the same name (file name without `.toml`).
pub const DUPLICATE_PIPELINE: &str = "P020";

/// Every code with a one-line explanation, in order.
pub const ALL: &[(&str, &str)] = &[
    (SYNTAX, "TOML syntax error"),
    (
        UNKNOWN_KEY,
        "unknown key (with a suggestion when a known key is close)",
    ),
    (
        INVALID_VALUE,
        "a value of the wrong type or form (duration, cron, time zone, URL, timestamp…)",
    ),
    (MISSING_KEY, "a required key or table is missing"),
    (
        UNKNOWN_TYPE,
        "unknown `type` of a source, destination, auth block or pagination, or an unknown choice",
    ),
    (
        MISSING_SECRET,
        "`${env:NAME}` is not set or `${file:PATH}` cannot be read",
    ),
    (
        UNKNOWN_VAR,
        "`{vars.name}` with no such variable in `[vars]`",
    ),
    (
        EXTENDS,
        "`extends` names a preset that cannot be read, or presets extend each other in a cycle",
    ),
    (
        CONFLICT,
        "two keys that exclude each other are both set (`every` and `cron`…)",
    ),
    (
        NEED_ONE,
        "none of the keys of which one is needed is set (`file` or `inline`…)",
    ),
    (SCHEDULE, "`every` is shorter than `min_interval`"),
    (
        UNTIL_PAST,
        "warning: `until` lies in the past; the schedule never fires again",
    ),
    (
        UNKNOWN_AUTH,
        "a source or destination names an auth block that `[auth]` does not define",
    ),
    (
        MISSING_FILE,
        "a referenced mapping or script file does not exist",
    ),
    (UNREADABLE, "the pipeline file cannot be read"),
    (
        REQUIRES,
        "a setting that needs another one or does not fit the rest",
    ),
    (
        INLINE_SECRET,
        "warning: a credential written in the file instead of `${env:…}` or `${file:…}`",
    ),
    (
        UNKNOWN_PIPELINE,
        "`after` names a pipeline that does not exist",
    ),
    (
        AFTER_CYCLE,
        "pipelines wait for each other through `after` in a cycle",
    ),
    (DUPLICATE_PIPELINE, "two pipeline files have the same name"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_numbered_in_order() {
        for (i, (code, explanation)) in ALL.iter().enumerate() {
            assert_eq!(*code, format!("P{:03}", i + 1));
            assert!(!explanation.is_empty());
        }
    }
}
