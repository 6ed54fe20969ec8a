//! Run-time errors of scripts: what stopped a script, in words a pipeline author can act
//! on, with the place in the script (file, line, column) where Rhai gives one.

use std::fmt;
use std::sync::Arc;

use rhai::{Engine, EvalAltResult, Position};

use crate::diagnostic::SourceFile;

/// Why a script evaluation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptErrorKind {
    /// More operations than the sandbox allows (an endless loop, usually).
    TooManyOperations,
    /// Longer than the sandbox's wall-clock limit.
    Timeout,
    /// Functions nested (or recursing) deeper than the sandbox allows.
    TooDeep,
    /// A string, array or map larger than the sandbox allows.
    TooLarge,
    /// A condition gave something other than `true` or `false`.
    NotBool,
    /// A value that has no JSON form went in or came out (a closure, NaN…).
    Conversion,
    /// Any other error the script raised or ran into (`throw`, a type mismatch…).
    Runtime,
}

/// A failed script evaluation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScriptError {
    pub kind: ScriptErrorKind,
    /// What went wrong, without the place.
    pub message: String,
    /// The file the script is in (a `.rhai` file, or the pipeline file of a condition).
    pub file: String,
    /// 1-based line and column in `file`, when Rhai reports a position.
    pub position: Option<(usize, usize)>,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Where a script's text sits: a whole file, or a string inside a file (a condition in
/// a pipeline file) starting at a byte offset. Turns Rhai positions into file positions.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub file: Arc<SourceFile>,
    /// Byte offset of the script text in `file.text`.
    pub offset: usize,
    /// The script text (equal to `file.text[offset..]` up to escapes in a quoted string).
    pub text: String,
}

impl Origin {
    /// The byte offset in `file.text` of a Rhai position in the script text.
    pub fn byte_offset(&self, position: Position) -> Option<usize> {
        let line = position.line()?;
        let column = position.position().unwrap_or(1);
        byte_offset(&self.text, line, column).map(|o| (self.offset + o).min(self.file.text.len()))
    }

    /// An error of `kind` with a message, placed at `position`.
    pub fn error(&self, kind: ScriptErrorKind, message: String, position: Position) -> ScriptError {
        ScriptError {
            kind,
            message,
            file: self.file.name.clone(),
            position: self.byte_offset(position).map(|o| self.file.line_col(o)),
        }
    }

    /// Describes a Rhai evaluation error. For an error inside nested function calls, the
    /// innermost error gives the message and the place, and the chain of functions is
    /// named after it.
    pub fn eval_error(&self, engine: &Engine, error: &EvalAltResult) -> ScriptError {
        let mut chain = Vec::new();
        let mut inner = error;
        while let EvalAltResult::ErrorInFunctionCall(name, _, nested, _) = inner {
            chain.push(name.as_str());
            inner = nested;
        }
        let (kind, mut message) = describe(engine, inner);
        if let Some(function) = chain.last() {
            message.push_str(&format!(" (in function `{function}`)"));
        }
        self.error(kind, message, inner.position())
    }
}

/// The byte offset of a 1-based line and 1-based column (in characters) in `text`.
pub(crate) fn byte_offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += text.get(start..)?.find('\n')? + 1;
    }
    let rest = text.get(start..)?;
    let line_len = rest.find('\n').unwrap_or(rest.len());
    let within = rest[..line_len]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_len, |(i, _)| i);
    Some(start + within)
}

fn describe(engine: &Engine, error: &EvalAltResult) -> (ScriptErrorKind, String) {
    use ScriptErrorKind as K;
    match error {
        EvalAltResult::ErrorTooManyOperations(_) => (
            K::TooManyOperations,
            format!(
                "the script was stopped after {} operations (an endless loop?)",
                engine.max_operations()
            ),
        ),
        EvalAltResult::ErrorTerminated(token, _) => (
            K::Timeout,
            match token.as_int() {
                Ok(ms) => format!("the script was stopped after running for {ms} ms"),
                Err(_) => "the script was stopped".to_string(),
            },
        ),
        EvalAltResult::ErrorStackOverflow(_) => (
            K::TooDeep,
            format!(
                "functions nested more than {} calls deep (endless recursion?)",
                engine.max_call_levels()
            ),
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => (
            K::TooLarge,
            format!("{what} exceeds the script sandbox's limit"),
        ),
        EvalAltResult::ErrorRuntime(value, _) => (
            K::Runtime,
            if value.is_string() {
                value.to_string()
            } else {
                format!("{value:?}")
            },
        ),
        other => {
            // Rhai's message ends in " (line 2, position 5)"; the place is given apart.
            let text = other.to_string();
            let place = format!(" ({})", other.position());
            let text = match text.strip_suffix(&place) {
                Some(message) if !other.position().is_none() => message.to_string(),
                _ => text,
            };
            (K::Runtime, text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_offsets_count_characters_within_lines() {
        let text = "ab\nnaïve x\n";
        assert_eq!(byte_offset(text, 1, 1), Some(0));
        assert_eq!(byte_offset(text, 2, 1), Some(3));
        assert_eq!(byte_offset(text, 2, 7), Some(3 + "naïve ".len()));
        // Past the end of a line: the end of that line.
        assert_eq!(byte_offset(text, 1, 9), Some(2));
        assert_eq!(byte_offset(text, 9, 1), None);
    }
}
