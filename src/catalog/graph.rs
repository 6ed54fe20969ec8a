//! Checks across pipelines: names are unique, each name in `after` is a pipeline, and
//! `after` has no cycle (pipelines waiting for each other would never run).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::pipeline::{Pipeline, codes};

/// The problems between `pipelines`, loaded from some of `files` (those with errors
/// did not load, but their names are still pipelines). A name in `after` also counts
/// as known when a pipeline file of that name sits next to the file that names it (so
/// that one file can be validated on its own).
pub(crate) fn check(pipelines: &[Pipeline], files: &[PathBuf]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut by_name: BTreeMap<&str, &Pipeline> = BTreeMap::new();
    for pipeline in pipelines {
        if let Some(first) = by_name.get(pipeline.name.as_str()) {
            let message = format!(
                "a pipeline named `{}` is also defined in {}",
                pipeline.name, first.file.name
            );
            diagnostics.push(
                Diagnostic::error(codes::DUPLICATE_PIPELINE, message, &pipeline.file, 0..0)
                    .with_help("pipelines are named after their file: rename one of the files"),
            );
        } else {
            by_name.insert(&pipeline.name, pipeline);
        }
    }
    let mut names: BTreeSet<String> = by_name.keys().map(|n| n.to_string()).collect();
    names.extend(
        files
            .iter()
            .filter_map(|f| f.file_stem())
            .map(|s| s.to_string_lossy().into_owned()),
    );
    for pipeline in pipelines {
        for after in &pipeline.references.after {
            if names.contains(&after.name) || sibling_exists(pipeline, &after.name) {
                continue;
            }
            let message = format!("`after` names `{}`, which is not a pipeline", after.name);
            let mut diagnostic = Diagnostic::error(
                codes::UNKNOWN_PIPELINE,
                message,
                &after.at.file,
                after.at.span.clone(),
            )
            .with_label("no pipeline of this name");
            if let Some(name) = did_you_mean(&after.name, names.iter().map(String::as_str)) {
                diagnostic = diagnostic.with_help(format!("did you mean `{name}`?"));
            }
            diagnostics.push(diagnostic);
        }
    }
    diagnostics.extend(cycles(&by_name));
    diagnostics
}

pub(crate) fn sibling_exists(pipeline: &Pipeline, name: &str) -> bool {
    let dir = pipeline.path.parent().unwrap_or(Path::new(""));
    dir.join(format!("{name}.toml")).is_file()
}

/// One diagnostic per cycle of `after`, reported at the `after` entry of the pipeline
/// that closes it, naming the whole loop.
fn cycles(by_name: &BTreeMap<&str, &Pipeline>) -> Vec<Diagnostic> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        name: &'a str,
        by_name: &BTreeMap<&'a str, &'a Pipeline>,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
        reported: &mut BTreeSet<Vec<&'a str>>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let Some(pipeline) = by_name.get(name) else {
            return;
        };
        marks.insert(name, Mark::Visiting);
        path.push(name);
        for after in &pipeline.references.after {
            let next = after.name.as_str();
            let Some((&next, _)) = by_name.get_key_value(next) else {
                continue;
            };
            match marks.get(next) {
                Some(Mark::Done) => {}
                Some(Mark::Visiting) => {
                    let start = path.iter().position(|n| *n == next).unwrap_or(0);
                    let mut cycle: Vec<&str> = path[start..].to_vec();
                    let mut key = cycle.clone();
                    key.sort_unstable();
                    if reported.insert(key) {
                        cycle.push(next);
                        let message = format!(
                            "pipelines wait for each other in a cycle: {}",
                            cycle.join(" → ")
                        );
                        diagnostics.push(
                            Diagnostic::error(
                                codes::AFTER_CYCLE,
                                message,
                                &after.at.file,
                                after.at.span.clone(),
                            )
                            .with_label("this closes the cycle")
                            .with_help("none of them would ever run: remove one `after` entry"),
                        );
                    }
                }
                None => visit(next, by_name, marks, path, reported, diagnostics),
            }
        }
        path.pop();
        marks.insert(name, Mark::Done);
    }
    let mut marks = BTreeMap::new();
    let mut reported = BTreeSet::new();
    let mut diagnostics = Vec::new();
    for &name in by_name.keys() {
        if !marks.contains_key(name) {
            let mut path = Vec::new();
            visit(
                name,
                by_name,
                &mut marks,
                &mut path,
                &mut reported,
                &mut diagnostics,
            );
        }
    }
    diagnostics
}
