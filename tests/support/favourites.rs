//! Two fake platforms on 127.0.0.1 for the favourites scenario of the conference-app
//! spec (`tests/two_way.rs`): one axum server per test binary, one tenant per test (the
//! first path segment), so tests run in parallel.
//!
//! Per tenant:
//! - the organiser's site, as the spec describes it: `GET /getUserFavorites` and
//!   `POST /postUserFavorites`, each with `Authorization: Bearer <user token>` (tokens
//!   are `tok-<user>`; anything else is 401). A posted item replaces the stored one
//!   only when its `actionDate` is newer, as the spec's backend does.
//! - the event app: `GET /app/users/{user}/favourites?page=&per_page=` (pages of
//!   `per_page`, the list under `data`) and `POST /app/users/{user}/favourites` with
//!   `{"favourites": […]}`, both needing `Api-Key: app-key`. With `restamp`, the app
//!   stamps every item it stores with its own (later) clock, as some platforms do.
//!
//! Every accepted POST is recorded with its user and items.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::DateTime;
use serde_json::{Value, json};

/// A recorded write: which user, which items.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub user: String,
    pub items: Vec<Value>,
}

#[derive(Default)]
struct Tenant {
    /// user → item id → item, on the organiser's site.
    site: BTreeMap<String, BTreeMap<String, Value>>,
    /// user → item id → item, in the event app.
    app: BTreeMap<String, BTreeMap<String, Value>>,
    site_posts: Vec<Post>,
    app_posts: Vec<Post>,
    /// The app stamps stored items with this time (and later seconds) when set.
    restamp: Option<String>,
}

type Shared = Arc<Mutex<HashMap<String, Tenant>>>;

/// The running fake platforms.
pub struct Favourites {
    addr: SocketAddr,
    shared: Shared,
}

static SERVER: OnceLock<Favourites> = OnceLock::new();

/// The platforms of this test binary, started on first use.
pub fn favourites() -> &'static Favourites {
    SERVER.get_or_init(start)
}

fn start() -> Favourites {
    let shared: Shared = Arc::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let state = shared.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the platforms");
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
                .expect("the platforms serve");
        });
    });
    let addr = rx.recv().expect("the platforms started");
    Favourites { addr, shared }
}

fn item_id(item: &Value) -> String {
    item["item"].as_str().unwrap_or_default().to_string()
}

fn instant(item: &Value) -> Option<DateTime<chrono::Utc>> {
    item["actionDate"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.to_utc())
}

