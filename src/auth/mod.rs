//! Authentication: one module for every HTTP call sluice makes (sources, destinations,
//! record fetches, token endpoints). An [`Authenticator`] is built once per `[auth.NAME]`
//! block and, just before each request is sent, adds what the platform expects to the
//! [`OutgoingRequest`]: a header, a query parameter, a signature.
//!
//! Credentials stay inside this module: errors name the auth block and what went wrong,
//! never a key, token or signature.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::Value;
use url::Url;

use crate::pipeline::Auth;

/// A request about to be sent, in the form signers need: OAuth 1 signs the method, the
/// URL with its query and any form parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The full URL, query included.
    pub url: Url,
    /// Headers to send, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: RequestBody,
}

/// What a request carries.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestBody {
    /// Nothing.
    Empty,
    /// A JSON document.
    Json(Value),
    /// `application/x-www-form-urlencoded` pairs.
    Form(Vec<(String, String)>),
}

impl OutgoingRequest {
    /// A request without headers or body.
    pub fn new(method: &str, url: Url) -> OutgoingRequest {
        OutgoingRequest {
            method: method.to_string(),
            url,
            headers: Vec::new(),
            body: RequestBody::Empty,
        }
    }

    /// Sets a header, replacing one of the same name (names compare without case).
    pub fn set_header(&mut self, name: &str, value: String) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value));
    }
}

/// A token obtained from a token endpoint, cached until shortly before it expires.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CachedToken {
    /// The token.
    pub value: String,
    /// When it stops being valid, if the endpoint said.
    pub expires_at: Option<DateTime<Utc>>,
    /// A refresh token given with it, if any.
    pub refresh_token: Option<String>,
}

/// Where tokens are kept between requests and runs (the state file in production).
pub trait TokenCache: Send + Sync {
    /// The token cached under `key`, if any.
    fn get(&self, key: &str) -> Option<CachedToken>;
    /// Caches `token` under `key`.
    fn put(&self, key: &str, token: &CachedToken);
    /// Forgets the token under `key`.
    fn forget(&self, key: &str);
}

/// What building an authenticator may need besides its block.
#[derive(Clone, Default)]
pub struct AuthContext {
    /// The folder of the pipeline file: script paths are relative to it.
    pub base: PathBuf,
    /// Where tokens are cached; `None` keeps them in memory only.
    pub tokens: Option<Arc<dyn TokenCache>>,
}

/// Why a request could not be authenticated. Never contains a credential.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("auth `{name}`: {message}")]
pub struct AuthError {
    /// The `[auth.NAME]` block.
    pub name: String,
    /// What went wrong.
    pub message: String,
}

/// Adds one `[auth.NAME]` block's credentials to requests.
pub struct Authenticator {
    name: String,
    scheme: Scheme,
}

enum Scheme {
    HeaderKey { header: String, key: String },
    QueryKey { param: String, key: String },
    Fixed { authorization: String },
}

impl Authenticator {
    /// Builds the authenticator of block `name`.
    pub fn new(
        name: &str,
        config: &Auth,
        _context: &AuthContext,
    ) -> Result<Authenticator, AuthError> {
        let fail = |message: String| AuthError {
            name: name.to_string(),
            message,
        };
        let scheme = match config {
            Auth::ApiKey(c) => match (&c.header, &c.query) {
                (Some(header), _) => Scheme::HeaderKey {
                    header: header.clone(),
                    key: c.key.expose().clone(),
                },
                (None, Some(param)) => Scheme::QueryKey {
                    param: param.clone(),
                    key: c.key.expose().clone(),
                },
                (None, None) => return Err(fail("`header` or `query` is needed".into())),
            },
            Auth::Basic(c) => {
                let pair = format!("{}:{}", c.username, c.password.expose());
                Scheme::Fixed {
                    authorization: format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(pair)
                    ),
                }
            }
            Auth::Bearer(c) => Scheme::Fixed {
                authorization: format!("Bearer {}", c.token.expose()),
            },
            other => {
                return Err(fail(format!(
                    "`{}` authentication is not available yet",
                    other.kind()
                )));
            }
        };
        Ok(Authenticator {
            name: name.to_string(),
            scheme,
        })
    }

    /// The `[auth.NAME]` block this authenticator comes from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds the credentials to `request` (fetching or refreshing a token first when
    /// the scheme uses one).
    pub async fn authorize(&self, request: &mut OutgoingRequest) -> Result<(), AuthError> {
        match &self.scheme {
            Scheme::HeaderKey { header, key } => request.set_header(header, key.clone()),
            Scheme::QueryKey { param, key } => {
                request.url.query_pairs_mut().append_pair(param, key);
            }
            Scheme::Fixed { authorization } => {
                request.set_header("Authorization", authorization.clone());
            }
        }
        Ok(())
    }

    /// Called after the platform answered 401: forgets any cached token so the next
    /// [`authorize`](Self::authorize) obtains a fresh one. Returns whether retrying
    /// the request can help (a token scheme), or not (a fixed key).
    pub fn invalidate(&self) -> bool {
        false
    }
}
