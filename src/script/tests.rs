//! Unit tests of the script module: the sandbox's limits, compile diagnostics,
//! conditions, and Rhai functions called from mappings (the shipped ones included).

use std::sync::Arc;
use std::time::Duration;

use rhai::Engine;
use serde_json::{Value, json};

use super::*;
use crate::diagnostic::SourceFile;
use crate::mapping::functions::Registry;
use crate::mapping::{Environment, NoImports, Outcome, compile};

fn engine() -> Arc<Engine> {
    Arc::new(sandboxed_engine(&Limits::default()))
}

/// The sandbox a catalog prepares pipelines with: compiled there as in production.
fn sandbox() -> Arc<Sandbox> {
    Arc::new(Sandbox::new(&Limits::default()))
}

fn script(engine: &Engine, text: &str) -> Arc<CompiledScript> {
    match compile_script(SourceFile::new("test.rhai", text), engine) {
        Ok(script) => Arc::new(script),
        Err(d) => panic!("does not compile: {}", d[0]),
    }
}

fn compile_error(text: &str) -> crate::diagnostic::Diagnostic {
    match compile_script(SourceFile::new("bad.rhai", text), sandbox().compiler()) {
        Ok(_) => panic!("compiles: {text}"),
        Err(mut d) => d.remove(0),
    }
}

/// A registry with the built-ins, the standard scripts and `extra`'s functions.
fn registry(engine: &Arc<Sandbox>, extra: &str) -> Registry {
    let mut registry = Registry::builtin();
    let mut scripts = stdlib_functions(engine.compiler()).expect("stdlib compiles");
    if !extra.is_empty() {
        scripts.push(script(engine.compiler(), extra));
    }
    let problems = register_functions(&mut registry, &scripts, engine);
    assert!(problems.is_empty(), "{problems:?}");
    registry
}

/// Applies `mapping` (with the functions of `extra`) to `record`.
fn map(extra: &str, mapping: &str, record: Value) -> Outcome {
    let engine = sandbox();
    let registry = registry(&engine, extra);
    let env = Environment {
        functions: &registry,
        vars: None,
        imports: &NoImports,
    };
    let compilation = compile(&SourceFile::new("test.map", mapping), &env);
    let Some(mapping) = compilation.mapping else {
        panic!("does not compile: {:?}", compilation.diagnostics);
    };
    mapping.apply(&record, &json!({}))
}

#[test]
fn the_full_engine_is_made_when_a_script_first_runs_and_not_before() {
    let sandbox = sandbox();
    let registry = registry(&sandbox, "fn twice(x) { x * 2 }");
    let env = Environment {
        functions: &registry,
        vars: None,
        imports: &NoImports,
    };
    let calls = compile(&SourceFile::new("test.map", "n = twice(n)"), &env);
    let plain = compile(&SourceFile::new("test.map", "n = n"), &env);
    let (Some(calls), Some(plain)) = (calls.mapping, plain.mapping) else {
        panic!("does not compile");
    };
    assert!(!sandbox.is_running(), "the stdlib and a script compiled");
    assert_eq!(
        mapped(plain.apply(&json!({"n": 2}), &json!({}))),
        json!({"n": 2})
    );
    assert!(!sandbox.is_running(), "a mapping without script calls ran");
    assert_eq!(
        mapped(calls.apply(&json!({"n": 2}), &json!({}))),
        json!({"n": 4})
    );
    assert!(sandbox.is_running());
}

fn mapped(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Mapped(record) => record.to_value(),
        other => panic!("not mapped: {other:?}"),
    }
}

fn invalid(outcome: Outcome) -> String {
    match outcome {
        Outcome::Invalid { problems } => problems.join("; "),
        other => panic!("not invalid: {other:?}"),
    }
}

fn call_error(text: &str, function: &str) -> ScriptError {
    let engine = engine();
    let compiled = script(&engine, text);
    let origin = &compiled.origin;
    let error = engine
        .call_fn::<rhai::Dynamic>(&mut rhai::Scope::new(), &compiled.ast, function, ())
        .expect_err("the call fails");
    origin.eval_error(&engine, &error)
}

// --- limits -------------------------------------------------------------------------

