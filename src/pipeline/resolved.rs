//! A loaded pipeline: the typed settings with file references resolved to paths, and
//! the places of the names it refers to, so that `sluice validate` can check them
//! against other pipelines, mappings and scripts and report at the right spot.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::auth::Auth;
use super::destination::Destination;
use super::model::{Notify, Schedule, Sync, Webhook};
use super::source::Source;
use super::tree::Located;
use super::two_way::TwoWaySpec;
use super::vars::VarValue;
use crate::diagnostic::{Diagnostic, SourceFile};

/// One pipeline, ready for the engine. Its Debug form shows the file by name only
/// (the text could hold a credential written inline).
#[derive(Clone)]
pub struct Pipeline {
    /// The file name without `.toml`; other pipelines name it in `after` and `link`.
    pub name: String,
    /// The pipeline file.
    pub path: PathBuf,
    /// Its text, for diagnostics.
    pub file: Arc<SourceFile>,
    pub description: Option<String>,
    pub enabled: bool,
    /// Pipelines that must have synced before this one runs.
    pub after: Vec<String>,
    pub schedule: Option<Schedule>,
    pub vars: BTreeMap<String, VarValue>,
    pub auth: BTreeMap<String, Auth>,
    /// `[source]`; `None` in a two-way pipeline.
    pub source: Option<Source>,
    /// `[destination]`; `None` in a two-way pipeline.
    pub destination: Option<Destination>,
    pub sync: Sync,
    /// `[mapping]`; `None` in a two-way pipeline.
    pub mapping: Option<Mapping>,
    /// `[two_way]`, `[left]` and `[right]` of a two-way pipeline.
    pub two_way: Option<TwoWaySpec>,
    /// Rhai files with functions for the mapping (`[pipeline] scripts`), resolved.
    pub scripts: Vec<PathBuf>,
    /// Rhai files of `type = "script"` auth blocks, resolved.
    pub auth_scripts: Vec<PathBuf>,
    pub webhook: Option<Webhook>,
    pub notify: Option<Notify>,
    /// Where the names and files the pipeline refers to are written.
    pub references: References,
}

impl Pipeline {
    /// The folder of the pipeline file: relative paths in it start here.
    pub fn folder(&self) -> &std::path::Path {
        self.path.parent().unwrap_or(std::path::Path::new("."))
    }
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("file", &self.file.name)
            .field("description", &self.description)
            .field("enabled", &self.enabled)
            .field("after", &self.after)
            .field("schedule", &self.schedule)
            .field("vars", &self.vars)
            .field("auth", &self.auth)
            .field("source", &self.source)
            .field("destination", &self.destination)
            .field("sync", &self.sync)
            .field("mapping", &self.mapping)
            .field("two_way", &self.two_way)
            .field("scripts", &self.scripts)
            .field("auth_scripts", &self.auth_scripts)
            .field("webhook", &self.webhook)
            .field("notify", &self.notify)
            .field("references", &self.references)
            .finish()
    }
}

/// The pipeline's mapping.
#[derive(Debug, Clone)]
pub enum Mapping {
    /// A mapping file, resolved.
    File(PathBuf),
    /// A mapping written in the pipeline file.
    Inline(InlineMapping),
}

/// A mapping written in `[mapping] inline`, with its place in the pipeline file.
#[derive(Debug, Clone)]
pub struct InlineMapping {
    /// The mapping text.
    pub text: String,
    /// The string literal in the pipeline (or preset) file, quotes included.
    pub at: Located,
    /// Byte offset in `at.file` where `text` begins.
    pub content_start: usize,
}

impl InlineMapping {
    pub(crate) fn new(text: String, at: Located) -> InlineMapping {
        InlineMapping {
            content_start: at.content_start(),
            text,
            at,
        }
    }

    /// The mapping as a file of its own (named like the pipeline file), for the
    /// mapping compiler.
    pub fn source(&self) -> Arc<SourceFile> {
        SourceFile::new(self.at.file.name.clone(), self.text.clone())
    }

    /// Moves a diagnostic about [`InlineMapping::source`] to its place in the pipeline
    /// file. Exact for literal strings (`'''…'''`); in basic strings (`"""…"""`) escape
    /// sequences before the span shift it by their extra characters.
    pub fn shift(&self, mut diagnostic: Diagnostic) -> Diagnostic {
        let end = self.at.span.end;
        let start = (diagnostic.span.start + self.content_start).min(end);
        let stop = (diagnostic.span.end + self.content_start).clamp(start, end);
        diagnostic.span = start..stop;
        diagnostic.file = Arc::clone(&self.at.file);
        diagnostic
    }
}

/// A name or path written in a pipeline file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub at: Located,
}

/// The references of a pipeline, for cross-checks.
#[derive(Debug, Clone, Default)]
pub struct References {
    /// `auth = "NAME"` of the source and destination.
    pub auth: Vec<Reference>,
    /// Each name in `[pipeline] after`.
    pub after: Vec<Reference>,
    /// `[mapping] file` as written, or the `inline` string.
    pub mapping: Option<Reference>,
    /// Each script of `[pipeline] scripts`.
    pub scripts: Vec<Reference>,
    /// The script of each `type = "script"` auth block.
    pub auth_scripts: Vec<Reference>,
    /// `[sync] when` (the Rhai condition; `name` holds its text).
    pub when: Option<Reference>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inline(text: &str, literal: &str) -> InlineMapping {
        let file = SourceFile::new("p.toml", text);
        let start = text.find(literal).unwrap_or(0);
        let at = Located {
            file,
            span: start..start + literal.len(),
        };
        InlineMapping::new(String::new(), at)
    }

    #[test]
    fn the_text_starts_after_the_quotes_and_first_newline() {
        let text = "[mapping]\ninline = '''\nx = 1\n'''\n";
        let m = inline(text, "'''\nx = 1\n'''");
        assert_eq!(&text[m.content_start..m.content_start + 5], "x = 1");
        let text = "[mapping]\ninline = 'x = 1'\n";
        let m = inline(text, "'x = 1'");
        assert_eq!(&text[m.content_start..m.content_start + 5], "x = 1");
        let text = "[mapping]\ninline = \"\"\"x = 1\"\"\"\n";
        let m = inline(text, "\"\"\"x = 1\"\"\"");
        assert_eq!(&text[m.content_start..m.content_start + 5], "x = 1");
    }
}
