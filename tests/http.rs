//! End to end: HTTP sources and destinations through the real binary, against the fake
//! platform of `support/platform.rs` on 127.0.0.1 — every pagination style, auth
//! headers, incremental cursors, create / unchanged / update, update-or-create,
//! batches, retries, permanent failures, deletes and the concurrency limit; creates the
//! platform applied but never answered, made once with an idempotency key or a lookup. And the
//! connectors used as a library inside `spawn_blocking` of a running tokio runtime.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::platform::{Cut, Fault, platform};
use support::project::Project;

/// A project whose commands get the test credentials from the environment.
fn project() -> Project {
    Project::new()
        .env("TEST_API_KEY", "k-123")
        .env("TEST_TOKEN", "t-456")
        .env("TEST_PASSWORD", "pw")
}

fn people(count: usize) -> Vec<Value> {
    (1..=count)
        .map(|i| {
            json!({"id": i, "email": format!("p{i}@example.com"), "name": format!("P {i}"),
                   "updated_at": format!("2026-01-{i:02}T00:00:00Z")})
        })
        .collect()
}

const MAPPING: &str = r#"
[mapping]
inline = '''
id    = id
email = email
name  = name
'''
"#;

/// A pipeline reading `source` (the lines of a `[source]` block after `type`) into an
/// NDJSON file.
fn reading(url: &str, source: &str, extra: &str) -> String {
    format!(
        "[source]\ntype = \"http\"\nurl = \"{url}\"\nid = \"id\"\n{source}\n\n\
         [destination]\ntype = \"file\"\npath = \"out/people.ndjson\"\n\n{extra}\n{MAPPING}"
    )
}

