//! Property tests of the mapping language: whatever text it is given, parsing and
//! compiling never panic and every diagnostic points inside the text; whatever JSON
//! record a compiled mapping is applied to, evaluation never panics and a mapped record
//! is an object.
//!
//! The inputs go from shallow to deep: arbitrary strings (mostly rejected by the
//! parser), soups of real tokens (reach the compiler's error paths), well-formed random
//! expressions (reach the evaluator and every function), and fixed mappings that call
//! every built-in function with arbitrary arguments.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Number, Value, json};
use sluice::diagnostic::SourceFile;
use sluice::mapping::functions::{Function, ParamKind, Registry, builtins};
use sluice::mapping::{Compilation, Environment, Mapping, NoImports, Outcome, compile};

// ---------------------------------------------------------------- helpers

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::builtin)
}

fn compile_text(text: &str) -> Compilation {
    let env = Environment {
        functions: registry(),
        vars: None,
        imports: &NoImports,
    };
    compile(&SourceFile::new("prop.map", text), &env)
}

fn vars() -> Value {
    json!({"x": 1, "event": "E26", "list": [1, 2]})
}

/// How long one compilation or evaluation may take before the watchdog calls it a hang.
const HANG: Duration = Duration::from_secs(20);

/// What each test thread is working on, and since when.
type Work = HashMap<std::thread::ThreadId, (Instant, String)>;
static WORK: Mutex<Option<Work>> = Mutex::new(None);

/// Marks this thread busy with `what` until dropped. A watchdog thread ends the whole
/// test process, naming the input, when a piece of work runs longer than [`HANG`]: a
/// hanging parser would otherwise hang `cargo test` (and CI) with no word of why.
struct Watched;

impl Watched {
    fn start(what: impl FnOnce() -> String) -> Watched {
        static WATCHDOG: OnceLock<()> = OnceLock::new();
        WATCHDOG.get_or_init(|| {
            std::thread::spawn(|| {
                loop {
                    std::thread::sleep(Duration::from_millis(500));
                    let work = WORK.lock().unwrap_or_else(|e| e.into_inner());
                    for (started, what) in work.iter().flat_map(|w| w.values()) {
                        if started.elapsed() > HANG {
                            eprintln!("\nHANG: not done after {HANG:?}: {what}");
                            std::process::exit(101);
                        }
                    }
                }
            });
        });
        let mut work = WORK.lock().unwrap_or_else(|e| e.into_inner());
        work.get_or_insert_with(HashMap::new)
            .insert(std::thread::current().id(), (Instant::now(), what()));
        Watched
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let mut work = WORK.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(work) = work.as_mut() {
            work.remove(&std::thread::current().id());
        }
    }
}

/// Compiles `text` and checks what can be checked of any compilation: every span lies
/// within its file's text on character boundaries, every diagnostic renders, and a
/// mapping comes out exactly when there is no error.
fn compile_checked(text: &str) -> Result<Compilation, TestCaseError> {
    let watched = Watched::start(|| format!("compiling {text:?}"));
    let compilation = compile_text(text);
    drop(watched);
    for d in &compilation.diagnostics {
        let source = &d.file.text;
        prop_assert!(
            d.span.start <= d.span.end && d.span.end <= source.len(),
            "span {:?} outside the text ({} bytes) of {}: {} in {text:?}",
            d.span,
            source.len(),
            d.file.name,
            d.message
        );
        prop_assert!(
            source.is_char_boundary(d.span.start) && source.is_char_boundary(d.span.end),
            "span {:?} not on char boundaries: {} in {text:?}",
            d.span,
            d.message
        );
        let rendered = d.render(false);
        prop_assert!(rendered.contains(d.code), "{rendered}");
        let _ = d.to_string();
        let _ = d.record();
    }
    let has_errors = compilation.errors().next().is_some();
    prop_assert_eq!(
        compilation.mapping.is_some(),
        !has_errors,
        "mapping present iff no errors, for {:?}",
        text
    );
    Ok(compilation)
}

