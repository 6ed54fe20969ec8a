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

mod http;
mod jwt;
mod oauth1;
mod oauth2;
pub mod primitives;
mod script;
#[cfg(test)]
mod tests;

use jwt::JwtSigner;
use oauth1::OAuth1Signer;
use oauth2::OAuth2Client;
pub use primitives::{Clock, Nonces};
use script::ScriptSigner;
pub use script::{AUTH_SCRIPTS, auth_script_source};

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
    /// The HTTP client for token endpoints (and scripts' `http_post`); `None` builds one.
    pub client: Option<reqwest::Client>,
    /// The time (for timestamps, `iat`/`exp` and token expiry); the system clock by
    /// default.
    pub clock: Clock,
    /// Where nonces come from; random by default.
    pub nonces: Nonces,
    /// How long before it expires a token is replaced; `None` means 30 s.
    pub refresh_margin: Option<std::time::Duration>,
}

impl AuthContext {
    /// A context for a pipeline in folder `base`, with tokens cached in `tokens`.
    pub fn new(base: impl Into<PathBuf>, tokens: Option<Arc<dyn TokenCache>>) -> AuthContext {
        AuthContext {
            base: base.into(),
            tokens,
            ..AuthContext::default()
        }
    }

    /// How long before expiry tokens are replaced.
    pub(crate) fn margin(&self) -> chrono::Duration {
        let margin = self.refresh_margin.unwrap_or(DEFAULT_REFRESH_MARGIN);
        chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::zero())
    }

    /// The HTTP client given, or a new one.
    pub(crate) fn http_client(&self, name: &str) -> Result<reqwest::Client, AuthError> {
        match &self.client {
            Some(client) => Ok(client.clone()),
            None => http::new_client().map_err(|message| AuthError {
                name: name.to_string(),
                message,
            }),
        }
    }
}

impl std::fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthContext")
            .field("base", &self.base)
            .field("tokens", &self.tokens.is_some())
            .field("clock", &self.clock)
            .field("nonces", &self.nonces)
            .field("refresh_margin", &self.refresh_margin)
            .finish_non_exhaustive()
    }
}

/// Tokens are replaced this long before they expire, so a request never leaves with a
/// token that expires on the way.
const DEFAULT_REFRESH_MARGIN: std::time::Duration = std::time::Duration::from_secs(30);

/// Why a request could not be authenticated. Never contains a credential.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("auth `{name}`: {message}")]
pub struct AuthError {
    /// The `[auth.NAME]` block.
    pub name: String,
    /// What went wrong.
    pub message: String,
}

/// Adds one `[auth.NAME]` block's credentials to requests. `Send + Sync`: share it
/// (in an `Arc`) between the requests of a connector; its `Debug` form shows no
/// credential.
pub struct Authenticator {
    name: String,
    kind: &'static str,
    scheme: Scheme,
    /// The block's credentials as configured (and the basic pair as sent), to blank
    /// out of anything a platform echoes back.
    secrets: Vec<String>,
}

enum Scheme {
    HeaderKey {
        header: String,
        key: String,
    },
    QueryKey {
        param: String,
        key: String,
    },
    Fixed {
        authorization: String,
    },
    OAuth1 {
        signer: OAuth1Signer,
        clock: Clock,
        nonces: Nonces,
    },
    OAuth2(Box<OAuth2Client>),
    Jwt(Box<JwtSigner>),
    Script(ScriptSigner),
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("name", &self.name)
            .field("type", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Builds the authenticator of block `name`. Checks what can be checked without a
    /// request (keys present, a PEM key that parses, a script that compiles).
    pub fn new(
        name: &str,
        config: &Auth,
        context: &AuthContext,
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
            Auth::OAuth1(c) => Scheme::OAuth1 {
                signer: OAuth1Signer::new(c),
                clock: context.clock.clone(),
                nonces: context.nonces.clone(),
            },
            Auth::OAuth2(c) => Scheme::OAuth2(Box::new(OAuth2Client::new(name, c, context)?)),
            Auth::Jwt(c) => Scheme::Jwt(Box::new(JwtSigner::new(c, context).map_err(fail)?)),
            Auth::Script(c) => Scheme::Script(ScriptSigner::new(name, c, context)?),
        };
        Ok(Authenticator {
            name: name.to_string(),
            kind: config.kind(),
            scheme,
            secrets: credentials(config),
        })
    }