/// Reads all of `count` records in the style `source` describes; the requests made.
fn read_all(tenant: &str, count: usize, path: &str, source: &str, extra: &str) -> Vec<String> {
    let base = platform().tenant(tenant, people(count));
    let p = project();
    p.write(
        "pipelines/read.toml",
        &reading(&format!("{base}{path}"), source, extra),
    );
    let (code, report) = p.run("read", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(
        report["counts"]["created"],
        count,
        "{report:#}\n{:#?}",
        platform().log(tenant)
    );
    let written = p.read("pipelines/out/people.ndjson");
    assert_eq!(written.lines().count(), count);
    for i in 1..=count {
        assert!(written.contains(&format!("p{i}@example.com")), "{written}");
    }
    platform()
        .log(tenant)
        .iter()
        .map(|r| {
            let query: Vec<String> = r.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{} {}?{}", r.method, r.path, query.join("&"))
        })
        .collect()
}

#[test]
fn page_numbers_from_one_with_an_api_key_header() {
    let base = platform().tenant("pages", people(7));
    platform().with("pages", |t| {
        t.require = Some(("api-key".into(), "k-123".into()));
    });
    let p = project();
    let source = "auth = \"reg\"\nrecords = \"data.items\"\n\
                  paginate = { type = \"page\", param = \"page\", size_param = \"per_page\", size = 3 }";
    let auth =
        "[auth.reg]\ntype = \"api_key\"\nheader = \"Api-Key\"\nkey = \"${env:TEST_API_KEY}\"\n";
    p.write(
        "pipelines/read.toml",
        &reading(&format!("{base}/pages"), source, auth),
    );
    let (code, report) = p.run("read", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 7);
    let log = platform().log("pages");
    let pages: Vec<&str> = log.iter().map(|r| r.query["page"].as_str()).collect();
    // 3 + 3 + 1: the short third page ends paging.
    assert_eq!(pages, ["1", "2", "3"]);
    assert!(log.iter().all(|r| r.query["per_page"] == "3"));
}

/// Pages are read in place (`engine/doc.rs`), files into values: the same records
/// through the same mapping give the same file, byte for byte — escaped and non-ASCII
/// text, nested objects, lists, numbers, nulls, missing fields, a comparison of text and
/// `$record` (which the fast forms leave to the evaluator on the whole record).
#[test]
fn records_read_in_place_sync_as_their_values_do() {
    let records: Vec<Value> = vec![
        json!({"id": 1, "email": " Ada@Example.COM ", "first": " Ada ", "last": "Lovelace",
               "address": {"city": "London", "zip": null}, "tags": ["a", "b"], "score": 7,
               "country": "NL", "note": "quote \" backslash \\ newline \n tab \t é ü 😀"}),
        json!({"id": "2", "email": "grace@example.com", "first": "Grace", "last": null,
               "address": null, "tags": [], "score": 2.5, "country": "BE"}),
        json!({"id": 3, "email": "alan@example.com", "first": "Alan", "last": "Turing",
               "score": -1, "country": null, "note": ""}),
        json!({"id": 4, "email": "kat@example.com", "last": "Johnson", "tags": [1, {"x": true}],
               "address": {"city": "White Sulphur Springs"}, "score": 1e3, "country": "nl"}),
    ];
    let base = platform().tenant("in-place", records.clone());
    let mapping = r#"
[mapping]
inline = '''
id        = id
email     = email | trim | lower
name      = (first | trim) + " " + last
city      = address.city
tags      = tags
vip       = if score > 5 then "yes" else "no"
home      = if country == "NL" then "home" else "abroad"
note      = note
also_note = $record.note ?? "none"
'''
"#;
    let p = project();
    p.write(
        "pipelines/api.toml",
        &format!(
            "[source]\ntype = \"http\"\nurl = \"{base}/pages\"\nid = \"id\"\nrecords = \"data.items\"\n\
             paginate = {{ type = \"page\", param = \"page\", size_param = \"per_page\", size = 3 }}\n\n\
             [destination]\ntype = \"file\"\npath = \"out/api.ndjson\"\n\n{mapping}"
        ),
    );
    let lines: Vec<String> = records.iter().map(Value::to_string).collect();
    p.write("pipelines/data/people.ndjson", &(lines.join("\n") + "\n"));
    p.write(
        "pipelines/file.toml",
        &format!(
            "[source]\ntype = \"file\"\npath = \"data/people.ndjson\"\nid = \"id\"\n\n\
             [destination]\ntype = \"file\"\npath = \"out/file.ndjson\"\n\n{mapping}"
        ),
    );
    for name in ["api", "file"] {
        let (code, report) = p.run(name, &[]);
        assert_eq!(code, Some(0), "{report:#}");
        assert_eq!(report["counts"]["created"], 4, "{report:#}");
    }
    let from_pages = p.read("pipelines/out/api.ndjson");
    assert_eq!(from_pages, p.read("pipelines/out/file.ndjson"));
    assert!(
        from_pages.contains(r#""name":"Ada Lovelace""#),
        "{from_pages}"
    );
    assert!(from_pages.contains(r#""home":"home""#), "{from_pages}");
}

/// Records decided on from what was computed from each alone (`engine/ahead.rs`):
/// `--limit` stops inside a page, before a repeated id, at the end; duplicates, counts
/// and the order of the written records are as the source gave them.
#[test]
fn pages_keep_their_order_and_a_limit_stops_inside_a_page() {
    let mut records = people(1000);
    records[300] = json!({"id": 5, "email": "again@example.com", "name": "Again"});
    let base = platform().tenant("limits", records);
    let p = project();
    let source = "records = \"data.items\"\n\
                  paginate = { type = \"page\", param = \"page\", size_param = \"per_page\", size = 100 }";
    p.write(
        "pipelines/read.toml",
        &reading(&format!("{base}/pages"), source, ""),
    );
    for (limit, received, created) in [("250", 250, 250), ("450", 450, 449), ("5000", 1000, 999)] {
        let out = p.sluice(&[
            "dry-run",
            "read",
            "--limit",
            limit,
            "--output",
            "preview.json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let preview: Value = serde_json::from_str(&p.read("preview.json")).expect("preview");
        let counts = &preview["report"]["counts"];
        assert_eq!(counts["received"], received, "{limit}: {counts}");
        assert_eq!(counts["created"], created, "{limit}: {counts}");
    }
    let (code, report) = p.run("read", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 999, "{report:#}");
    assert_eq!(report["counts"]["duplicates"], 1, "{report:#}");
    let ids: Vec<u64> = p
        .read("pipelines/out/people.ndjson")
        .lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).expect("JSON");
            record["id"].as_u64().expect("id")
        })
        .collect();
    let expected: Vec<u64> = (1..=1000).filter(|i| *i != 301).collect();
    assert_eq!(ids, expected);
}

#[test]
fn a_wrong_key_fails_the_read_after_one_request() {
    let base = platform().tenant("wrong-key", people(2));
    platform().with("wrong-key", |t| {
        t.require = Some(("api-key".into(), "another".into()));
    });
    let p = project();
    let auth =
        "[auth.reg]\ntype = \"api_key\"\nheader = \"Api-Key\"\nkey = \"${env:TEST_API_KEY}\"\n";
    p.write(
        "pipelines/read.toml",
        &reading(
            &format!("{base}/pages"),
            "auth = \"reg\"\nrecords = \"data.items\"",
            auth,
        ),
    );
    let (code, report) = p.run("read", &[]);
    assert_eq!(code, Some(1), "{report:#}");
    let text = report["problems"].to_string();
    assert!(text.contains("401"), "{text}");
    assert!(!text.contains("k-123"), "the key leaked: {text}");
    assert_eq!(platform().log("wrong-key").len(), 1);
}

#[test]
fn offsets_with_a_total_and_basic_auth() {
    let base = platform().tenant("offset", people(8));
    // base64("ada:pw")
    platform().with("offset", |t| {
        t.require = Some(("authorization".into(), "Basic YWRhOnB3".into()));
    });
    let p = project();
    let source = "auth = \"b\"\nrecords = \"items\"\nstop = \"total\"\n\
                  paginate = { type = \"offset\", param = \"offset\", size_param = \"limit\", size = 4 }";
    let auth =
        "[auth.b]\ntype = \"basic\"\nusername = \"ada\"\npassword = \"${env:TEST_PASSWORD}\"\n";
    p.write(
        "pipelines/read.toml",
        &reading(&format!("{base}/offset"), source, auth),
    );
    let (code, report) = p.run("read", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 8);
    let offsets: Vec<String> = platform()
        .log("offset")
        .iter()
        .map(|r| r.query["offset"].clone())
        .collect();
    // Two full pages reach the total: no third request.
    assert_eq!(offsets, ["0", "4"]);
}

#[test]
fn cursors_in_the_body_with_a_bearer_token() {
    let base = platform().tenant("cursor", people(8));
    platform().with("cursor", |t| {
        t.require = Some(("authorization".into(), "Bearer t-456".into()));
    });
    let p = project();
    let source = "auth = \"t\"\nrecords = \"data\"\n\
                  paginate = { type = \"cursor\", param = \"after\", next = \"meta.next\" }";
    let auth = "[auth.t]\ntype = \"bearer\"\ntoken = \"${env:TEST_TOKEN}\"\n";
    p.write(
        "pipelines/read.toml",
        &reading(&format!("{base}/cursor"), source, auth),
    );
    let (code, report) = p.run("read", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 8);
    let cursors: Vec<Option<String>> = platform()
        .log("cursor")
        .iter()
        .map(|r| r.query.get("after").cloned())
        .collect();
    assert_eq!(
        cursors,
        [None, Some("3".to_string()), Some("6".to_string())]
    );
}

#[test]
fn next_urls_in_the_body() {
    let requests = read_all(
        "next",
        10,
        "/next?page=1",
        "records = \"results\"\npaginate = { type = \"next_url\", next = \"links.next\" }",
        "",
    );
    assert_eq!(
        requests,
        ["GET /next?page=1", "GET /next?page=2", "GET /next?page=3"]
    );
}

#[test]
fn link_headers_with_the_key_in_the_query() {
    let auth = "[auth.q]\ntype = \"api_key\"\nquery = \"api_key\"\nkey = \"${env:TEST_API_KEY}\"\n";
    let requests = read_all(
        "linked",
        5,
        "/linked",
        "auth = \"q\"\npaginate = { type = \"link_header\" }",
        auth,
    );
    assert_eq!(
        requests,
        [
            "GET /linked?api_key=k-123",
            "GET /linked?api_key=k-123&page=2",
            "GET /linked?api_key=k-123&page=3"
        ]
    );
}

#[test]
fn post_with_a_body_and_query_parameters() {
    let requests = read_all(
        "search",
        4,
        "/search",
        "method = \"POST\"\nbody = '{\"active\": true}'\nrecords = \"data.items\"\n\
         query = { lang = \"nl\" }\nheaders = { X-Tenant = \"t1\" }\n\
         paginate = { type = \"page\", param = \"page\" }",
        "",
    );
    // Without a size, an empty page ends paging.
    assert_eq!(
        requests,
        ["POST /search?lang=nl&page=1", "POST /search?lang=nl&page=2"]
    );
    let log = platform().log("search");
    assert_eq!(log[0].headers["x-tenant"], "t1");
    assert_eq!(log[0].headers["content-type"], "application/json");
}

#[test]
fn a_request_that_times_out_is_sent_again() {
    let base = platform().tenant("timeout", people(3));
    platform().with("timeout", |t| t.stall = 1);
    let p = project();
    let source = "records = \"data.items\"\ntimeout = \"300ms\"\n\
                  retries = { attempts = 3, backoff = \"10ms\" }";
    p.write(
        "pipelines/read.toml",
        &reading(&format!("{base}/pages"), source, ""),
    );
    let (code, report) = p.run("read", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 3);
    assert_eq!(platform().log("timeout").len(), 2);
}

#[test]
fn incremental_sends_the_saved_cursor_as_a_parameter() {
    let base = platform().tenant("incremental", people(3));
    let p = project();
    let source = "records = \"data.items\"\n\
                  paginate = { type = \"page\", param = \"page\", size_param = \"per_page\", size = 10 }\n\
                  incremental = { field = \"updated_at\", param = \"updated_since\" }";
    p.write(
        "pipelines/read.toml",
        &reading(
            &format!("{base}/pages"),
            source,
            "[sync]\nmode = \"incremental\"\n",
        ),
    );
    let (code, report) = p.run("read", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["received"], 3);
    assert!(
        platform()
            .log("incremental")
            .iter()
            .all(|r| !r.query.contains_key("updated_since"))
    );

    platform().clear_log("incremental");
    platform().with("incremental", |t| t.records = people(5));
    let (code, report) = p.run("read", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["received"], 2, "{report:#}");
    let log = platform().log("incremental");
    assert_eq!(log[0].query["updated_since"], "2026-01-03T00:00:00Z");
}

#[test]
fn incremental_sends_the_saved_cursor_in_a_header() {
    let base = platform().tenant("incremental-header", people(2));
    let p = project();
    let source = "records = \"data.items\"\n\
                  incremental = { field = \"updated_at\", header = \"If-Changed-Since\" }";
    p.write(
        "pipelines/read.toml",
        &reading(
            &format!("{base}/pages"),
            source,
            "[sync]\nmode = \"incremental\"\n",
        ),
    );
    assert_eq!(p.run("read", &[]).0, Some(0));
    assert_eq!(p.run("read", &[]).0, Some(0));
    let log = platform().log("incremental-header");
    assert!(!log[0].headers.contains_key("if-changed-since"));
    assert_eq!(log[1].headers["if-changed-since"], "2026-01-02T00:00:00Z");
}

#[test]
fn a_page_that_keeps_failing_fails_the_read_and_keeps_the_cursor() {
    let base = platform().tenant("failing-page", people(5));
    // The second page answers 503 every time.
    platform().with("failing-page", |t| {
        t.fail_query = Some(("page".into(), "2".into()));
    });
    let p = project();
    let source = "records = \"data.items\"\n\
                  paginate = { type = \"page\", param = \"page\", size_param = \"per_page\", size = 2 }\n\
                  incremental = { field = \"updated_at\", param = \"updated_since\" }\n\
                  retries = { attempts = 2, backoff = \"10ms\" }";
    p.write(
        "pipelines/read.toml",
        &reading(
            &format!("{base}/pages"),
            source,
            "[sync]\nmode = \"incremental\"\n",
        ),
    );
    let (code, report) = p.run("read", &[]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["status"], "partial");
    assert_eq!(report["counts"]["received"], 2);
    let text = report["problems"].to_string();
    assert!(
        text.contains("503") && text.contains("maintenance"),
        "{text}"
    );
    let tries = platform()
        .log("failing-page")
        .iter()
        .filter(|r| r.query["page"] == "2")
        .count();
    assert_eq!(tries, 2);

    // The cursor did not move: the next run reads from the start.
    platform().with("failing-page", |t| t.fail_query = None);
    platform().clear_log("failing-page");
    let (code, report) = p.run("read", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    let log = platform().log("failing-page");
    assert!(!log[0].query.contains_key("updated_since"), "{log:?}");
    assert_eq!(report["counts"]["received"], 5);
}

/// A pipeline writing `pipelines/data/people.ndjson` to the platform; `destination`
/// holds the lines of the `[destination]` block after `base_url`.
fn writing(base: &str, destination: &str, sync: &str) -> String {
    format!(
        "[source]\ntype = \"file\"\npath = \"data/people.ndjson\"\nid = \"id\"\n\n\
         [destination]\ntype = \"http\"\nbase_url = \"{base}\"\n{destination}\n\n\
         [sync]\n{sync}\n{MAPPING}"
    )
}

const ENDPOINTS: &str = r#"
create = { method = "POST", path = "/people", wrap = "contact", id = "data.id" }
update = { method = "PATCH", path = "/people/{dest_id}", wrap = "contact" }
delete = { method = "DELETE", path = "/people/{dest_id}" }
"#;

fn requests(tenant: &str) -> Vec<String> {
    platform()
        .log(tenant)
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn create_then_unchanged_then_update_then_delete() {
    let base = platform().tenant("crud", Vec::new());
    let p = project();
    p.write(
        "pipelines/write.toml",
        &writing(
            &base,
            ENDPOINTS,
            "mode = \"full\"\ndeletes = \"propagate\"\nmax_delete_fraction = 0.5",
        ),
    );
    let mut records = people(3);
    p.records("pipelines/data/people.ndjson", &records);
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 3);
    let store = platform().store("crud");
    assert_eq!(store.len(), 3);
    assert!(
        store
            .values()
            .any(|r| r == &json!({"id": 2, "email": "p2@example.com", "name": "P 2"}))
    );
    let log = platform().log("crud");
    assert!(
        log.iter().all(|r| r.body.get("contact").is_some()),
        "{log:?}"
    );

    // Nothing changed: nothing is sent.
    platform().clear_log("crud");
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["unchanged"], 3);
    assert!(requests("crud").is_empty(), "{:?}", requests("crud"));

    // One change: one PATCH to the id the create answered with.
    records[1]["name"] = json!("Grace");
    p.records("pipelines/data/people.ndjson", &records);
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["updated"], 1);
    let id = platform()
        .store("crud")
        .iter()
        .find(|(_, r)| r["email"] == "p2@example.com")
        .map(|(id, _)| id.clone())
        .expect("p2 is stored");
    assert_eq!(requests("crud"), [format!("PATCH /people/{id}")]);
    assert_eq!(platform().store("crud")[&id]["name"], "Grace");

    // A record gone from the source is deleted at the destination.
    platform().clear_log("crud");
    records.remove(0);
    p.records("pipelines/data/people.ndjson", &records);
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["deleted"], 1, "{report:#}");
    assert_eq!(requests("crud"), ["DELETE /people/p1"]);
    assert_eq!(platform().store("crud").len(), 2);
}

#[test]
fn update_or_create_looks_up_the_match_field_first() {
    let base = platform().tenant("upsert", Vec::new());
    platform().with("upsert", |t| {
        t.store.insert(
            "p77".into(),
            json!({"email": "p1@example.com", "name": "Old"}),
        );
    });
    let p = project();
    let destination = format!(
        "match = \"email\"\n{ENDPOINTS}\
         lookup = {{ method = \"GET\", path = \"/people?email={{email}}\", id = \"0.id\" }}\n"
    );
    p.write(
        "pipelines/write.toml",
        &writing(&base, &destination, "mode = \"full\""),
    );
    p.records("pipelines/data/people.ndjson", &people(2));
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 2);
    let mut sent = requests("upsert");
    sent.sort();
    assert_eq!(
        sent,
        [
            "GET /people",
            "GET /people",
            "PATCH /people/p77",
            "POST /people"
        ]
    );
    let lookups: Vec<String> = platform()
        .log("upsert")
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.query["email"].clone())
        .collect();
    assert!(lookups.contains(&"p1@example.com".to_string()));
    let store = platform().store("upsert");
    assert_eq!(store.len(), 2);
    assert_eq!(store["p77"]["name"], "P 1");

    // The found id is kept: a change goes straight to it.
    platform().clear_log("upsert");
    let mut records = people(2);
    records[0]["name"] = json!("Newer");
    p.records("pipelines/data/people.ndjson", &records);
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(requests("upsert"), ["PATCH /people/p77"]);
}