/// Applies `mapping` to `record`, turning a panic into a test failure that names the
/// mapping and the record, and checks that a mapped record is an object.
fn apply_checked(text: &str, mapping: &Mapping, record: &Value) -> Result<(), TestCaseError> {
    let vars = vars();
    let watched = Watched::start(|| format!("applying {text:?} to {record}"));
    let outcome = catch_unwind(AssertUnwindSafe(|| mapping.apply(record, &vars)));
    drop(watched);
    match outcome {
        Ok(Outcome::Mapped(out)) => {
            let value = out.to_value();
            prop_assert!(value.is_object(), "{text:?} mapped {record} to {value}");
            let serialized = serde_json::to_value(&out).unwrap();
            prop_assert_eq!(&serialized, &value, "serialized differs, for {:?}", text);
            let text_form = out.to_string();
            let displayed: Value = serde_json::from_str(&text_form).unwrap();
            prop_assert_eq!(&displayed, &value, "displayed differs, for {:?}", text);
            // No key twice in the JSON text: parsing keeps only the last, so the text
            // written again (compact, keys perhaps reordered) would come out shorter.
            prop_assert_eq!(
                displayed.to_string().len(),
                text_form.len(),
                "{} for {:?}",
                text_form,
                text
            );
        }
        Ok(Outcome::Skipped { .. } | Outcome::Invalid { .. }) => {}
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            prop_assert!(false, "applying {text:?} to {record} panicked: {message}");
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- JSON records

/// Keys of records and of nested objects: the fields the mappings below read.
const KEYS: [&str; 9] = ["a", "b", "c", "email", "name", "items", "tags", "n", "d"];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => select(&KEYS[..]).prop_map(str::to_string),
        1 => "[a-z ]{0,3}",
    ]
}

/// Strings that functions look at closely: dates, durations, numbers in text, e-mail
/// addresses, phone numbers, encodings, regex-like and format-like text, unicode.
const STRINGS: [&str; 44] = [
    "",
    " ",
    "a",
    "Ada Lovelace",
    "ADA@Example.COM",
    " a@b.nl ",
    "@",
    "2026-03-29",
    "2026-03-29T08:15:00Z",
    "2026-03-29T08:15:00+01:00",
    "2026-02-30",
    "29-03-2026 10:15",
    "9999-12-31T23:59:59Z",
    "0000-01-01",
    "-262144-01-01",
    "1h30m",
    "-PT15M",
    "P1Y2M3DT4H5M6S",
    "99999999999d",
    "PT9999999999999999999S",
    "12",
    "-0",
    "1.5",
    "1e400",
    "NaN",
    "inf",
    "9223372036854775808",
    "true",
    "no",
    "+31 6 12345678",
    "0031612345678",
    "%zz%",
    "%E2%82",
    "aGVsbG8=",
    "!!!",
    "<b>x</b><script>y</script>",
    "&amp;&#xFFFFFFFF;&#0;",
    "(",
    "[a-z]+",
    "%Y-%m-%d %H:%M",
    "%",
    "é🦀\u{0}\u{200b}\u{301}",
    "İ ß ﬁ",
    "Europe/Amsterdam",
];

fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(&STRINGS[..]).prop_map(str::to_string),
        1 => "\\PC{0,10}",
        1 => "[a-z0-9 @.%+-]{0,12}",
    ]
}

fn json_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => any::<i64>().prop_map(Value::from),
        4 => (-20i64..20).prop_map(Value::from),
        1 => select(vec![i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1, 1_700_000_000, 1_700_000_000_123])
            .prop_map(Value::from),
        1 => Just(Value::from(u64::MAX)),
        2 => any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        2 => select(vec![0.5, -0.0, 1e300, -1e300, f64::MAX, f64::MIN, f64::MIN_POSITIVE, 9.0e15, 1e19, -2.5, 1700000000.5])
            .prop_map(|f| Value::Number(Number::from_f64(f).unwrap())),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        3 => json_number(),
        4 => json_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..5)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A record: an object over the key pool, sometimes not an object at all.
