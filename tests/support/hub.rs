//! A fake pair of marketing platforms on 127.0.0.1 for the end-to-end scenarios of
//! `tests/http_scenarios.rs`: one axum server per test binary, one tenant per test (the
//! first path segment), so tests run in parallel.
//!
//! Per tenant it serves a paginated list of customer-data-platform profiles
//! (`GET /profiles?page=&per_page=&updated_since=`), keeps a contact store with separate
//! create and update endpoints and an e-mail lookup (`POST /contacts`, `PUT
//! /contacts/{id}`, `GET /contacts?email=`), and checks credentials itself: OAuth 1
//! signatures are recomputed (HMAC-SHA1 over method, URL, query and form parameters
//! with the consumer and token secrets) and OAuth 2 access tokens are issued by
//! `POST /oauth/token` with an expiry. It can revoke a token mid-run, fail a seeded
//! share of the writes (500, 429 with `Retry-After`, or a hang past the client's
//! timeout after applying the write), and `/echo` answers 400 with the request's
//! headers, query and body.
//!
//! Creates are not idempotent: a create of an e-mail already in the store makes a
//! second contact (counted in `repeated_creates`), so a create retried blindly after a
//! timeout shows as a duplicate.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};

/// How a tenant's contact endpoints check credentials.
#[derive(Debug, Clone, Default)]
pub enum Check {
    /// No check.
    #[default]
    Open,
    /// OAuth 1 HMAC-SHA1 signatures with these credentials.
    OAuth1 {
        consumer_key: String,
        consumer_secret: String,
        token: String,
        token_secret: String,
    },
    /// Bearer tokens issued by `/oauth/token` to this client.
    OAuth2 {
        client_id: String,
        client_secret: String,
    },
}

/// A seeded share of the writes that fail.
#[derive(Debug, Clone)]
pub struct Flaky {
    pub seed: u64,
    /// Percent of the writes that fail (0..=100).
    pub percent: u64,
    /// How long a hanging request is held (longer than the client's timeout).
    pub hang: Duration,
}

/// One write the platform applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// `create` or `update`.
    pub kind: &'static str,
    pub id: String,
    pub email: String,
}

/// A tenant's state.
#[derive(Debug, Default)]
pub struct Tenant {
    /// The profiles served by `/profiles`.
    pub profiles: Vec<Value>,
    /// Contacts by id.
    pub contacts: BTreeMap<String, Value>,
    pub next_id: u64,
    pub check: Check,
    /// Access tokens issued and still valid.
    pub tokens: HashSet<String>,
    /// Calls of the token endpoint.
    pub token_calls: u32,
    /// `expires_in` of the issued tokens.
    pub token_ttl: u64,
    /// Issued tokens are `{token_prefix}{n}`.
    pub token_prefix: String,
    /// The refresh token the token endpoint takes (`grant_type=refresh_token`); each
    /// refresh answers with a new one, `{refresh_prefix}{n}`, which replaces it.
    pub refresh_token: Option<String>,
    pub refresh_prefix: String,
    /// After this many contact requests accepted with a token, the next one is answered
    /// 401 and that token revoked (once).
    pub revoke_after: Option<u32>,
    pub accepted_with_token: u32,
    /// Requests refused for bad credentials.
    pub refused: u32,
    /// OAuth 1 nonces seen (a replayed one is refused).
    pub nonces: HashSet<String>,
    pub flaky: Option<Flaky>,
    /// Writes seen (to draw the flaky outcome from).
    pub write_requests: u64,
    /// Failures injected, by kind (`500`, `429`, `hang`).
    pub injected: BTreeMap<&'static str, u32>,
    /// Creates of an e-mail already stored (each made a duplicate contact).
    pub repeated_creates: u32,
    /// Writes applied, in order.
    pub applied: Vec<Applied>,
    /// `(method, path?query)` of every request, in order.
    pub log: Vec<(String, String)>,
}

struct Shared {
    tenants: Mutex<HashMap<String, Tenant>>,
    addr: OnceLock<SocketAddr>,
}

/// The running hub.
pub struct Hub {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

static HUB: OnceLock<Hub> = OnceLock::new();

/// The hub of this test binary, started on first use.
pub fn hub() -> &'static Hub {
    HUB.get_or_init(start)
}

