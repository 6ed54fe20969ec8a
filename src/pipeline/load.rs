//! Loading a pipeline file: read → parse (spanned) → lay it over its `extends`
//! presets → fill in secrets and `{vars.…}` → type → check rules across keys →
//! resolve referenced files. Loading never stops at the first problem: everything
//! found comes back as diagnostics, and the pipeline only when there are no errors.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use toml::de::DeTable;

use super::codes;
use super::de::{self, Sink};
use super::interpolate::interpolate;
use super::model::{PipelineFile, SyncMode};
use super::resolved::{InlineMapping, Mapping, Pipeline, Reference, References};
use super::sections::read_sections;
use super::tree::{self, Located, Node, Value};
use super::two_way::TwoWaySpec;
use crate::diagnostic::{self, Diagnostic, SourceFile};
use crate::files::{clean, read_source};

/// What loading depends on besides the file: where presets and shared files are
/// looked for, the environment for `${env:…}`, and the current time.
#[derive(Clone)]
pub struct LoadContext {
    /// The project folder: `extends`, mapping and script paths are also looked up
    /// relative to it (after the pipeline file's own folder).
    pub project_root: Option<PathBuf>,
    /// Further folders to look in, in order (such as `stdlib/presets`).
    pub library: Vec<PathBuf>,
    /// "Now", for `until` in the past.
    pub now: DateTime<Utc>,
    env: Arc<EnvFn>,
}

/// Looks up an environment variable.
type EnvFn = dyn Fn(&str) -> Option<String> + Send + Sync;

impl LoadContext {
    /// The process environment and the current time; no project root.
    pub fn new() -> LoadContext {
        LoadContext {
            project_root: None,
            library: Vec::new(),
            now: Utc::now(),
            env: Arc::new(|name| std::env::var(name).ok()),
        }
    }

    /// Also looks up files relative to `root`.
    pub fn with_project_root(mut self, root: impl Into<PathBuf>) -> LoadContext {
        self.project_root = Some(root.into());
        self
    }

    /// Also looks up files in `dirs`.
    pub fn with_library(mut self, dirs: Vec<PathBuf>) -> LoadContext {
        self.library = dirs;
        self
    }