fn record() -> impl Strategy<Value = Value> {
    prop_oneof![
        12 => prop::collection::vec((key(), json_value()), 0..8)
            .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        1 => json_value(),
    ]
}

// ---------------------------------------------------------------- mapping text

const KEYWORDS: [&str; 9] = [
    "if", "then", "else", "and", "or", "not", "let", "skip", "invalid",
];

const PUNCTUATION: [&str; 34] = [
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "??",
    "|",
    ".",
    ",",
    ":",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "[*]",
    "[-1]",
    "[0]",
    "$",
    "$vars",
    "$out",
    "$record",
    "_",
    "import",
    "`first name`",
    "# comment",
];

const LITERALS: [&str; 26] = [
    "0",
    "1",
    "-1",
    "2.5",
    "1e3",
    "1e999",
    "99999999999999999999",
    "9223372036854775807",
    "0.0",
    "true",
    "false",
    "null",
    "\"\"",
    "\"a\"",
    "'b'",
    "\"%Y-%m-%d\"",
    "\"[a-z]+\"",
    "\"(\"",
    "\"1d\"",
    "\"Europe/Amsterdam\"",
    "\"\\u{1F980}\"",
    "\"\\u{110000}\"",
    "\"\\ud800\"",
    "\"unterminated",
    "\"bad \\q escape\"",
    "'é🦀'",
];

fn function_names() -> Vec<&'static str> {
    builtins().iter().map(|f| f.name).collect()
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(&KEYS[..]).prop_map(str::to_string),
        3 => select(function_names()).prop_map(str::to_string),
        2 => select(&KEYWORDS[..]).prop_map(str::to_string),
        6 => select(&PUNCTUATION[..]).prop_map(str::to_string),
        3 => select(&LITERALS[..]).prop_map(str::to_string),
        1 => Just("\n".to_string()),
        1 => Just("\r\n".to_string()),
        1 => "[a-z_]{1,6}",
    ]
}

/// Tokens joined by a space, by nothing, or by a line break.
fn soup(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec((token(), select(vec!["", " ", " ", "\n"])), 0..max).prop_map(|tokens| {
        let mut text = String::new();
        for (token, sep) in tokens {
            text.push_str(&token);
            text.push_str(sep);
        }
        text
    })
}

/// A line that often starts like a statement, so that the soup reaches expressions.
fn soup_line() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => soup(12),
        3 => (select(&KEYS[..]), soup(12)).prop_map(|(k, s)| format!("{k} = {s}")),
        1 => (select(&KEYS[..]), soup(12)).prop_map(|(k, s)| format!("let {k} = {s}")),
        1 => soup(10).prop_map(|s| format!("skip if {s}")),
        1 => soup(10).prop_map(|s| format!("invalid if {s} : \"bad\"")),
    ]
}

fn soup_program() -> impl Strategy<Value = String> {
    prop::collection::vec(soup_line(), 1..5).prop_map(|lines| lines.join("\n"))
}

// A well-formed expression generator: every production of the grammar, calls with a
// count of arguments each function accepts. Names may still be unknown (`_` outside a
// function argument, `$name` without a `let`), so not every expression compiles.

fn path() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        3 => select(&KEYS[..]).prop_map(|k| format!(".{k}")),
        1 => Just("[*]".to_string()),
        1 => (-3i64..4).prop_map(|i| format!("[{i}]")),
        1 => Just("[\"name\"]".to_string()),
    ];
    (
        prop_oneof![
            12 => select(&KEYS[..]).prop_map(str::to_string),
            1 => Just("$vars".to_string()),
            1 => Just("$record".to_string()),
            2 => Just("$l".to_string()),
            1 => Just("`first name`".to_string()),
        ],
        prop::collection::vec(segment, 0..3),
    )
        .prop_map(|(root, segments)| root + segments.concat().as_str())
}