#[test]
fn batches_write_many_records_a_request() {
    let base = platform().tenant("batch", Vec::new());
    let p = project();
    let destination = "batch = { path = \"/people/batch\", size = 2, wrap = \"records\", ids = \"results\" }\n\
                       update = { method = \"PATCH\", path = \"/people/{dest_id}\" }";
    p.write(
        "pipelines/write.toml",
        &writing(&base, destination, "mode = \"full\""),
    );
    p.records("pipelines/data/people.ndjson", &people(5));
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 5);
    assert_eq!(
        requests("batch"),
        [
            "POST /people/batch",
            "POST /people/batch",
            "POST /people/batch"
        ]
    );
    let sizes: Vec<usize> = platform()
        .log("batch")
        .iter()
        .map(|r| r.body["records"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(platform().store("batch").len(), 5);
}

#[test]
fn rate_limits_and_server_errors_are_retried() {
    let base = platform().tenant("retry", Vec::new());
    platform().with("retry", |t| {
        for (status, retry_after) in [
            (503, None),
            (429, Some("1".to_string())),
            (429, Some("date+2".to_string())),
            (429, Some("0".to_string())),
        ] {
            t.faults.push_back(Fault {
                method: "POST",
                path: "/people",
                status,
                retry_after,
                body: "slow down".into(),
                times: 1,
            });
        }
    });
    let p = project();
    let destination = format!(
        "{ENDPOINTS}retries = {{ attempts = 6, backoff = \"50ms\", max_backoff = \"3s\" }}\n"
    );
    p.write(
        "pipelines/write.toml",
        &writing(&base, &destination, "mode = \"full\""),
    );
    p.records("pipelines/data/people.ndjson", &people(1));
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 1);
    let log = platform().log("retry");
    assert_eq!(log.len(), 5, "{log:?}");
    // `Retry-After: 1` was waited for, and the date two seconds on (it has whole
    // seconds: more than one second away when it was sent).
    let waited = log[2].at.duration_since(log[1].at);
    assert!(waited >= Duration::from_millis(950), "{waited:?}");
    let waited = log[3].at.duration_since(log[2].at);
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert_eq!(platform().store("retry").len(), 1);
}

