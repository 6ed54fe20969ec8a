//! Loading pipeline files: PRODUCT's sketch and the presets load; each broken pipeline
//! under tests/pipelines/broken/ gives exactly the diagnostics listed here (code, line,
//! column, message); secrets never show; extends, `${file:…}` and inline mappings
//! behave as documented.

use std::path::{Path, PathBuf};

use sluice::diagnostic::{Diagnostic, Severity};
use sluice::pipeline::{
    Auth, Destination, LoadContext, Loaded, Mapping, Paginate, Pipeline, Source, SyncMode, load,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pipelines")
}

const SECRETS: &[(&str, &str)] = &[
    ("REG_API_KEY", "reg-key-5f1e"),
    ("APP_TOKEN", "app-token-9a7c"),
    ("REG_HOOK_SECRET", "hook-secret-33d0"),
    (
        "ALERT_WEBHOOK_URL",
        "https://alerts.example.com/hook/tok-81b2",
    ),
    ("EVENT_APP_TOKEN", "event-app-token-11aa"),
    ("MAIL_CONSUMER_KEY", "mail-ck-2b2b"),
    ("MAIL_CONSUMER_SECRET", "mail-cs-3c3c"),
    ("MAIL_TOKEN", "mail-t-4d4d"),
    ("MAIL_TOKEN_SECRET", "mail-ts-5e5e"),
    ("MARKETING_API_KEY", "mkt-key-6f6f"),
];

fn ctx() -> LoadContext {
    LoadContext::new()
        .with_env(|name| {
            SECRETS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
        .with_now("2026-11-01T00:00:00Z".parse().expect("time"))
        .with_project_root(env!("CARGO_MANIFEST_DIR"))
}

/// (code, line, column, message) of each diagnostic.
fn summary(loaded: &Loaded) -> Vec<(&'static str, usize, usize, String)> {
    loaded
        .diagnostics
        .iter()
        .map(|d| {
            let (line, column) = d.line_col();
            (d.code, line, column, d.message.clone())
        })
        .collect()
}

fn loaded_ok(loaded: Loaded) -> Pipeline {
    let rendered: Vec<String> = loaded.diagnostics.iter().map(|d| d.render(false)).collect();
    loaded
        .pipeline
        .unwrap_or_else(|| panic!("does not load:\n{}", rendered.join("\n")))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, text).expect("write");
    path
}

fn sketch() -> String {
    std::fs::read_to_string(fixtures().join("sketch.toml")).expect("sketch")
}

/// PRODUCT's sketch, with the `[auth.app]` block it refers to but does not show.
fn complete_sketch(dir: &Path) -> PathBuf {
    write(dir, "participants.map", "email = email | lower\n");
    let text = format!(
        "{}\n[auth.app]\ntype = \"bearer\"\ntoken = \"${{env:APP_TOKEN}}\"\n",
        sketch()
    );
    write(dir, "participants.toml", &text)
}

#[test]
fn product_sketch_loads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let loaded = load(&complete_sketch(dir.path()), &ctx());
    assert!(loaded.diagnostics.is_empty(), "{:?}", summary(&loaded));
    let p = loaded_ok(loaded);
    assert_eq!(p.name, "participants");
    assert_eq!(p.after, ["sessions"]);
    let schedule = p.schedule.as_ref().expect("schedule");
    assert_eq!(
        schedule.every.as_ref().map(|d| d.get().as_secs()),
        Some(3600)
    );
    assert_eq!(
        schedule.timezone.map(|z| z.0.name()),
        Some("Europe/Amsterdam")
    );
    assert_eq!(
        schedule.until.map(|t| t.0.to_rfc3339()).as_deref(),
        Some("2026-12-04T00:00:00+00:00")
    );
    let Some(Auth::ApiKey(key)) = p.auth.get("registration") else {
        panic!("api key auth: {:?}", p.auth)
    };
    assert_eq!(key.header.as_deref(), Some("Api-Key"));
    assert_eq!(key.key.expose(), "reg-key-5f1e");
    let Some(Source::Http(source)) = &p.source else {
        panic!("http source")
    };
    assert_eq!(
        source.url.0.as_str(),
        "https://registration.example.com/api/events/EVT2026/participants"
    );
    assert_eq!(
        source.paginate,
        Some(Paginate::Cursor(sluice::pipeline::CursorParams {
            param: "after".into(),
            next: "meta.next".into()
        }))
    );
    let incremental = source.incremental.as_ref().expect("incremental");
    assert_eq!(incremental.param.as_deref(), Some("updated_since"));
    let Some(Destination::Http(destination)) = &p.destination else {
        panic!("http destination")
    };
    assert_eq!(destination.match_field.as_deref(), Some("email"));
    let update = destination.update.as_ref().expect("update");
    assert_eq!(update.path.placeholders(), ["dest_id"]);
    let lookup = destination.lookup.as_ref().expect("lookup");
    assert_eq!(lookup.id.as_deref(), Some("0.id"));
    assert!(destination.delete.is_some());
    assert_eq!(p.sync.mode, SyncMode::Incremental);
    assert_eq!(p.sync.max_delete_fraction.get(), 0.5);
    assert_eq!(p.sync.when.as_deref(), Some("record.status != \"test\""));
    assert!(matches!(&p.mapping, Some(Mapping::File(path)) if path.ends_with("participants.map")));
    let webhook = p.webhook.as_ref().expect("webhook");
    let fetch = webhook.fetch.as_ref().expect("fetch");
    assert_eq!(fetch.template().placeholders(), ["id"]);
    assert_eq!(
        webhook.secret.as_ref().map(|s| s.expose().as_str()),
        Some("hook-secret-33d0")
    );
    let notify = p.notify.as_ref().expect("notify");
    assert_eq!(
        notify.url.as_ref().map(|u| u.expose().0.host_str()),
        Some(Some("alerts.example.com"))
    );
}