/// Literals that compile (no out-of-range numbers).
const EXPR_LITERALS: [&str; 12] = [
    "0",
    "1",
    "-1",
    "2.5",
    "1e3",
    "0.0",
    "true",
    "false",
    "null",
    "\"\"",
    "'b'",
    "9223372036854775807",
];

/// A function argument of a higher-order function: an expression over `_`, the element
/// (`inner` itself does not use `_`), or a function name.
fn lambda(inner: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    let element = select(vec!["_", "_.name", "_.n", "_[0]", "_[*]", "_.items[-1]"]);
    let op = select(vec![
        "+", "-", "*", "/", "%", "==", "!=", "<", ">=", "and", "or", "??",
    ]);
    prop_oneof![
        2 => element.clone().prop_map(str::to_string),
        1 => select(function_names()).prop_map(str::to_string),
        3 => (element.clone(), op, inner.clone()).prop_map(|(e, op, i)| format!("{e} {op} {i}")),
        2 => (element.clone(), select(function_names()))
            .prop_map(|(e, f)| format!("{e} | {f}")),
        1 => (select(vec!["map", "filter"]), element, select(function_names()))
            .prop_map(|(hof, e, f)| format!("{hof}({e}, {f})")),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        6 => path(),
        4 => select(&EXPR_LITERALS[..]).prop_map(str::to_string),
        2 => select(&STRINGS[..]).prop_map(|s| format!("{s:?}")),
    ]
    .boxed();
    let functions: Vec<&'static Function> = builtins();
    leaf.clone().prop_recursive(4, 32, 3, move |inner| {
        let inner = inner.boxed();
        let binary = select(vec![
            "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or", "??",
        ]);
        prop_oneof![
            3 => (inner.clone(), binary, inner.clone())
                .prop_map(|(l, op, r)| format!("({l} {op} {r})")),
            1 => (select(vec!["-", "not "]), inner.clone()).prop_map(|(op, e)| format!("({op}({e}))")),
            1 => (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, t, e)| format!("(if {c} then {t} else {e})")),
            1 => prop::collection::vec(inner.clone(), 0..3)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            1 => prop::collection::vec((select(&KEYS[..]), inner.clone()), 0..3).prop_map(|entries| {
                let mut seen = Vec::new();
                let entries: Vec<String> = entries
                    .iter()
                    .filter(|(k, _)| !seen.contains(k) && { seen.push(*k); true })
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect();
                format!("{{{}}}", entries.join(", "))
            }),
            1 => (inner.clone(), select(vec![".name", "[0]", "[-1]", "[*]", ".items[*].name"]))
                .prop_map(|(e, seg)| format!("({e}){seg}")),
            6 => (
                select(functions.clone()),
                prop::collection::vec(inner.clone(), 1..4),
                lambda(leaf.clone()),
                0..3usize,
                any::<bool>(),
            )
                .prop_map(|(f, args, lambda, extra, piped)| call(f, &args, &lambda, extra, piped)),
        ]
    })
}

/// A call of `f` with its required arguments and `extra` optional ones, taken from
/// `args`; a function parameter gets `lambda`. `piped` writes the first argument
/// before `|`.
fn call(f: &Function, args: &[String], lambda: &str, extra: usize, piped: bool) -> String {
    let max = f.max_args().unwrap_or(f.params.len() + 2);
    let count = (f.min_args() + extra).min(max);
    let mut rendered = Vec::new();
    for i in 0..count {
        rendered.push(match f.params.get(i).map(|p| p.kind) {
            Some(ParamKind::Function) => lambda.to_string(),
            Some(ParamKind::Literal) => "\"sessions\"".to_string(),
            _ => args[i % args.len()].clone(),
        });
    }
    if piped && !rendered.is_empty() {
        let first = rendered.remove(0);
        format!("({first} | {}({}))", f.name, rendered.join(", "))
    } else {
        format!("{}({})", f.name, rendered.join(", "))
    }
}