#[test]
fn a_permanent_error_fails_the_record_and_the_next_run_tries_again() {
    let base = platform().tenant("reject", Vec::new());
    platform().with("reject", |t| {
        t.reject_emails = vec!["p2@example.com".into()]
    });
    let p = project();
    p.write(
        "pipelines/write.toml",
        &writing(&base, ENDPOINTS, "mode = \"full\""),
    );
    p.records("pipelines/data/people.ndjson", &people(3));
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["status"], "partial");
    assert_eq!(report["counts"]["created"], 2);
    assert_eq!(report["counts"]["failed"], 1);
    let problem = report["problems"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["kind"] == "failed"))
        .expect("a failed record");
    assert_eq!(problem["source_id"], "2");
    let message = problem["message"].as_str().unwrap_or_default();
    assert!(message.contains("422"), "{message}");
    assert!(
        message.contains("p2@example.com is not accepted here"),
        "{message}"
    );
    // No retry of a 422 within the run.
    assert_eq!(requests("reject").len(), 3);

    // The next run tries the failed record again (and only it).
    platform().clear_log("reject");
    platform().with("reject", |t| t.reject_emails.clear());
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 1);
    assert_eq!(report["counts"]["unchanged"], 2);
    assert_eq!(requests("reject"), ["POST /people"]);
    assert_eq!(platform().store("reject").len(), 3);
}

