//! Golden tests of the mapping language: every `tests/mapping/**/*.map` file holds a
//! mapping, the records to apply it to, and what must come out — the mapped records
//! (or `skipped: …` / `invalid: …`) and the diagnostics, rendered as users see them.
//!
//! File layout (sections after the mapping start with a `--- ` line):
//!
//! ```text
//! # what this case shows
//! name = first_name | trim
//! --- file shared.map        (optional, repeatable: a file the mapping may import)
//! email = email | lower
//! --- vars                   (optional: the `$vars` object, JSON)
//! {"event": "E26"}
//! --- input                  (optional: one JSON record per line)
//! {"first_name": " Ada "}
//! --- diagnostics            (expected; omitted when there are none)
//! --- output                 (expected; one line per input record)
//! {"name":"Ada"}
//! ```
//!
//! Run with `SLUICE_BLESS=1` to rewrite the expected sections from what sluice does now;
//! review the diff before committing it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use sluice::diagnostic::SourceFile;
use sluice::mapping::functions::Registry;
use sluice::mapping::{Environment, ImportResolver, Outcome, compile};

const EXPECTED: [&str; 2] = ["diagnostics", "output"];

#[derive(Default)]
struct Case {
    mapping: String,
    files: Vec<(String, String)>,
    vars: Option<String>,
    input: Option<String>,
    diagnostics: Option<String>,
    output: Option<String>,
}

fn parse_case(text: &str) -> Result<Case, String> {
    let mut case = Case::default();
    let mut section: Option<String> = None;
    let mut body = String::new();
    let finish =
        |section: &Option<String>, body: &mut String, case: &mut Case| -> Result<(), String> {
            let content = std::mem::take(body);
            match section.as_deref() {
                None => case.mapping = content,
                Some("vars") => case.vars = Some(content),
                Some("input") => case.input = Some(content),
                Some("diagnostics") => case.diagnostics = Some(content),
                Some("output") => case.output = Some(content),
                Some(other) => match other.strip_prefix("file ") {
                    Some(name) => case.files.push((name.trim().to_string(), content)),
                    None => return Err(format!("unknown section `--- {other}`")),
                },
            }
            Ok(())
        };
    for line in text.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix("--- ") {
            finish(&section, &mut body, &mut case)?;
            section = Some(name.trim().to_string());
        } else {
            body.push_str(line);
        }
    }
    finish(&section, &mut body, &mut case)?;
    Ok(case)
}

struct MemoryFiles(Vec<Arc<SourceFile>>);

impl ImportResolver for MemoryFiles {
    fn resolve(&self, _from: &SourceFile, path: &str) -> Result<Arc<SourceFile>, String> {
        self.0
            .iter()
            .find(|f| f.name == path)
            .cloned()
            .ok_or_else(|| format!("cannot find `{path}`"))
    }
}

/// Runs one case and gives the actual `diagnostics` and `output` sections.
fn run_case(name: &str, case: &Case) -> Result<(String, String), String> {
    let registry = Registry::builtin();
    let vars: Value = match &case.vars {
        Some(text) => serde_json::from_str(text).map_err(|e| format!("bad vars: {e}"))?,
        None => Value::Object(Default::default()),
    };
    let known: BTreeSet<String> = vars
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let files = MemoryFiles(
        case.files
            .iter()
            .map(|(n, t)| SourceFile::new(n.clone(), t.clone()))
            .collect(),
    );
    let env = Environment {
        functions: &registry,
        vars: Some(&known),
        imports: &files,
    };
    let compilation = compile(&SourceFile::new(name, case.mapping.clone()), &env);
    let diagnostics: String = compilation
        .diagnostics
        .iter()
        .map(|d| d.render(false))
        .collect();
    let mut output = String::new();
    if let Some(mapping) = &compilation.mapping {
        for line in case
            .input
            .as_deref()
            .unwrap_or("")
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let record: Value =
                serde_json::from_str(line).map_err(|e| format!("bad input `{line}`: {e}"))?;
            let result = match mapping.apply(&record, &vars) {
                Outcome::Mapped(value) => value.to_string(),
                Outcome::Skipped { reason } => format!("skipped: {reason}"),
                Outcome::Invalid { problems } => format!("invalid: {}", problems.join(" | ")),
            };
            output.push_str(&result);
            output.push('\n');
        }
    }
    Ok((diagnostics, output))
}

fn render_case(case: &Case, diagnostics: &str, output: &str) -> String {
    let mut text = case.mapping.clone();
    for (name, content) in &case.files {
        text.push_str(&format!("--- file {name}\n{content}"));
    }
    if let Some(vars) = &case.vars {
        text.push_str(&format!("--- vars\n{vars}"));
    }
    if let Some(input) = &case.input {
        text.push_str(&format!("--- input\n{input}"));
    }
    for (section, content) in EXPECTED.iter().zip([diagnostics, output]) {
        if !content.is_empty() {
            text.push_str(&format!("--- {section}\n{content}"));
        }
    }
    text
}

fn golden_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            golden_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "map") {
            out.push(path);
        }
    }
}

#[test]
fn golden_mappings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mapping");
    let mut paths = Vec::new();
    golden_files(&root, &mut paths);
    let bless = std::env::var_os("SLUICE_BLESS").is_some();
    let mut failures = Vec::new();
    for path in &paths {
        let name = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let result = parse_case(&text).and_then(|case| {
            let (diagnostics, output) = run_case(&name, &case)?;
            Ok((case, diagnostics, output))
        });
        let (case, diagnostics, output) = match result {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let expected = (
            case.diagnostics.clone().unwrap_or_default(),
            case.output.clone().unwrap_or_default(),
        );
        if expected == (diagnostics.clone(), output.clone()) {
            continue;
        }
        if bless {
            let _ = std::fs::write(path, render_case(&case, &diagnostics, &output));
        } else {
            failures.push(format!(
                "{name}:\n--- expected diagnostics\n{}--- actual diagnostics\n{diagnostics}--- expected output\n{}--- actual output\n{output}",
                expected.0, expected.1
            ));
        }
    }
    assert!(paths.len() >= 150, "only {} golden cases", paths.len());
    assert!(
        failures.is_empty(),
        "{} of {} golden cases differ (SLUICE_BLESS=1 rewrites them):\n\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n\n")
    );
}
