//! End to end: the real `sluice` binary's `map` command on real files and pipes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn sluice(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sluice starts");
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.as_bytes())
            .expect("stdin is writable");
    }
    child.wait_with_output().expect("sluice finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn maps_the_bundled_example() {
    let out = sluice(
        &[
            "map",
            "pipelines/participants.map",
            "--input",
            "pipelines/data/participants.ndjson",
            "--var",
            "country=NL",
        ],
        "",
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect();
    assert_eq!(records.len(), 2, "{stdout}");
    assert_eq!(records[0]["email"], "ada@example.com");
    assert_eq!(records[0]["phone"], "+31612345678");
    assert_eq!(records[0]["starts_at"], "2026-12-04T08:30:00Z");
    assert_eq!(records[0]["address"]["zip"], "1011AB");
    assert!(
        stderr.contains("record 3: skipped: skip if (line 17)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("record 4: invalid: `email` (stdlib/mappings/contact.map line 2)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a participant needs at least one ticket"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("2 mapped, 1 skipped, 2 invalid\n"),
        "{stderr}"
    );
}

#[test]
fn reads_arrays_single_objects_and_ndjson_from_stdin() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mapping = dir.path().join("m.map");
    std::fs::write(&mapping, "n = name | upper\n").expect("write mapping");
    let mapping = mapping.to_str().expect("utf-8 path");
    for input in [
        r#"[{"name":"a"},{"name":"b"}]"#,
        "{\"name\":\"a\"}\n{\"name\":\"b\"}\n",
    ] {
        let out = sluice(&["map", mapping], input);
        assert_eq!(text(&out.stdout), "{\"n\":\"A\"}\n{\"n\":\"B\"}\n");
    }
    let out = sluice(&["map", mapping], "{\n  \"name\": \"c\"\n}\n");
    assert_eq!(text(&out.stdout), "{\"n\":\"C\"}\n");
}

#[test]
fn a_mapping_that_does_not_compile_exits_1_with_every_diagnostic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mapping = dir.path().join("bad.map");
    std::fs::write(&mapping, "a = lowr(x)\nb = replace(y)\nc = (1 +\n").expect("write mapping");
    let out = sluice(&["map", mapping.to_str().expect("utf-8 path")], "{}");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    for expected in [
        "error[M002]",
        "bad.map:1:5",
        "did you mean `lower`?",
        "error[M003]",
        "bad.map:2:5",
        "error[M001]",
    ] {
        assert!(stderr.contains(expected), "missing {expected} in\n{stderr}");
    }
    assert!(stderr.contains("the mapping has 3 errors"), "{stderr}");
}

