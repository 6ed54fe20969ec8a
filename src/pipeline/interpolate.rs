//! Filling in string values before they are typed: `${env:NAME}` (an environment
//! variable), `${file:PATH}` (a file's text without its trailing newline, the path
//! relative to the file the value is written in), and `{vars.NAME}` (a value of
//! `[vars]`). `$${` writes a literal `${`. Code — `[mapping] inline` and `[sync] when`
//! — is left as written. A problem is reported at the placeholder itself.

use std::collections::BTreeMap;
use std::path::Path;

use super::codes;
use super::tree::{Located, Node, Value};
use crate::diagnostic::{Diagnostic, did_you_mean};

/// Looks up environment variables (the process environment, or a map in tests).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Paths whose strings are code, not settings.
const VERBATIM: &[&[&str]] = &[&["mapping", "inline"], &["sync", "when"]];

/// What filling in found wrong.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    pub diagnostics: Vec<Diagnostic>,
    /// Values left as written because of a problem; errors about them are not repeated.
    pub poisoned: Vec<Located>,
}

/// Fills in every string of `root`: first `[vars]` (secrets only), then the rest.
pub(crate) fn interpolate(root: &mut Node, env: EnvLookup<'_>) -> Problems {
    let mut problems = Problems::default();
    let mut vars = BTreeMap::new();
    if let Value::Table(entries) = &mut root.value {
        for (key, node) in entries.iter_mut().filter(|(k, _)| k.name == "vars") {
            walk(node, &mut vec![key.name.clone()], env, None, &mut problems);
            for (name, value) in node.entries() {
                let text = match &value.value {
                    Value::String(s) | Value::Datetime(s) => s.clone(),
                    Value::Integer(i) => i.to_string(),
                    Value::Float(f) => f.to_string(),
                    Value::Boolean(b) => b.to_string(),
                    Value::Array(_) | Value::Table(_) => continue,
                };
                vars.insert(name.name.clone(), text);
            }
        }
        for (key, node) in entries.iter_mut().filter(|(k, _)| k.name != "vars") {
            walk(
                node,
                &mut vec![key.name.clone()],
                env,
                Some(&vars),
                &mut problems,
            );
        }
    }
    problems
}

fn walk(
    node: &mut Node,
    path: &mut Vec<String>,
    env: EnvLookup<'_>,
    vars: Option<&BTreeMap<String, String>>,
    problems: &mut Problems,
) {
    if VERBATIM.iter().any(|v| v.iter().eq(path.iter())) {
        return;
    }
    match &mut node.value {
        Value::String(text) => {
            let at = node.at.clone();
            let mut fill = Fill {
                at: &at,
                env,
                vars,
                diagnostics: Vec::new(),
            };
            let filled = fill.string(text);
            if fill.diagnostics.is_empty() {
                *text = filled;
            } else {
                problems.diagnostics.append(&mut fill.diagnostics);
                problems.poisoned.push(at);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, path, env, vars, problems);
            }
        }
        Value::Table(entries) => {
            for (key, value) in entries {
                path.push(key.name.clone());
                walk(value, path, env, vars, problems);
                path.pop();
            }
        }
        _ => {}
    }
}

struct Fill<'a> {
    at: &'a Located,
    env: EnvLookup<'a>,
    vars: Option<&'a BTreeMap<String, String>>,
    diagnostics: Vec<Diagnostic>,
}

