//! Two-way sync end to end through the real binary: the favourites scenario of the
//! conference-app spec against two fake platforms (`support/favourites.rs`) with
//! conflicting edits (newer wins both ways, ADD after DELETE and DELETE after ADD,
//! offsets, identical timestamps, several users with their own bearer tokens, one POST
//! per user), no ping-pong, the read-only variant and the dry-run preview; and file
//! sides, where a deletion without tombstones is not undone by the stale copy.

#[path = "support/favourites.rs"]
mod favourites;
#[path = "support/project.rs"]
mod project;

use std::path::PathBuf;

use favourites::favourites;
use project::Project;
use serde_json::{Value, json};

/// A project whose commands get the platforms' credentials from the environment.
fn project() -> Project {
    Project::new()
        .env("APP_KEY", "app-key")
        .env("ANNA_TOKEN", "tok-anna")
        .env("BOB_TOKEN", "tok-bob")
}

/// The favourites pipeline: the event app on the left, the organiser's site (the
/// spec's GET/POST API with user bearer tokens) on the right.
fn favourites_pipeline(base: &str, site_writable: bool) -> String {
    let write = if site_writable {
        format!("write = {{ url = \"{base}/postUserFavorites\" }}\n")
    } else {
        String::new()
    };
    format!(
        r#"
[sync]
mode = "two_way"

[two_way]
id = "item"
timestamp = "actionDate"
action = "action"

[two_way.users]
list = [
  {{ id = "anna", token = "${{env:ANNA_TOKEN}}" }},
  {{ id = "bob", token = "${{env:BOB_TOKEN}}" }},
]

[auth.app]
type = "api_key"
header = "Api-Key"
key = "${{env:APP_KEY}}"

[left]
type = "http"
url = "{base}/app/users/{{user}}/favourites"
auth = "app"
records = "data"
paginate = {{ type = "page", param = "page", size_param = "per_page", size = 2 }}
write = {{ url = "{base}/app/users/{{user}}/favourites", wrap = "favourites" }}

[right]
type = "http"
url = "{base}/getUserFavorites"
user_token = "bearer"
{write}"#
    )
}

fn fav(item: &str, at: &str, action: &str) -> Value {
    json!({"item": item, "actionDate": at, "action": action})
}

const T1: &str = "2017-05-02T10:45:12.798Z";
const T2: &str = "2017-05-03T12:15:00.128Z";
const T3: &str = "2017-05-04T08:00:00Z";

/// Anna's and Bob's favourites with conflicting edits on both sides.
fn conflicting_edits(tenant: &str) {
    let f = favourites();
    f.set_app(
        tenant,
        "anna",
        &[
            fav("s1", T1, "ADD"),
            fav("s2", T2, "DELETE"),
            fav("s3", T3, "ADD"),
            // 12:00+02:00 is 10:00Z, before the site's 11:00Z.
            fav("s4", "2026-05-02T12:00:00+02:00", "ADD"),
            fav("s5", T2, "ADD"),
            fav("s7", T1, "ADD"),
            fav("s8", T1, "ADD"),
        ],
    );
    f.set_site(
        tenant,
        "anna",
        &[
            fav("s1", T2, "DELETE"),
            fav("s2", T1, "ADD"),
            fav("s3", T2, "DELETE"),
            fav("s4", "2026-05-02T11:00:00Z", "DELETE"),
            fav("s5", T2, "DELETE"),
            fav("s6", T1, "ADD"),
            fav("s8", T1, "ADD"),
        ],
    );
    f.set_app(tenant, "bob", &[fav("b1", T1, "ADD"), fav("b2", T1, "ADD")]);
    f.set_site(tenant, "bob", &[fav("b2", T2, "DELETE")]);
}

fn action(items: &std::collections::BTreeMap<String, Value>, id: &str) -> String {
    items
        .get(id)
        .map(|i| i["action"].as_str().unwrap_or("?").to_string())
        .unwrap_or_else(|| "missing".to_string())
}