/// A failed record whose retry fails again, while the source already has a newer
/// version of it that is written: its entry is settled, and no later run sends the
/// stale version again.
#[test]
fn a_record_written_after_its_retry_failed_again_is_not_retried_later() {
    let base = platform().tenant("stale", Vec::new());
    platform().with("stale", |t| {
        t.reject_emails = vec!["old@example.com".into()]
    });
    let p = project();
    p.write(
        "pipelines/write.toml",
        &writing(&base, ENDPOINTS, "mode = \"full\""),
    );
    let mut records = people(2);
    records[1]["email"] = json!("old@example.com");
    p.records("pipelines/data/people.ndjson", &records);
    let (_, report) = p.run("write", &[]);
    assert_eq!(report["counts"]["failed"], 1, "{report:#}");

    // The retry of the old version fails again; the newer one from the source is written.
    records[1]["email"] = json!("new@example.com");
    p.records("pipelines/data/people.ndjson", &records);
    let (_, report) = p.run("write", &[]);
    assert_eq!(report["counts"]["failed"], 1, "{report:#}");
    assert_eq!(report["counts"]["created"], 1, "{report:#}");
    let store = platform().store("stale");
    assert!(
        store.values().any(|r| r["email"] == "new@example.com"),
        "{store:?}"
    );

    // Nothing waits for a retry any more.
    platform().clear_log("stale");
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["failed"], 0, "{report:#}");
    assert_eq!(report["counts"]["unchanged"], 2, "{report:#}");
    assert!(requests("stale").is_empty(), "{:?}", requests("stale"));
}