#[test]
fn references_keep_their_places() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = loaded_ok(load(&complete_sketch(dir.path()), &ctx()));
    let r = &p.references;
    let places: Vec<(&str, (usize, usize))> = r
        .auth
        .iter()
        .map(|a| (a.name.as_str(), a.at.line_col()))
        .collect();
    assert_eq!(places, [("registration", (23, 8)), ("app", (37, 8))]);
    assert_eq!(r.after[0].name, "sessions");
    assert_eq!(r.after[0].at.line_col(), (3, 10));
    let mapping = r.mapping.as_ref().expect("mapping");
    assert_eq!(
        (mapping.name.as_str(), mapping.at.line_col()),
        ("participants.map", (51, 8))
    );
    let when = r.when.as_ref().expect("when");
    assert_eq!(when.at.line_col(), (48, 8));
    assert!(r.scripts.is_empty());
}

#[test]
fn the_sketch_alone_lacks_the_app_auth_block() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "participants.map", "email = email\n");
    let path = write(dir.path(), "participants.toml", &sketch());
    let loaded = load(&path, &ctx());
    assert_eq!(
        summary(&loaded),
        [(
            "P013",
            37,
            8,
            "unknown auth `app`: there is no `[auth.app]`".to_string()
        )]
    );
}

#[test]
fn debug_output_never_shows_a_secret() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = loaded_ok(load(&complete_sketch(dir.path()), &ctx()));
    let debug = format!("{p:?} {p:#?}");
    for (_, secret) in SECRETS {
        assert!(!debug.contains(secret), "{secret} shows in {debug}");
    }
    assert!(debug.contains("***"));
}

type Expected<'a> = &'a [(&'a str, usize, usize, &'a str)];

fn check_fixture(name: &str, expected: Expected<'_>, help: Option<&str>) {
    let loaded = load(&fixtures().join("broken").join(name), &ctx());
    let found = summary(&loaded);
    let found: Vec<(&str, usize, usize, &str)> = found
        .iter()
        .map(|(c, l, col, m)| (*c, *l, *col, m.as_str()))
        .collect();
    assert_eq!(found, expected, "{name}");
    if let Some(help) = help {
        assert_eq!(
            loaded.diagnostics[0].help.as_deref(),
            Some(help),
            "help of {name}"
        );
    }
    let errors = loaded.diagnostics.iter().any(Diagnostic::is_error);
    assert_eq!(loaded.pipeline.is_some(), !errors, "{name}");
    for d in &loaded.diagnostics {
        assert!(d.file.name.ends_with(name), "{name}: {}", d.file.name);
    }
}

