//! The JSON schema of pipeline files accepts every example pipeline in pipelines/, every
//! preset in stdlib/presets/, PRODUCT's sketch and the test base pipeline (converted from TOML to JSON), and refuses
//! unknown keys and unknown types.

use std::path::Path;

use serde_json::Value;

/// TOML as JSON; date-times become RFC 3339 text.
fn to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(to_json).collect()),
        toml::Value::Table(table) => {
            Value::Object(table.into_iter().map(|(k, v)| (k, to_json(v))).collect())
        }
    }
}

fn read(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("readable");
    let table: toml::Table = toml::from_str(&text).expect("valid TOML");
    to_json(toml::Value::Table(table))
}

fn errors(instance: &Value) -> Vec<String> {
    let schema = sluice::pipeline::json_schema();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn presets_and_examples_match_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![
        root.join("tests/pipelines/sketch.toml"),
        root.join("tests/pipelines/base.toml"),
    ];
    let mut presets: Vec<_> = std::fs::read_dir(root.join("stdlib/presets"))
        .expect("stdlib/presets")
        .map(|entry| entry.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    presets.sort();
    assert!(presets.len() >= 4, "{presets:?}");
    files.extend(presets);
    let mut examples: Vec<_> = std::fs::read_dir(root.join("pipelines"))
        .expect("pipelines")
        .map(|entry| entry.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 6, "{examples:?}");
    files.extend(examples);
    for file in files {
        let found = errors(&read(&file));
        assert!(found.is_empty(), "{}: {found:#?}", file.display());
    }
}

#[test]
fn the_schema_refuses_unknown_keys_and_types() {
    let bad = serde_json::json!({
        "schedule": { "evry": "15m" },
        "source": { "type": "sftp", "path": "x" },
    });
    let found = errors(&bad);
    assert!(found.len() >= 2, "{found:#?}");
    let paginate = serde_json::json!({
        "source": { "type": "http", "url": "https://x", "id": "id",
                    "paginate": { "type": "cursor", "param": "p" } },
    });
    assert!(!errors(&paginate).is_empty(), "a cursor needs `next`");
}