#[test]
fn an_endless_loop_stops_after_the_operation_limit() {
    let script = "\nfn f() {\n    loop {}\n}";
    let error = call_error(script, "f");
    assert_eq!(error.kind, ScriptErrorKind::TooManyOperations);
    assert!(error.message.contains("1000000 operations"), "{error}");
    // Rhai gives no position for limits hit inside a function: the function is named.
    let problems = invalid(map(script, "v = f()", json!({})));
    assert!(
        problems.contains("f: test.rhai:2:4: the script was stopped after 1000000 operations"),
        "{problems}"
    );
}

#[test]
fn a_slow_script_stops_at_the_deadline() {
    let limits = Limits {
        max_operations: 0,
        timeout: Duration::from_millis(50),
        ..Limits::default()
    };
    let engine = sandboxed_engine(&limits);
    let ast = engine
        .compile("let n = 0; loop { n += 1; }")
        .expect("compiles");
    let error = engine.run_ast(&ast).expect_err("stops");
    assert!(
        matches!(*error, rhai::EvalAltResult::ErrorTerminated(..)),
        "{error}"
    );
    // The next evaluation gets a fresh deadline.
    assert_eq!(
        engine
            .eval::<i64>("let n = 0; for i in 0..1000 { n += i } n")
            .ok(),
        Some(499500)
    );
}

#[test]
fn endless_recursion_stops_at_the_call_depth() {
    let error = call_error("fn f() { g(0) }\nfn g(n) { g(n + 1) }", "f");
    assert_eq!(error.kind, ScriptErrorKind::TooDeep);
    assert!(error.message.contains("32 calls deep"), "{error}");
}

#[test]
fn a_huge_string_stops_at_the_size_limit() {
    let error = call_error("fn f() {\n  let s = \"ab\";\n  loop { s += s; }\n}", "f");
    assert_eq!(error.kind, ScriptErrorKind::TooLarge);
    assert!(error.message.contains("string"), "{error}");
}

#[test]
fn print_and_debug_go_nowhere() {
    let engine = engine();
    assert_eq!(
        engine.eval::<i64>("print(\"x\"); debug(1); 2").ok(),
        Some(2)
    );
}

// --- compiling ----------------------------------------------------------------------

#[test]
fn syntax_errors_point_at_line_and_column() {
    let d = compile_error("fn f(x) {\n  let y = (x +;\n}\n");
    assert_eq!(d.code, codes::SYNTAX);
    assert_eq!(d.line_col(), (2, 15));
    let text = d.render(false);
    assert!(text.contains("bad.rhai:2:15"), "{text}");
    assert!(text.contains('^'), "{text}");
}

#[test]
fn a_missing_semicolon_is_shown_where_it_is_missing() {
    let d = compile_error("fn f(a) {\n    let b = a + 1\n    b * 2\n}\n");
    assert_eq!(d.code, codes::SYNTAX);
    assert_eq!(d.message, "expected `;` to terminate this statement");
    assert_eq!(d.line_col(), (2, 18));
}

#[test]
fn positions_count_characters_not_bytes() {
    let d = compile_error("let a = \"é\"; b");
    assert_eq!(d.code, codes::UNKNOWN_VARIABLE);
    assert_eq!(d.line_col(), (1, 14));
    assert_eq!(&d.file.text[d.span.clone()], "b");
}

#[test]
fn eval_and_import_are_refused() {
    let d = compile_error("fn f() { eval(\"1\") }");
    assert_eq!(d.code, codes::REFUSED);
    assert_eq!(&d.file.text[d.span.clone()], "eval");
    let d = compile_error("\nimport \"x\" as y;");
    assert_eq!(d.code, codes::REFUSED);
    assert_eq!(d.line_col(), (2, 1));
    assert!(d.help.is_some());
}

// --- conditions ---------------------------------------------------------------------

fn condition(expression: &str) -> Result<Condition, Vec<crate::diagnostic::Diagnostic>> {
    let text = format!("[sync]\nwhen = '{expression}'\n");
    let file = SourceFile::new("p.toml", text);
    Condition::compile(sandbox(), expression, &file, "[sync]\nwhen = '".len())
}

