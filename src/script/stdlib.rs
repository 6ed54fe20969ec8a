//! The Rhai functions shipped with sluice (`stdlib/functions/*.rhai`), built into the
//! binary so every pipeline can call them wherever sluice runs.

use std::sync::Arc;

use rhai::Engine;

use super::compile::{CompiledScript, compile_script};
use crate::diagnostic::{Diagnostic, SourceFile};

/// Every file in `stdlib/functions/`, by its path in the repository.
pub const FUNCTION_FILES: &[(&str, &str)] = &[
    (
        "stdlib/functions/names.rhai",
        include_str!("../../stdlib/functions/names.rhai"),
    ),
    (
        "stdlib/functions/phone.rhai",
        include_str!("../../stdlib/functions/phone.rhai"),
    ),
    (
        "stdlib/functions/postcode.rhai",
        include_str!("../../stdlib/functions/postcode.rhai"),
    ),
];

/// The standard function scripts, compiled with `engine`. They compile by construction
/// (a test checks it); diagnostics are returned rather than assumed away.
pub fn stdlib_functions(engine: &Engine) -> Result<Vec<Arc<CompiledScript>>, Vec<Diagnostic>> {
    let mut scripts = Vec::new();
    let mut diagnostics = Vec::new();
    for (name, text) in FUNCTION_FILES {
        match compile_script(SourceFile::new(*name, *text), engine) {
            Ok(script) => scripts.push(Arc::new(script)),
            Err(errors) => diagnostics.extend(errors),
        }
    }
    if diagnostics.is_empty() {
        Ok(scripts)
    } else {
        Err(diagnostics)
    }
}