#[test]
fn every_unknown_key_is_reported_at_once() {
    check_fixture(
        "unknown_keys.toml",
        &[
            ("P002", 4, 1, "unknown key `evry` in `[schedule]`"),
            ("P002", 7, 1, "unknown key `record` in `[source]`"),
            ("P002", 8, 48, "unknown key `nxt` in `[source.paginate]`"),
            ("P002", 10, 2, "unknown key `destinaton`"),
        ],
        Some("did you mean `every`?"),
    );
}

#[test]
fn wrong_types_and_values() {
    check_fixture(
        "wrong_type.toml",
        &[("P003", 4, 15, "expected a whole number, found \"many\"")],
        None,
    );
    check_fixture(
        "bad_duration.toml",
        &[(
            "P003",
            4,
            9,
            "expected a duration like \"15m\", found \"soon\" (expected a number at \"soon\")",
        )],
        None,
    );
    check_fixture(
        "bad_cron.toml",
        &[(
            "P003",
            5,
            8,
            "invalid cron expression \"0 25 * * *\": the hour field `25` is wrong (Component error: Number out of bounds.)",
        )],
        None,
    );
    check_fixture(
        "bad_timezone.toml",
        &[("P003", 4, 12, "unknown time zone \"Europe/Amsterdm\"")],
        Some("did you mean `Europe/Amsterdam`?"),
    );
    check_fixture(
        "bad_url.toml",
        &[(
            "P003",
            4,
            12,
            "expected an absolute URL like \"https://example.com/api\", found \"app.example.com/api/v1\" (relative URL without a base)",
        )],
        None,
    );
    check_fixture(
        "syntax.toml",
        &[(
            "P001",
            2,
            9,
            "string values must be quoted, expected literal string",
        )],
        None,
    );
    check_fixture(
        "missing_key.toml",
        &[("P004", 1, 1, "missing key `url` in `[source]`")],
        None,
    );
}

#[test]
fn unknown_types_list_the_known_ones() {
    check_fixture(
        "unknown_paginate.toml",
        &[(
            "P005",
            4,
            21,
            "unknown type \"cursr\" for `source.paginate`; expected one of `page`, `offset`, `cursor`, `next_url`, `link_header`",
        )],
        Some("did you mean `cursor`?"),
    );
    check_fixture(
        "unknown_source_type.toml",
        &[(
            "P005",
            4,
            8,
            "unknown type \"sftp\" for `source`; expected one of `file`, `http`",
        )],
        None,
    );
}

#[test]
fn each_table_reports_its_own_first_error() {
    check_fixture(
        "several_tables.toml",
        &[
            (
                "P003",
                4,
                9,
                "expected a duration like \"15m\", found \"soon\" (expected a number at \"soon\")",
            ),
            (
                "P005",
                7,
                8,
                "unknown value \"ful\" for `sync.mode`; expected one of `full`, `incremental`, `two_way`",
            ),
            (
                "P005",
                11,
                6,
                "unknown value \"always\" for `notify.on`; expected one of `any`, `error`, `never`",
            ),
            ("P002", 15, 1, "unknown key `pth` in `[webhook]`"),
        ],
        None,
    );
}

#[test]
fn secrets_and_variables_that_cannot_be_filled() {
    check_fixture(
        "missing_env.toml",
        &[("P006", 5, 10, "environment variable `APP_TOKN` is not set")],
        Some("set `APP_TOKN`, or use `${file:PATH}`"),
    );
    let loaded = load(&fixtures().join("broken/missing_secret_file.toml"), &ctx());
    let found = summary(&loaded);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0, found[0].1, found[0].2), ("P006", 5, 10));
    assert!(
        found[0].3.starts_with("cannot read secret file `")
            && found[0].3.contains("secrets/app_token.txt"),
        "{}",
        found[0].3
    );
    check_fixture(
        "unknown_var.toml",
        &[(
            "P007",
            4,
            52,
            "unknown variable `event_cod` in `{vars.event_cod}`",
        )],
        Some("did you mean `{vars.event_code}`?"),
    );
}