#[test]
fn bad_records_are_reported_and_the_rest_is_mapped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mapping = dir.path().join("m.map");
    std::fs::write(&mapping, "double = n * 2\n").expect("write mapping");
    let out = sluice(
        &["map", mapping.to_str().expect("utf-8 path")],
        "{\"n\":1}\n{\"n\":}\n{\"n\":\"x\"}\n[1]\n{\"n\":3}\n",
    );
    let stderr = text(&out.stderr);
    assert_eq!(text(&out.stdout), "{\"double\":2}\n{\"double\":6}\n");
    assert!(
        stderr.contains("record 2: unreadable: line 2: invalid JSON"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "record 3: invalid: `double` (line 1): cannot multiply text \"x\" by integer 2"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("record 4: invalid: a record must be a JSON object"),
        "{stderr}"
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "unreadable input is a problem: {stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = sluice(&["map", "does/not/exist.map"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read `does/not/exist.map`"));
    let out = sluice(
        &["map", "pipelines/participants.map", "--var", "novalue"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = sluice(&["frobnicate"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_lists_only_working_commands() {
    let out = sluice(&["--help"], "");
    let help = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    for present in [
        "map", "validate", "schema", "run", "dry-run", "history", "report", "status", "serve",
        "trigger",
    ] {
        assert!(help.contains(present), "{help}");
    }
    for absent in ["webhook", "reload"] {
        assert!(
            !help.contains(absent),
            "--help lists `{absent}`, which does not work yet:\n{help}"
        );
    }
}

#[test]
fn reads_csv_input_by_its_extension() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mapping = dir.path().join("m.map");
    std::fs::write(&mapping, "email = email | trim | lower\nname = name\n").expect("written");
    let csv = dir.path().join("people.csv");
    std::fs::write(
        &csv,
        "name,email\nAnn, ANN@Example.com\n\"Bob, Jr.\",bob@example.com\nbroken\n",
    )
    .expect("written");
    let out = sluice(
        &[
            "map",
            &mapping.to_string_lossy(),
            "--input",
            &csv.to_string_lossy(),
        ],
        "",
    );
    assert_eq!(
        text(&out.stdout),
        "{\"email\":\"ann@example.com\",\"name\":\"Ann\"}\n{\"email\":\"bob@example.com\",\"name\":\"Bob, Jr.\"}\n"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("unreadable: line 4"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
}

#[test]
fn a_long_csv_file_maps_every_row_once_and_in_order() {
    // More rows than several batches of the reading thread, whose records are reused
    // once mapped: no row may show a value of another, whatever their lengths.
    let dir = tempfile::tempdir().expect("temp dir");
    let mapping = dir.path().join("m.map");
    std::fs::write(&mapping, "n = n\ntext = text | upper\n").expect("written");
    let csv = dir.path().join("rows.csv");
    let mut input = String::from("text,n\n");
    let mut expected = String::new();
    let mut bad = Vec::new();
    for n in 0..5000 {
        if n % 997 == 500 {
            input.push_str("only one field\n");
            bad.push(n + 2);
            continue;
        }
        let text = "é\"x".repeat(n % 7);
        input.push_str(&format!("\"{}\",{n}\n", text.replace('"', "\"\"")));
        expected.push_str(&format!(
            "{{\"n\":\"{n}\",\"text\":{}}}\n",
            serde_json::to_string(&text.to_uppercase()).expect("json")
        ));
    }
    std::fs::write(&csv, input).expect("written");
    let out = sluice(
        &[
            "map",
            &mapping.to_string_lossy(),
            "--input",
            &csv.to_string_lossy(),
        ],
        "",
    );
    assert!(text(&out.stdout) == expected, "the output differs");
    let stderr = text(&out.stderr);
    for line in bad {
        assert!(
            stderr.contains(&format!("unreadable: line {line}:")),
            "{stderr}"
        );
    }
    assert!(stderr.contains("4995 mapped"), "{stderr}");
}

#[test]
fn csv_rows_mapped_the_ordinary_way_keep_their_place() {
    // Rows of a mapping of fast assignments go straight to JSON; a row the fast forms
    // cannot answer for (blank `required`, a time that does not parse, a time skipped
    // by daylight saving time) is mapped the ordinary way, reported, and the other rows
    // keep their order.
    let dir = tempfile::tempdir().expect("temp dir");
    let mapping = dir.path().join("m.map");
    std::fs::write(
        &mapping,
        "email = email | trim | lower | required\n\
         at = at | parse_time(\"%d/%m/%Y %H:%M\", \"Europe/Amsterdam\")\n\
         note = note ?? \"none\"\n",
    )
    .expect("written");
    let csv = dir.path().join("people.csv");
    std::fs::write(
        &csv,
        "email,at\n\
         A@X.NL,01/02/2026 10:00\n\
         \" \",01/02/2026 10:00\n\
         b@x.nl,1/2/2026 9:05\n\
         c@x.nl,29/03/2026 02:30\n\
         d@x.nl,31/02/2026 10:00\n\
         e@x.nl,25/10/2026 02:30\n",
    )
    .expect("written");
    let out = sluice(
        &[
            "map",
            &mapping.to_string_lossy(),
            "--input",
            &csv.to_string_lossy(),
        ],
        "",
    );
    assert_eq!(
        text(&out.stdout),
        "{\"email\":\"a@x.nl\",\"at\":\"2026-02-01T09:00:00Z\",\"note\":\"none\"}\n\
         {\"email\":\"b@x.nl\",\"at\":\"2026-02-01T08:05:00Z\",\"note\":\"none\"}\n\
         {\"email\":\"e@x.nl\",\"at\":\"2026-10-25T00:30:00Z\",\"note\":\"none\"}\n"
    );
    let stderr = text(&out.stderr);
    for line in [
        "record 2: invalid: `email`",
        "record 4: invalid: `at`",
        "record 5: invalid: `at`",
        "3 mapped, 0 skipped, 3 invalid",
    ] {
        assert!(stderr.contains(line), "{line}: {stderr}");
    }
}
