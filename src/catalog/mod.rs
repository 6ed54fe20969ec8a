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

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Mutex;

pub use discover::pipeline_files;
pub use prepare::{Prepared, prepare};
pub use toolkit::Toolkit;

use crate::diagnostic::{self, Diagnostic};
use crate::mapping::compile::COMPILE_STACK;
use crate::pipeline::{LoadContext, Pipeline, load};

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

/// Pipeline files read and checked together, not prepared yet (preparing needs the
/// [`Toolkit`], which can be made meanwhile).
#[derive(Debug)]
pub struct ReadCatalog {
    catalog: Catalog,
    loaded: Vec<Pipeline>,
    /// The names `link` calls may use: the pipelines' and the files'.
    names: BTreeSet<String>,
}

impl Catalog {
    /// Loads and prepares every pipeline file in `files`, then checks them together.
    pub fn load(files: &[PathBuf], ctx: &LoadContext, toolkit: &Toolkit) -> Catalog {
        Catalog::read(files, ctx).prepare(toolkit)
    }

    /// Loads every pipeline file in `files` and checks them together; [`ReadCatalog::prepare`]
    /// prepares them.
    pub fn read(files: &[PathBuf], ctx: &LoadContext) -> ReadCatalog {
        let mut catalog = Catalog {
            files: files.len(),
            ..Catalog::default()
        };
        let mut loaded = Vec::new();
        for outcome in parallel_map(files.to_vec(), |path| load(&path, ctx)) {
            catalog.diagnostics.extend(outcome.diagnostics);
            if let Some(pipeline) = outcome.pipeline {
                loaded.push(pipeline);
            }
        }
        catalog.diagnostics.extend(graph::check(&loaded, files));
        let names: BTreeSet<String> = loaded
            .iter()
            .map(|p| p.name.clone())
            .chain(
                files
                    .iter()
                    .filter_map(|f| f.file_stem())
                    .map(|s| s.to_string_lossy().into_owned()),
            )
            .collect();
        ReadCatalog {
            catalog,
            loaded,
            names,
        }
    }
}

impl ReadCatalog {
    /// Prepares the pipelines read.
    pub fn prepare(self, toolkit: &Toolkit) -> Catalog {
        let ReadCatalog {
            mut catalog,
            loaded,
            names,
        } = self;
        for (prepared, problems) in
            parallel_map(loaded, |pipeline| prepare(pipeline, toolkit, &names))
        {
            catalog.diagnostics.extend(problems);
            if let Some(prepared) = prepared {
                catalog
                    .pipelines
                    .insert(prepared.pipeline.name.clone(), prepared);
            }
        }
        diagnostic::sort(&mut catalog.diagnostics);
        // A file that several pipelines use (a mapping, a script) is compiled for each of
        // them: its problems are listed once.
        let mut seen = BTreeSet::new();
        catalog.diagnostics.retain(|d| {
            seen.insert((
                d.file.name.clone(),
                d.span.start,
                d.span.end,
                d.code,
                d.message.clone(),
            ))
        });
        catalog
    }
}

impl Catalog {
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

/// `f` applied to every item, on as many threads as there are cores, results in the
/// order of the items. Loading and preparing pipelines are independent of each other
/// and mostly CPU work (parsing, compiling). The workers have the stack the mapping
/// compiler needs, so it compiles in place instead of starting a thread per mapping.
fn parallel_map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = items.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(chunk).collect());
    }
    // Each chunk is taken by its worker, or by this thread when no worker can start.
    let chunks: Vec<Mutex<Option<Vec<T>>>> =
        chunks.into_iter().map(|c| Mutex::new(Some(c))).collect();
    let run = |slot: &Mutex<Option<Vec<T>>>| -> Vec<R> {
        let chunk = slot.lock().map_or(None, |mut c| c.take());
        chunk.unwrap_or_default().into_iter().map(&f).collect()
    };
    let run = &run;
    std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .iter()
            .map(|slot| {
                std::thread::Builder::new()
                    .name("sluice-catalog".to_string())
                    .stack_size(COMPILE_STACK)
                    .spawn_scoped(scope, move || run(slot))
                    .ok()
            })
            .collect();
        let mut results = Vec::new();
        for (worker, slot) in workers.into_iter().zip(&chunks) {
            match worker.map(|w| w.join()) {
                Some(Ok(chunk)) => results.extend(chunk),
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                None => results.extend(run(slot)),
            }
        }
        results
    })
}

#[cfg(test)]
mod tests {
    use super::parallel_map;

    #[test]
    fn parallel_map_keeps_the_order() {
        let doubled = parallel_map((0..101).collect(), |i: i32| i * 2);
        assert_eq!(doubled, (0..101).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(parallel_map(Vec::<i32>::new(), |i| i), Vec::<i32>::new());
    }
}
