//! A fake platform on 127.0.0.1 for the HTTP connector tests: one axum server per test
//! binary, started on first use on a random port. Each test works in its own tenant
//! (the first path segment), so tests run in parallel without seeing each other.
//!
//! Per tenant it serves a list of source records in every pagination style, keeps a
//! store of destination records (create, update, lookup, delete, batch), checks an
//! auth header when told to, injects failures (a status, a `Retry-After`, a body) on
//! request, can apply a create and then leave it unanswered (hang past the client's
//! timeout, or drop the connection), honours an idempotency header when told to, counts
//! requests in flight and records every request it receives.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};

/// One request the platform received.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    /// The path after the tenant (`/people/p1`).
    pub path: String,
    pub query: BTreeMap<String, String>,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: Value,
    /// When it arrived.
    pub at: Instant,
}

/// A failure to answer with instead of the normal response.
#[derive(Debug, Clone)]
pub struct Fault {
    /// The method and path prefix it applies to (`POST /people`).
    pub method: &'static str,
    pub path: &'static str,
    pub status: u16,
    /// Seconds, or `date+N` for an HTTP date N seconds after the answer.
    pub retry_after: Option<String>,
    pub body: String,
    /// How many matching requests it answers.
    pub times: u32,
}

/// How a create that was applied goes unanswered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The answer comes three seconds later, after the client gave up.
    Hang,
    /// The connection is dropped without an answer.
    Close,
}

/// A tenant's state.
#[derive(Debug, Default)]
pub struct Tenant {
    /// Source records, served in order.
    pub records: Vec<Value>,
    /// The header every request must carry (name in lower case, value), else 401.
    pub require: Option<(String, String)>,
    /// Destination records by id.
    pub store: BTreeMap<String, Value>,
    pub next_id: u64,
    /// Creates of a record whose `email` is listed here answer 422.
    pub reject_emails: Vec<String>,
    pub faults: VecDeque<Fault>,
    /// Requests with this query parameter and value answer 503 `maintenance`.
    pub fail_query: Option<(String, String)>,
    pub log: Vec<Logged>,
    /// How long each request is held (to see concurrency).
    pub delay: Duration,
    /// The next this many requests are held for two seconds (to cause timeouts).
    pub stall: u32,
    pub in_flight: u32,
    pub max_in_flight: u32,
    /// The next creates (`POST /people`), one entry each, are applied and then left
    /// unanswered this way.
    pub cut_creates: VecDeque<Cut>,
    /// Creates carrying this header (lower case) are idempotent: a key seen before
    /// gets the first answer again and nothing is applied.
    pub idempotency: Option<String>,
    /// First answers by idempotency key.
    pub answered: HashMap<String, (u16, Value)>,
    /// Creates answered again from `answered`.
    pub replayed: u32,
}

struct Shared {
    tenants: Mutex<HashMap<String, Tenant>>,
}

/// The running platform.
pub struct Platform {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

static PLATFORM: OnceLock<Platform> = OnceLock::new();

/// The platform of this test binary, started on first use.
pub fn platform() -> &'static Platform {
    PLATFORM.get_or_init(start)
}

fn start() -> Platform {
    let shared = Arc::new(Shared {
        tenants: Mutex::new(HashMap::new()),
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let state = shared.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the fake platform");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a port on 127.0.0.1");
            tx.send(listener.local_addr().expect("an address"))
                .expect("the test waits");
            let app = Router::new()
                .route("/{tenant}/{*rest}", any(handle))
                .with_state(state);
            axum::serve(listener, app)
                .await
                .expect("the platform serves");
        });
    });
    let addr = rx.recv().expect("the platform started");
    Platform { addr, shared }
}

