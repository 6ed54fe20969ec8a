//! What preparing pipelines needs once for all of them: the sandboxed Rhai engine, the
//! function registry with the built-ins and the standard Rhai functions, and where
//! shared mapping files are found.

use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::files::FsImports;
use crate::mapping::functions::Registry;
use crate::script::{self, Limits, Sandbox};

/// Shared by every pipeline of a catalog (cheap to share between threads).
pub struct Toolkit {
    /// The one Rhai sandbox: scripts, conditions and script functions are compiled
    /// and run in it (its full engine made when a script first runs).
    pub engine: Arc<Sandbox>,
    /// Built-in mapping functions and those of `stdlib/functions/*.rhai`.
    pub functions: Registry,
    /// Resolves `import` in mappings: next to the importing file, then the libraries.
    pub imports: FsImports,
}

impl std::fmt::Debug for Toolkit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Toolkit")
            .field("imports", &self.imports)
            .finish_non_exhaustive()
    }
}

impl Toolkit {
    /// The toolkit of a project whose folder is `root`: mappings may import from
    /// `root/stdlib/mappings`. Fails only if the built-in scripts do not compile.
    pub fn new(root: &Path) -> Result<Toolkit, Vec<Diagnostic>> {
        let engine = Arc::new(Sandbox::new(&Limits::default()));
        let mut functions = Registry::builtin();
        let scripts = script::stdlib_functions(engine.compiler())?;
        let problems = script::register_functions(&mut functions, &scripts, &engine);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Toolkit {
            engine,
            functions,
            imports: FsImports {
                library: vec![root.join("stdlib").join("mappings")],
            },
        })
    }
}
