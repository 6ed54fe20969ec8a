//! Rhai scripts end to end, through the public API: the sandbox stops runaway scripts
//! with clear errors and stays usable, compile errors point at the right place,
//! conditions decide per record, and script functions are called from mappings with
//! their argument counts checked.

use std::sync::Arc;

use serde_json::{Value, json};
use sluice::diagnostic::{Diagnostic, SourceFile};
use sluice::mapping::functions::Registry;
use sluice::mapping::{Compilation, Environment, NoImports, Outcome, compile};
use sluice::script::{
    CompiledScript, Condition, Limits, Sandbox, ScriptErrorKind, codes, compile_script,
    register_functions, stdlib_functions,
};

/// The sandbox a catalog prepares pipelines with: scripts compile in its light engine
/// and run in its full one.
fn engine() -> Arc<Sandbox> {
    Arc::new(Sandbox::new(&Limits::default()))
}

fn script(engine: &Sandbox, name: &str, text: &str) -> Arc<CompiledScript> {
    Arc::new(compile_script(SourceFile::new(name, text), engine.compiler()).expect("compiles"))
}

fn compile_mapping(
    engine: &Arc<Sandbox>,
    scripts: &[Arc<CompiledScript>],
    text: &str,
) -> Compilation {
    let mut registry = Registry::builtin();
    let mut all = stdlib_functions(engine.compiler()).expect("stdlib compiles");
    all.extend(scripts.iter().cloned());
    let problems = register_functions(&mut registry, &all, engine);
    assert!(problems.is_empty(), "{problems:?}");
    let env = Environment {
        functions: &registry,
        vars: None,
        imports: &NoImports,
    };
    compile(&SourceFile::new("test.map", text), &env)
}

fn apply(
    engine: &Arc<Sandbox>,
    scripts: &[Arc<CompiledScript>],
    text: &str,
    record: Value,
) -> Outcome {
    let compilation = compile_mapping(engine, scripts, text);
    let Some(mapping) = compilation.mapping else {
        panic!("does not compile: {:?}", compilation.diagnostics);
    };
    mapping.apply(&record, &json!({}))
}

fn problems(outcome: Outcome) -> String {
    match outcome {
        Outcome::Invalid { problems } => problems.join("; "),
        other => panic!("not invalid: {other:?}"),
    }
}

fn compile_errors(text: &str) -> Vec<Diagnostic> {
    match compile_script(SourceFile::new("bad.rhai", text), engine().compiler()) {
        Ok(_) => panic!("compiles: {text}"),
        Err(diagnostics) => diagnostics,
    }
}

const RUNAWAY: &str = "\
/// Never ends.
fn spin() {
    loop {}
}

fn deep(n) {
    deep(n + 1)
}

fn grow() {
    let s = \"ab\";
    loop {
        s += s;
    }
}

fn ok(x) {
    x + 1
}
";

#[test]
fn runaway_scripts_stop_with_clear_errors_and_the_engine_stays_usable() {
    let engine = engine();
    let runaway = script(&engine, "runaway.rhai", RUNAWAY);
    let cases = [
        (
            "spin()",
            "spin: runaway.rhai:2:4: the script was stopped after 1000000 operations",
        ),
        (
            "deep(0)",
            "deep: runaway.rhai:6:4: functions nested more than 32 calls deep",
        ),
        (
            "grow()",
            "grow: runaway.rhai:10:4: Length of string exceeds the script sandbox's limit",
        ),
    ];
    for (call, expected) in cases {
        let message = problems(apply(
            &engine,
            &[Arc::clone(&runaway)],
            &format!("v = {call}"),
            json!({}),
        ));
        assert!(message.contains(expected), "{call}: {message}");
        // The same engine and script serve the next call.
        let outcome = apply(&engine, &[Arc::clone(&runaway)], "v = ok(1)", json!({}));
        let Outcome::Mapped(record) = outcome else {
            panic!("{call}: the next call fails: {outcome:?}");
        };
        assert_eq!(record.to_value(), json!({ "v": 2 }));
    }
}