impl Platform {
    /// A new tenant with these source records; its base URL.
    pub fn tenant(&self, name: &str, records: Vec<Value>) -> String {
        self.lock().insert(
            name.to_string(),
            Tenant {
                records,
                next_id: 1,
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

    /// Changes a tenant.
    pub fn with<T>(&self, name: &str, change: impl FnOnce(&mut Tenant) -> T) -> T {
        let mut tenants = self.lock();
        change(tenants.get_mut(name).expect("a tenant made with `tenant`"))
    }

    /// The requests a tenant received, in order.
    pub fn log(&self, name: &str) -> Vec<Logged> {
        self.with(name, |t| t.log.clone())
    }

    /// Forgets the requests received so far.
    pub fn clear_log(&self, name: &str) {
        self.with(name, |t| t.log.clear());
    }

    /// The destination records of a tenant.
    pub fn store(&self, name: &str) -> BTreeMap<String, Value> {
        self.with(name, |t| t.store.clone())
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
    let path = format!("/{rest}");
    let query: BTreeMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let logged = Logged {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: body.clone(),
        at: Instant::now(),
    };
    let delay = {
        let mut tenants = shared.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let Some(t) = tenants.get_mut(&tenant) else {
            return (StatusCode::NOT_FOUND, "no such tenant").into_response();
        };
        t.log.push(logged.clone());
        t.in_flight += 1;
        t.max_in_flight = t.max_in_flight.max(t.in_flight);
        if t.stall > 0 {
            t.stall -= 1;
            Duration::from_secs(2)
        } else {
            t.delay
        }
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (response, cut) = {
        let mut tenants = shared.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let Some(t) = tenants.get_mut(&tenant) else {
            return (StatusCode::NOT_FOUND, "no such tenant").into_response();
        };
        t.in_flight -= 1;
        let response = answer(t, &logged);
        let cut = if logged.method == "POST" && logged.path == "/people" {
            t.cut_creates.pop_front()
        } else {
            None
        };
        (response, cut)
    };
    match cut {
        None => response,
        Some(Cut::Hang) => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            response
        }
        // Unwinding ends the connection's task: the client sees it closed, with no
        // answer (and no panic message is printed).
        Some(Cut::Close) => std::panic::resume_unwind(Box::new("connection dropped")),
    }
}

fn json_response(status: u16, value: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(value)).into_response()
}

fn number(query: &BTreeMap<String, String>, name: &str, default: usize) -> usize {
    query
        .get(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn answer(t: &mut Tenant, request: &Logged) -> Response {
    if let Some((name, value)) = &t.require
        && request.headers.get(name) != Some(value)
    {
        return json_response(401, json!({"error": "unauthorized"}));
    }
    let fault = t.faults.iter_mut().position(|f| {
        f.times > 0 && f.method == request.method && request.path.starts_with(f.path)
    });
    if let Some(i) = fault {
        let f = &mut t.faults[i];
        f.times -= 1;
        let mut response = (
            StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            f.body.clone(),
        )
            .into_response();
        let after = match &f.retry_after {
            // `date+N`: an HTTP date N seconds from now.
            Some(text) if text.starts_with("date+") => {
                let seconds = text["date+".len()..].parse().expect("seconds");
                Some(httpdate::fmt_http_date(
                    SystemTime::now() + Duration::from_secs(seconds),
                ))
            }
            other => other.clone(),
        };
        if let Some(after) = &after {
            response.headers_mut().insert(
                "retry-after",
                HeaderValue::from_str(after).expect("a header value"),
            );
        }
        return response;
    }
    let q = &request.query;
    if let Some((name, value)) = &t.fail_query
        && q.get(name) == Some(value)
    {
        return (StatusCode::SERVICE_UNAVAILABLE, "maintenance").into_response();
    }
    // Incremental: only records changed after `updated_since`.
    let records: Vec<Value> = t
        .records
        .iter()
        .filter(|r| match q.get("updated_since") {
            Some(since) => r["updated_at"].as_str().is_some_and(|u| u > since.as_str()),
            None => true,
        })
        .cloned()
        .collect();
    let slice = |from: usize, size: usize| -> Vec<Value> {
        records.iter().skip(from).take(size).cloned().collect()
    };
    match (request.method.as_str(), request.path.as_str()) {
        // Pages from 1: {"data": {"items": […]}}.
        ("GET", "/pages") => {
            let size = number(q, "per_page", 10);
            let page = number(q, "page", 1).max(1);
            json_response(
                200,
                json!({"data": {"items": slice((page - 1) * size, size)}}),
            )
        }
        // The same, read with POST and a JSON body that must say `{"active": true}`.
        ("POST", "/search") => {
            if request.body != json!({"active": true}) {
                return json_response(400, json!({"error": "body expected"}));
            }
            let size = number(q, "per_page", 10);
            let page = number(q, "page", 1).max(1);
            json_response(
                200,
                json!({"data": {"items": slice((page - 1) * size, size)}}),
            )
        }
        // Offset and limit, with the total.
        ("GET", "/offset") => {
            let limit = number(q, "limit", 10);
            let offset = number(q, "offset", 0);
            json_response(
                200,
                json!({"items": slice(offset, limit), "total": records.len()}),
            )
        }
        // A cursor in the body: the index of the next record.
        ("GET", "/cursor") => {
            let from = number(q, "after", 0);
            let items = slice(from, 3);
            let next = (from + 3 < records.len()).then(|| (from + 3).to_string());
            json_response(200, json!({"data": items, "meta": {"next": next}}))
        }
        // A relative next URL in the body.
        ("GET", "/next") => {
            let page = number(q, "page", 1).max(1);
            let items = slice((page - 1) * 4, 4);
            let next = (page * 4 < records.len()).then(|| format!("next?page={}", page + 1));
            json_response(200, json!({"results": items, "links": {"next": next}}))
        }
        // The list itself, with a `Link` header.
        ("GET", "/linked") => {
            let page = number(q, "page", 1).max(1);
            let items = slice((page - 1) * 2, 2);
            let mut response = json_response(200, Value::Array(items));
            if page * 2 < records.len() {
                let link = format!(
                    "<linked?page={}>; rel=\"next\", <linked?page=1>; rel=\"first\"",
                    page + 1
                );
                response.headers_mut().insert(
                    "link",
                    HeaderValue::from_str(&link).expect("a header value"),
                );
            }
            response
        }
        // The destination side.
        ("GET", "/people") => {
            let found: Vec<Value> = t
                .store
                .iter()
                .filter(|(_, r)| q.get("email").is_some_and(|e| r["email"] == json!(e)))
                .map(|(id, r)| json!({"id": id, "email": r["email"]}))
                .collect();
            json_response(200, Value::Array(found))
        }
        ("POST", "/people") => {
            let record = request
                .body
                .get("contact")
                .cloned()
                .unwrap_or(request.body.clone());
            let key = t
                .idempotency
                .as_ref()
                .and_then(|name| request.headers.get(name))
                .cloned();
            if let Some(key) = &key
                && let Some((status, body)) = t.answered.get(key).cloned()
            {
                t.replayed += 1;
                return json_response(status, body);
            }
            let (status, body) = create(t, record);
            if let Some(key) = key {
                t.answered.insert(key, (status, body.clone()));
            }
            json_response(status, body)
        }
        ("POST", "/people/batch") => {
            let list = request.body["records"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut ids = Vec::new();
            for record in list {
                let id = format!("p{}", t.next_id);
                t.next_id += 1;
                t.store.insert(id.clone(), record);
                ids.push(json!({"id": id}));
            }
            json_response(200, json!({"results": ids}))
        }
        ("GET", path) if path.starts_with("/people/") => {
            match t.store.get(&path["/people/".len()..]) {
                Some(record) => json_response(200, record.clone()),
                None => json_response(404, json!({"error": "no such person"})),
            }
        }
        ("PATCH", path) if path.starts_with("/people/") => {
            let id = &path["/people/".len()..];
            match t.store.get_mut(id) {
                Some(stored) => {
                    let record = request
                        .body
                        .get("contact")
                        .cloned()
                        .unwrap_or(request.body.clone());
                    *stored = record;
                    json_response(200, json!({"id": id}))
                }
                None => json_response(404, json!({"error": "no such person"})),
            }
        }
        ("DELETE", path) if path.starts_with("/people/") => {
            let id = &path["/people/".len()..];
            match t.store.remove(id) {
                Some(_) => StatusCode::NO_CONTENT.into_response(),
                None => json_response(404, json!({"error": "no such person"})),
            }
        }
        _ => json_response(404, json!({"error": "no such endpoint"})),
    }
}

/// A create's status and answer.
fn create(t: &mut Tenant, record: Value) -> (u16, Value) {
    if let Some(email) = record["email"].as_str()
        && t.reject_emails.iter().any(|e| e == email)
    {
        return (
            422,
            json!({"errors": {"email": format!("{email} is not accepted here")}}),
        );
    }
    let id = format!("p{}", t.next_id);
    t.next_id += 1;
    t.store.insert(id.clone(), record);
    (201, json!({"data": {"id": id}}))
}