#[test]
fn rules_across_keys() {
    check_fixture(
        "every_and_cron.toml",
        &[(
            "P009",
            4,
            1,
            "`every` and `cron` exclude each other in `[schedule]`",
        )],
        None,
    );
    check_fixture(
        "every_below_min_interval.toml",
        &[(
            "P011",
            4,
            9,
            "`every` (5m) is shorter than `min_interval` (15m)",
        )],
        None,
    );
    check_fixture(
        "unknown_auth.toml",
        &[(
            "P013",
            4,
            8,
            "unknown auth `registraton`: there is no `[auth.registraton]`",
        )],
        Some("did you mean `registration`?"),
    );
    check_fixture(
        "mapping_both.toml",
        &[(
            "P009",
            4,
            1,
            "`file` and `inline` exclude each other in `[mapping]`",
        )],
        None,
    );
    check_fixture(
        "propagate_incremental.toml",
        &[(
            "P016",
            5,
            11,
            "`deletes = \"propagate\"` works only with `mode = \"full\"`",
        )],
        None,
    );
    check_fixture(
        "missing_mapping_file.toml",
        &[("P014", 4, 8, "cannot find mapping file `nope.map`")],
        None,
    );
    check_fixture(
        "bad_extends.toml",
        &[(
            "P008",
            1,
            11,
            "cannot find preset `../presets/registration.toml`",
        )],
        None,
    );
}

#[test]
fn until_in_the_past_is_only_a_warning() {
    check_fixture(
        "until_past.toml",
        &[(
            "P012",
            4,
            9,
            "`until` (2025-01-01T00:00:00+00:00) lies in the past: no scheduled runs will happen",
        )],
        None,
    );
    let loaded = load(&fixtures().join("broken/until_past.toml"), &ctx());
    assert_eq!(loaded.diagnostics[0].severity, Severity::Warning);
    assert!(loaded.pipeline.is_some());
}

#[test]
fn a_credential_written_inline_is_a_warning() {
    check_fixture(
        "inline_secret.toml",
        &[(
            "P017",
            5,
            9,
            "`auth.app.token` is a credential written in the file",
        )],
        None,
    );
    let loaded = load(&fixtures().join("broken/inline_secret.toml"), &ctx());
    let shown = format!("{:?}", loaded.pipeline);
    assert!(!shown.contains("tok-written-here"), "{shown}");
}

#[test]
fn an_unreadable_file_is_a_diagnostic() {
    let loaded = load(&fixtures().join("nope.toml"), &ctx());
    assert_eq!(loaded.diagnostics[0].code, "P015");
    assert!(loaded.pipeline.is_none());
}

#[test]
fn presets_load_from_the_project_root_and_library() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file_source = "[source]\ntype = \"file\"\npath = \"inbox/*.csv\"\nid = \"email\"\n";
    let mapping = "[mapping]\ninline = '''\nemail = email\n'''\n";
    for (preset, extra) in [
        (
            "stdlib/presets/registration.toml",
            "[vars]\nevent_code = \"E1\"\n[destination]\ntype = \"file\"\npath = \"out.json\"\n",
        ),
        ("stdlib/presets/email_platform.toml", file_source),
        (
            "stdlib/presets/marketing.toml",
            &format!("[vars]\nlist_id = \"L9\"\n{file_source}"),
        ),
        ("stdlib/presets/event_app.toml", file_source),
    ] {
        let text = format!("extends = \"{preset}\"\n{extra}{mapping}");
        let path = write(dir.path(), "p.toml", &text);
        let p = loaded_ok(load(&path, &ctx()));
        assert!(matches!(p.mapping, Some(Mapping::Inline(_))), "{preset}");
    }
    // A library folder makes the short name work.
    let text = "extends = \"event_app.toml\"\n[source]\ntype = \"file\"\npath = \"a.json\"\nid = \"id\"\n[mapping]\ninline = 'x = 1'\n";
    let path = write(dir.path(), "short.toml", text);
    let library = ctx().with_library(vec![
        Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/presets"),
    ]);
    let p = loaded_ok(load(&path, &library));
    let Some(Destination::Http(d)) = &p.destination else {
        panic!("http")
    };
    assert_eq!(d.base_url.0.as_str(), "https://app.example.com/api/v1");
}

