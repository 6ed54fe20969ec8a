//! Splits the input at its first NUL byte into a mapping and a JSON record; when the
//! mapping compiles and the record parses, applies the one to the other. Evaluation
//! must not panic, and a mapped record is an object.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use sluice::diagnostic::SourceFile;
use sluice::mapping::functions::Registry;
use sluice::mapping::{Environment, NoImports, Outcome, compile};

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::builtin)
}

fuzz_target!(|data: &[u8]| {
    let Some(nul) = data.iter().position(|&b| b == 0) else {
        return;
    };
    let (Ok(text), Ok(record)) = (
        std::str::from_utf8(&data[..nul]),
        serde_json::from_slice::<Value>(&data[nul + 1..]),
    ) else {
        return;
    };
    let env = Environment {
        functions: registry(),
        vars: None,
        imports: &NoImports,
    };
    let Some(mapping) = compile(&SourceFile::new("fuzz.map", text), &env).mapping else {
        return;
    };
    let vars = json!({"event": "E26", "x": 1});
    if let Outcome::Mapped(out) = mapping.apply(&record, &vars) {
        let value = out.to_value();
        assert!(value.is_object(), "{text:?} mapped {record} to {value}");
        let serialized = serde_json::to_value(&out).unwrap();
        assert_eq!(serialized, value, "serialized differs, for {text:?}");
    }
});
