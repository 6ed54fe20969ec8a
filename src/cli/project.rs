//! What the commands that act on one pipeline share: finding it (a name in the
//! pipelines folder or a path), loading and preparing it, and opening the state store.

use std::path::{Path, PathBuf};

use super::print_diagnostics;
use crate::catalog::{Catalog, Prepared, Toolkit};
use crate::pipeline::LoadContext;
use crate::state::State;

/// The file of a pipeline given by name (`participants`) or path.
fn pipeline_path(pipelines_dir: &Path, given: &str) -> Result<PathBuf, String> {
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

/// The toolkit of the project in the current folder; problems are printed.
pub fn toolkit() -> Option<Toolkit> {
    match Toolkit::new(Path::new(".")) {
        Ok(toolkit) => Some(toolkit),
        Err(problems) => {
            print_diagnostics(&problems);
            None
        }
    }
}

/// How pipeline files of the project in the current folder are loaded: presets and
/// shared files from the project root and `stdlib/presets`.
pub fn load_context() -> LoadContext {
    LoadContext::new()
        .with_project_root(".")
        .with_library(vec![PathBuf::from("stdlib").join("presets")])
}

/// Finds (by name or path), loads and prepares one pipeline; problems are printed.
/// `None` when it cannot be found or has errors.
pub fn find_and_prepare(pipelines_dir: &Path, given: &str) -> Option<Prepared> {
    match pipeline_path(pipelines_dir, given) {
        Ok(path) => prepare_one(&path),
        Err(message) => {
            eprintln!("error: {message}");
            None
        }
    }
}

/// Loads and prepares one pipeline; its diagnostics are printed. `None` when it has
/// errors.
fn prepare_one(path: &Path) -> Option<Prepared> {
    // The toolkit (the built-in Rhai scripts compiled) is made while the file is read.
    let (read, toolkit) = std::thread::scope(|scope| {
        let making = std::thread::Builder::new()
            .name("sluice-toolkit".to_string())
            .stack_size(TOOLKIT_STACK)
            .spawn_scoped(scope, toolkit)
            .ok();
        let read = Catalog::read(&[path.to_path_buf()], &load_context());
        let toolkit = match making {
            Some(making) => making
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => toolkit(),
        };
        (read, toolkit)
    });
    let toolkit = toolkit?;
    let mut catalog = read.prepare(&toolkit);
    print_diagnostics(&catalog.diagnostics);
    if catalog.error_count() > 0 {
        eprintln!("error: the pipeline has errors; `sluice validate` lists them");
        return None;
    }
    catalog.pipelines.pop_first().map(|(_, prepared)| prepared)
}

/// The stack of the thread making the toolkit (as much as the main thread's).
const TOOLKIT_STACK: usize = 8 << 20;

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