#[test]
fn favourites_sync_both_ways_per_user_and_the_newer_change_wins() {
    let f = favourites();
    let base = f.tenant("both-ways");
    conflicting_edits("both-ways");
    let p = project();
    p.write(
        "pipelines/favourites.toml",
        &favourites_pipeline(&base, true),
    );

    let (code, report) = p.run("favourites", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["mode"], "two_way");
    assert_eq!(
        report["counts"],
        json!({"received": 10, "created": 3, "updated": 5, "unchanged": 1, "deleted": 0,
               "skipped": 1, "invalid": 0, "duplicates": 0, "failed": 0}),
        "{report:#}"
    );
    assert_eq!(
        report["sides"],
        json!({
            "left": {"read": 9, "created": 1, "updated": 0, "deleted": 3, "failed": 0},
            "right": {"read": 8, "created": 2, "updated": 1, "deleted": 1, "failed": 0},
        })
    );
    let tie = &report["problems"][0];
    assert_eq!(tie["source_id"], "anna:s5", "{report:#}");
    assert_eq!(tie["kind"], "skipped");

    let app = f.app("both-ways", "anna");
    let site = f.site("both-ways", "anna");
    // DELETE after ADD, newer on the site: the app deletes.
    assert_eq!(action(&app, "s1"), "DELETE");
    assert_eq!(app["s1"]["actionDate"], T2);
    // DELETE after ADD, newer in the app: the site deletes.
    assert_eq!(action(&site, "s2"), "DELETE");
    // ADD after DELETE, newer in the app: the site adds again.
    assert_eq!(action(&site, "s3"), "ADD");
    // Offsets compared as instants: the site's 11:00Z is newer than 12:00+02:00.
    assert_eq!(action(&app, "s4"), "DELETE");
    assert_eq!(action(&site, "s4"), "DELETE");
    // Identical timestamps: nothing changes on either side.
    assert_eq!(action(&app, "s5"), "ADD");
    assert_eq!(action(&site, "s5"), "DELETE");
    // Items only one side had reach the other.
    assert_eq!(action(&app, "s6"), "ADD");
    assert_eq!(action(&site, "s7"), "ADD");
    // Bob's own token, Bob's own items.
    assert_eq!(action(&f.site("both-ways", "bob"), "b1"), "ADD");
    assert_eq!(action(&f.app("both-ways", "bob"), "b2"), "DELETE");

    // One POST per user and side, with exactly that user's changes.
    let mut site_posts: Vec<(String, Vec<String>)> = f
        .site_posts("both-ways")
        .into_iter()
        .map(|post| {
            let mut ids: Vec<String> = post.items.iter().map(|i| i["item"].to_string()).collect();
            ids.sort();
            (post.user, ids)
        })
        .collect();
    site_posts.sort();
    assert_eq!(
        site_posts,
        [
            (
                "anna".to_string(),
                vec!["\"s2\"".to_string(), "\"s3\"".into(), "\"s7\"".into()]
            ),
            ("bob".to_string(), vec!["\"b1\"".to_string()]),
        ]
    );
    let app_posts = f.app_posts("both-ways");
    assert_eq!(app_posts.len(), 2, "{app_posts:?}");
    let anna = app_posts
        .iter()
        .find(|p| p.user == "anna")
        .expect("anna's post");
    assert_eq!(anna.items.len(), 3);

    // A second run finds both sides in step: nothing is sent again.
    let (code, again) = p.run("favourites", &[]);
    assert_eq!(code, Some(0), "{again:#}");
    assert_eq!(
        again["counts"],
        json!({"received": 10, "created": 0, "updated": 0, "unchanged": 9, "deleted": 0,
               "skipped": 1, "invalid": 0, "duplicates": 0, "failed": 0}),
        "{again:#}"
    );
    assert_eq!(f.site_posts("both-ways").len(), 2);
    assert_eq!(f.app_posts("both-ways").len(), 2);

    // Anna adds s1 again on the site later: only the app hears of it.
    let mut site = f.site("both-ways", "anna");
    site.insert("s1".into(), fav("s1", T3, "ADD"));
    f.set_site("both-ways", "anna", &site.into_values().collect::<Vec<_>>());
    let (_, third) = p.run("favourites", &[]);
    assert_eq!(third["counts"]["updated"], 1, "{third:#}");
    assert_eq!(action(&f.app("both-ways", "anna"), "s1"), "ADD");
    assert_eq!(f.site_posts("both-ways").len(), 2);
    assert_eq!(f.app_posts("both-ways").len(), 3);
}