impl Fill<'_> {
    fn string(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find(['$', '{']) {
            out.push_str(&rest[..at]);
            let here = &rest[at..];
            let start = text.len() - here.len();
            if let Some(after) = here.strip_prefix("$${") {
                out.push_str("${");
                rest = after;
            } else if here.starts_with("${") {
                let Some(close) = here.find('}') else {
                    self.report(
                        codes::INVALID_VALUE,
                        "`${` without a closing `}`",
                        text,
                        start,
                        here,
                        None,
                    );
                    return text.to_string();
                };
                out.push_str(&self.secret(&here[..=close], text, start));
                rest = &here[close + 1..];
            } else if let (Some(vars), Some(close), true) =
                (self.vars, here.find('}'), here.starts_with("{vars."))
            {
                let name = &here["{vars.".len()..close];
                match vars.get(name) {
                    Some(value) => out.push_str(value),
                    None => {
                        let help = did_you_mean(name, vars.keys().map(String::as_str))
                            .map(|s| format!("did you mean `{{vars.{s}}}`?"))
                            .or_else(|| Some("add it to `[vars]`".to_string()));
                        let message = format!("unknown variable `{name}` in `{{vars.{name}}}`");
                        self.report(
                            codes::UNKNOWN_VAR,
                            &message,
                            text,
                            start,
                            &here[..=close],
                            help,
                        );
                    }
                }
                rest = &here[close + 1..];
            } else {
                let c = here.chars().next().map_or(1, char::len_utf8);
                out.push_str(&here[..c]);
                rest = &here[c..];
            }
        }
        out.push_str(rest);
        out
    }

    /// `${env:NAME}` or `${file:PATH}` (with its braces).
    fn secret(&mut self, placeholder: &str, text: &str, start: usize) -> String {
        let inner = &placeholder[2..placeholder.len() - 1];
        let (scheme, name) = inner.split_once(':').unwrap_or(("", inner));
        let problem = match scheme.trim() {
            "env" => match (self.env)(name.trim()) {
                Some(value) => return value,
                None => (
                    format!("environment variable `{}` is not set", name.trim()),
                    format!("set `{}`, or use `${{file:PATH}}`", name.trim()),
                ),
            },
            "file" => {
                let base = Path::new(&self.at.file.name)
                    .parent()
                    .unwrap_or(Path::new(""));
                let path = base.join(name.trim());
                match std::fs::read_to_string(&path) {
                    Ok(value) => return value.trim_end_matches(['\n', '\r']).to_string(),
                    Err(e) => (
                        format!("cannot read secret file `{}`: {e}", path.display()),
                        "the path is relative to the file it is written in".to_string(),
                    ),
                }
            }
            other => {
                let message = format!("unknown secret source `{other}` in `{placeholder}`");
                let help = "write `${env:NAME}` or `${file:PATH}`".to_string();
                self.report(
                    codes::INVALID_VALUE,
                    &message,
                    text,
                    start,
                    placeholder,
                    Some(help),
                );
                return String::new();
            }
        };
        self.report(
            codes::MISSING_SECRET,
            &problem.0,
            text,
            start,
            placeholder,
            Some(problem.1),
        );
        String::new()
    }

    /// Reports a problem with `part`, which begins at byte `start` of the string's
    /// value `text`: at the same text in the file when it can be found there.
    fn report(
        &mut self,
        code: &'static str,
        message: &str,
        text: &str,
        start: usize,
        part: &str,
        help: Option<String>,
    ) {
        let occurrence = text[..start].matches(part).count();
        let raw = self.at.text();
        let span = raw
            .match_indices(part)
            .nth(occurrence)
            .map(|(i, _)| {
                let begin = self.at.span.start + i;
                begin..begin + part.len()
            })
            .unwrap_or_else(|| self.at.span.clone());
        let mut diagnostic = Diagnostic::error(code, message, &self.at.file, span);
        if let Some(help) = help {
            diagnostic = diagnostic.with_help(help);
        }
        self.diagnostics.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceFile;
    use crate::pipeline::tree::from_toml;

    fn run(text: &str, dir: &Path) -> (Node, Problems) {
        let name = dir.join("p.toml").display().to_string();
        let file = SourceFile::new(name, text);
        let mut node = from_toml(&file, toml::de::DeTable::parse(&file.text).expect("TOML"));
        let env = |name: &str| (name == "TOKEN").then(|| "s3cret".to_string());
        let problems = interpolate(&mut node, &env);
        (node, problems)
    }

    #[test]
    fn fills_env_files_and_vars() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("key.txt"), "from-file\n").expect("write");
        let (node, problems) = run(
            "[vars]\ncode = \"E1\"\nn = 3\n[a]\nx = \"${env:TOKEN}\"\ny = '${file:key.txt}'\nu = \"https://h/{vars.code}/{vars.n}/{id}\"\nz = \"$${env:X}\"\n[sync]\nwhen = '{vars.nope}'\n",
            dir.path(),
        );
        assert!(
            problems.diagnostics.is_empty(),
            "{:?}",
            problems.diagnostics
        );
        let get = |p: &[&str]| node.get(p).and_then(Node::as_str).map(str::to_string);
        assert_eq!(get(&["a", "x"]).as_deref(), Some("s3cret"));
        assert_eq!(get(&["a", "y"]).as_deref(), Some("from-file"));
        assert_eq!(get(&["a", "u"]).as_deref(), Some("https://h/E1/3/{id}"));
        assert_eq!(get(&["a", "z"]).as_deref(), Some("${env:X}"));
        assert_eq!(get(&["sync", "when"]).as_deref(), Some("{vars.nope}"));
    }

    #[test]
    fn reports_at_the_placeholder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (_, problems) = run(
            "[vars]\ncode = 1\n[a]\nx = \"Bearer ${env:NOPE}\"\ny = \"${file:nope.txt}\"\nu = \"/{vars.cod}\"\n",
            dir.path(),
        );
        let found: Vec<_> = problems
            .diagnostics
            .iter()
            .map(|d| (d.code, d.line_col(), d.message.clone(), d.help.clone()))
            .collect();
        assert_eq!(found[0].0, "P006");
        assert_eq!(found[0].1, (4, 13));
        assert_eq!(found[0].2, "environment variable `NOPE` is not set");
        assert_eq!(found[1].0, "P006");
        assert_eq!(found[1].1, (5, 6));
        assert!(
            found[1].2.starts_with("cannot read secret file"),
            "{}",
            found[1].2
        );
        assert_eq!(found[2].0, "P007");
        assert_eq!(found[2].1, (6, 7));
        assert_eq!(found[2].3.as_deref(), Some("did you mean `{vars.code}`?"));
        assert_eq!(problems.poisoned.len(), 3);
    }
}