    /// The block's credentials (keys, passwords, tokens, secrets, script settings), for
    /// blanking out of error messages that quote a platform's answer. Tokens obtained
    /// at run time are not listed: they are in the headers a request carries.
    pub fn secrets(&self) -> &[String] {
        &self.secrets
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
            Scheme::OAuth1 {
                signer,
                clock,
                nonces,
            } => {
                let header = signer.authorization(request, &nonces.next(), clock.now().timestamp());
                request.set_header("Authorization", header);
            }
            Scheme::OAuth2(client) => {
                let token = client.token().await?;
                request.set_header("Authorization", format!("Bearer {token}"));
            }
            Scheme::Jwt(signer) => {
                let token = signer.token().map_err(|message| self.error(message))?;
                request.set_header("Authorization", format!("Bearer {token}"));
            }
            Scheme::Script(script) => script.authorize(request).await?,
        }
        Ok(())
    }

    /// Called after the platform answered 401: forgets any cached token so the next
    /// [`authorize`](Self::authorize) obtains a fresh one. Returns whether retrying
    /// the request can help (a token scheme), or not (a fixed key or a signature).
    pub fn invalidate(&self) -> bool {
        match &self.scheme {
            Scheme::OAuth2(client) => client.invalidate(),
            Scheme::Jwt(signer) => signer.invalidate(),
            Scheme::Script(script) => script.invalidate(),
            Scheme::HeaderKey { .. }
            | Scheme::QueryKey { .. }
            | Scheme::Fixed { .. }
            | Scheme::OAuth1 { .. } => false,
        }
    }

    fn error(&self, message: String) -> AuthError {
        AuthError {
            name: self.name.clone(),
            message,
        }
    }
}

/// Every credential value of an auth block, and the basic `user:password` pair in the
/// base64 form it is sent in.
fn credentials(config: &Auth) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    match config {
        Auth::ApiKey(c) => out.push(c.key.expose().clone()),
        Auth::Basic(c) => {
            out.push(c.password.expose().clone());
            let pair = format!("{}:{}", c.username, c.password.expose());
            out.push(base64::engine::general_purpose::STANDARD.encode(pair));
        }
        Auth::Bearer(c) => out.push(c.token.expose().clone()),
        Auth::OAuth1(c) => {
            out.push(c.consumer_key.expose().clone());
            out.push(c.consumer_secret.expose().clone());
            out.extend(c.token.as_ref().map(|t| t.expose().clone()));
            out.extend(c.token_secret.as_ref().map(|t| t.expose().clone()));
        }
        Auth::OAuth2(c) => {
            out.push(c.client_id.expose().clone());
            out.push(c.client_secret.expose().clone());
            out.extend(c.refresh_token.as_ref().map(|t| t.expose().clone()));
        }
        Auth::Jwt(c) => {
            out.extend(c.secret.as_ref().map(|t| t.expose().clone()));
            out.extend(c.private_key.as_ref().map(|t| t.expose().clone()));
        }
        Auth::Script(c) => c
            .settings
            .expose()
            .values()
            .for_each(|v| texts(v, &mut out)),
    }
    out
}

/// Every text inside a settings value.
fn texts(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(list) => list.iter().for_each(|v| texts(v, out)),
        Value::Object(map) => map.values().for_each(|v| texts(v, out)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `message` with every occurrence of a credential (also percent- or form-encoded)
/// replaced by `***`. Credentials
/// shorter than 3 characters are left alone (they would blank ordinary words).
pub(crate) fn redact(message: &str, secrets: &[&str]) -> String {
    // Each secret as written and as it appears in URLs and form bodies.
    let mut forms: Vec<String> = Vec::new();
    for secret in secrets.iter().filter(|s| s.len() >= 3) {
        let encoded = primitives::percent_encode(secret);
        forms.push(encoded.replace("%20", "+"));
        forms.push(encoded);
        forms.push(secret.to_string());
    }
    // Longest first, so a secret containing another is blanked whole.
    forms.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = message.to_string();
    for secret in &forms {
        out = out.replace(secret.as_str(), "***");
    }
    out
}