#[test]
fn diagnostics_about_preset_keys_point_into_the_preset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "extends = \"stdlib/presets/registration.toml\"\n[vars]\nevent_code = 1\n[destination]\ntype = \"file\"\npath = \"o.csv\"\n[mapping]\ninline = 'x = 1'\n";
    let path = write(dir.path(), "p.toml", text);
    let no_env = ctx().with_env(|_| None);
    let loaded = load(&path, &no_env);
    let d = &loaded.diagnostics[0];
    assert_eq!(d.code, "P006");
    assert!(
        d.file.name.ends_with("stdlib/presets/registration.toml"),
        "{}",
        d.file.name
    );
    assert_eq!(d.line_col(), (9, 8));
    assert_eq!(loaded.diagnostics.len(), 1);
}

#[test]
fn pipeline_keys_win_over_the_preset() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "presets/base.toml",
        "[source]\ntype = \"http\"\nurl = \"https://a.example.com/x\"\nid = \"id\"\nrecords = \"data\"\npaginate = { type = \"cursor\", param = \"c\", next = \"n\" }\n[pipeline]\nafter = [\"a\", \"b\"]\n",
    );
    let text = "extends = \"presets/base.toml\"\n[pipeline]\nafter = [\"c\"]\n[source]\nrecords = \"items\"\npaginate = { type = \"link_header\" }\n[destination]\ntype = \"file\"\npath = \"o.csv\"\n[mapping]\ninline = 'x = 1'\n";
    let path = write(dir.path(), "p.toml", text);
    let p = loaded_ok(load(&path, &ctx()));
    assert_eq!(p.after, ["c"], "arrays replace");
    let Some(Source::Http(s)) = &p.source else {
        panic!("http")
    };
    assert_eq!(s.records.as_deref(), Some("items"));
    assert_eq!(s.id, "id", "tables merge");
    assert_eq!(
        s.paginate,
        Some(Paginate::LinkHeader),
        "another type replaces"
    );
}

#[test]
fn presets_extending_each_other_in_a_cycle() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "a.toml", "extends = \"b.toml\"\n");
    write(dir.path(), "b.toml", "extends = \"a.toml\"\n");
    let loaded = load(&dir.path().join("a.toml"), &ctx());
    let found = summary(&loaded);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0, found[0].1, found[0].2), ("P008", 1, 11));
    assert!(found[0].3.contains("extends itself"), "{}", found[0].3);
}

#[test]
fn secret_files_are_read_relative_to_the_pipeline() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "secrets/token.txt", "file-token-77\n");
    let text = "[auth.app]\ntype = \"bearer\"\ntoken = \"${file:secrets/token.txt}\"\n[source]\ntype = \"file\"\npath = \"in.ndjson\"\nid = \"id\"\n[destination]\ntype = \"http\"\nbase_url = \"https://x.example.com\"\nauth = \"app\"\ncreate = { method = \"POST\", path = \"/p\" }\n[mapping]\ninline = 'x = 1'\n";
    let path = write(dir.path(), "p.toml", text);
    let p = loaded_ok(load(&path, &ctx()));
    let Some(Auth::Bearer(bearer)) = p.auth.get("app") else {
        panic!("bearer")
    };
    assert_eq!(bearer.token.expose(), "file-token-77");
    assert!(!format!("{p:?}").contains("file-token-77"));
}

#[test]
fn inline_mapping_diagnostics_move_to_the_pipeline_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "[source]\ntype = \"file\"\npath = \"in.csv\"\nid = \"id\"\n[destination]\ntype = \"file\"\npath = \"out.csv\"\n[mapping]\ninline = '''\nemail = email\nname = lowr(name)\n'''\n";
    let path = write(dir.path(), "p.toml", text);
    let p = loaded_ok(load(&path, &ctx()));
    let Some(Mapping::Inline(inline)) = &p.mapping else {
        panic!("inline")
    };
    assert_eq!(inline.text, "email = email\nname = lowr(name)\n");
    let source = inline.source();
    let at = source.text.find("lowr").expect("lowr");
    let d = Diagnostic::error("M002", "unknown function `lowr`", &source, at..at + 4);
    let shifted = inline.shift(d);
    assert_eq!(shifted.line_col(), (11, 8));
    assert_eq!(&shifted.file.text[shifted.span.clone()], "lowr");
}