/// Endpoints whose create sends an idempotency key, for a platform that answers in
/// 500 ms or not at all; `attempts` per request.
fn unanswered(attempts: u32, create_extra: &str, extra: &str) -> String {
    format!(
        "create = {{ method = \"POST\", path = \"/people\", wrap = \"contact\", id = \"data.id\"{create_extra} }}\n\
         update = {{ method = \"PATCH\", path = \"/people/{{dest_id}}\", wrap = \"contact\" }}\n\
         timeout = \"500ms\"\n\
         retries = {{ attempts = {attempts}, backoff = \"20ms\", max_backoff = \"200ms\" }}\n{extra}"
    )
}

/// The `Idempotency-Key` of each create, in order, with the e-mail it carried.
fn create_keys(tenant: &str) -> Vec<(String, String)> {
    platform()
        .log(tenant)
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/people")
        .map(|r| {
            (
                r.body["contact"]["email"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                r.headers
                    .get("idempotency-key")
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// Creates the platform applies and then leaves unanswered (the connection dropped,
/// or an answer after the client's timeout) are sent again with the same idempotency
/// key, which the platform answers from memory: every record exists once. A record
/// whose create failed that way for good is retried by the next run with the same key.
#[test]
fn an_applied_but_unanswered_create_is_not_made_twice_with_an_idempotency_key() {
    let tenant = "idempotent";
    let base = platform().tenant(tenant, Vec::new());
    platform().with(tenant, |t| {
        t.idempotency = Some("idempotency-key".into());
        t.cut_creates = [Cut::Close, Cut::Hang].into();
    });
    let key = ", idempotency_key = \"Idempotency-Key\"";
    let p = project();
    p.write(
        "pipelines/write.toml",
        &writing(&base, &unanswered(3, key, ""), "mode = \"full\""),
    );
    p.records("pipelines/data/people.ndjson", &people(3));
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 3, "{report:#}");
    assert_eq!(report["counts"]["failed"], 0, "{report:#}");
    assert_eq!(platform().store(tenant).len(), 3);
    assert_eq!(platform().with(tenant, |t| t.replayed), 2);
    let keys = create_keys(tenant);
    assert_eq!(keys.len(), 5, "{keys:?}");
    // The retry of a create carries its key again; each record has its own.
    for email in ["p1@example.com", "p2@example.com", "p3@example.com"] {
        let mine: Vec<&String> = keys
            .iter()
            .filter(|(e, _)| e == email)
            .map(|(_, k)| k)
            .collect();
        assert!(!mine.is_empty() && mine.iter().all(|k| *k == mine[0] && k.len() == 36));
        assert!(
            keys.iter()
                .filter(|(_, k)| k == mine[0])
                .all(|(e, _)| e == email)
        );
    }

    // One attempt only: the create is applied, its answer lost, the record failed…
    platform().clear_log(tenant);
    platform().with(tenant, |t| t.cut_creates = [Cut::Close].into());
    p.write(
        "pipelines/write.toml",
        &writing(&base, &unanswered(1, key, ""), "mode = \"full\""),
    );
    p.records("pipelines/data/people.ndjson", &people(4));
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["counts"]["failed"], 1, "{report:#}");
    assert_eq!(platform().store(tenant).len(), 4);
    // …and the next run sends it with the same key: the platform's first answer.
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["retries_succeeded"], 1, "{report:#}");
    assert_eq!(report["counts"]["created"], 1, "{report:#}");
    let keys = create_keys(tenant);
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[0], keys[1]);
    assert_eq!(platform().store(tenant).len(), 4);
    assert_eq!(platform().with(tenant, |t| t.replayed), 3);
}

/// With `lookup`, a create that was applied but not answered is looked up before it is
/// sent again, found, and updated instead: every record exists once, without help
/// from the platform. Without either defence the same faults make duplicates.
#[test]
fn an_applied_but_unanswered_create_is_looked_up_before_it_is_sent_again() {
    let tenant = "unanswered";
    let base = platform().tenant(tenant, Vec::new());
    platform().with(tenant, |t| t.cut_creates = [Cut::Close, Cut::Hang].into());
    let lookup = "match = \"email\"\n\
                  lookup = { method = \"GET\", path = \"/people?email={email}\", id = \"0.id\" }\n";
    let p = project();
    p.write(
        "pipelines/write.toml",
        &writing(&base, &unanswered(3, "", lookup), "mode = \"full\""),
    );
    p.records("pipelines/data/people.ndjson", &people(3));
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 3, "{report:#}");
    assert_eq!(report["counts"]["failed"], 0, "{report:#}");
    let store = platform().store(tenant);
    assert_eq!(store.len(), 3, "{store:#?}");
    // Per record: the lookup, the create; for the two unanswered ones a second
    // lookup that finds them, and an update.
    let mut per_record: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for r in platform().log(tenant) {
        let email = match r.method.as_str() {
            "GET" => r.query.get("email").cloned(),
            _ => r.body["contact"]["email"].as_str().map(str::to_string),
        };
        per_record
            .entry(email.unwrap_or_default())
            .or_default()
            .push(r.method);
    }
    let mut shapes: Vec<String> = per_record.values().map(|m| m.join(" ")).collect();
    shapes.sort();
    assert_eq!(
        shapes,
        ["GET POST", "GET POST GET PATCH", "GET POST GET PATCH"],
        "{per_record:?}"
    );
    // The second run finds nothing to do.
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["unchanged"], 3, "{report:#}");

    // The control: no key, no lookup — the retried creates make duplicates.
    let tenant = "undefended";
    let base = platform().tenant(tenant, Vec::new());
    platform().with(tenant, |t| t.cut_creates = [Cut::Close, Cut::Hang].into());
    let p = project();
    p.write(
        "pipelines/write.toml",
        &writing(&base, &unanswered(3, "", ""), "mode = \"full\""),
    );
    p.records("pipelines/data/people.ndjson", &people(3));
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(platform().store(tenant).len(), 5);
}