fn expr_program() -> impl Strategy<Value = String> {
    (
        expr(),
        prop::collection::vec(expr(), 1..4),
        prop::option::of(expr()),
    )
        .prop_map(|(binding, exprs, condition)| {
            let binding = binding.replace("$l", "0");
            let mut lines = vec![format!("let l = {binding}")];
            for (i, e) in exprs.iter().enumerate() {
                lines.push(format!("out.r{i} = {e}"));
            }
            if let Some(c) = condition {
                lines.push(format!("skip if {c}"));
            }
            lines.join("\n")
        })
}

// ---------------------------------------------------------------- fixed mappings

/// One mapping that uses much of the language at once, over the fields of the key pool.
const BROAD: &str = r#"
# a broad mapping over the key pool
let full = trim(to_string(name ?? "")) + " " + (email ?? "")
skip if n == -12345
invalid if tags == "invalid-marker" : "marked invalid"
id = n
full = $full
email.clean = email | lower | trim
email.normal = normalize_email(email) ?? null
email.ok = contains(to_string(email) ?? "", "@")
name.upper = name | upper
name.slug = slug(to_string(name) ?? "")
name.len = length(name) ?? -1
first_item = items[0]
last_item = items[-1]
item_names = items[*].name
item_tags = items[*].tags[0]
nested = a.b.c[1].d
count = length(items) ?? 0
total = sum(items[*].n) ?? 0
sorted = sort(tags) ?? []
unique = unique(tags) ?? []
firsts = first(tags)
lasts = last(tags)
mapped = map(tags, _ | to_string | upper) ?? []
filtered = filter(items, _.n > 0) ?? []
names = map(items, _.name) ?? []
joined = join(tags, ", ") ?? ""
compacted = compact(items) ?? []
flat = flatten(items) ?? []
arith = (n + 1) * 2 - n / 3 % 5
arith2 = -n
big = n * n * n
cmp = n < 10 and n >= -10 or not (n != 0)
mixed = a < b
eq = a == b
coalesced = a ?? b ?? c ?? "none"
choice = if n > 0 then "pos" else if n < 0 then "neg" else "zero"
cond = if a == null then b else a
kind = type_of(a)
empty = is_empty(b)
defaulted = default(c, "fallback")
merged = merge(a, b) ?? {}
keys = keys(a) ?? []
values = values(b) ?? []
picked = pick(a, "name", "email") ?? {}
omitted = omit(b, "n") ?? {}
got = get(a, "items[0].name", "none") ?? null
looked = lookup(c, {a: "A", b: "B"}, "other")
padded = pad_start(to_string(n) ?? "", 5, "0") ?? null
truncated = truncate(name, 3) ?? null
sub = substring(name, 1, 2) ?? null
replaced = replace(name, "a", "b") ?? null
split = split(name, " ") ?? []
matches = regex_match(name, "^[A-Z]") ?? false
captured = regex_capture(email, "^(.+)@(.+)$") ?? null
rounded = round(n, 2) ?? null
abs = abs(n) ?? null
floor = floor(n) ?? null
ceil = ceil(n) ?? null
min = min(n, 3, -3) ?? null
max = max(n, 3, -3) ?? null
int = to_int(b) ?? null
float = to_float(b) ?? null
bool = to_bool(c) ?? null
number = format_number(n, 2, ",", ".") ?? null
time = parse_time(d) ?? null
when = format_time(d, "%Y-%m-%d", "Europe/Amsterdam") ?? null
date = to_date(d) ?? null
later = add_duration(d, "1h30m") ?? null
unix = to_unix(d) ?? null
from = from_unix(n) ?? null
hashed = sha256(email) ?? null
md = md5(email) ?? null
b64 = base64_encode(name) ?? null
unb64 = base64_decode(name) ?? null
url = url_encode(name) ?? null
unurl = url_decode(name) ?? null
phone = normalize_phone(b, "NL") ?? null
html = strip_html(name) ?? null
title = title(name) ?? null
required = required(a)
record = $record.items[*].name
vars = $vars.event
outs = $out.id
"#;

