//! What the commands that act on one pipeline share: finding it (a name in the
//! pipelines folder or a path), loading and preparing it, and opening the state store.

use std::path::{Path, PathBuf};

use super::print_diagnostics;
use crate::catalog::{Catalog, Prepared, Toolkit};
use crate::pipeline::LoadContext;
use crate::state::State;

/// The file of a pipeline given by name (`participants`) or path.
pub fn pipeline_path(pipelines_dir: &Path, given: &str) -> Result<PathBuf, String> {
    let as_path = PathBuf::from(given);
    if given.ends_with(".toml") || as_path.components().count() > 1 {
        return if as_path.is_file() {
            Ok(as_path)
        } else {
            Err(format!("pipeline file `{given}` does not exist"))
        };
    }
    let by_name = pipelines_dir.join(format!("{given}.toml"));
    if by_name.is_file() {
        Ok(by_name)
    } else {
        Err(format!(
            "there is no pipeline `{given}` (looked for `{}`)",
            by_name.display()
        ))
    }
}

/// Loads and prepares one pipeline; its diagnostics are printed. `None` when it has
/// errors.
pub fn prepare_one(path: &Path) -> Option<Prepared> {
    let toolkit = match Toolkit::new(Path::new(".")) {
        Ok(toolkit) => toolkit,
        Err(problems) => {
            print_diagnostics(&problems);
            return None;
        }
    };
    let ctx = LoadContext::new()
        .with_project_root(".")
        .with_library(vec![PathBuf::from("stdlib").join("presets")]);
    let mut catalog = Catalog::load(&[path.to_path_buf()], &ctx, &toolkit);
    print_diagnostics(&catalog.diagnostics);
    if catalog.error_count() > 0 {
        eprintln!("error: the pipeline has errors; `sluice validate` lists them");
        return None;
    }
    catalog.pipelines.pop_first().map(|(_, prepared)| prepared)
}

/// Opens the state store, reporting why not.
pub fn open_state(path: &Path) -> Option<State> {
    match State::open(path) {
        Ok(state) => Some(state),
        Err(e) => {
            eprintln!("error: {e}");
            None
        }
    }
}