#[test]
fn the_concurrency_limit_holds() {
    let base = platform().tenant("concurrency", Vec::new());
    platform().with("concurrency", |t| t.delay = Duration::from_millis(60));
    let p = project();
    let destination = format!("{ENDPOINTS}concurrency = 3\n");
    p.write(
        "pipelines/write.toml",
        &writing(&base, &destination, "mode = \"full\""),
    );
    p.records("pipelines/data/people.ndjson", &people(14));
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 14);
    let max = platform().with("concurrency", |t| t.max_in_flight);
    assert_eq!(max, 3);
}

#[test]
fn the_rate_limit_spaces_requests() {
    let base = platform().tenant("rate", Vec::new());
    let p = project();
    let destination = format!("{ENDPOINTS}concurrency = 4\nrate_limit = \"10/s\"\n");
    p.write(
        "pipelines/write.toml",
        &writing(&base, &destination, "mode = \"full\""),
    );
    p.records("pipelines/data/people.ndjson", &people(6));
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    let log = platform().log("rate");
    let span = log[5].at.duration_since(log[0].at);
    // Six starts 100 ms apart: 500 ms from the first to the last (arrivals jitter a
    // little; without the limit all six arrive within a few milliseconds).
    assert!(span >= Duration::from_millis(380), "{span:?}");
}