#[test]
fn conditions_keep_or_skip_records() {
    let c = condition(r#"record.status != "test" && vars.live"#).expect("compiles");
    let vars = json!({ "live": true });
    assert_eq!(c.evaluate(&json!({ "status": "paid" }), &vars), Ok(true));
    assert_eq!(c.evaluate(&json!({ "status": "test" }), &vars), Ok(false));
}

#[test]
fn a_condition_that_is_not_a_boolean_is_an_error() {
    let c = condition("record.count").expect("compiles");
    let error = c.evaluate(&json!({ "count": 3 }), &json!({})).unwrap_err();
    assert_eq!(error.kind, ScriptErrorKind::NotBool);
    assert_eq!(
        error.to_string(),
        "p.toml:2:9: the condition gave i64, not true or false"
    );
}

#[test]
fn a_failing_condition_names_the_place_in_the_pipeline_file() {
    let c = condition("record.n / 0 > 2").expect("compiles");
    let error = c.evaluate(&json!({ "n": 1 }), &json!({})).unwrap_err();
    assert_eq!(error.kind, ScriptErrorKind::Runtime);
    assert!(error.to_string().starts_with("p.toml:2:"), "{error}");
    assert!(error.message.contains("Division by zero"), "{error}");
}

#[test]
fn condition_syntax_errors_point_into_the_pipeline_file() {
    let d = condition("record.status ==").unwrap_err().remove(0);
    assert_eq!(d.code, codes::SYNTAX);
    assert_eq!(d.file.name, "p.toml");
    assert_eq!(d.line_col().0, 2);
    let d = condition("recrod.status == 1").unwrap_err().remove(0);
    assert_eq!(d.code, codes::UNKNOWN_VARIABLE);
    assert_eq!(d.line_col(), (2, 9));
}

// --- functions ----------------------------------------------------------------------

#[test]
fn script_functions_are_callable_from_mappings() {
    let script = "/// Doubles a number.\nfn double(x) { x * 2 }\nfn greet(name, greeting) { `${greeting}, ${name}!` }";
    let out = map(
        script,
        "a = double(n)\nb = name | greet(\"Hoi\")",
        json!({ "n": 21, "name": "Ada" }),
    );
    assert_eq!(mapped(out), json!({ "a": 42, "b": "Hoi, Ada!" }));
}

#[test]
fn doc_comments_become_summaries_and_private_functions_stay_hidden() {
    let engine = sandbox();
    let registry = registry(
        &engine,
        "/// Doubles a number.\n/// More text.\n///\n/// Not this.\nfn double(x) { x * 2 }\nprivate fn helper() { 1 }",
    );
    let Some(crate::mapping::functions::Entry::External(f)) = registry.get("double") else {
        panic!("double is not registered");
    };
    assert_eq!(f.summary, "Doubles a number. More text.");
    assert_eq!(f.params.len(), 1);
    assert!(registry.get("helper").is_none());
}

#[test]
fn a_script_error_makes_the_record_invalid_with_the_place() {
    let problems = invalid(map(
        "fn check(x) {\n    if x < 0 { throw \"negative\"; }\n    x\n}",
        "v = check(n)",
        json!({ "n": -1 }),
    ));
    assert!(
        problems.contains("check: test.rhai:2:16: negative"),
        "{problems}"
    );
}

#[test]
fn shadowing_a_builtin_or_defining_twice_is_refused() {
    let engine = sandbox();
    let a = script(engine.compiler(), "fn lower(x) { x }\nfn twice(x) { x }");
    let b = script(engine.compiler(), "\n\nfn  twice(y) { y }");
    let mut registry = Registry::builtin();
    let problems = register_functions(&mut registry, &[a, b], &engine);
    let codes: Vec<&str> = problems.iter().map(|d| d.code).collect();
    assert_eq!(codes, [codes::SHADOWS_BUILTIN, codes::DEFINED_TWICE]);
    assert_eq!(problems[0].line_col(), (1, 4));
    assert_eq!(problems[1].line_col(), (3, 5));
    assert!(registry.get("twice").is_some());
}

#[test]
fn overloads_make_trailing_parameters_optional() {
    let script = "fn tag(x) { tag(x, \"-\") }\nfn tag(x, sep) { `${sep}${x}${sep}` }";
    let out = map(script, "a = tag(\"x\")\nb = tag(\"x\", \"+\")", json!({}));
    assert_eq!(mapped(out), json!({ "a": "-x-", "b": "+x+" }));
}

#[test]
fn null_arguments_arrive_as_unit() {
    let out = map("fn kind(x) { type_of(x) }", "k = kind(missing)", json!({}));
    assert_eq!(mapped(out), json!({ "k": "()" }));
}

// --- the standard functions ---------------------------------------------------------

#[test]
fn the_shipped_scripts_match_the_stdlib_folder() {
    let mut on_disk: Vec<String> = std::fs::read_dir("stdlib/functions")
        .expect("stdlib/functions")
        .filter_map(|e| e.ok())
        .map(|e| format!("stdlib/functions/{}", e.file_name().to_string_lossy()))
        .filter(|name| name.ends_with(".rhai"))
        .collect();
    on_disk.sort();
    let shipped: Vec<&str> = FUNCTION_FILES.iter().map(|(name, _)| *name).collect();
    assert_eq!(on_disk, shipped);
    let engine = sandbox();
    let scripts = stdlib_functions(engine.compiler()).expect("compiles");
    let mut registry = Registry::builtin();
    assert!(register_functions(&mut registry, &scripts, &engine).is_empty());
    for (name, _) in FUNCTION_FILES {
        let found = scripts.iter().any(|s| s.file().name == *name);
        assert!(found, "{name}");
    }
}

#[test]
fn postcodes() {
    let mapping =
        "nl = nl | postcode(\"NL\")\nbe = be | postcode(\"be\")\nok = is_postcode(bad, \"NL\")";
    let record = json!({ "nl": "1234ab", "be": 9000, "bad": "0123 AB" });
    assert_eq!(
        mapped(map("", mapping, record)),
        json!({ "nl": "1234 AB", "be": "9000", "ok": false })
    );
    let record = json!({ "nl": " 1234 aB ", "be": "1000" });
    assert_eq!(mapped(map("", mapping, record))["nl"], json!("1234 AB"));
    let record = json!({ "be": "1000" });
    assert_eq!(mapped(map("", mapping, record))["nl"], Value::Null);
    let problems = invalid(map(
        "",
        "nl = postcode(nl, \"NL\")",
        json!({ "nl": "1234 SS" }),
    ));
    assert!(problems.contains("is not a Dutch postcode"), "{problems}");
    assert!(
        problems.contains("stdlib/functions/postcode.rhai:"),
        "{problems}"
    );
}

#[test]
fn names_with_dutch_prefixes() {
    let cases = [
        (
            "Jan van der Berg",
            json!({ "first": "Jan", "infix": "van der", "last": "Berg" }),
        ),
        (
            "Anna Maria de Vries",
            json!({ "first": "Anna Maria", "infix": "de", "last": "Vries" }),
        ),
        (
            "Kevin De Bruyne",
            json!({ "first": "Kevin", "infix": "", "last": "De Bruyne" }),
        ),
        (
            "  Piet   Jansen ",
            json!({ "first": "Piet", "infix": "", "last": "Jansen" }),
        ),
        ("Cher", json!({ "first": "Cher", "infix": "", "last": "" })),
        (
            "Jan van 't Hek",
            json!({ "first": "Jan", "infix": "van 't", "last": "Hek" }),
        ),
    ];
    for (name, expected) in cases {
        let out = mapped(map("", "n = split_name(name)", json!({ "name": name })));
        assert_eq!(out["n"], expected, "{name}");
    }
    let mapping = "let n = split_name(name)\nfull = join_name($n.first, $n.infix, $n.last)\nsort = sort_name($n.infix, $n.last)";
    let out = mapped(map("", mapping, json!({ "name": "Jan van der Berg" })));
    assert_eq!(
        out,
        json!({ "full": "Jan van der Berg", "sort": "Berg, van der" })
    );
    let out = mapped(map(
        "",
        "n = split_name(name)\nj = join_name(\"A\", \"\", null)",
        json!({}),
    ));
    assert_eq!(out, json!({ "n": null, "j": "A" }));
}

#[test]
fn phone_helpers() {
    let mapping = "d = phone_digits(p)\nm = is_dutch_mobile(p)";
    let out = mapped(map("", mapping, json!({ "p": "+31 6-1234 5678" })));
    assert_eq!(out, json!({ "d": "+31612345678", "m": true }));
    let out = mapped(map("", mapping, json!({ "p": "020 123 4567" })));
    assert_eq!(out, json!({ "d": "0201234567", "m": false }));
    let out = mapped(map("", mapping, json!({})));
    assert_eq!(out, json!({ "d": null, "m": false }));
}