fn start() -> Hub {
    let shared = Arc::new(Shared {
        tenants: Mutex::new(HashMap::new()),
        addr: OnceLock::new(),
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let state = shared.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the hub");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a port on 127.0.0.1");
            let addr = listener.local_addr().expect("an address");
            state.addr.set(addr).expect("set once");
            tx.send(addr).expect("the test waits");
            let app = Router::new()
                .route("/{tenant}/{*rest}", any(handle))
                .with_state(state);
            axum::serve(listener, app).await.expect("the hub serves");
        });
    });
    let addr = rx.recv().expect("the hub started");
    Hub { addr, shared }
}

impl Hub {
    /// A new tenant with these profiles; its base URL.
    pub fn tenant(&self, name: &str, profiles: Vec<Value>) -> String {
        self.lock().insert(
            name.to_string(),
            Tenant {
                profiles,
                next_id: 1,
                token_ttl: 3600,
                token_prefix: format!("access-{name}-"),
                ..Tenant::default()
            },
        );
        format!("http://{}/{name}", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Tenant>> {
        self.shared
            .tenants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Reads or changes a tenant.
    pub fn with<T>(&self, name: &str, change: impl FnOnce(&mut Tenant) -> T) -> T {
        let mut tenants = self.lock();
        change(tenants.get_mut(name).expect("a tenant made with `tenant`"))
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((tenant, rest)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Request {
        method: method.to_string(),
        full_path: uri.path().to_string(),
        path: format!("/{rest}"),
        query: uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default(),
        raw_query: uri.query().unwrap_or("").to_string(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body,
    };
    let addr = shared.addr.get().copied();
    let (response, hang) = {
        let mut tenants = shared.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let Some(t) = tenants.get_mut(&tenant) else {
            return (StatusCode::NOT_FOUND, "no such tenant").into_response();
        };
        let line = if request.raw_query.is_empty() {
            request.path.clone()
        } else {
            format!("{}?{}", request.path, request.raw_query)
        };
        t.log.push((request.method.clone(), line));
        answer(t, &request, addr)
    };
    // A hang: the answer (the write already applied) comes after the client gave up.
    if let Some(hang) = hang {
        tokio::time::sleep(hang).await;
    }
    response
}

struct Request {
    method: String,
    /// The path with the tenant (`/t/contacts`), as signed.
    full_path: String,
    /// The path after the tenant (`/contacts`).
    path: String,
    /// Decoded query pairs, in order.
    query: Vec<(String, String)>,
    raw_query: String,
    headers: BTreeMap<String, String>,
    body: Bytes,
}

impl Request {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// `application/x-www-form-urlencoded` body pairs, if the body is a form.
    fn form(&self) -> Vec<(String, String)> {
        let is_form = self
            .headers
            .get("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Vec::new();
        }
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }
}

fn json_response(status: u16, value: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(value)).into_response()
}

fn number(request: &Request, name: &str, default: usize) -> usize {
    request
        .param(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The answer, and how long to hold it.
fn answer(
    t: &mut Tenant,
    request: &Request,
    addr: Option<SocketAddr>,
) -> (Response, Option<Duration>) {
    let path = request.path.as_str();
    match (request.method.as_str(), path) {
        ("POST", "/oauth/token") => return (token(t, request), None),
        ("GET", "/profiles") => return (profiles(t, request), None),
        (_, p) if p.starts_with("/echo") => return (echo(request), None),
        _ => {}
    }
    if !path.starts_with("/contacts") {
        return (
            json_response(404, json!({"error": "no such endpoint"})),
            None,
        );
    }
    if let Err(why) = authorized(t, request, addr) {
        t.refused += 1;
        return (unauthorized(why), None);
    }
    let is_write = matches!(request.method.as_str(), "POST" | "PUT" | "PATCH");
    let mut hang = None;
    if is_write && let Some(flaky) = t.flaky.clone() {
        t.write_requests += 1;
        let draw = mix(flaky.seed ^ t.write_requests.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        if draw % 100 < flaky.percent {
            match (draw / 100) % 4 {
                0 => {
                    *t.injected.entry("500").or_default() += 1;
                    return (json_response(500, json!({"error": "internal"})), None);
                }
                kind @ (1 | 2) => {
                    *t.injected.entry("429").or_default() += 1;
                    let mut response = json_response(429, json!({"error": "slow down"}));
                    let after = if kind == 1 { "0" } else { "1" };
                    response
                        .headers_mut()
                        .insert("retry-after", HeaderValue::from_static(after));
                    return (response, None);
                }
                _ => {
                    *t.injected.entry("hang").or_default() += 1;
                    hang = Some(flaky.hang);
                }
            }
        }
    }
    (contacts(t, request), hang)
}

/// SplitMix64: a seeded, well-spread draw.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn unauthorized(why: &str) -> Response {
    json_response(401, json!({"error": "unauthorized", "why": why}))
}

/// `Err` with why the request is refused.
fn authorized(
    t: &mut Tenant,
    request: &Request,
    addr: Option<SocketAddr>,
) -> Result<(), &'static str> {
    let header = request
        .headers
        .get("authorization")
        .cloned()
        .unwrap_or_default();
    match t.check.clone() {
        Check::Open => Ok(()),
        Check::OAuth2 { .. } => {
            let Some(token) = header.strip_prefix("Bearer ") else {
                return Err("no bearer token");
            };
            if !t.tokens.contains(token) {
                return Err("unknown or revoked token");
            }
            if t.revoke_after == Some(t.accepted_with_token) {
                t.revoke_after = None;
                t.tokens.remove(token);
                return Err("token revoked");
            }
            t.accepted_with_token += 1;
            Ok(())
        }
        Check::OAuth1 {
            consumer_key,
            consumer_secret,
            token,
            token_secret,
        } => {
            let Some(fields) = header.strip_prefix("OAuth ") else {
                return Err("no OAuth header");
            };
            let oauth = parse_oauth_header(fields);
            let get = |name: &str| {
                oauth
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            if get("oauth_consumer_key").as_deref() != Some(consumer_key.as_str())
                || get("oauth_token").as_deref() != Some(token.as_str())
            {
                return Err("unknown consumer or token");
            }
            if get("oauth_signature_method").as_deref() != Some("HMAC-SHA1") {
                return Err("HMAC-SHA1 expected");
            }
            let (Some(nonce), Some(_), Some(signature)) = (
                get("oauth_nonce"),
                get("oauth_timestamp"),
                get("oauth_signature"),
            ) else {
                return Err("nonce, timestamp and signature needed");
            };
            if !t.nonces.insert(nonce) {
                return Err("nonce replayed");
            }
            let mut params = request.query.clone();
            params.extend(request.form());
            params.extend(
                oauth
                    .iter()
                    .filter(|(n, _)| n != "oauth_signature" && n != "realm")
                    .cloned(),
            );
            let addr = addr.map(|a| a.to_string()).unwrap_or_default();
            let url = format!("http://{addr}{}", request.full_path);
            let expected = oauth1_signature(
                &request.method,
                &url,
                &params,
                &consumer_secret,
                &token_secret,
            );
            if expected != signature {
                return Err("bad signature");
            }
            Ok(())
        }
    }
}

/// `name="value", …` of an `Authorization: OAuth` header, values percent-decoded.
pub fn parse_oauth_header(fields: &str) -> Vec<(String, String)> {
    fields
        .split(',')
        .filter_map(|field| {
            let (name, value) = field.trim().split_once('=')?;
            let value = value.trim().trim_matches('"');
            let decoded = percent_decode(value)?;
            Some((name.to_string(), decoded))
        })
        .collect()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// RFC 3986 percent-encoding of everything but unreserved characters (RFC 5849 §3.6),
/// written here independently of sluice's own.
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The HMAC-SHA1 signature (base64) of a request per RFC 5849 §3.4: `params` are the
/// decoded query, form and protocol parameters (without `oauth_signature`), `url` the
/// base string URI.
pub fn oauth1_signature(
    method: &str,
    url: &str,
    params: &[(String, String)],
    consumer_secret: &str,
    token_secret: &str,
) -> String {
    let mut pairs: Vec<(String, String)> =
        params.iter().map(|(n, v)| (encode(n), encode(v))).collect();
    pairs.sort();
    let normalized: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let base = format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(url),
        encode(&normalized.join("&"))
    );
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn token(t: &mut Tenant, request: &Request) -> Response {
    t.token_calls += 1;
    let Check::OAuth2 {
        client_id,
        client_secret,
    } = t.check.clone()
    else {
        return json_response(400, json!({"error": "unsupported_grant_type"}));
    };
    // RFC 6749 §2.3.1: id and secret form-encoded, joined by `:`, in base64.
    let given = request
        .headers
        .get("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|pair| String::from_utf8(pair).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |text: &str| -> String {
                url::form_urlencoded::parse(format!("x={text}").as_bytes())
                    .map(|(_, v)| v.into_owned())
                    .next()
                    .unwrap_or_default()
            };
            Some((decode(id), decode(secret)))
        });
    if given != Some((client_id, client_secret)) {
        return json_response(401, json!({"error": "invalid_client"}));
    }
    let form = request.form();
    let field = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let rotated = match field("grant_type") {
        Some("client_credentials") => None,
        Some("refresh_token") => {
            if t.refresh_token.is_none() || field("refresh_token") != t.refresh_token.as_deref() {
                return json_response(400, json!({"error": "invalid_grant"}));
            }
            let next = format!("{}{}", t.refresh_prefix, t.token_calls);
            t.refresh_token = Some(next.clone());
            Some(next)
        }
        _ => return json_response(400, json!({"error": "unsupported_grant_type"})),
    };
    let value = format!("{}{}", t.token_prefix, t.token_calls);
    t.tokens.insert(value.clone());
    let mut answer =
        json!({"access_token": value, "token_type": "bearer", "expires_in": t.token_ttl});
    if let Some(rotated) = rotated {
        answer["refresh_token"] = json!(rotated);
    }
    json_response(200, answer)
}

/// Pages from 1 (`per_page`, default 10); `updated_since` keeps later profiles only.
fn profiles(t: &Tenant, request: &Request) -> Response {
    let since = request.param("updated_since");
    let list: Vec<&Value> = t
        .profiles
        .iter()
        .filter(|p| match since {
            Some(since) => p["updated_at"].as_str().is_some_and(|u| u > since),
            None => true,
        })
        .collect();
    let size = number(request, "per_page", 10);
    let page = number(request, "page", 1).max(1);
    let items: Vec<&Value> = list
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .copied()
        .collect();
    json_response(200, json!({"data": items}))
}

/// 400 with what was sent: the platform that quotes requests in its errors.
fn echo(request: &Request) -> Response {
    json_response(
        400,
        json!({
            "error": "rejected",
            "headers": request.headers,
            "query": request.raw_query,
            "body": String::from_utf8_lossy(&request.body),
        }),
    )
}

fn contacts(t: &mut Tenant, request: &Request) -> Response {
    let rest = request.path["/contacts".len()..].trim_start_matches('/');
    match (request.method.as_str(), rest) {
        ("GET", "") => {
            let email = request.param("email").unwrap_or_default();
            let found: Vec<Value> = t
                .contacts
                .iter()
                .filter(|(_, c)| c["email"] == json!(email))
                .map(|(id, c)| json!({"id": id, "email": c["email"]}))
                .collect();
            json_response(200, Value::Array(found))
        }
        ("POST", "") => {
            let contact = request.json();
            let email = contact["email"].as_str().unwrap_or_default().to_string();
            if email.is_empty() {
                return json_response(422, json!({"error": "email is required"}));
            }
            if t.contacts.values().any(|c| c["email"] == json!(email)) {
                t.repeated_creates += 1;
            }
            let id = format!("c{}", t.next_id);
            t.next_id += 1;
            t.contacts.insert(id.clone(), contact);
            t.applied.push(Applied {
                kind: "create",
                id: id.clone(),
                email,
            });
            json_response(201, json!({"id": id}))
        }
        ("PUT" | "PATCH", id) if !id.is_empty() => {
            if !t.contacts.contains_key(id) {
                return json_response(404, json!({"error": "no such contact"}));
            }
            let contact = request.json();
            let email = contact["email"].as_str().unwrap_or_default().to_string();
            t.contacts.insert(id.to_string(), contact);
            t.applied.push(Applied {
                kind: "update",
                id: id.to_string(),
                email,
            });
            json_response(200, json!({"id": id}))
        }
        _ => json_response(404, json!({"error": "no such endpoint"})),
    }
}