#[test]
fn the_connectors_work_inside_spawn_blocking_of_a_running_runtime() {
    use sluice::engine::destination::{Change, Destination, Write};
    use sluice::engine::source::{Item, Source};
    use sluice::formats::Flow;
    use sluice::http::{HttpDestinationWriter, HttpSourceReader};
    use sluice::pipeline::{Destination as DestinationBlock, Source as SourceBlock};

    let base = platform().tenant("library", people(7));
    let p = project();
    p.write(
        "pipelines/library.toml",
        &format!(
            "[source]\ntype = \"http\"\nurl = \"{base}/cursor\"\nid = \"id\"\nrecords = \"data\"\n\
             paginate = {{ type = \"cursor\", param = \"after\", next = \"meta.next\" }}\n\
             fetch = \"{base}/people/{{id}}\"\n\n\
             [destination]\ntype = \"http\"\nbase_url = \"{base}\"\nconcurrency = 2\n\
             create = {{ method = \"POST\", path = \"/people\", id = \"data.id\" }}\n{MAPPING}"
        ),
    );
    let loaded = sluice::pipeline::load(
        &p.path("pipelines/library.toml"),
        &sluice::pipeline::LoadContext::new(),
    );
    let pipeline = loaded.pipeline.expect("the pipeline loads");
    let (Some(SourceBlock::Http(source)), Some(DestinationBlock::Http(destination))) =
        (pipeline.source, pipeline.destination)
    else {
        panic!("HTTP source and destination expected");
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let (read, written, fetched) = runtime.block_on(async move {
        let reader = tokio::task::spawn_blocking(move || {
            let mut reader = HttpSourceReader::open(&source, None, None).expect("opens");
            let units = reader.units().expect("one unit");
            let mut records = Vec::new();
            reader.read(&units[0], &mut |item| {
                match item {
                    Item::Record(record) => records.push(record),
                    Item::Doc(record) => records.push(record.to_json()),
                    _ => {}
                }
                Flow::Continue
            });
            let mut writer =
                HttpDestinationWriter::open(&destination, None, "library").expect("opens");
            let writes: Vec<Write<'_>> = records
                .iter()
                .map(|record| Write {
                    source_id: "",
                    change: Change::Create { record },
                    json: None,
                })
                .collect();
            let results = writer.apply(&writes);
            let ids: Vec<String> = results
                .into_iter()
                .filter_map(|r| r.ok().flatten())
                .collect();
            (reader, records.len(), ids)
        })
        .await
        .expect("the blocking task ends");
        let (reader, read, ids) = reader;
        // And the async form, awaited on the caller's own runtime.
        let fetched = reader.fetch(&ids[0]).await.expect("fetched");
        (read, ids, fetched)
    });
    assert_eq!(read, 7);
    assert_eq!(written.len(), 7);
    assert_eq!(fetched["email"], "p1@example.com");
}

#[test]
fn a_platform_that_cannot_be_reached_fails_the_records_without_showing_the_key() {
    // A port nothing listens on any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let p = project();
    let destination =
        format!("auth = \"q\"\n{ENDPOINTS}retries = {{ attempts = 2, backoff = \"10ms\" }}\n");
    let pipeline = writing(
        &format!("http://127.0.0.1:{port}/api"),
        &destination,
        "mode = \"full\"",
    );
    let auth = "[auth.q]\ntype = \"api_key\"\nquery = \"api_key\"\nkey = \"${env:TEST_API_KEY}\"\n";
    p.write("pipelines/write.toml", &format!("{auth}\n{pipeline}"));
    p.records("pipelines/data/people.ndjson", &people(2));
    let (code, report) = p.run("write", &[]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["counts"]["failed"], 2);
    let text = report["problems"].to_string();
    assert!(text.contains("cannot connect"), "{text}");
    assert!(
        text.contains(&format!("POST http://127.0.0.1:{port}/api/people")),
        "{text}"
    );
    assert!(!text.contains("k-123"), "the key leaked: {text}");
}

/// A platform of three routes on 127.0.0.1: `/moved` redirects to `/records` (one
/// record), `/secure` redirects to the same server as `https://`, which speaks no TLS.
/// Counts the requests to `/secure`; its address.
fn redirecting_platform(secure_hits: std::sync::Arc<std::sync::atomic::AtomicUsize>) -> String {
    use axum::Router;
    use axum::http::{StatusCode, header};
    use axum::routing::get;
    use std::sync::atomic::Ordering;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("address");
    let secure = format!("https://{addr}/records");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let app = Router::new()
                .route(
                    "/moved",
                    get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/records")]) }),
                )
                .route(
                    "/records",
                    get(|| async {
                        axum::Json(
                            json!({"data": [{"id": 1, "email": "a@example.com", "name": "A"}]}),
                        )
                    }),
                )
                .route(
                    "/secure",
                    get(move || {
                        secure_hits.fetch_add(1, Ordering::SeqCst);
                        let location = secure.clone();
                        async move { (StatusCode::FOUND, [(header::LOCATION, location)]) }
                    }),
                );
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, app).await.expect("serves");
        });
    });
    format!("http://{addr}")
}

#[test]
fn redirects_within_http_are_followed_and_one_to_https_is_sent_again_over_tls() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let secure_hits = Arc::new(AtomicUsize::new(0));
    let base = redirecting_platform(Arc::clone(&secure_hits));
    let p = project();
    let retries = "records = \"data\"\nretries = { attempts = 1 }";
    p.write(
        "pipelines/moved.toml",
        &reading(&format!("{base}/moved"), retries, ""),
    );
    let (code, report) = p.run("moved", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 1, "{report:#}");

    // The plain client stops at the `https://` redirect; the request goes again, from
    // the start, through the TLS client, which follows it and meets no TLS server.
    p.write(
        "pipelines/secure.toml",
        &reading(&format!("{base}/secure"), retries, ""),
    );
    let (code, report) = p.run("secure", &[]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(secure_hits.load(Ordering::SeqCst), 2, "{report:#}");
    let text = report["problems"].to_string();
    assert!(
        !text.contains("302"),
        "the redirect came back as the answer: {text}"
    );
}
