//! The catalog: every pipeline of a project, loaded and prepared for running. Loading
//! a pipeline file is `pipeline::load`; preparing adds what needs the other parts of
//! sluice (the mapping compiled with the pipeline's variables and Rhai functions, the
//! `when` condition compiled), and the catalog checks what no single file can: names
//! are unique, `after` names exist and form no cycle.
//!
//! `sluice validate` is the catalog's diagnostics; the engine runs its prepared
//! pipelines.

mod discover;
mod graph;
mod prepare;
mod toolkit;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use discover::pipeline_files;
pub use prepare::{Prepared, prepare};
pub use toolkit::Toolkit;

use crate::diagnostic::{self, Diagnostic};
use crate::pipeline::{LoadContext, load};

/// The pipelines found under some paths, prepared, with every problem found.
#[derive(Debug, Default)]
pub struct Catalog {
    /// The pipelines that loaded and prepared without errors, by name.
    pub pipelines: BTreeMap<String, Prepared>,
    /// How many pipeline files were read.
    pub files: usize,
    /// Every problem, errors and warnings, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Catalog {
    /// Loads and prepares every pipeline file in `files`, then checks them together.
    pub fn load(files: &[PathBuf], ctx: &LoadContext, toolkit: &Toolkit) -> Catalog {
        let mut catalog = Catalog {
            files: files.len(),
            ..Catalog::default()
        };
        let mut loaded = Vec::new();
        for path in files {
            let outcome = load(path, ctx);
            catalog.diagnostics.extend(outcome.diagnostics);
            if let Some(pipeline) = outcome.pipeline {
                loaded.push(pipeline);
            }
        }
        catalog.diagnostics.extend(graph::check(&loaded));
        for pipeline in loaded {
            let (prepared, problems) = prepare(pipeline, toolkit);
            catalog.diagnostics.extend(problems);
            if let Some(prepared) = prepared {
                catalog
                    .pipelines
                    .insert(prepared.pipeline.name.clone(), prepared);
            }
        }
        diagnostic::sort(&mut catalog.diagnostics);
        catalog
    }

    /// How many diagnostics are errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// How many diagnostics are warnings.
    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }

    /// The last line of `sluice validate`: `validated 3 pipelines: 2 errors, 1 warning`
    /// (or `…: no problems`).
    pub fn summary(&self) -> String {
        let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let problems = match (self.error_count(), self.warning_count()) {
            (0, 0) => "no problems".to_string(),
            (errors, 0) => count(errors, "error"),
            (0, warnings) => count(warnings, "warning"),
            (errors, warnings) => {
                format!("{}, {}", count(errors, "error"), count(warnings, "warning"))
            }
        };
        format!("validated {}: {problems}", count(self.files, "pipeline"))
    }
}