/// For every built-in function, mappings that call it with field arguments: once with
/// only the required arguments, once with the most it takes (two extra for variadic
/// ones), and once piped. Function parameters get a lambda over `_`.
fn per_function_texts() -> Vec<String> {
    let fields = ["a", "b", "c", "d", "n"];
    let mut texts = Vec::new();
    for f in builtins() {
        let max = f.max_args().unwrap_or(f.params.len() + 2);
        let mut counts = vec![f.min_args(), max];
        counts.dedup();
        for count in counts {
            let args: Vec<String> = (0..count)
                .map(|i| match f.params.get(i).map(|p| p.kind) {
                    Some(ParamKind::Function) => "_".to_string(),
                    Some(ParamKind::Literal) => "\"sessions\"".to_string(),
                    _ => fields[i % fields.len()].to_string(),
                })
                .collect();
            texts.push(format!("r = {}({})", f.name, args.join(", ")));
            if let Some((first, rest)) = args.split_first() {
                texts.push(format!("r = {first} | {}({})", f.name, rest.join(", ")));
            }
        }
        if f.params.iter().any(|p| p.kind == ParamKind::Function) {
            let count = f.min_args();
            let args: Vec<String> = (0..count)
                .map(|i| match f.params.get(i).map(|p| p.kind) {
                    Some(ParamKind::Function) => "(_.name ?? _) | to_string | upper".to_string(),
                    _ => "items".to_string(),
                })
                .collect();
            texts.push(format!("r = {}({})", f.name, args.join(", ")));
        }
    }
    texts
}

struct Fixed {
    text: String,
    mapping: Mapping,
}

/// The broad mapping and every per-function mapping, compiled once.
fn fixed_mappings() -> &'static [Fixed] {
    static FIXED: OnceLock<Vec<Fixed>> = OnceLock::new();
    FIXED.get_or_init(|| {
        let mut texts = vec![BROAD.to_string()];
        texts.extend(per_function_texts());
        let mut failures = Vec::new();
        let mut fixed = Vec::new();
        for text in texts {
            let compilation = compile_text(&text);
            match compilation.mapping {
                Some(mapping) => fixed.push(Fixed { text, mapping }),
                None => failures.push(format!(
                    "{text}\n{}",
                    compilation
                        .diagnostics
                        .iter()
                        .map(|d| d.render(false))
                        .collect::<String>()
                )),
            }
        }
        assert!(
            failures.is_empty(),
            "fixed mappings that do not compile:\n{}",
            failures.join("\n")
        );
        fixed
    })
}

/// Constant arguments that make functions prepare something at compile time (regexes,
/// time formats, zones, durations, lookup tables), valid and not.
const CONSTANTS: [&str; 24] = [
    "null",
    "0",
    "-1",
    "3",
    "1000000000000",
    "9223372036854775807",
    "2.5",
    "true",
    "\"\"",
    "\"-\"",
    "\"name\"",
    "\"items[0].name\"",
    "\"a.b\"",
    "\"%Y-%m-%d\"",
    "\"%Q\"",
    "\"Europe/Amsterdam\"",
    "\"Mars/Olympus\"",
    "\"NL\"",
    "\"1d\"",
    "\"P1M\"",
    "\"[a-z]+\"",
    "\"(?P<x>\\\\d+)\"",
    "{a: 1, b: \"B\", \"\": null}",
    "[1, \"a\", null]",
];

// ---------------------------------------------------------------- properties

