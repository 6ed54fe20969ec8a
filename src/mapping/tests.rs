//! Tests of the language as a whole: every documented function example, and the
//! semantics the README promises. Golden files in tests/mapping/ cover the rest.

use std::rc::Rc;
use std::sync::Arc;

use serde_json::{Value, json};

use super::functions::{Registry, builtins};
use super::{Compilation, Environment, NoImports, Outcome, compile};
use crate::diagnostic::SourceFile;

/// Compiles `text` with the built-in functions (also used by other modules' tests).
pub(crate) fn compile_text(text: &str) -> Compilation {
    let registry = Registry::builtin();
    let env = Environment {
        functions: &registry,
        vars: None,
        imports: &NoImports,
    };
    compile(&SourceFile::new("test.map", text), &env)
}

/// [`compile_text`]'s mapping; panics (naming the text) when it does not compile.
pub(crate) fn compiled(text: &str) -> super::Mapping {
    match compile_text(text).mapping {
        Some(mapping) => mapping,
        None => panic!("the test mapping does not compile: {text}"),
    }
}

fn mapped(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Mapped(record) => record.to_value(),
        other => panic!("not mapped: {other:?}"),
    }
}

fn apply(text: &str, record: Value) -> Outcome {
    let compilation = compile_text(text);
    let rendered: Vec<String> = compilation
        .diagnostics
        .iter()
        .map(|d| d.to_string())
        .collect();
    let mapping = compilation
        .mapping
        .unwrap_or_else(|| panic!("does not compile: {rendered:#?}"));
    mapping.apply(&record, &json!({}))
}

/// The links the reference's examples use: pipeline `sessions` wrote `s-1` as 900 and
/// `s-2` as 901.
struct ExampleLinks;

impl crate::mapping::links::Links for ExampleLinks {
    fn destination_id(&self, pipeline: &str, source_id: &str) -> Result<Option<String>, String> {
        Ok(match (pipeline, source_id) {
            ("sessions", "s-1") => Some("900".to_string()),
            ("sessions", "s-2") => Some("901".to_string()),
            _ => None,
        })
    }
}

