//! OAuth 2 access tokens (RFC 6749) from a token endpoint: the client-credentials and
//! refresh-token grants, the client authenticated by HTTP basic (the default) or in the
//! form. A token is kept in memory and in the [`TokenCache`] (the state file) with its
//! expiry and replaced shortly before it expires; a refresh token the endpoint returns
//! replaces the previous one, in the cache too, so the next run uses it. Concurrent
//! requests that need a token wait for one fetch.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use url::Url;

use super::http::{self, PostBody};
use super::primitives::{base64_encode, percent_encode, sha256};
use super::{AuthContext, AuthError, CachedToken, Clock, TokenCache};
use crate::pipeline::{ClientAuth, Grant, OAuth2Auth};

/// The token source of one `type = "oauth2"` block.
pub(crate) struct OAuth2Client {
    name: String,
    token_url: Url,
    client_id: String,
    client_secret: String,
    grant: Grant,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_auth: ClientAuth,
    /// The key of this block's token in `cache`.
    key: String,
    cache: Option<Arc<dyn TokenCache>>,
    /// The token in use (with the latest refresh token), if any.
    memory: Mutex<Option<CachedToken>>,
    /// Set by `invalidate`: the access token in memory and in the cache is not to be
    /// used again (its refresh token still is).
    stale: AtomicBool,
    /// Held while a token is fetched, so concurrent requests fetch once.
    fetching: tokio::sync::Mutex<()>,
    http: reqwest::Client,
    clock: Clock,
    margin: chrono::Duration,
}

impl OAuth2Client {
    pub fn new(
        name: &str,
        config: &OAuth2Auth,
        context: &AuthContext,
    ) -> Result<OAuth2Client, AuthError> {
        let refresh_token = config.refresh_token.as_ref().map(|t| t.expose().clone());
        if config.grant == Grant::RefreshToken && refresh_token.is_none() {
            return Err(AuthError {
                name: name.to_string(),
                message: "`grant = \"refresh_token\"` needs `refresh_token`".to_string(),
            });
        }
        Ok(OAuth2Client {
            name: name.to_string(),
            token_url: config.token_url.0.clone(),
            client_id: config.client_id.expose().clone(),
            client_secret: config.client_secret.expose().clone(),
            grant: config.grant,
            key: cache_key(name, config),
            refresh_token,
            scope: config.scope.clone(),
            client_auth: config.client_auth,
            cache: context.tokens.clone(),
            memory: Mutex::new(None),
            stale: AtomicBool::new(false),
            fetching: tokio::sync::Mutex::new(()),
            http: context.http_client(name)?,
            clock: context.clock.clone(),
            margin: context.margin(),
        })
    }

    /// A valid access token: the one in memory, else the cached one, else a new one
    /// from the token endpoint.
    pub async fn token(&self) -> Result<String, AuthError> {
        if let Some(token) = self.usable_in_memory() {
            return Ok(token);
        }
        let _fetching = self.fetching.lock().await;
        // Another request may have fetched one while this one waited.
        if let Some(token) = self.usable_in_memory() {
            return Ok(token);
        }
        let stale = self.stale.swap(false, Ordering::SeqCst);
        let mut known = self.memory.lock().map(|m| m.clone()).unwrap_or(None);
        if known.is_none() {
            known = self.load().await;
            if let Some(token) = known.as_ref().filter(|t| !stale && self.usable(t)) {
                let value = token.value.clone();
                self.remember(token.clone());
                return Ok(value);
            }
        }
        let refresh = match self.grant {
            Grant::RefreshToken => known
                .and_then(|t| t.refresh_token)
                .or_else(|| self.refresh_token.clone()),
            Grant::ClientCredentials => None,
        };
        let token = self.fetch(refresh).await?;
        self.remember(token.clone());
        self.store(&token).await;
        Ok(token.value)
    }

    /// After a 401: the token is not used again. Its refresh token is kept (a rotated
    /// one is the only one that still works). Retrying helps: a new token is fetched.
    pub fn invalidate(&self) -> bool {
        if let Ok(mut memory) = self.memory.lock()
            && let Some(token) = memory.as_mut()
        {
            token.value.clear();
            token.expires_at = Some(chrono::DateTime::UNIX_EPOCH);
        }
        self.stale.store(true, Ordering::SeqCst);
        true
    }

    fn usable(&self, token: &CachedToken) -> bool {
        !token.value.is_empty()
            && token
                .expires_at
                .is_none_or(|at| at - self.margin > self.clock.now())
    }

    fn usable_in_memory(&self) -> Option<String> {
        let memory = self.memory.lock().ok()?;
        memory
            .as_ref()
            .filter(|t| self.usable(t))
            .map(|t| t.value.clone())
    }

    fn remember(&self, token: CachedToken) {
        if let Ok(mut memory) = self.memory.lock() {
            *memory = Some(token);
        }
    }

