//! Parses and compiles arbitrary text with the built-in functions, and renders every
//! diagnostic: none of it may panic, and every span must lie inside the text.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sluice::diagnostic::SourceFile;
use sluice::mapping::functions::Registry;
use sluice::mapping::{Environment, NoImports, compile};

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::builtin)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = Environment {
        functions: registry(),
        vars: None,
        imports: &NoImports,
    };
    let compilation = compile(&SourceFile::new("fuzz.map", text), &env);
    for diagnostic in &compilation.diagnostics {
        let source = &diagnostic.file.text;
        let span = &diagnostic.span;
        assert!(
            span.start <= span.end
                && span.end <= source.len()
                && source.is_char_boundary(span.start)
                && source.is_char_boundary(span.end),
            "bad span {span:?} for {:?} in {text:?}",
            diagnostic.message
        );
        let _ = diagnostic.render(false);
        let _ = diagnostic.render(true);
        let _ = diagnostic.record();
    }
    assert_eq!(
        compilation.mapping.is_some(),
        compilation.errors().next().is_none(),
        "a mapping comes out exactly when there is no error"
    );
});
