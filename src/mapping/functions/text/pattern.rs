//! Regular-expression arguments, shared by `regex_match`, `regex_capture` and
//! `regex_replace`: compiled once per call site when the pattern is a constant,
//! otherwise per call.

use std::borrow::Cow;

use regex::Regex;

use crate::mapping::functions::{Args, FnError};
use crate::mapping::value::Value;

/// The pattern argument of one call site.
pub(crate) struct Pattern(Option<Regex>);

impl Pattern {
    /// Compiles the pattern at `index` when it is a constant; a constant that is not a
    /// valid regular expression is an error (a compile-time diagnostic).
    pub(crate) fn prepare(consts: &[Option<&Value>], index: usize) -> Result<Pattern, String> {
        match consts.get(index).copied().flatten() {
            Some(Value::String(p)) => compile(p).map(|regex| Pattern(Some(regex))),
            Some(other) => Err(format!("the pattern must be text, got {other}")),
            None => Ok(Pattern(None)),
        }
    }

    /// The regex for this call: the prepared one, or argument `index` compiled now.
    pub(crate) fn regex(
        &self,
        args: &Args<'_, '_>,
        index: usize,
    ) -> Result<Cow<'_, Regex>, FnError> {
        match &self.0 {
            Some(regex) => Ok(Cow::Borrowed(regex)),
            None => {
                let regex = compile(&args.text(index)?).map_err(|e| args.fail(e))?;
                Ok(Cow::Owned(regex))
            }
        }
    }
}

/// Compiles a pattern, with the regex crate's explanation when it is invalid.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| {
        // The regex crate explains on several lines, with a caret diagram; keep its
        // last line, the explanation ("unclosed group").
        let text = e.to_string();
        let reason = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let reason = reason.trim().trim_start_matches("error: ");
        format!("`{pattern}` is not a valid regular expression: {reason}")
    })
}