/// `cases` test cases, times `SLUICE_PROPTEST_SCALE` when set (for a longer search:
/// `SLUICE_PROPTEST_SCALE=50 cargo test --release --test mapping_properties`).
fn config(cases: u32) -> ProptestConfig {
    let scale = std::env::var("SLUICE_PROPTEST_SCALE")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(1);
    ProptestConfig {
        cases: cases.saturating_mul(scale.max(1)),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn compiling_arbitrary_text_never_panics(text in any::<String>()) {
        compile_checked(&text)?;
    }

    #[test]
    fn compiling_grammar_flavoured_text_never_panics(
        text in r#"[a-z_$. ()\[\]{}"'|?+*/%<>=!,:#0-9\n`\\-]{0,200}"#
    ) {
        compile_checked(&text)?;
    }
}

proptest! {
    #![proptest_config(config(1000))]

    /// Token soup reaches the compiler's error paths; what compiles is applied as well.
    #[test]
    fn compiling_token_soup_never_panics(text in soup_program(), record in record()) {
        let compilation = compile_checked(&text)?;
        if let Some(mapping) = &compilation.mapping {
            apply_checked(&text, mapping, &record)?;
            apply_checked(&text, mapping, &json!({}))?;
        }
    }
}

proptest! {
    #![proptest_config(config(300))]

    /// Well-formed random expressions, applied to arbitrary records.
    #[test]
    fn evaluating_random_expressions_never_panics(
        text in expr_program(),
        records in prop::collection::vec(record(), 2),
    ) {
        let compilation = compile_checked(&text)?;
        if let Some(mapping) = &compilation.mapping {
            for record in &records {
                apply_checked(&text, mapping, record)?;
            }
        }
    }

    /// Every built-in function, with constants where it prepares something and fields
    /// elsewhere, applied to arbitrary records.
    #[test]
    fn every_function_with_constant_arguments_never_panics(
        f in select(builtins()),
        args in prop::collection::vec(
            prop_oneof![
                select(&CONSTANTS[..]).prop_map(str::to_string),
                select(&["a", "b", "c", "d", "n"][..]).prop_map(str::to_string),
            ],
            5,
        ),
        extra in 0..3usize,
        piped in any::<bool>(),
        record in record(),
    ) {
        let lambda = if extra % 2 == 0 { "_" } else { "upper" };
        let text = format!("r = {}", call(f, &args, lambda, extra, piped));
        let compilation = compile_checked(&text)?;
        if let Some(mapping) = &compilation.mapping {
            apply_checked(&text, mapping, &record)?;
        }
    }
}

proptest! {
    #![proptest_config(config(200))]

    /// The broad mapping and a call of every built-in with field arguments, on
    /// arbitrary records.
    #[test]
    fn fixed_mappings_never_panic_on_arbitrary_records(record in record()) {
        for fixed in fixed_mappings() {
            apply_checked(&fixed.text, &fixed.mapping, &record)?;
        }
    }
}

/// The generators above must reach the evaluator: a fair share of random expression
/// programs compile. (Guards against a grammar change that silently makes every
/// generated program a syntax error.)
#[test]
fn random_expression_programs_mostly_compile() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = expr_program();
    let total = 100;
    let mut compiled = 0;
    for _ in 0..total {
        let text = strategy.new_tree(&mut runner).unwrap().current();
        if compile_text(&text).mapping.is_some() {
            compiled += 1;
        }
    }
    assert!(
        compiled * 5 >= total,
        "only {compiled} of {total} random expression programs compile"
    );
}

/// Every built-in is covered by the per-function mappings.
#[test]
fn every_builtin_has_a_fixed_mapping() {
    let fixed = fixed_mappings();
    for f in builtins() {
        let call = format!("{}(", f.name);
        let piped = format!("| {}(", f.name);
        assert!(
            fixed
                .iter()
                .any(|m| m.text.contains(&call) || m.text.contains(&piped)),
            "no mapping calls {}",
            f.name
        );
    }
}

// ---------------------------------------------------------------- stack depth

/// The stack the deep mappings must fit in: what `std::thread::spawn` gives a thread
/// (and so every test thread), whatever RUST_MIN_STACK says.
const STACK: usize = 2 << 20;

