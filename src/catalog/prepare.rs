//! Preparing one loaded pipeline: its scripts compiled and their functions added to
//! the registry, its mapping compiled against that registry and the pipeline's
//! variables, its `when` condition compiled. Every problem points into the file where
//! it is written (a mapping written inline in the pipeline file: into that file).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use super::toolkit::Toolkit;
use crate::diagnostic::{Diagnostic, SourceFile, did_you_mean};
use crate::files::read_source;
use crate::mapping::{self, Compilation, Environment, compile};
use crate::pipeline::{Mapping as MappingSource, Pipeline, Reference, codes};
use crate::script::{CompiledScript, Condition, compile_script, register_functions};

/// A pipeline ready to run.
#[derive(Debug)]
pub struct Prepared {
    pub pipeline: Pipeline,
    /// The compiled mapping.
    pub mapping: mapping::Mapping,
    /// The `[sync] when` condition, when there is one.
    pub condition: Option<Condition>,
    /// `[vars]` as the object the mapping's `$vars` and the condition's `vars` read.
    pub vars: Value,
}

/// Prepares `pipeline`; `None` when any error was found (all of them are returned).
/// `pipelines` are the names of the other pipelines (`link` calls must name one).
pub fn prepare(
    pipeline: Pipeline,
    toolkit: &Toolkit,
    pipelines: &BTreeSet<String>,
) -> (Option<Prepared>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut functions = toolkit.functions.clone();
    let scripts = compile_scripts(
        &pipeline.scripts,
        &pipeline.references.scripts,
        toolkit,
        &mut diagnostics,
    );
    // Auth scripts are compiled now so their errors show up in validate; the HTTP
    // client runs them.
    compile_scripts(
        &pipeline.auth_scripts,
        &pipeline.references.auth_scripts,
        toolkit,
        &mut diagnostics,
    );
    diagnostics.extend(register_functions(
        &mut functions,
        &scripts,
        &toolkit.engine,
    ));

    let var_names: BTreeSet<String> = pipeline.vars.keys().cloned().collect();
    let env = Environment {
        functions: &functions,
        vars: Some(&var_names),
        imports: &toolkit.imports,
    };
    let mapping = compile_mapping(&pipeline, &env, pipelines, &mut diagnostics);

    let condition = pipeline.references.when.as_ref().and_then(|when| {
        let offset = when.at.content_start();
        match Condition::compile(
            Arc::clone(&toolkit.engine),
            &when.name,
            &when.at.file,
            offset,
        ) {
            Ok(condition) => Some(condition),
            Err(problems) => {
                diagnostics.extend(problems);
                None
            }
        }
    });

    let vars = Value::Object(
        pipeline
            .vars
            .iter()
            .map(|(name, value)| (name.clone(), value.to_json()))
            .collect(),
    );
    if diagnostics.iter().any(Diagnostic::is_error) {
        return (None, diagnostics);
    }
    let Some(mapping) = mapping else {
        return (None, diagnostics);
    };
    let prepared = Prepared {
        pipeline,
        mapping,
        condition,
        vars,
    };
    (Some(prepared), diagnostics)
}

/// Compiles the script files at `paths`, written in the pipeline at `references`.
fn compile_scripts(
    paths: &[PathBuf],
    references: &[Reference],
    toolkit: &Toolkit,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Arc<CompiledScript>> {
    let mut scripts = Vec::new();
    for (path, reference) in paths.iter().zip(references) {
        let file = match read_source(path) {
            Ok(file) => file,
            Err(message) => {
                diagnostics.push(Diagnostic::error(
                    codes::MISSING_FILE,
                    message,
                    &reference.at.file,
                    reference.at.span.clone(),
                ));
                continue;
            }
        };
        match compile_script(file, toolkit.engine.compiler()) {
            Ok(script) => scripts.push(Arc::new(script)),
            Err(problems) => diagnostics.extend(problems),
        }
    }
    scripts
}

fn compile_mapping(
    pipeline: &Pipeline,
    env: &Environment<'_>,
    pipelines: &BTreeSet<String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<mapping::Mapping> {
    match &pipeline.mapping {
        // A two-way pipeline maps nothing: items travel as they are.
        None => compile(&SourceFile::new(pipeline.name.clone(), String::new()), env).mapping,
        Some(MappingSource::File(path)) => {
            let file = match read_source(path) {
                Ok(file) => file,
                Err(message) => {
                    let at = pipeline.references.mapping.as_ref().map(|r| &r.at);
                    let (file, span) = match at {
                        Some(at) => (&at.file, at.span.clone()),
                        None => (&pipeline.file, 0..0),
                    };
                    diagnostics.push(Diagnostic::error(codes::MISSING_FILE, message, file, span));
                    return None;
                }
            };
            let mut compilation = compile(&file, env);
            check_links(pipeline, pipelines, &mut compilation);
            diagnostics.extend(compilation.diagnostics);
            compilation.mapping
        }
        Some(MappingSource::Inline(inline)) => {
            let file = inline.source();
            let mut compilation = compile(&file, env);
            check_links(pipeline, pipelines, &mut compilation);
            diagnostics.extend(compilation.diagnostics.into_iter().map(|d| {
                if Arc::ptr_eq(&d.file, &file) {
                    inline.shift(d)
                } else {
                    d
                }
            }));
            compilation.mapping
        }
    }
}

/// Each pipeline a `link` names must exist (an error), and should be in `after` so it
/// has synced first (a warning).
fn check_links(pipeline: &Pipeline, pipelines: &BTreeSet<String>, compilation: &mut Compilation) {
    for link in &compilation.links {
        let name = link.pipeline.as_str();
        let known = pipelines.contains(name) || super::graph::sibling_exists(pipeline, name);
        let diagnostic = if !known {
            let mut diagnostic = Diagnostic::error(
                mapping::codes::UNKNOWN_LINK,
                format!("`link` names `{name}`, which is not a pipeline"),
                &link.file,
                link.span.clone(),
            )
            .with_label("no pipeline of this name");
            if let Some(close) = did_you_mean(name, pipelines.iter().map(String::as_str)) {
                diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
            }
            diagnostic
        } else if name != pipeline.name && !pipeline.after.iter().any(|a| a == name) {
            Diagnostic::warning(
                mapping::codes::LINK_NOT_AFTER,
                format!("`{name}` is linked but not in `after`"),
                &link.file,
                link.span.clone(),
            )
            .with_help(format!(
                "add `after = [\"{name}\"]` to `[pipeline]` so its ids are written before this pipeline runs"
            ))
        } else {
            continue;
        };
        compilation.diagnostics.push(diagnostic);
    }
}