#[test]
fn a_platform_that_restamps_what_it_stores_does_not_make_items_ping_pong() {
    let f = favourites();
    let base = f.tenant("restamp");
    f.restamp("restamp", "2030-01-01T00:00:00Z");
    f.set_site(
        "restamp",
        "anna",
        &[fav("s1", T1, "ADD"), fav("s2", T2, "DELETE")],
    );
    let p = project();
    p.write(
        "pipelines/favourites.toml",
        &favourites_pipeline(&base, true),
    );

    let (_, first) = p.run("favourites", &[]);
    assert_eq!(first["counts"]["created"], 2, "{first:#}");
    assert_eq!(
        f.app("restamp", "anna")["s1"]["actionDate"],
        "2030-01-01T00:00:00+00:00"
    );
    for _ in 0..2 {
        let (_, again) = p.run("favourites", &[]);
        assert_eq!(again["counts"]["unchanged"], 2, "{again:#}");
    }
    assert!(f.site_posts("restamp").is_empty());
    assert_eq!(f.app_posts("restamp").len(), 1);

    // A real change on the site still wins over the app's later stamp.
    f.set_site(
        "restamp",
        "anna",
        &[fav("s1", T3, "DELETE"), fav("s2", T2, "DELETE")],
    );
    let (_, changed) = p.run("favourites", &[]);
    assert_eq!(changed["counts"]["updated"], 1, "{changed:#}");
    assert_eq!(action(&f.app("restamp", "anna"), "s1"), "DELETE");
}