#[test]
fn the_wall_clock_limit_stops_a_script_that_stays_under_the_operation_limit() {
    let limits = Limits {
        max_operations: 0,
        timeout: std::time::Duration::from_millis(100),
        ..Limits::default()
    };
    let engine = Arc::new(Sandbox::new(&limits));
    let runaway = script(&engine, "runaway.rhai", RUNAWAY);
    let message = problems(apply(
        &engine,
        &[Arc::clone(&runaway)],
        "v = spin()",
        json!({}),
    ));
    assert!(
        message.contains("stopped after running for 100 ms"),
        "{message}"
    );
    let outcome = apply(&engine, &[runaway], "v = ok(41)", json!({}));
    assert!(matches!(outcome, Outcome::Mapped(_)), "{outcome:?}");
}

#[test]
fn the_engine_is_shared_across_threads() {
    fn shareable<T: Send + Sync>(_: &T) {}
    let engine = engine();
    let runaway = script(&engine, "runaway.rhai", RUNAWAY);
    shareable(&engine);
    shareable(&runaway);
    std::thread::scope(|scope| {
        for i in 0..2 {
            let (engine, runaway) = (Arc::clone(&engine), Arc::clone(&runaway));
            scope.spawn(move || {
                let outcome = apply(&engine, &[runaway], "v = ok(n)", json!({ "n": i }));
                let Outcome::Mapped(record) = outcome else {
                    panic!("{outcome:?}")
                };
                assert_eq!(record.to_value(), json!({ "v": i + 1 }));
            });
        }
    });
}

#[test]
fn syntax_errors_render_with_file_line_column_and_caret() {
    let diagnostics = compile_errors("fn f(x) {\n    let y = [1, 2;\n    y\n}\n");
    assert_eq!(diagnostics.len(), 1);
    let d = &diagnostics[0];
    assert_eq!(d.code, codes::SYNTAX);
    assert_eq!(d.line_col(), (2, 18));
    let text = d.render(false);
    assert!(text.starts_with("error[S001]"), "{text}");
    assert!(text.contains("bad.rhai:2:18"), "{text}");
    assert!(text.contains("^"), "{text}");
}

#[test]
fn eval_and_import_are_refused_at_compile_time() {
    let d = &compile_errors("fn f() {\n  eval(\"40 + 2\")\n}")[0];
    assert_eq!((d.code, d.line_col()), (codes::REFUSED, (2, 3)));
    assert!(d.message.contains("`eval`"), "{}", d.message);
    let d = &compile_errors("import \"x\" as x;\nfn f() { x::g() }")[0];
    assert_eq!((d.code, d.line_col()), (codes::REFUSED, (1, 1)));
    assert!(d.message.contains("`import`"), "{}", d.message);
}

fn when(expression: &str) -> Result<Condition, Vec<Diagnostic>> {
    let prefix = "[sync]\nmode = \"full\"\nwhen = '";
    let file = SourceFile::new("pipelines/p.toml", format!("{prefix}{expression}'\n"));
    Condition::compile(engine(), expression, &file, prefix.len())
}

