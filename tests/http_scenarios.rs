//! End-to-end user scenarios through the real binary against the fake platforms of
//! `support/hub.rs` on 127.0.0.1: OAuth 1 signatures checked by the platform with
//! separate create and update endpoints, OAuth 2 tokens revoked mid-run and cached
//! between runs, update-or-create by e-mail, a full first sync then incremental runs, a
//! flaky destination, and secrets that never leak into outputs or reports.

#[path = "support/hub.rs"]
mod hub;
#[path = "support/project.rs"]
mod project;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;

use base64::Engine as _;
use hub::{Check, Flaky, hub};
use project::Project;
use serde_json::{Value, json};

/// `count` profiles of a customer-data platform, changed on day `i` of January.
fn profiles(count: usize) -> Vec<Value> {
    (1..=count)
        .map(|i| {
            json!({"id": format!("bc-{i}"), "email": format!("fan{i}@example.com"),
                   "name": format!("Fan {i}"), "updated_at": format!("2026-01-{:02}T00:00:00Z", i.min(28))})
        })
        .collect()
}

/// A profile changed later than every other.
fn change(profile: &mut Value, name: &str, day: u32) {
    profile["name"] = json!(name);
    profile["updated_at"] = json!(format!("2026-02-{day:02}T00:00:00Z"));
}

const MAPPING: &str = "[mapping]\ninline = '''\nemail = email | lower\nname  = name\n'''\n";

/// A pipeline from the tenant's `/profiles` (pages of `page_size`) to its contacts.
/// `destination` adds lines to `[destination]`; `extra` adds blocks (auth, sync).
fn pipeline(base: &str, page_size: usize, destination: &str, extra: &str) -> String {
    format!(
        "[source]\ntype = \"http\"\nurl = \"{base}/profiles\"\nid = \"id\"\nrecords = \"data\"\n\
         paginate = {{ type = \"page\", param = \"page\", size_param = \"per_page\", size = {page_size} }}\n\n\
         [destination]\ntype = \"http\"\nbase_url = \"{base}\"\n\
         create = {{ method = \"POST\", path = \"/contacts\", id = \"id\" }}\n\
         update = {{ method = \"PUT\", path = \"/contacts/{{dest_id}}\" }}\n{destination}\n\n\
         {extra}\n{MAPPING}"
    )
}

fn writes(tenant: &str) -> Vec<(String, String)> {
    hub().with(tenant, |t| {
        t.log
            .iter()
            .filter(|(method, path)| method != "GET" && path.starts_with("/contacts"))
            .cloned()
            .collect()
    })
}

fn counts(report: &Value) -> BTreeMap<String, u64> {
    report["counts"]
        .as_object()
        .expect("counts")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().expect("a count")))
        .collect()
}

/// `received = created + updated + unchanged + skipped + invalid + duplicates + failed`.
fn assert_counts_add_up(report: &Value) {
    let c = counts(report);
    let parts = [
        "created",
        "updated",
        "unchanged",
        "skipped",
        "invalid",
        "duplicates",
        "failed",
    ];
    let sum: u64 = parts.iter().map(|k| c[*k]).sum();
    assert_eq!(c["received"], sum, "{report:#}");
}

const OAUTH1_AUTH: &str = "[auth.copernica]\ntype = \"oauth1\"\n\
    consumer_key = \"${env:CP_KEY}\"\nconsumer_secret = \"${env:CP_SECRET}\"\n\
    token = \"${env:CP_TOKEN}\"\ntoken_secret = \"${env:CP_TOKEN_SECRET}\"\n";

fn oauth1_check() -> Check {
    Check::OAuth1 {
        consumer_key: "ck-copernica".into(),
        consumer_secret: "cs-copernica".into(),
        token: "tk-copernica".into(),
        token_secret: "ts-copernica".into(),
    }
}

fn oauth1_project(consumer_secret: &str) -> Project {
    Project::new()
        .env("CP_KEY", "ck-copernica")
        .env("CP_SECRET", consumer_secret)
        .env("CP_TOKEN", "tk-copernica")
        .env("CP_TOKEN_SECRET", "ts-copernica")
}