impl Favourites {
    /// A new, empty tenant; its base URL.
    pub fn tenant(&self, name: &str) -> String {
        self.lock().insert(name.to_string(), Tenant::default());
        format!("http://{}/{name}", self.addr)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Tenant>> {
        self.shared.lock().expect("platform state")
    }

    fn with<T>(&self, tenant: &str, f: impl FnOnce(&mut Tenant) -> T) -> T {
        f(self.lock().get_mut(tenant).expect("tenant exists"))
    }

    /// Sets a user's favourites on the organiser's site.
    pub fn set_site(&self, tenant: &str, user: &str, items: &[Value]) {
        self.with(tenant, |t| {
            t.site.insert(
                user.to_string(),
                items.iter().map(|i| (item_id(i), i.clone())).collect(),
            );
        });
    }

    /// Sets a user's favourites in the event app.
    pub fn set_app(&self, tenant: &str, user: &str, items: &[Value]) {
        self.with(tenant, |t| {
            t.app.insert(
                user.to_string(),
                items.iter().map(|i| (item_id(i), i.clone())).collect(),
            );
        });
    }

    /// The app stamps what it stores with `from` and later seconds.
    pub fn restamp(&self, tenant: &str, from: &str) {
        self.with(tenant, |t| t.restamp = Some(from.to_string()));
    }

    /// A user's favourites on the site, by item id.
    pub fn site(&self, tenant: &str, user: &str) -> BTreeMap<String, Value> {
        self.with(tenant, |t| t.site.get(user).cloned().unwrap_or_default())
    }

    /// A user's favourites in the app, by item id.
    pub fn app(&self, tenant: &str, user: &str) -> BTreeMap<String, Value> {
        self.with(tenant, |t| t.app.get(user).cloned().unwrap_or_default())
    }

    /// The POSTs the site accepted.
    pub fn site_posts(&self, tenant: &str) -> Vec<Post> {
        self.with(tenant, |t| t.site_posts.clone())
    }

    /// The POSTs the app accepted.
    pub fn app_posts(&self, tenant: &str) -> Vec<Post> {
        self.with(tenant, |t| t.app_posts.clone())
    }
}

async fn handle(
    State(shared): State<Shared>,
    Path((tenant, rest)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut tenants = shared.lock().expect("platform state");
    let Some(t) = tenants.get_mut(&tenant) else {
        return (StatusCode::NOT_FOUND, "no such tenant").into_response();
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let parts: Vec<&str> = rest.split('/').collect();
    let posted = || -> Result<Value, String> {
        serde_json::from_slice(&body).map_err(|e| format!("not JSON: {e}"))
    };
    match (method.clone(), parts.as_slice()) {
        (_, ["getUserFavorites"] | ["postUserFavorites"]) => {
            let user = match header("authorization").and_then(|h| h.strip_prefix("Bearer tok-")) {
                Some(user) if !user.is_empty() => user.to_string(),
                _ => return (StatusCode::UNAUTHORIZED, "bad user token").into_response(),
            };
            if method == Method::GET && parts[0] == "getUserFavorites" {
                let items: Vec<Value> = t
                    .site
                    .get(&user)
                    .map_or_else(Vec::new, |m| m.values().cloned().collect());
                return axum::Json(Value::Array(items)).into_response();
            }
            if method != Method::POST || parts[0] != "postUserFavorites" {
                return StatusCode::METHOD_NOT_ALLOWED.into_response();
            }
            let items = match posted() {
                Ok(Value::Array(items)) => items,
                Ok(_) => return (StatusCode::BAD_REQUEST, "expected a list").into_response(),
                Err(message) => return (StatusCode::BAD_REQUEST, message).into_response(),
            };
            let stored = t.site.entry(user.clone()).or_default();
            for item in &items {
                let id = item_id(item);
                let newer = stored
                    .get(&id)
                    .is_none_or(|old| instant(item) > instant(old));
                if newer {
                    stored.insert(id, item.clone());
                }
            }
            t.site_posts.push(Post { user, items });
            StatusCode::OK.into_response()
        }
        (_, ["app", "users", user, "favourites"]) => {
            if header("api-key") != Some("app-key") {
                return (StatusCode::UNAUTHORIZED, "bad api key").into_response();
            }
            let user = (*user).to_string();
            if method == Method::GET {
                let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                let size: usize = query
                    .get("per_page")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(100);
                let items: Vec<Value> = t
                    .app
                    .get(&user)
                    .map_or_else(Vec::new, |m| m.values().cloned().collect());
                let start = (page.max(1) - 1) * size;
                let page: Vec<Value> = items.into_iter().skip(start).take(size).collect();
                return axum::Json(json!({ "data": page })).into_response();
            }
            let items = match posted() {
                Ok(body) => match body.get("favourites") {
                    Some(Value::Array(items)) => items.clone(),
                    _ => {
                        return (StatusCode::BAD_REQUEST, "expected {\"favourites\": [...]}")
                            .into_response();
                    }
                },
                Err(message) => return (StatusCode::BAD_REQUEST, message).into_response(),
            };
            let restamp = t.restamp.clone();
            let stored = t.app.entry(user.clone()).or_default();
            for (n, item) in items.iter().enumerate() {
                let mut item = item.clone();
                if let Some(from) = &restamp
                    && let Ok(base) = DateTime::parse_from_rfc3339(from)
                {
                    let stamp = base + chrono::Duration::seconds(n as i64);
                    item["actionDate"] = json!(stamp.to_rfc3339());
                }
                stored.insert(item_id(&item), item);
            }
            t.app_posts.push(Post { user, items });
            StatusCode::CREATED.into_response()
        }
        _ => (StatusCode::NOT_FOUND, "no such endpoint").into_response(),
    }
}