#[test]
fn conditions_keep_skip_or_fail() {
    let c = when(r#"record.status != "test" && record.tickets >= vars.min"#).expect("compiles");
    let vars = json!({ "min": 1 });
    assert_eq!(
        c.evaluate(&json!({ "status": "paid", "tickets": 2 }), &vars),
        Ok(true)
    );
    assert_eq!(
        c.evaluate(&json!({ "status": "test", "tickets": 2 }), &vars),
        Ok(false)
    );

    let c = when(r#"if record.vip { "yes" } else { "no" }"#).expect("compiles");
    let error = c.evaluate(&json!({ "vip": true }), &vars).unwrap_err();
    assert_eq!(error.kind, ScriptErrorKind::NotBool);
    assert!(
        error.to_string().starts_with("pipelines/p.toml:3:9: "),
        "{error}"
    );

    let c = when(r#"record.name.len() > 0"#).expect("compiles");
    let error = c.evaluate(&json!({ "name": 42 }), &vars).unwrap_err();
    assert_eq!(error.kind, ScriptErrorKind::Runtime);
    assert!(
        error.to_string().starts_with("pipelines/p.toml:3:"),
        "{error}"
    );
    assert!(error.message.contains("len"), "{error}");

    let c = when(r#""ab".pad(5000000, "x") == """#).expect("compiles");
    let error = c.evaluate(&json!({}), &vars).unwrap_err();
    assert_eq!(error.kind, ScriptErrorKind::TooLarge, "{error}");
}

#[test]
fn condition_compile_errors_point_into_the_pipeline_file() {
    let d = when("record.status = 1").unwrap_err().remove(0);
    assert_eq!(d.file.name, "pipelines/p.toml");
    assert_eq!(d.line_col().0, 3);
    let d = when("stauts == 1").unwrap_err().remove(0);
    assert_eq!((d.code, d.line_col()), (codes::UNKNOWN_VARIABLE, (3, 9)));
}

#[test]
fn script_functions_have_their_argument_counts_checked() {
    let engine = engine();
    let greet = script(
        &engine,
        "greet.rhai",
        "fn greet(name, greeting) { `${greeting}, ${name}!` }",
    );
    let compilation = compile_mapping(&engine, &[Arc::clone(&greet)], "a = greet(\"Ada\")");
    let errors: Vec<&Diagnostic> = compilation.errors().collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "M003");
    assert!(
        errors[0]
            .message
            .contains("`greet` takes 2 arguments (name, greeting)"),
        "{}",
        errors[0].message
    );

    let outcome = apply(
        &engine,
        &[greet],
        "a = name | greet(\"Hallo\")",
        json!({ "name": "Ada" }),
    );
    let Outcome::Mapped(record) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(record.to_value(), json!({ "a": "Hallo, Ada!" }));
}

#[test]
fn a_script_may_not_shadow_a_builtin() {
    let engine = engine();
    let bad = script(&engine, "mine.rhai", "// trims\nfn trim(x) { x }");
    let mut registry = Registry::builtin();
    let problems = register_functions(&mut registry, &[bad], &engine);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].code, codes::SHADOWS_BUILTIN);
    assert_eq!(
        problems[0].to_string(),
        "mine.rhai:2:4: error[S004]: function `trim` has the name of a built-in mapping function"
    );
}

#[test]
fn the_standard_functions_work_from_a_mapping() {
    let engine = engine();
    let mapping = "\
let name = split_name(full_name)
first_name = $name.first
last_name = join_name($name.infix, $name.last, null)
postcode = zip | postcode(\"NL\")
mobile = is_dutch_mobile(phone)
";
    let record =
        json!({ "full_name": "Jan van der Berg", "zip": "1234ab", "phone": "06 1234 5678" });
    let outcome = apply(&engine, &[], mapping, record);
    let Outcome::Mapped(record) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        record.to_value(),
        json!({ "first_name": "Jan", "last_name": "van der Berg", "postcode": "1234 AB", "mobile": true })
    );
}

#[test]
fn sluice_map_offers_the_standard_script_functions() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().expect("temp dir");
    let mapping = dir.path().join("m.map");
    std::fs::write(
        &mapping,
        "zip = postcode(zip, \"NL\")\nname = split_name(name).last\n",
    )
    .expect("writes");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("map")
        .arg(&mapping)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sluice starts");
    if let Some(mut input) = child.stdin.take() {
        let records = "{\"zip\": \"1234ab\", \"name\": \"Jan de Vries\"}\n{\"zip\": \"x\"}\n";
        input.write_all(records.as_bytes()).expect("stdin");
    }
    let out = child.wait_with_output().expect("sluice finishes");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stdout.trim(),
        r#"{"zip":"1234 AB","name":"Vries"}"#,
        "{stderr}"
    );
    assert!(stderr.contains("is not a Dutch postcode"), "{stderr}");
}
