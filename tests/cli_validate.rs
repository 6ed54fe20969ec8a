//! End to end: the real `sluice` binary's `validate` and `schema` commands, on the
//! bundled example pipelines and on projects written to temporary folders.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn sluice_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("SLUICE_PIPELINES");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("sluice runs")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A project folder with `pipelines/NAME` files.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, content) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("folder");
        }
        std::fs::write(path, content).expect("file written");
    }
    dir
}

const VALID: &str = r#"
[source]
type = "file"
path = "in.ndjson"
id = "id"

[destination]
type = "file"
path = "out.ndjson"

[mapping]
inline = '''
id = id
email = email | lower
'''
"#;

#[test]
fn the_example_pipelines_validate_clean() {
    let out = sluice_in(repo(), &["validate"], &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let count = std::fs::read_dir(repo().join("pipelines"))
        .expect("pipelines")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .count();
    assert!(count >= 6);
    assert_eq!(
        stdout.trim_end(),
        format!("validated {count} pipelines: no problems")
    );
}

#[test]
fn errors_are_shown_with_place_and_exit_1() {
    let broken = VALID.replace("[source]\n", "[source]\nformt = \"ndjson\"\n");
    let dir = project(&[("pipelines/people.toml", &broken)]);
    let out = sluice_in(dir.path(), &["validate"], &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("error[P002]"), "{stdout}");
    assert!(stdout.contains("pipelines/people.toml:3:1"), "{stdout}");
    assert!(stdout.contains("did you mean `format`?"), "{stdout}");
    assert!(
        stdout.trim_end().ends_with("validated 1 pipeline: 1 error"),
        "{stdout}"
    );
}

#[test]
fn json_output_lists_every_problem() {
    let unknown_key = VALID.replace("[source]\n", "[source]\nformt = \"ndjson\"\n");
    let unknown_function = VALID.replace("email | lower", "email | lowr");
    let dir = project(&[
        ("pipelines/a.toml", &unknown_key),
        ("pipelines/b.toml", &unknown_function),
    ]);
    let out = sluice_in(dir.path(), &["validate", "--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let problems: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let problems = problems.as_array().expect("an array");
    let codes: Vec<&str> = problems.iter().filter_map(|p| p["code"].as_str()).collect();
    assert_eq!(codes, ["P002", "M002"], "{problems:?}");
    for problem in problems {
        for key in ["file", "line", "column", "severity", "code", "message"] {
            assert!(problem.get(key).is_some(), "{problem} lacks {key}");
        }
        assert_eq!(problem["severity"], "error");
    }
    assert_eq!(problems[0]["file"], "pipelines/a.toml");
    assert_eq!(problems[0]["line"], 3);
    // The inline mapping's error is placed inside the pipeline file.
    assert_eq!(problems[1]["file"], "pipelines/b.toml");
    assert_eq!(problems[1]["line"], 14);
    assert_eq!(problems[1]["column"], 17);
}

#[test]
fn warnings_alone_exit_0() {
    let warned = format!("[schedule]\nevery = \"1h\"\nuntil = \"2020-01-01T00:00:00Z\"\n{VALID}");
    let dir = project(&[("pipelines/people.toml", &warned)]);
    let out = sluice_in(dir.path(), &["validate"], &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("warning[P012]"), "{stdout}");
    assert!(stdout.contains("1 warning"), "{stdout}");
}

#[test]
fn paths_files_folders_and_the_pipelines_option() {
    let dir = project(&[
        ("elsewhere/a.toml", VALID),
        ("elsewhere/deeper/b.toml", VALID),
    ]);
    let out = sluice_in(dir.path(), &["validate", "elsewhere"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("validated 2 pipelines"));
    let out = sluice_in(dir.path(), &["validate", "elsewhere/a.toml"], &[]);
    assert!(text(&out.stdout).contains("validated 1 pipeline:"));
    let out = sluice_in(dir.path(), &["--pipelines", "elsewhere", "validate"], &[]);
    assert!(text(&out.stdout).contains("validated 2 pipelines"));
    let out = sluice_in(
        dir.path(),
        &["validate"],
        &[("SLUICE_PIPELINES", "elsewhere/deeper")],
    );
    assert!(text(&out.stdout).contains("validated 1 pipeline:"));
}

#[test]
fn usage_errors_exit_2() {
    let dir = project(&[]);
    let out = sluice_in(dir.path(), &["validate"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("`pipelines` is not a file or folder"));
    let out = sluice_in(dir.path(), &["validate", "--format", "yaml"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn secrets_never_appear_in_the_output() {
    let leaky = format!(
        "[notify]\non = \"error\"\nurl = \"${{env:ALERT_URL}}\"\n[auth.api]\ntype = \"bearer\"\ntoken = \"${{env:TOKEN}}\"\n{VALID}"
    );
    let dir = project(&[("pipelines/people.toml", &leaky)]);
    let secret = "hunter2-very-secret";
    let out = sluice_in(
        dir.path(),
        &["validate", "--format", "json"],
        &[
            ("ALERT_URL", &format!("not a url {secret}")),
            ("TOKEN", secret),
        ],
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("P003"), "{all}");
    assert!(!all.contains(secret), "the secret leaked: {all}");
}

#[test]
fn schema_is_a_json_schema_of_pipeline_files() {
    let out = sluice_in(repo(), &["schema"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let schema: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(schema.get("$schema").is_some(), "{schema}");
    let properties = schema["properties"].as_object().expect("properties");
    for block in [
        "pipeline",
        "schedule",
        "source",
        "destination",
        "sync",
        "mapping",
    ] {
        assert!(properties.contains_key(block), "no `{block}` in the schema");
    }
}
