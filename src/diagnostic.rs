//! Problems found in users' files: one type for every stage (mapping files now, pipeline
//! files and scripts later), each with a stable code, a severity, a span in a named
//! source file, and an optional suggestion. Rendering is rustc-like, with a caret under
//! the span (through codespan-reporting), or as JSON records for machines.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

/// A user file as read: its display name (a path as the user gave it) and its text.
#[derive(Debug, PartialEq, Eq)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<SourceFile> {
        Arc::new(SourceFile {
            name: name.into(),
            text: text.into(),
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code, e.g. `M002`; documented in the README.
    pub code: &'static str,
    pub message: String,
    pub file: Arc<SourceFile>,
    /// Byte range in `file.text`.
    pub span: Range<usize>,
    /// Text shown under the caret.
    pub label: Option<String>,
    /// A suggestion ("did you mean `lower`?").
    pub help: Option<String>,
}

/// The machine-readable form (`--format json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiagnosticRecord {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub code: String,
    pub message: String,
}

impl Diagnostic {
    pub fn error(
        code: &'static str,
        message: impl Into<String>,
        file: &Arc<SourceFile>,
        span: Range<usize>,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            file: Arc::clone(file),
            span,
            label: None,
            help: None,
        }
    }

    pub fn warning(
        code: &'static str,
        message: impl Into<String>,
        file: &Arc<SourceFile>,
        span: Range<usize>,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, file, span)
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// 1-based line and column of the start of the span.
    pub fn line_col(&self) -> (usize, usize) {
        self.file.line_col(self.span.start)
    }

    pub fn record(&self) -> DiagnosticRecord {
        let (line, column) = self.line_col();
        DiagnosticRecord {
            file: self.file.name.clone(),
            line,
            column,
            severity: self.severity,
            code: self.code.to_string(),
            message: self.message.clone(),
        }
    }

    /// The rustc-like rendering: `error[M002]: message`, `--> file:line:col`, the
    /// source line with a caret under the span, then the suggestion. `color` adds
    /// terminal colours.
    pub fn render(&self, color: bool) -> String {
        use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
        use codespan_reporting::files::SimpleFile;
        use codespan_reporting::term::{self, Chars, Config, termcolor};

        let file = SimpleFile::new(self.file.name.as_str(), self.file.text.as_str());
        let start = floor_char_boundary(&self.file.text, self.span.start.min(self.file.text.len()));
        let end = floor_char_boundary(
            &self.file.text,
            self.span.end.clamp(start, self.file.text.len()),
        );
        let mut label = Label::primary((), start..end);
        if let Some(text) = &self.label {
            label = label.with_message(text.clone());
        }
        let report = match self.severity {
            Severity::Error => Report::error(),
            Severity::Warning => Report::warning(),
        }
        .with_code(self.code)
        .with_message(self.message.clone())
        .with_labels(vec![label])
        .with_notes(self.help.iter().map(|h| format!("help: {h}")).collect());
        let config = Config {
            chars: if color {
                Chars::box_drawing()
            } else {
                Chars::ascii()
            },
            ..Config::default()
        };
        let rendered = if color {
            let mut buffer = termcolor::Buffer::ansi();
            term::emit_to_write_style(&mut buffer, &config, &file, &report)
                .map(|()| String::from_utf8_lossy(buffer.as_slice()).into_owned())
        } else {
            term::emit_into_string(&config, &file, &report)
        };
        rendered.unwrap_or_else(|_| format!("{self}\n"))
    }
}

/// One line: `file:line:col: error[M002]: message`.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, column) = self.line_col();
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{line}:{column}: {severity}[{}]: {}",
            self.file.name, self.code, self.message
        )
    }
}

/// Sorts diagnostics into reading order: file by file (in the order files first
/// appear), then by position.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    let mut files: Vec<&str> = Vec::new();
    let order: Vec<(usize, usize)> = diagnostics
        .iter()
        .map(|d| {
            let index = files
                .iter()
                .position(|f| *f == d.file.name)
                .unwrap_or_else(|| {
                    files.push(&d.file.name);
                    files.len() - 1
                });
            (index, d.span.start)
        })
        .collect();
    let mut indexed: Vec<(usize, usize, usize)> = order
        .iter()
        .enumerate()
        .map(|(i, (f, s))| (*f, *s, i))
        .collect();
    indexed.sort();
    let sorted: Vec<Diagnostic> = indexed
        .iter()
        .map(|(_, _, i)| diagnostics[*i].clone())
        .collect();
    diagnostics.clone_from_slice(&sorted);
}

/// The closest of `candidates` to `name`, when one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let file = SourceFile::new("x.map", "a = 1\nnaïve = b\n");
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(6), (2, 1));
        assert_eq!(file.line_col(6 + "naïve ".len()), (2, 7));
    }

    #[test]
    fn rendering_shows_code_position_and_caret() {
        let file = SourceFile::new("m.map", "x = lowr(a)\n");
        let diagnostic = Diagnostic::error("M002", "unknown function `lowr`", &file, 4..8)
            .with_help("did you mean `lower`?");
        let text = diagnostic.render(false);
        assert!(text.contains("M002"), "{text}");
        assert!(
            text.starts_with("error[M002]: unknown function `lowr`"),
            "{text}"
        );
        assert!(text.contains("m.map:1:5"), "{text}");
        assert!(text.contains("^^^^"), "{text}");
        assert!(text.contains("did you mean `lower`?"), "{text}");
    }

    #[test]
    fn suggestions_need_a_close_name() {
        assert_eq!(
            did_you_mean("lowr", ["lower", "upper", "trim"]),
            Some("lower")
        );
        assert_eq!(did_you_mean("zzz", ["lower", "upper"]), None);
    }
}