#[test]
fn a_link_outside_a_run_or_to_an_unknown_id_makes_the_record_invalid() {
    let mapping = compile_text(r#"session = id | link("sessions")"#)
        .mapping
        .expect("compiles");
    let Outcome::Invalid { problems } = mapping.apply(&json!({"id": "s-1"}), &json!({})) else {
        panic!("a link outside a run is invalid");
    };
    assert!(problems[0].contains("not in `sluice map`"), "{problems:?}");
    let outcome = crate::mapping::links::with_links(Rc::new(ExampleLinks), || {
        mapping.apply(&json!({"id": "s-7"}), &json!({}))
    });
    let Outcome::Invalid { problems } = outcome else {
        panic!("an unknown id is invalid");
    };
    assert!(
        problems[0].contains("pipeline `sessions` has written no record with source id `s-7`"),
        "{problems:?}"
    );
}

#[test]
fn every_function_example_gives_its_documented_result() {
    let mut failures = Vec::new();
    for function in builtins() {
        for example in function.examples {
            let expected: Value = match serde_json::from_str(example.result) {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!(
                        "{}: result {} is not JSON: {e}",
                        function.name, example.result
                    ));
                    continue;
                }
            };
            let compilation = compile_text(&format!("result = {}", example.expr));
            let Some(mapping) = compilation.mapping else {
                let errors: Vec<String> = compilation
                    .diagnostics
                    .iter()
                    .map(|d| d.to_string())
                    .collect();
                failures.push(format!(
                    "{}: `{}` does not compile: {errors:?}",
                    function.name, example.expr
                ));
                continue;
            };
            let outcome = crate::mapping::links::with_links(Rc::new(ExampleLinks), || {
                mapping.apply(&json!({}), &json!({}))
            });
            match outcome {
                Outcome::Mapped(out) if out.get("result") == Some(expected.clone()) => {}
                other => failures.push(format!(
                    "{}: `{}` gave {other:?}, expected {expected}",
                    function.name, example.expr
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_missing_field_is_null_not_an_error() {
    let out = apply(
        "a = missing\nb = missing.deeper[3]\nc = missing | trim",
        json!({}),
    );
    assert_eq!(mapped(out), json!({"a": null, "b": null, "c": null}));
}

#[test]
fn a_type_error_makes_the_record_invalid_naming_field_and_line() {
    let out = apply("ok = 1\nbad = name * 2", json!({"name": "a"}));
    let Outcome::Invalid { problems } = out else {
        panic!("{out:?}")
    };
    assert_eq!(
        problems,
        vec!["`bad` (line 2): cannot multiply text \"a\" by integer 2".to_string()]
    );
}

#[test]
fn coalesce_falls_back_on_null_and_on_errors() {
    let out = apply("a = x ?? \"d\"\nb = (name * 2) ?? 0", json!({"name": "a"}));
    assert_eq!(mapped(out), json!({"a": "d", "b": 0}));
}

#[test]
fn dotted_targets_build_nested_objects_in_order() {
    let out = apply(
        "address.city = city\naddress.zip = zip\nname = n",
        json!({"city": "Gent", "zip": "9000"}),
    );
    let Outcome::Mapped(value) = out else {
        panic!("{out:?}")
    };
    assert_eq!(
        value.to_string(),
        r#"{"address":{"city":"Gent","zip":"9000"},"name":null}"#
    );
}

#[test]
fn skip_and_invalid_statements() {
    let text = "skip if status == \"cancelled\"\ninvalid if not contains(email, \"@\") : \"email has no @\"\ne = email";
    assert!(matches!(
        apply(text, json!({"status": "cancelled"})),
        Outcome::Skipped { .. }
    ));
    let out = apply(text, json!({"email": "nope"}));
    assert_eq!(
        out,
        Outcome::Invalid {
            problems: vec!["email has no @".to_string()]
        }
    );
}

#[test]
fn variables_outputs_and_lets() {
    let registry = Registry::builtin();
    let vars: std::collections::BTreeSet<String> = ["event".to_string()].into();
    let env = Environment {
        functions: &registry,
        vars: Some(&vars),
        imports: &NoImports,
    };
    let file = SourceFile::new(
        "v.map",
        "let full = first + \" \" + last\nname = $full\ncode = $vars.event\nlabel = $out.name + \" @ \" + $out.code",
    );
    let mapping = compile(&file, &env).mapping.expect("compiles");
    let out = mapping.apply(
        &json!({"first": "Ada", "last": "L"}),
        &json!({"event": "E26"}),
    );
    assert_eq!(
        mapped(out),
        json!({"name": "Ada L", "code": "E26", "label": "Ada L @ E26"})
    );
}

#[test]
fn constant_tables_are_folded() {
    let compilation = compile_text("x = [1, 2, {a: 1 + 2}]");
    let mapping = compilation.mapping.expect("compiles");
    assert!(matches!(
        &mapping.steps[0],
        super::program::Step::Assign {
            value: super::program::Node::Const(_),
            ..
        }
    ));
}

/// An import resolver over in-memory files, for import tests.
struct MemoryImports(Vec<Arc<SourceFile>>);

impl super::ImportResolver for MemoryImports {
    fn resolve(&self, _from: &SourceFile, path: &str) -> Result<Arc<SourceFile>, String> {
        self.0
            .iter()
            .find(|f| f.name == path)
            .cloned()
            .ok_or_else(|| format!("cannot read `{path}`"))
    }
}

#[test]
fn imports_inline_shared_mappings_and_cycles_are_errors() {
    let registry = Registry::builtin();
    let files = MemoryImports(vec![
        SourceFile::new("shared.map", "email = email | lower"),
        SourceFile::new("a.map", "import \"b.map\""),
        SourceFile::new("b.map", "import \"a.map\""),
    ]);
    let env = Environment {
        functions: &registry,
        vars: None,
        imports: &files,
    };
    let main = SourceFile::new("main.map", "import \"shared.map\"\nname = n");
    let mapping = compile(&main, &env).mapping.expect("compiles");
    let out = mapping.apply(&json!({"email": "A@B.NL", "n": "x"}), &json!({}));
    assert_eq!(mapped(out), json!({"email": "a@b.nl", "name": "x"}));

    let cyclic = SourceFile::new("a.map", "import \"b.map\"");
    let errors = compile(&cyclic, &env).diagnostics;
    assert!(
        errors
            .iter()
            .any(|d| d.message.contains("import cycle: a.map → b.map → a.map")),
        "{errors:#?}"
    );
}