    /// Reads `${env:NAME}` through `lookup` instead of the process environment.
    pub fn with_env(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> LoadContext {
        self.env = Arc::new(lookup);
        self
    }

    /// Takes `now` as the current time.
    pub fn with_now(mut self, now: DateTime<Utc>) -> LoadContext {
        self.now = now;
        self
    }

    /// The folders a path written in `from` is looked up in, in order.
    fn search(&self, from: &SourceFile, relative: &str) -> Result<PathBuf, Vec<String>> {
        let base = Path::new(&from.name).parent().unwrap_or(Path::new(""));
        let candidates = std::iter::once(base.join(relative))
            .chain(self.project_root.iter().map(|r| r.join(relative)))
            .chain(self.library.iter().map(|d| d.join(relative)));
        let mut tried = Vec::new();
        for candidate in candidates {
            if candidate.is_file() {
                return Ok(candidate);
            }
            tried.push(format!("`{}`", clean(&candidate).display()));
        }
        Err(tried)
    }
}

impl Default for LoadContext {
    fn default() -> LoadContext {
        LoadContext::new()
    }
}

impl std::fmt::Debug for LoadContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadContext")
            .field("project_root", &self.project_root)
            .field("library", &self.library)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// The outcome of loading: the pipeline when there are no errors, and every
/// diagnostic (errors and warnings) in reading order.
#[derive(Debug)]
pub struct Loaded {
    pub pipeline: Option<Pipeline>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Loads the pipeline file at `path`.
pub fn load(path: &Path, ctx: &LoadContext) -> Loaded {
    match read_source(path) {
        Ok(file) => load_source(path, file, ctx),
        Err(message) => {
            let file = SourceFile::new(clean(path).display().to_string(), "");
            Loaded {
                pipeline: None,
                diagnostics: vec![Diagnostic::error(codes::UNREADABLE, message, &file, 0..0)],
            }
        }
    }
}

/// Loads a pipeline from text already read (`path` names it and anchors relative
/// paths).
pub fn load_source(path: &Path, file: Arc<SourceFile>, ctx: &LoadContext) -> Loaded {
    let mut diagnostics = Vec::new();
    let pipeline = load_inner(path, &file, ctx, &mut diagnostics);
    drop_missing_typos(&mut diagnostics);
    diagnostic::sort(&mut diagnostics);
    let errors = diagnostics.iter().any(Diagnostic::is_error);
    Loaded {
        pipeline: pipeline.filter(|_| !errors),
        diagnostics,
    }
}

fn load_inner(
    path: &Path,
    file: &Arc<SourceFile>,
    ctx: &LoadContext,
    out: &mut Vec<Diagnostic>,
) -> Option<Pipeline> {
    let root = parse(file, out)?;
    let before = out.len();
    let mut root = extend(root, ctx, &mut Vec::new(), out);
    // Tables missing after a failed `extends` are most likely in the preset.
    let extended = out.len() == before;
    let problems = interpolate(&mut root, &*ctx.env);
    out.extend(problems.diagnostics);
    let sink = Sink::default();
    let typed = match de::read::<PipelineFile>(&root, "", &sink) {
        Ok(typed) => Some(typed),
        Err(first) => {
            let mut errors = vec![first];
            errors.extend(read_sections(&root, &sink));
            errors.retain(|d| {
                !problems
                    .poisoned
                    .iter()
                    .any(|p| p.file.name == d.file.name && p.span == d.span)
            });
            dedup_into(out, errors);
            None
        }
    };
    dedup_into(out, sink.diagnostics.into_inner());
    let typed = typed?;
    out.extend(super::checks::check(&typed, &root, ctx.now));
    build(path, file, typed, &root, ctx, extended, out)
}

/// A misspelled required key is one problem, not two: the unknown key (which points at
/// the typo and suggests the name) is kept, the key or table missing because of it is
/// dropped.
fn drop_missing_typos(diagnostics: &mut Vec<Diagnostic>) {
    let explained: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.code == codes::UNKNOWN_KEY)
        .filter_map(|d| {
            let meant = d
                .help
                .as_deref()?
                .strip_prefix("did you mean `")?
                .strip_suffix("`?")?;
            Some(match d.message.split_once(" in `[") {
                Some((_, table)) => format!("missing key `{meant}` in `[{table}"),
                None => format!("missing table `[{meant}]`"),
            })
        })
        .collect();
    diagnostics.retain(|d| d.code != codes::MISSING_KEY || !explained.contains(&d.message));
}

fn dedup_into(out: &mut Vec<Diagnostic>, new: Vec<Diagnostic>) {
    for d in new {
        let seen = out.iter().any(|o| {
            o.code == d.code
                && o.span == d.span
                && o.file.name == d.file.name
                && o.message == d.message
        });
        if !seen {
            out.push(d);
        }
    }
}

/// Parses TOML; syntax errors (the first on each line) become diagnostics.
fn parse(file: &Arc<SourceFile>, out: &mut Vec<Diagnostic>) -> Option<Node> {
    let (table, errors) = DeTable::parse_recoverable(&file.text);
    if errors.is_empty() {
        return Some(tree::from_toml(file, table));
    }
    let mut lines = Vec::new();
    for error in errors {
        let span = error.span().unwrap_or(0..0);
        let line = file.line_col(span.start).0;
        if !lines.contains(&line) {
            lines.push(line);
            let mut message = error.message().trim().to_string();
            // The TOML parser does not name the key it found twice.
            if message == "duplicate key"
                && let Some(key) = file.text.get(span.clone())
            {
                message = format!("duplicate key `{key}`");
            }
            out.push(Diagnostic::error(codes::SYNTAX, message, file, span));
        }
    }
    None
}

/// Lays `node` over the preset its `extends` names (and that preset over its own).
fn extend(
    node: Node,
    ctx: &LoadContext,
    chain: &mut Vec<PathBuf>,
    out: &mut Vec<Diagnostic>,
) -> Node {
    let Some(value) = node.get(&["extends"]) else {
        return node;
    };
    let Some(relative) = value.as_str() else {
        return node;
    };
    let at = value.at.clone();
    let fail = |message: String, help: Option<String>| {
        let d = Diagnostic::error(codes::EXTENDS, message, &at.file, at.span.clone());
        match help {
            Some(help) => d.with_help(help),
            None => d,
        }
    };
    let path = match ctx.search(&at.file, relative) {
        Ok(path) => path,
        Err(tried) => {
            out.push(fail(
                format!("cannot find preset `{relative}`"),
                Some(format!("looked for {}", tried.join(", "))),
            ));
            return node;
        }
    };
    let identity = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
    if chain.contains(&identity) {
        out.push(fail(
            format!("preset `{relative}` extends itself (through other presets)"),
            None,
        ));
        return node;
    }
    let preset = match read_source(&path) {
        Ok(file) => file,
        Err(message) => {
            out.push(fail(message, None));
            return node;
        }
    };
    let Some(base) = parse(&preset, out) else {
        return node;
    };
    chain.push(identity);
    let base = extend(base, ctx, chain, out);
    chain.pop();
    tree::merge(base, node)
}

/// The pipeline from its typed file: sections that must be there, files resolved,
/// references gathered.
fn build(
    path: &Path,
    file: &Arc<SourceFile>,
    typed: PipelineFile,
    root: &Node,
    ctx: &LoadContext,
    extended: bool,
    out: &mut Vec<Diagnostic>,
) -> Option<Pipeline> {
    let start = Located {
        file: Arc::clone(file),
        span: 0..0,
    };
    let mut missing = |what: &str| {
        if !extended {
            return;
        }
        out.push(Diagnostic::error(
            codes::MISSING_KEY,
            format!("missing table `[{what}]`"),
            &start.file,
            start.span.clone(),
        ));
    };
    let (source, destination, mapping) = (typed.source, typed.destination, typed.mapping);
    let two_way = match (typed.sync.mode, typed.two_way, typed.left, typed.right) {
        // The checks reported what a two-way pipeline lacks.
        (SyncMode::TwoWay, Some(keys), Some(left), Some(right)) => {
            Some(TwoWaySpec { keys, left, right })
        }
        (SyncMode::TwoWay, ..) => return None,
        _ => {
            if source.is_none() {
                missing("source");
            }
            if destination.is_none() {
                missing("destination");
            }
            if mapping.is_none() {
                missing("mapping");
            }
            None
        }
    };
    let mut references = references(root);
    // An auth script found neither beside the pipeline nor in the project is one of the
    // scripts shipped in the binary (`stdlib/auth/`) when it has such a name; those
    // compile by construction, so they are neither resolved nor compiled here.
    references.auth_scripts.retain(|r| {
        ctx.search(&r.at.file, &r.name).is_ok()
            || crate::auth::auth_script_source(&r.name).is_none()
    });
    let mut resolve =
        |reference: &Reference, what: &str| match ctx.search(&reference.at.file, &reference.name) {
            Ok(path) => Some(path),
            Err(tried) => {
                out.push(
                    Diagnostic::error(
                        codes::MISSING_FILE,
                        format!("cannot find {what} `{}`", reference.name),
                        &reference.at.file,
                        reference.at.span.clone(),
                    )
                    .with_help(format!("looked for {}", tried.join(", "))),
                );
                None
            }
        };
    let scripts: Vec<PathBuf> = references
        .scripts
        .iter()
        .filter_map(|r| resolve(r, "script"))
        .collect();
    let auth_scripts: Vec<PathBuf> = references
        .auth_scripts
        .iter()
        .filter_map(|r| resolve(r, "script"))
        .collect();
    let mapping = match (mapping, root.get(&["mapping", "inline"])) {
        (None, _) if two_way.is_some() => None,
        (None, _) => return None,
        (Some(m), Some(node)) if m.file.is_none() => Some(Mapping::Inline(InlineMapping::new(
            m.inline.unwrap_or_default(),
            node.at.clone(),
        ))),
        _ => Some(Mapping::File(
            references
                .mapping
                .as_ref()
                .and_then(|r| resolve(r, "mapping file"))?,
        )),
    };
    let (source, destination) = match two_way {
        Some(_) => (None, None),
        None => (Some(source?), Some(destination?)),
    };
    Some(Pipeline {
        name: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        path: path.to_path_buf(),
        file: Arc::clone(file),
        description: typed.pipeline.description,
        enabled: typed.pipeline.enabled,
        after: typed.pipeline.after,
        schedule: typed.schedule,
        vars: typed.vars,
        auth: typed.auth,
        source,
        destination,
        sync: typed.sync,
        mapping,
        two_way,
        scripts,
        auth_scripts,
        webhook: typed.webhook,
        notify: typed.notify,
        references,
    })
}

/// The names and files the pipeline refers to, with their places.
fn references(root: &Node) -> References {
    let reference = |node: &Node| {
        node.as_str().map(|name| Reference {
            name: name.to_string(),
            at: node.at.clone(),
        })
    };
    let list = |path: &[&str]| match root.get(path).map(|n| &n.value) {
        Some(Value::Array(items)) => items.iter().filter_map(reference).collect(),
        _ => Vec::new(),
    };
    let scripts = list(&["pipeline", "scripts"]);
    let mut auth_scripts = Vec::new();
    for (_, auth) in root.get(&["auth"]).map_or(&[][..], Node::entries) {
        if auth.get(&["type"]).and_then(Node::as_str) == Some("script") {
            auth_scripts.extend(auth.get(&["file"]).and_then(reference));
        }
    }
    References {
        auth: ["source", "destination", "left", "right"]
            .iter()
            .filter_map(|s| root.get(&[s, "auth"]).and_then(reference))
            .collect(),
        after: list(&["pipeline", "after"]),
        mapping: root
            .get(&["mapping", "file"])
            .or_else(|| root.get(&["mapping", "inline"]))
            .and_then(reference),
        scripts,
        auth_scripts,
        when: root.get(&["sync", "when"]).and_then(reference),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(dir: &Path, text: &str) -> Loaded {
        let path = dir.join("p.toml");
        std::fs::write(&path, text).expect("write");
        load(&path, &LoadContext::new().with_env(|_| None))
    }

    #[test]
    fn syntax_errors_come_one_per_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let loaded = load_text(dir.path(), "a = [1 2 3\nb = \n");
        let lines: Vec<usize> = loaded.diagnostics.iter().map(|d| d.line_col().0).collect();
        assert!(loaded.diagnostics.iter().all(|d| d.code == codes::SYNTAX));
        let mut unique = lines.clone();
        unique.dedup();
        assert_eq!(lines, unique);
        assert!(loaded.pipeline.is_none());
    }

    #[test]
    fn a_misspelled_required_key_is_reported_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("p.map"), "a = b\n").expect("write");
        let text = "[source]\ntype = \"file\"\npath = \"in.csv\"\nidd = \"id\"\n\n\
                    [destinaton]\ntype = \"file\"\npath = \"out.csv\"\n\n\
                    [mapping]\nfile = \"p.map\"\n";
        let loaded = load_text(dir.path(), text);
        let messages: Vec<&str> = loaded
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "unknown key `idd` in `[source]`",
                "unknown key `destinaton`"
            ]
        );
    }

    #[test]
    fn a_duplicate_key_is_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let loaded = load_text(dir.path(), "[sync]\nmode = \"full\"\nmode = \"full\"\n");
        assert_eq!(loaded.diagnostics.len(), 1, "{:?}", loaded.diagnostics);
        assert_eq!(loaded.diagnostics[0].message, "duplicate key `mode`");
        assert_eq!(loaded.diagnostics[0].line_col(), (3, 1));
    }

    #[test]
    fn missing_tables_are_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let loaded = load_text(dir.path(), "[pipeline]\nenabled = false\n");
        let messages: Vec<&str> = loaded
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "missing table `[source]`",
                "missing table `[destination]`",
                "missing table `[mapping]`"
            ]
        );
    }

    #[test]
    fn files_are_searched_next_to_the_file_then_in_the_root_and_library() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("lib")).expect("mkdir");
        std::fs::write(dir.path().join("lib/x.rhai"), "").expect("write");
        let ctx = LoadContext::new().with_library(vec![dir.path().join("lib")]);
        let from = SourceFile::new(dir.path().join("p.toml").display().to_string(), "");
        assert_eq!(
            ctx.search(&from, "x.rhai"),
            Ok(dir.path().join("lib/x.rhai"))
        );
        let tried = ctx.search(&from, "y.rhai").unwrap_err();
        assert_eq!(tried.len(), 2);
    }

    #[test]
    fn scripts_resolve_and_are_referenced() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("f.rhai"), "").expect("write");
        std::fs::write(dir.path().join("sign.rhai"), "").expect("write");
        let loaded = load_text(
            dir.path(),
            "[pipeline]\nscripts = [\"f.rhai\", \"g.rhai\"]\n[auth.s]\ntype = \"script\"\nfile = \"sign.rhai\"\nsettings = { key = 1 }\n\
             [source]\ntype = \"file\"\npath = \"a.csv\"\nid = \"id\"\n[destination]\ntype = \"file\"\npath = \"b.csv\"\n[mapping]\ninline = 'x = 1'\n",
        );
        let found: Vec<_> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.code, d.line_col()))
            .collect();
        assert_eq!(found, [(codes::MISSING_FILE, (2, 22))]);
    }

    #[test]
    fn shipped_auth_scripts_need_no_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let rest = "[source]\ntype = \"file\"\npath = \"a.csv\"\nid = \"id\"\n[destination]\ntype = \"file\"\npath = \"b.csv\"\n[mapping]\ninline = 'x = 1'\n";
        let shipped =
            format!("[auth.a]\ntype = \"script\"\nfile = \"stdlib/auth/oauth1.rhai\"\n{rest}");
        let loaded = load_text(dir.path(), &shipped);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let pipeline = loaded.pipeline.expect("loaded");
        assert!(pipeline.auth_scripts.is_empty());
        assert!(pipeline.references.auth_scripts.is_empty());

        let unknown =
            format!("[auth.b]\ntype = \"script\"\nfile = \"stdlib/auth/nope.rhai\"\n{rest}");
        let loaded = load_text(dir.path(), &unknown);
        let found: Vec<_> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.code, d.line_col()))
            .collect();
        assert_eq!(found, [(codes::MISSING_FILE, (3, 8))]);
    }
}