/// Mappings at the edges of what the language accepts: brackets, calls, `if`s and
/// function arguments nested as deep as the parser allows (`MAX_DEPTH`), and long
/// chains of operators, which the nesting limit does not count.
fn deep_cases() -> Vec<(String, String)> {
    let depth = sluice::mapping::parse::MAX_DEPTH;
    let chain = 5000;
    let longest = sluice::mapping::parse::MAX_EXPR_DEPTH - 2;
    vec![
        (
            format!("`a + a + …`, {longest} terms (the longest chain accepted)"),
            format!("x = a{}", " + a".repeat(longest)),
        ),
        (
            format!("`x | trim | …`, {longest} pipes (accepted)"),
            format!("x = a{} | trim", " | trim".repeat(longest - 70)),
        ),
        (
            format!("{depth} nested parentheses"),
            format!("x = {}a{}", "(".repeat(depth), ")".repeat(depth)),
        ),
        (
            format!("{depth} nested lists"),
            format!("x = {}a{}", "[".repeat(depth), "]".repeat(depth)),
        ),
        (
            format!("{depth} nested calls"),
            format!("x = {}a{}", "lower(".repeat(depth), ")".repeat(depth)),
        ),
        (
            format!("{depth} nested ifs"),
            format!(
                "x = {}1{}",
                "if a then ".repeat(depth),
                " else 2".repeat(depth)
            ),
        ),
        (
            format!("{depth} nested function arguments"),
            format!("x = {}_{}", "map(a, ".repeat(depth), ")".repeat(depth)),
        ),
        (
            format!("`a + a + …`, {chain} terms"),
            format!("x = a{}", " + a".repeat(chain)),
        ),
        (
            format!("`a ?? a ?? …`, {chain} terms"),
            format!("x = a{}", " ?? a".repeat(chain)),
        ),
        (
            format!("`a and a and …`, {chain} terms"),
            format!("x = a{}", " and a".repeat(chain)),
        ),
        (
            format!("`a | trim | trim …`, {chain} calls"),
            format!("x = a{}", " | trim".repeat(chain)),
        ),
        (
            format!("`- - - … a`, {chain} signs"),
            format!("x = {}a", "- ".repeat(chain)),
        ),
        (
            format!("`not not … a`, {chain} times"),
            format!("x = {}a", "not ".repeat(chain)),
        ),
    ]
}

/// Compiles and applies one deep case in a thread with a [`STACK`]-sized stack. Run in a
/// child process by [`deep_mappings_fit_in_a_thread_stack`]: a stack overflow aborts the
/// whole process, which must not take the other tests with it.
/// Does nothing unless `SLUICE_DEEP_CASE` is set by the test below.
#[test]
fn deep_mapping_child() {
    let Ok(index) = std::env::var("SLUICE_DEEP_CASE") else {
        return;
    };
    let (name, text) = deep_cases().swap_remove(index.parse().unwrap());
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let compilation = compile_text(&text);
            assert!(
                !name.contains("accepted") || compilation.mapping.is_some(),
                "{name} does not compile"
            );
            if let Some(mapping) = compilation.mapping {
                let _ = mapping.apply(&json!({"a": true}), &vars());
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

/// Whatever the parser accepts compiles and evaluates without overflowing the stack of
/// an ordinary thread; what is too deep is refused with a diagnostic instead.
#[test]
fn deep_mappings_fit_in_a_thread_stack() {
    let exe = std::env::current_exe().unwrap();
    let mut crashed = Vec::new();
    for (index, (name, _)) in deep_cases().into_iter().enumerate() {
        let mut child = std::process::Command::new(&exe)
            .args(["deep_mapping_child", "--exact", "--test-threads=1"])
            .env("SLUICE_DEEP_CASE", index.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() && started.elapsed() < HANG {
            std::thread::sleep(Duration::from_millis(20));
        }
        if child.try_wait().unwrap().is_none() {
            let _ = child.kill();
            let _ = child.wait();
            crashed.push(format!("{name}: not done after {HANG:?}"));
            continue;
        }
        let output = child.wait_with_output().unwrap();
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let why = stderr
                .lines()
                .find(|l| l.contains("overflow") || l.contains("panicked"))
                .unwrap_or("no message")
                .to_string();
            crashed.push(format!("{name}: {} ({why})", output.status));
        }
    }
    assert!(
        crashed.is_empty(),
        "deep mappings crash a thread with a {} MiB stack:\n{}",
        STACK >> 20,
        crashed.join("\n")
    );
}