    /// The token cached by an earlier run (the cache may block on disk).
    async fn load(&self) -> Option<CachedToken> {
        let cache = self.cache.clone()?;
        let key = self.key.clone();
        tokio::task::spawn_blocking(move || cache.get(&key))
            .await
            .ok()
            .flatten()
    }

    async fn store(&self, token: &CachedToken) {
        if let Some(cache) = self.cache.clone() {
            let key = self.key.clone();
            let token = token.clone();
            // A failed write costs a token fetch in the next run, nothing more.
            let _ = tokio::task::spawn_blocking(move || cache.put(&key, &token)).await;
        }
    }

    /// Asks the token endpoint for a token: with `refresh` the refresh-token grant,
    /// else client credentials.
    async fn fetch(&self, refresh: Option<String>) -> Result<CachedToken, AuthError> {
        let mut form = Vec::new();
        match &refresh {
            Some(refresh) => {
                form.push(("grant_type".to_string(), "refresh_token".to_string()));
                form.push(("refresh_token".to_string(), refresh.clone()));
            }
            None => form.push(("grant_type".to_string(), "client_credentials".to_string())),
        }
        if let Some(scope) = &self.scope {
            form.push(("scope".to_string(), scope.clone()));
        }
        let mut headers = Vec::new();
        match self.client_auth {
            ClientAuth::Basic => {
                // RFC 6749 §2.3.1: both form-encoded, then joined and base64-encoded.
                let pair = format!(
                    "{}:{}",
                    form_encode(&self.client_id),
                    form_encode(&self.client_secret)
                );
                headers.push((
                    "Authorization".to_string(),
                    format!("Basic {}", base64_encode(pair.as_bytes())),
                ));
            }
            ClientAuth::Form => {
                form.push(("client_id".to_string(), self.client_id.clone()));
                form.push(("client_secret".to_string(), self.client_secret.clone()));
            }
        }
        let place = http::endpoint(&self.token_url);
        let response = http::post(&self.http, &self.token_url, &headers, PostBody::Form(form))
            .await
            .map_err(|message| self.error(format!("token request failed: {message}")))?;
        if !(200..300).contains(&response.status) {
            // What was sent may be quoted back: the basic credentials, a rotated
            // refresh token.
            let mut sent: Vec<&str> = headers
                .iter()
                .flat_map(|(_, v)| [v.as_str(), v.split_once(' ').map_or("", |(_, c)| c)])
                .collect();
            sent.extend(refresh.as_deref());
            return Err(self.error(format!(
                "the token endpoint {place} answered {}{}",
                response.status,
                self.oauth_error(&response.body, &sent)
            )));
        }
        let Some(value) = response.body.get("access_token").and_then(Value::as_str) else {
            return Err(self.error(format!(
                "the answer of the token endpoint {place} has no `access_token`"
            )));
        };
        let expires_at = response
            .body
            .get("expires_in")
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()))
            .map(|seconds| self.clock.now() + chrono::Duration::seconds(seconds));
        let refresh_token = response
            .body
            .get("refresh_token")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or(refresh);
        Ok(CachedToken {
            value: value.to_string(),
            expires_at,
            refresh_token,
        })
    }

    /// ` (invalid_grant: the description)` from an RFC 6749 §5.2 error answer, with
    /// any credential of this block, and the credentials in `sent`, blanked out.
    fn oauth_error(&self, body: &Value, sent: &[&str]) -> String {
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
        let detail = match (text("error"), text("error_description")) {
            (Some(error), Some(description)) => format!(" ({error}: {description})"),
            (Some(error), None) => format!(" ({error})"),
            _ => String::new(),
        };
        let mut secrets = vec![self.client_secret.as_str(), self.client_id.as_str()];
        secrets.extend(self.refresh_token.as_deref());
        secrets.extend(sent);
        super::redact(&detail, &secrets)
    }

    fn error(&self, message: String) -> AuthError {
        AuthError {
            name: self.name.clone(),
            message,
        }
    }
}

/// `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B).
fn form_encode(text: &str) -> String {
    percent_encode(text).replace("%20", "+")
}

/// The cache key of a block's token: its name and a digest of the settings that decide
/// which token the endpoint hands out, so a changed setting is never served an old
/// token. The digest reveals nothing of the credentials.
fn cache_key(name: &str, config: &OAuth2Auth) -> String {
    let grant = match config.grant {
        Grant::ClientCredentials => "client_credentials",
        Grant::RefreshToken => "refresh_token",
    };
    let settings = [
        config.token_url.0.as_str(),
        config.client_id.expose(),
        config.client_secret.expose(),
        grant,
        config.scope.as_deref().unwrap_or(""),
        config
            .refresh_token
            .as_ref()
            .map_or("", |t| t.expose().as_str()),
    ]
    .join("\u{0}");
    let digest = hex::encode(sha256(settings.as_bytes()));
    format!("oauth2/{name}/{}", &digest[..16])
}