#[test]
fn a_read_only_site_is_only_read() {
    let f = favourites();
    let base = f.tenant("read-only");
    conflicting_edits("read-only");
    let p = project();
    p.write(
        "pipelines/favourites.toml",
        &favourites_pipeline(&base, false),
    );

    let (code, report) = p.run("favourites", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert!(f.site_posts("read-only").is_empty());
    let app = f.app("read-only", "anna");
    assert_eq!(action(&app, "s1"), "DELETE");
    assert_eq!(action(&app, "s4"), "DELETE");
    assert_eq!(action(&app, "s6"), "ADD");
    // The app's newer s2 and s3 stay in the app; the site keeps its own.
    assert_eq!(action(&app, "s2"), "DELETE");
    assert_eq!(action(&f.site("read-only", "anna"), "s2"), "ADD");
    assert_eq!(report["sides"]["right"]["created"], 0);
    assert_eq!(report["sides"]["left"]["created"], 1);
    assert_eq!(report["sides"]["left"]["deleted"], 3);

    let (_, again) = p.run("favourites", &[]);
    assert_eq!(again["counts"]["created"], 0, "{again:#}");
    assert_eq!(again["counts"]["updated"], 0, "{again:#}");
    assert_eq!(f.app_posts("read-only").len(), 2);
}

#[test]
fn a_dry_run_shows_what_each_side_would_get_and_writes_nothing() {
    let f = favourites();
    let base = f.tenant("dry-run");
    conflicting_edits("dry-run");
    let p = project();
    p.write(
        "pipelines/favourites.toml",
        &favourites_pipeline(&base, true),
    );

    let out = p.sluice(&["dry-run", "favourites", "--output", "preview.json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("would write to the left side (4):"), "{text}");
    assert!(
        text.contains("would write to the right side (4):"),
        "{text}"
    );
    assert!(text.contains("[delete] anna: s2"), "{text}");
    let preview: Value =
        serde_json::from_slice(&std::fs::read(p.path("preview.json")).expect("preview"))
            .expect("JSON");
    let writes = preview["preview"]["writes"].as_array().expect("writes");
    assert_eq!(writes.len(), 8, "{writes:#?}");
    assert!(writes.iter().any(|w| w["side"] == "right"
        && w["user"] == "bob"
        && w["id"] == "b1"
        && w["change"] == "create"));
    assert!(f.site_posts("dry-run").is_empty());
    assert!(f.app_posts("dry-run").is_empty());
    assert!(!text.contains("tok-anna"), "{text}");

    // Nothing was remembered either: the real run still does everything.
    let (_, report) = p.run("favourites", &[]);
    assert_eq!(report["counts"]["created"], 3, "{report:#}");
}

#[test]
fn a_wrong_user_token_fails_that_user_only_and_writes_nothing_for_them() {
    let f = favourites();
    let base = f.tenant("bad-token");
    conflicting_edits("bad-token");
    let p = project();
    let pipeline = favourites_pipeline(&base, true).replace("${env:BOB_TOKEN}", "${env:APP_KEY}");
    p.write("pipelines/favourites.toml", &pipeline);
    let (code, report) = p.run("favourites", &[]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["status"], "partial");
    let errors = report["problems"].to_string();
    assert!(errors.contains("user `bob`: right"), "{errors}");
    assert!(errors.contains("401"), "{errors}");
    assert!(!errors.contains("app-key"), "the token leaked: {errors}");
    assert!(f.site_posts("bad-token").iter().all(|p| p.user == "anna"));
    assert!(f.app_posts("bad-token").iter().all(|p| p.user == "anna"));
}

#[test]
fn file_sides_sync_and_a_deletion_is_not_undone_by_the_stale_copy() {
    let p = project();
    p.write(
        "pipelines/notes.toml",
        r#"
[sync]
mode = "two_way"

[two_way]
id = "id"
timestamp = "modified"

[left]
type = "file"
path = "data/laptop.json"
records = "notes"

[right]
type = "file"
path = "data/phone.ndjson"
"#,
    );
    p.write(
        "pipelines/data/laptop.json",
        r#"{"owner": "kim", "notes": [
            {"id": 1, "text": "buy milk", "modified": "2026-01-01T10:00:00Z"},
            {"id": 2, "text": "call Bo", "modified": "2026-01-01T10:00:00Z"}]}"#,
    );
    p.write(
        "pipelines/data/phone.ndjson",
        "{\"id\": 3, \"text\": \"book hotel\", \"modified\": \"2026-01-02 09:00:00\"}\n",
    );
    let (code, first) = p.run("notes", &[]);
    assert_eq!(code, Some(0), "{first:#}");
    assert_eq!(first["counts"]["created"], 3, "{first:#}");
    let laptop: Value = serde_json::from_str(
        &std::fs::read_to_string(p.path("pipelines/data/laptop.json")).expect("laptop"),
    )
    .expect("JSON");
    assert_eq!(laptop["owner"], "kim", "the rest of the document stays");
    assert_eq!(laptop["notes"].as_array().map(Vec::len), Some(3));

    // The phone deletes note 1; the laptop still has its (stale) copy.
    let phone = std::fs::read_to_string(p.path("pipelines/data/phone.ndjson")).expect("phone");
    let kept: Vec<&str> = phone
        .lines()
        .filter(|l| !l.contains("\"buy milk\""))
        .collect();
    p.write("pipelines/data/phone.ndjson", &(kept.join("\n") + "\n"));
    let (_, second) = p.run("notes", &[]);
    assert_eq!(second["counts"]["deleted"], 1, "{second:#}");
    assert_eq!(second["sides"]["left"]["deleted"], 1);
    let laptop = std::fs::read_to_string(p.path("pipelines/data/laptop.json")).expect("laptop");
    assert!(!laptop.contains("buy milk"), "{laptop}");
    let (_, third) = p.run("notes", &[]);
    assert_eq!(third["counts"]["created"], 0, "{third:#}");
    assert_eq!(third["counts"]["unchanged"], 2, "{third:#}");

    // An item without a readable timestamp is reported and held, not overwritten.
    p.write(
        "pipelines/data/phone.ndjson",
        "{\"id\": 2, \"text\": \"call Bo at 5\", \"modified\": \"soon\"}\n\
         {\"id\": 3, \"text\": \"book hotel\", \"modified\": \"2026-01-02 09:00:00\"}\n",
    );
    let (code, held) = p.run("notes", &[]);
    assert_eq!(code, Some(0), "{held:#}");
    assert_eq!(held["counts"]["invalid"], 1, "{held:#}");
    let laptop = std::fs::read_to_string(p.path("pipelines/data/laptop.json")).expect("laptop");
    assert!(laptop.contains("\"call Bo\""), "{laptop}");
}

#[test]
fn the_bundled_favourites_example_syncs_its_two_files() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let p = project();
    for file in [
        "favourites.toml",
        "data/favourites-app.json",
        "data/favourites-site.ndjson",
    ] {
        let text = std::fs::read_to_string(repo.join("pipelines").join(file)).expect("example");
        p.write(&format!("pipelines/{file}"), &text);
    }
    let preview = p.sluice(&["dry-run", "favourites"]);
    let text = String::from_utf8_lossy(&preview.stdout);
    assert!(text.contains("would write to the left side (2):"), "{text}");
    assert!(
        text.contains("would write to the right side (1):"),
        "{text}"
    );
    assert!(text.contains("[delete] session_21982"), "{text}");

    let (code, report) = p.run("favourites", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(
        report["counts"],
        json!({"received": 4, "created": 2, "updated": 1, "unchanged": 0, "deleted": 0,
               "skipped": 1, "invalid": 0, "duplicates": 0, "failed": 0}),
        "{report:#}"
    );
    let site =
        std::fs::read_to_string(p.path("pipelines/data/favourites-site.ndjson")).expect("site");
    // 14:15+02:00 (12:15Z) in the app is as new as 12:15Z on the site: a tie, kept.
    assert!(site.contains("\"session_30001\""), "{site}");
    let (_, again) = p.run("favourites", &[]);
    assert_eq!(again["counts"]["unchanged"], 3, "{again:#}");
    assert_eq!(again["counts"]["skipped"], 1, "{again:#}");
}

#[test]
fn users_can_come_from_a_source() {
    let f = favourites();
    let base = f.tenant("user-source");
    conflicting_edits("user-source");
    let p = project();
    let pipeline = favourites_pipeline(&base, true).replace(
        "list = [\n  { id = \"anna\", token = \"${env:ANNA_TOKEN}\" },\n  { id = \"bob\", token = \"${env:BOB_TOKEN}\" },\n]",
        "source = { type = \"file\", path = \"users.csv\", id = \"user\" }\ntoken = \"user_token\"",
    );
    assert!(pipeline.contains("users.csv"), "{pipeline}");
    p.write("pipelines/favourites.toml", &pipeline);
    p.write(
        "pipelines/users.csv",
        "user,user_token\nanna,tok-anna\nbob,tok-bob\n",
    );
    let (code, report) = p.run("favourites", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["received"], 10, "{report:#}");
    let mut users: Vec<String> = f
        .site_posts("user-source")
        .into_iter()
        .map(|p| p.user)
        .collect();
    users.sort();
    assert_eq!(users, ["anna", "bob"]);
    assert!(
        !report.to_string().contains("tok-"),
        "a token leaked: {report:#}"
    );

    // A user record without a token stops the run before anything is written.
    p.write("pipelines/users.csv", "user,user_token\ncarl,\n");
    let (code, report) = p.run("favourites", &[]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["status"], "failed");
    assert!(
        report["problems"].to_string().contains("lacks its id"),
        "{report:#}"
    );
}