/// The hub's own OAuth 1 verifier signs the request of RFC 5849 §1.2 (the photos
/// example, every input published) as the RFC does, so its verdicts can be trusted.
#[test]
fn the_hub_verifier_signs_the_rfc_5849_photos_example() {
    let params: Vec<(String, String)> = [
        ("file", "vacation.jpg"),
        ("size", "original"),
        ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
        ("oauth_token", "nnch734d00sl2jdk"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131202"),
        ("oauth_nonce", "chapoH"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let signature = hub::oauth1_signature(
        "GET",
        "http://photos.example.net/photos",
        &params,
        "kd94hf93k423kf44",
        "pfkkdhi9sl3r4s00",
    );
    assert_eq!(signature, "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
}

/// Data-hub scenario 3: a platform with OAuth 1 and separate create and update
/// endpoints. The platform recomputes every signature; the first run creates, a change
/// is sent to the update endpoint with the destination id, and a wrong consumer secret
/// is refused with 401 and reported.
#[test]
fn oauth1_platform_with_separate_create_and_update_endpoints() {
    let tenant = "oauth1";
    let base = hub().tenant(tenant, profiles(5));
    hub().with(tenant, |t| t.check = oauth1_check());
    let p = oauth1_project("cs-copernica");
    p.write(
        "pipelines/copernica.toml",
        &pipeline(&base, 2, "auth = \"copernica\"", OAUTH1_AUTH),
    );
    let (code, report) = p.run("copernica", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["created"], 5, "{report:#}");
    let first = writes(tenant);
    assert_eq!(first.len(), 5, "{first:?}");
    assert!(
        first
            .iter()
            .all(|(m, path)| m == "POST" && path == "/contacts")
    );
    assert_eq!(hub().with(tenant, |t| t.refused), 0);

    hub().with(tenant, |t| change(&mut t.profiles[2], "Fan Three", 1));
    let (code, report) = p.run("copernica", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["updated"], 1, "{report:#}");
    assert_eq!(report["counts"]["unchanged"], 4, "{report:#}");
    let id = hub().with(tenant, |t| {
        t.applied
            .iter()
            .find(|a| a.email == "fan3@example.com")
            .map(|a| a.id.clone())
            .expect("fan 3 was created")
    });
    let second = writes(tenant);
    assert_eq!(second.len(), 6, "{second:?}");
    assert_eq!(second[5], ("PUT".to_string(), format!("/contacts/{id}")));
    assert_eq!(
        hub().with(tenant, |t| t.contacts[&id]["name"].clone()),
        "Fan Three"
    );

    // The same pipeline with a wrong consumer secret: every write refused, reported.
    let wrong = oauth1_project("not-the-secret");
    wrong.write(
        "pipelines/copernica.toml",
        &pipeline(&base, 2, "auth = \"copernica\"", OAUTH1_AUTH),
    );
    let (code, report) = wrong.run("copernica", &[]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["counts"]["failed"], 5, "{report:#}");
    assert_counts_add_up(&report);
    let problems = report["problems"].to_string();
    assert!(problems.contains("401"), "{problems}");
    assert!(!problems.contains("not-the-secret"), "{problems}");
    assert_eq!(hub().with(tenant, |t| t.refused), 5);
    assert_eq!(hub().with(tenant, |t| t.contacts.len()), 5);
}

const OAUTH2_AUTH: &str = "[auth.crm]\ntype = \"oauth2\"\ntoken_url = \"{TOKEN_URL}\"\n\
    client_id = \"${env:CRM_ID}\"\nclient_secret = \"${env:CRM_SECRET}\"\n";

fn oauth2_project() -> Project {
    Project::new()
        .env("CRM_ID", "crm-client")
        .env("CRM_SECRET", "crm-secret")
}

/// The platform revokes the access token mid-run (a 401 for an otherwise valid
/// token): the client drops it, fetches a new one and the request goes through; the run
/// succeeds with the token endpoint called exactly twice. The next run reuses the token
/// cached in the state file.
#[test]
fn oauth2_token_revoked_mid_run_is_refreshed_once_and_cached_for_the_next_run() {
    let tenant = "oauth2";
    let base = hub().tenant(tenant, profiles(6));
    hub().with(tenant, |t| {
        t.check = Check::OAuth2 {
            client_id: "crm-client".into(),
            client_secret: "crm-secret".into(),
        };
        t.revoke_after = Some(3);
    });
    let p = oauth2_project();
    let auth = OAUTH2_AUTH.replace("{TOKEN_URL}", &format!("{base}/oauth/token"));
    p.write(
        "pipelines/crm.toml",
        &pipeline(&base, 4, "auth = \"crm\"", &auth),
    );
    let (code, report) = p.run("crm", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["status"], "succeeded");
    assert_eq!(report["counts"]["created"], 6, "{report:#}");
    let (calls, refused, contacts) =
        hub().with(tenant, |t| (t.token_calls, t.refused, t.contacts.len()));
    assert_eq!(calls, 2, "one token, then one after the 401");
    assert_eq!(refused, 1);
    assert_eq!(contacts, 6);
    // 6 creates and the one refused attempt.
    assert_eq!(writes(tenant).len(), 7);

    // The next run: the second token, cached in the state file, is still valid.
    hub().with(tenant, |t| change(&mut t.profiles[0], "Fan One", 1));
    let (code, report) = p.run("crm", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["updated"], 1, "{report:#}");
    assert_eq!(hub().with(tenant, |t| t.token_calls), 2);
}

/// Data-hub scenario 1: a profile is updated in the e-mail platform when a contact with
/// its e-mail exists (found by lookup), created when not.
#[test]
fn update_or_create_by_email_lookup() {
    let tenant = "upsert";
    let base = hub().tenant(tenant, profiles(3));
    hub().with(tenant, |t| {
        t.contacts.insert(
            "known-7".into(),
            json!({"email": "fan2@example.com", "name": "Old name"}),
        );
    });
    let p = Project::new();
    let destination = "match = \"email\"\n\
        lookup = { method = \"GET\", path = \"/contacts?email={email}\", id = \"0.id\" }";
    p.write("pipelines/mail.toml", &pipeline(&base, 10, destination, ""));
    let (code, report) = p.run("mail", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_counts_add_up(&report);
    let contacts = hub().with(tenant, |t| t.contacts.clone());
    assert_eq!(contacts.len(), 3, "{contacts:#?}");
    assert_eq!(contacts["known-7"]["name"], "Fan 2");
    let log = hub().with(tenant, |t| t.log.clone());
    let written = writes(tenant);
    assert!(
        written.contains(&("PUT".to_string(), "/contacts/known-7".to_string())),
        "{written:?}"
    );
    assert_eq!(
        written.iter().filter(|(m, _)| m == "POST").count(),
        2,
        "{written:?}"
    );
    let lookups: Vec<&String> = log
        .iter()
        .filter(|(m, path)| m == "GET" && path.starts_with("/contacts?email="))
        .map(|(_, path)| path)
        .collect();
    assert_eq!(lookups.len(), 3, "{log:?}");
    // The found id is kept: a later change goes straight to the update endpoint.
    hub().with(tenant, |t| change(&mut t.profiles[1], "Fan Two", 1));
    let (code, report) = p.run("mail", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["updated"], 1, "{report:#}");
    let log = hub().with(tenant, |t| t.log.clone());
    let lookups = log
        .iter()
        .filter(|(m, path)| m == "GET" && path.starts_with("/contacts?email="))
        .count();
    assert_eq!(lookups, 3, "no new lookup: {log:?}");
    assert_eq!(
        writes(tenant).last(),
        Some(&("PUT".to_string(), "/contacts/known-7".to_string()))
    );
}

/// Data-hub scenario 2: a clean-slate marketing platform gets every profile (read page
/// by page), then the next run sends only the ones changed since.
#[test]
fn initial_full_sync_then_incremental() {
    let tenant = "incremental";
    let base = hub().tenant(tenant, profiles(25));
    let p = Project::new();
    let source_incremental = "[sync]\nmode = \"incremental\"\n";
    let text = pipeline(&base, 10, "concurrency = 4", source_incremental).replace(
        "records = \"data\"\n",
        "records = \"data\"\nincremental = { field = \"updated_at\", param = \"updated_since\" }\n",
    );
    p.write("pipelines/campaign.toml", &text);
    let (code, report) = p.run("campaign", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["received"], 25, "{report:#}");
    assert_eq!(report["counts"]["created"], 25, "{report:#}");
    assert_eq!(writes(tenant).len(), 25);
    let pages: Vec<String> = hub().with(tenant, |t| {
        t.log
            .iter()
            .filter(|(_, path)| path.starts_with("/profiles"))
            .map(|(_, path)| path.clone())
            .collect()
    });
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(
        pages.iter().all(|p| !p.contains("updated_since")),
        "{pages:?}"
    );

    hub().with(tenant, |t| {
        t.log.clear();
        change(&mut t.profiles[4], "Fan Five", 1);
        change(&mut t.profiles[17], "Fan Eighteen", 2);
    });
    let (code, report) = p.run("campaign", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["received"], 2, "{report:#}");
    assert_eq!(report["counts"]["updated"], 2, "{report:#}");
    let writes = writes(tenant);
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes.iter().all(|(m, _)| m == "PUT"), "{writes:?}");
    let pages: Vec<String> = hub().with(tenant, |t| {
        t.log
            .iter()
            .filter(|(_, path)| path.starts_with("/profiles"))
            .map(|(_, path)| path.clone())
            .collect()
    });
    // The saved cursor: the newest `updated_at` of the first run (January 25th).
    assert!(pages[0].contains("updated_since=2026-01-25"), "{pages:?}");
    let contacts = hub().with(tenant, |t| t.contacts.clone());
    assert_eq!(contacts.len(), 25);
    let names: BTreeSet<&str> = contacts
        .values()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(names.contains("Fan Five") && names.contains("Fan Eighteen"));
}

/// One contact per profile, each created once: none twice in effect.
fn assert_one_contact_per_profile(tenant: &str, count: usize) {
    let contacts = hub().with(tenant, |t| t.contacts.clone());
    let emails: BTreeSet<&str> = contacts
        .values()
        .filter_map(|c| c["email"].as_str())
        .collect();
    assert_eq!(contacts.len(), count, "{contacts:#?}");
    assert_eq!(emails.len(), count, "{contacts:#?}");
    let creates = hub().with(tenant, |t| {
        t.applied.iter().filter(|a| a.kind == "create").count()
    });
    assert_eq!(creates, count);
}

/// Update-or-create by e-mail against the flaky platform: a lookup before each create,
/// and again before a create that may have been applied (a timeout, a 500) is sent
/// again.
fn flaky_pipeline(base: &str, attempts: u32) -> String {
    let destination = format!(
        "match = \"email\"\n\
         lookup = {{ method = \"GET\", path = \"/contacts?email={{email}}\", id = \"0.id\" }}\n\
         concurrency = 4\ntimeout = \"500ms\"\n\
         retries = {{ attempts = {attempts}, backoff = \"20ms\", max_backoff = \"1s\" }}"
    );
    pipeline(base, 20, &destination, "")
}

/// A destination failing 30 % of the writes (seeded): 500, 429 with `Retry-After` 0 or
/// 1, or a hang past the 500 ms timeout after the write was applied. The platform's
/// creates are not idempotent, yet with enough attempts every record arrives exactly
/// once (a create that hung is looked up, found and updated instead of sent again)
/// and the counts are exact.
#[test]
fn flaky_destination_with_enough_retries_gets_every_record_once() {
    let tenant = "flaky";
    let base = hub().tenant(tenant, profiles(40));
    hub().with(tenant, |t| {
        t.flaky = Some(Flaky {
            seed: 7,
            percent: 30,
            hang: std::time::Duration::from_millis(1500),
        })
    });
    let p = Project::new();
    p.write("pipelines/flaky.toml", &flaky_pipeline(&base, 10));
    let (code, report) = p.run("flaky", &[]);
    let injected = hub().with(tenant, |t| t.injected.clone());
    assert_eq!(code, Some(0), "{report:#}\n{injected:?}");
    assert_eq!(report["counts"]["received"], 40);
    assert_eq!(report["counts"]["created"], 40, "{report:#}");
    assert_eq!(report["counts"]["failed"], 0, "{report:#}");
    assert_counts_add_up(&report);
    assert!(injected.values().sum::<u32>() >= 8, "{injected:?}");
    assert_one_contact_per_profile(tenant, 40);
    let repeated = hub().with(tenant, |t| t.repeated_creates);
    assert_eq!(repeated, 0, "no create was applied twice");
    let hangs = injected.get("hang").copied().unwrap_or(0);
    assert!(hangs > 0, "the seed gives hangs: {injected:?}");
    // A hung write was applied, and a hung create found by a second lookup: more
    // lookups than records.
    let lookups = hub().with(tenant, |t| {
        t.log
            .iter()
            .filter(|(m, p)| m == "GET" && p.starts_with("/contacts?"))
            .count()
    });
    eprintln!("faults injected: {injected:?}; lookups: {lookups}");
    assert!(lookups > 40, "{lookups} lookups");

    // Nothing changed: the next run writes nothing.
    let before = writes(tenant).len();
    hub().with(tenant, |t| t.flaky = None);
    let (code, report) = p.run("flaky", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["unchanged"], 40, "{report:#}");
    assert_eq!(writes(tenant).len(), before);
}

/// With too few attempts some writes still fail: they are reported, counted exactly,
/// and the next run retries them first (`retries_succeeded`), so every record arrives.
#[test]
fn flaky_destination_failures_are_retried_by_the_next_run() {
    let tenant = "flaky-next";
    let base = hub().tenant(tenant, profiles(30));
    hub().with(tenant, |t| {
        t.flaky = Some(Flaky {
            seed: 11,
            percent: 50,
            hang: std::time::Duration::from_millis(1500),
        })
    });
    let p = Project::new();
    p.write("pipelines/flaky.toml", &flaky_pipeline(&base, 1));
    let (code, report) = p.run("flaky", &[]);
    let failed = report["counts"]["failed"].as_u64().expect("failed");
    assert!(failed > 0, "{report:#}");
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["status"], "partial");
    assert_counts_add_up(&report);
    assert_eq!(
        report["problems"].as_array().map(Vec::len),
        Some(failed as usize),
        "{report:#}"
    );

    // The platform recovers; retries as usual again.
    hub().with(tenant, |t| t.flaky = None);
    p.write("pipelines/flaky.toml", &flaky_pipeline(&base, 5));
    let (code, report) = p.run("flaky", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["retries_succeeded"], failed, "{report:#}");
    assert_eq!(report["counts"]["failed"], 0, "{report:#}");
    assert_counts_add_up(&report);
    let contacts = hub().with(tenant, |t| t.contacts.clone());
    assert_eq!(contacts.len(), 30, "{contacts:#?}");
    let emails: BTreeSet<&str> = contacts
        .values()
        .filter_map(|c| c["email"].as_str())
        .collect();
    assert_eq!(emails.len(), 30);
    assert_eq!(hub().with(tenant, |t| t.repeated_creates), 0);
}

/// Distinctive credentials: none of them may appear anywhere sluice prints or stores
/// in a report.
const SECRETS: &[(&str, &str)] = &[
    ("HEADER_KEY", "S3CR3T-HEADERKEY-TOKEN"),
    ("QUERY_KEY", "S3CR3T-QUERY KEY/+-TOKEN"),
    ("BEARER", "S3CR3T-BEARER-TOKEN"),
    ("PASSWORD", "S3CR3T-PASS:WORD&=-TOKEN"),
    ("CLIENT_ID", "S3CR3T-CLIENTID-TOKEN"),
    ("CLIENT_SECRET", "S3CR3T-CLIENT SECRET-TOKEN"),
    ("CONSUMER_KEY", "S3CR3T-CONSUMERKEY-TOKEN"),
    ("CONSUMER_SECRET", "S3CR3T-CONSUMERSECRET-TOKEN"),
    ("OAUTH_TOKEN", "S3CR3T-OAUTHTOKEN-TOKEN"),
    ("TOKEN_SECRET", "S3CR3T-TOKENSECRET-TOKEN"),
    ("JWT_SECRET", "S3CR3T-JWTSECRET-TOKEN"),
    ("REFRESH_TOKEN", "S3CR3T-REFRESH-TOKEN"),
    ("SCRIPT_KEY", "S3CR3T-SCRIPT KEY-TOKEN"),
];

/// Every form a secret may take on the way out: as written, percent- and form-encoded,
/// the basic credentials in base64, issued access tokens and JWTs.
fn secret_forms() -> Vec<String> {
    let mut forms = Vec::new();
    for (_, secret) in SECRETS {
        forms.push(secret.to_string());
        forms.push(hub::encode(secret));
        forms.push(hub::encode(secret).replace("%20", "+"));
    }
    let base64 = |text: String| base64::engine::general_purpose::STANDARD.encode(text);
    forms.push(base64(format!("sync-user:{}", SECRETS[3].1)));
    // The client id and secret as basic credentials for a token endpoint, each
    // percent- or form-encoded (RFC 6749 §2.3.1).
    let (id, secret) = (hub::encode(SECRETS[4].1), hub::encode(SECRETS[5].1));
    forms.push(base64(format!("{id}:{secret}")));
    forms.push(base64(format!("{id}:{secret}").replace("%20", "+")));
    // The hub's access tokens and rotated refresh tokens, and any JWT (its header
    // starts `eyJ`).
    forms.push("S3CR3T-ACCESS-".to_string());
    forms.push("S3CR3T-ROTATED-".to_string());
    forms.push("eyJ".to_string());
    forms
}

fn assert_no_secret(what: &str, text: &str) {
    for form in secret_forms() {
        assert!(
            !text.contains(&form),
            "{what} shows the secret `{form}`:\n{text}"
        );
    }
}

const SECRET_AUTHS: &str = r#"
[auth.header_key]
type = "api_key"
header = "X-Api-Key"
key = "${env:HEADER_KEY}"

[auth.query_key]
type = "api_key"
query = "api_key"
key = "${env:QUERY_KEY}"

[auth.bearer]
type = "bearer"
token = "${env:BEARER}"

[auth.basic]
type = "basic"
username = "sync-user"
password = "${env:PASSWORD}"

[auth.oauth2]
type = "oauth2"
token_url = "{BASE}/oauth/token"
client_id = "${env:CLIENT_ID}"
client_secret = "${env:CLIENT_SECRET}"

[auth.oauth2_refused]
type = "oauth2"
token_url = "{BASE}/oauth/token"
client_id = "${env:CLIENT_ID}"
client_secret = "${env:HEADER_KEY}"

[auth.oauth1]
type = "oauth1"
consumer_key = "${env:CONSUMER_KEY}"
consumer_secret = "${env:CONSUMER_SECRET}"
token = "${env:OAUTH_TOKEN}"
token_secret = "${env:TOKEN_SECRET}"

[auth.jwt]
type = "jwt"
algorithm = "HS256"
secret = "${env:JWT_SECRET}"
claims = { iss = "sluice" }

[auth.script_oauth1]
type = "script"
file = "stdlib/auth/oauth1.rhai"
settings = { consumer_key = "${env:CONSUMER_KEY}", consumer_secret = "${env:CONSUMER_SECRET}", token = "${env:OAUTH_TOKEN}", token_secret = "${env:TOKEN_SECRET}" }

[auth.script_oauth2]
type = "script"
file = "stdlib/auth/oauth2_refresh.rhai"
settings = { token_url = "{BASE}/oauth/token", client_id = "${env:CLIENT_ID}", client_secret = "${env:CLIENT_SECRET}", refresh_token = "${env:REFRESH_TOKEN}" }

[auth.script_oauth2_refused]
type = "script"
file = "stdlib/auth/oauth2_refresh.rhai"
settings = { token_url = "{BASE}/oauth/token", client_id = "${env:CLIENT_ID}", client_secret = "${env:HEADER_KEY}", refresh_token = "${env:REFRESH_TOKEN}" }

[auth.script_throws]
type = "script"
file = "leaky.rhai"
settings = { key = "${env:SCRIPT_KEY}", token_url = "{BASE}/echo/token", client_id = "${env:CLIENT_ID}", client_secret = "${env:CLIENT_SECRET}" }
"#;

/// An auth script that fails quoting all it knows: its settings, and a token
/// endpoint's answer that quotes the request (basic credentials included).
const LEAKY_SCRIPT: &str = r#"
fn authorize(request, settings) {
    let pair = percent_encode(settings.client_id) + ":" + percent_encode(settings.client_secret);
    let headers = #{ Authorization: "Basic " + base64_encode(pair) };
    let answer = http_post(settings.token_url, #{ grant_type: "client_credentials", key: settings.key }, headers);
    throw `cannot sign with ${settings.key} (${percent_encode(settings.key)}), ${settings}: ${answer.body}`;
}
"#;

/// Runs pipelines with every kind of auth against a platform that quotes the request
/// (headers, query, body) in its error answers, and one whose source does the same;
/// searches stdout and stderr of `run` (both formats), `dry-run --output`, `history`,
/// `report` and `status` for every form of every secret.
#[test]
fn secrets_never_leak_into_outputs_or_reports() {
    let tenant = "secrets";
    let base = hub().tenant(tenant, profiles(2));
    hub().with(tenant, |t| {
        t.check = Check::OAuth2 {
            client_id: SECRETS[4].1.into(),
            client_secret: SECRETS[5].1.into(),
        };
        t.token_prefix = "S3CR3T-ACCESS-".into();
        t.refresh_token = Some(SECRETS[11].1.into());
        t.refresh_prefix = "S3CR3T-ROTATED-".into();
    });
    let mut p = Project::new();
    for (name, value) in SECRETS {
        p = p.env(name, value);
    }
    p.write("pipelines/leaky.rhai", LEAKY_SCRIPT);
    let auths = SECRET_AUTHS.replace("{BASE}", &base);
    let kinds = [
        "header_key",
        "query_key",
        "bearer",
        "basic",
        "oauth2",
        "oauth2_refused",
        "oauth1",
        "jwt",
        "script_oauth1",
        "script_oauth2",
        "script_oauth2_refused",
        "script_throws",
    ];
    let mut names = Vec::new();
    for kind in kinds {
        // Read with the auth, written with it to the endpoint that quotes requests.
        let text = format!(
            "[source]\ntype = \"http\"\nurl = \"{base}/profiles\"\nid = \"id\"\nrecords = \"data\"\nauth = \"{kind}\"\n\n\
             [destination]\ntype = \"http\"\nbase_url = \"{base}\"\nauth = \"{kind}\"\n\
             create = {{ method = \"POST\", path = \"/echo/contacts?list=1\", id = \"id\" }}\n\n\
             {auths}\n{MAPPING}"
        );
        p.write(&format!("pipelines/write_{kind}.toml"), &text);
        names.push(format!("write_{kind}"));
        // A source that quotes the request in its error.
        let text = format!(
            "[source]\ntype = \"http\"\nurl = \"{base}/echo/profiles?x=1\"\nid = \"id\"\nauth = \"{kind}\"\n\n\
             [destination]\ntype = \"file\"\npath = \"out/{kind}.ndjson\"\n\n{auths}\n{MAPPING}"
        );
        p.write(&format!("pipelines/read_{kind}.toml"), &text);
        names.push(format!("read_{kind}"));
    }
    let text_of = |out: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    for name in &names {
        let out = p.sluice(&["run", name, "--format", "json"]);
        let text = text_of(&out);
        assert_eq!(out.status.code(), Some(1), "{name} should fail: {text}");
        if name.ends_with("_throws") {
            // The script's own message, its settings blanked.
            assert!(text.contains("cannot sign with ***"), "{name}: {text}");
        } else {
            assert!(
                text.contains("400") || text.contains("401"),
                "{name}: the failure is reported: {text}"
            );
        }
        let refused = name.ends_with("_refused") || name.ends_with("_throws");
        if name.starts_with("write_") && !refused {
            // The quoted request reached the report, its credentials blanked.
            assert!(text.contains("rejected"), "{name}: {text}");
            assert!(text.contains("***"), "{name}: {text}");
        }
        assert_no_secret(&format!("`run {name} --format json`"), &text);
        let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
        let run_id = report["run_id"].as_str().expect("a run id").to_string();

        let out = p.sluice(&["run", name]);
        assert_no_secret(&format!("`run {name}`"), &text_of(&out));
        let preview = format!("{name}.json");
        let out = p.sluice(&["dry-run", name, "--output", &preview]);
        assert_no_secret(&format!("`dry-run {name}`"), &text_of(&out));
        let written = std::fs::read_to_string(p.path(&preview)).unwrap_or_default();
        assert_no_secret(&format!("the preview of {name}"), &written);
        for args in [
            vec!["history", name.as_str()],
            vec!["history", name.as_str(), "--json"],
            vec!["report", run_id.as_str()],
            vec!["report", run_id.as_str(), "--json"],
        ] {
            let out = p.sluice(&args);
            let text = text_of(&out);
            assert_eq!(out.status.code(), Some(0), "{args:?}: {text}");
            assert_no_secret(&format!("`{}`", args.join(" ")), &text);
        }
    }
    let out = p.sluice(&["status"]);
    assert_no_secret("`status`", &text_of(&out));
    // The tokens issued were really used (and so were candidates for a leak), the
    // refresh token by the script too.
    assert!(hub().with(tenant, |t| t.token_calls) >= 3);
    assert!(
        hub()
            .with(tenant, |t| t.refresh_token.clone())
            .is_some_and(|r| r.starts_with("S3CR3T-ROTATED-"))
    );
}
