//! `type = "script"`: a Rhai script signs requests. The script defines
//! `fn authorize(request, settings)` and returns `#{ headers: #{…}, query: #{…} }`, the
//! headers to set and the query parameters to add. It runs in the sandboxed engine
//! (operation, time, depth and size limits; no eval, no modules, no file system) with
//! only the primitives registered here: hashes and HMACs, base64, percent-encoding,
//! nonces and time, a token cache, and an HTTP POST for token endpoints through sluice's
//! client.
//!
//! The script is found relative to the pipeline's folder, or among the scripts shipped
//! in `stdlib/auth/` (built into the binary).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use rhai::{Array, Blob, Dynamic, Engine, EvalAltResult, ImmutableString, Map, Scope};
use serde_json::Value;

use super::http::{self, PostBody};
use super::primitives::{self as p, Clock, Nonces};
use super::{AuthContext, AuthError, CachedToken, OutgoingRequest, RequestBody, TokenCache};
use crate::diagnostic::SourceFile;
use crate::pipeline::ScriptAuth;
use crate::script::{self, CompiledScript, Limits, compile_script};

/// The scripts of `stdlib/auth/`, by their path in the repository.
pub const AUTH_SCRIPTS: &[(&str, &str)] = &[
    (
        "stdlib/auth/oauth1.rhai",
        include_str!("../../stdlib/auth/oauth1.rhai"),
    ),
    (
        "stdlib/auth/jwt_hs256.rhai",
        include_str!("../../stdlib/auth/jwt_hs256.rhai"),
    ),
    (
        "stdlib/auth/oauth2_refresh.rhai",
        include_str!("../../stdlib/auth/oauth2_refresh.rhai"),
    ),
];

/// The text of a shipped auth script named `stdlib/auth/NAME.rhai`, `NAME.rhai` or
/// `NAME`.
pub fn auth_script_source(file: &str) -> Option<(&'static str, &'static str)> {
    let file = file.trim_start_matches("./");
    let stem = file
        .strip_prefix("stdlib/auth/")
        .unwrap_or(file)
        .trim_end_matches(".rhai");
    AUTH_SCRIPTS
        .iter()
        .find(|(path, _)| {
            path.strip_prefix("stdlib/auth/")
                .and_then(|p| p.strip_suffix(".rhai"))
                == Some(stem)
        })
        .copied()
}

/// The function every auth script defines.
const ENTRY: &str = "authorize";

/// Token requests may take this long (see `http.rs`), so the wall-clock limit of auth
/// scripts is longer than that of mapping scripts.
const SCRIPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(45);

/// A compiled auth script with its engine and settings.
pub(crate) struct ScriptSigner {
    engine: Arc<Engine>,
    script: Arc<CompiledScript>,
    settings: Arc<Map>,
    shared: Arc<Shared>,
}

/// What the primitives registered on the engine reach: one block's token cache, time,
/// nonces and HTTP client.
struct Shared {
    name: String,
    /// Prefix of this block's keys in `cache`.
    prefix: String,
    cache: Option<Arc<dyn TokenCache>>,
    memory: Mutex<HashMap<String, CachedToken>>,
    /// Keys with an expiry that the script read or wrote: forgotten on `invalidate`.
    expiring: Mutex<HashSet<String>>,
    /// Keys invalidated, not to be served again until written anew.
    stale: Mutex<HashSet<String>>,
    http: reqwest::Client,
    clock: Clock,
    nonces: Nonces,
    margin: chrono::Duration,
    /// Credential values never shown in errors (the settings' strings).
    secrets: Vec<String>,
    /// Header values the script sent to token endpoints (`Basic …` and the part after
    /// the scheme word): credentials it built, which an endpoint may quote back.
    sent: Mutex<Vec<String>>,
}

impl ScriptSigner {
    pub fn new(
        name: &str,
        config: &ScriptAuth,
        context: &AuthContext,
    ) -> Result<ScriptSigner, AuthError> {
        let fail = |message: String| AuthError {
            name: name.to_string(),
            message,
        };
        let (file_name, text) = read_script(&context.base, &config.file).map_err(fail)?;
        let settings: Map = config
            .settings
            .expose()
            .iter()
            .map(|(k, v)| (k.as_str().into(), script::convert::to_dynamic(v)))
            .collect();
        let mut secrets = Vec::new();
        for value in config.settings.expose().values() {
            collect_strings(value, &mut secrets);
        }
        let digest = hex::encode(p::sha256(
            format!("{file_name}\u{0}{:?}", config.settings.expose()).as_bytes(),
        ));
        let shared = Arc::new(Shared {
            name: name.to_string(),
            prefix: format!("script/{name}/{}/", &digest[..16]),
            cache: context.tokens.clone(),
            memory: Mutex::new(HashMap::new()),
            expiring: Mutex::new(HashSet::new()),
            stale: Mutex::new(HashSet::new()),
            sent: Mutex::new(Vec::new()),
            http: context.http_client(name)?,
            clock: context.clock.clone(),
            nonces: context.nonces.clone(),
            margin: context.margin(),
            secrets,
        });
        let limits = Limits {
            timeout: SCRIPT_TIMEOUT,
            ..Limits::default()
        };
        let mut engine = script::sandboxed_engine(&limits);
        register_primitives(&mut engine, &shared);
        let compiled = compile_script(SourceFile::new(file_name.clone(), text), &engine).map_err(
            |problems| {
                let detail = problems
                    .first()
                    .map(|d| {
                        let (line, column) = d.line_col();
                        format!("{file_name}:{line}:{column}: {}", d.message)
                    })
                    .unwrap_or_else(|| file_name.clone());
                fail(format!("the script does not compile: {detail}"))
            },
        )?;
        let has_entry = compiled
            .ast()
            .iter_functions()
            .any(|f| f.name == ENTRY && f.params.len() == 2);
        if !has_entry {
            return Err(fail(format!(
                "`{file_name}` defines no `fn {ENTRY}(request, settings)`"
            )));
        }
        Ok(ScriptSigner {
            engine: Arc::new(engine),
            script: Arc::new(compiled),
            settings: Arc::new(settings),
            shared,
        })
    }

    /// Runs the script for `request` (on a blocking thread: evaluation is synchronous
    /// and may wait for a token endpoint) and applies its answer.
    pub async fn authorize(&self, request: &mut OutgoingRequest) -> Result<(), AuthError> {
        let engine = Arc::clone(&self.engine);
        let script = Arc::clone(&self.script);
        let settings = Dynamic::from_map((*self.settings).clone());
        let shared = Arc::clone(&self.shared);
        let argument = request_map(request);
        let answer = tokio::task::spawn_blocking(move || {
            let result = script::with_stack(|| {
                engine.call_fn::<Dynamic>(
                    &mut Scope::new(),
                    script.ast(),
                    ENTRY,
                    (argument, settings),
                )
            });
            result.map_err(|error| {
                let error = script.origin.eval_error(&engine, &error);
                shared.redact(&error.to_string())
            })
        })
        .await
        .map_err(|_| {
            self.shared
                .error("the script stopped unexpectedly".to_string())
        })?
        .map_err(|message| self.shared.error(message))?;
        self.apply(answer, request)
    }

    /// Sets the headers and adds the query parameters the script returned.
    fn apply(&self, answer: Dynamic, request: &mut OutgoingRequest) -> Result<(), AuthError> {
        let file = &self.script.file().name;
        let Some(answer) = answer.try_cast::<Map>() else {
            return Err(self.shared.error(format!(
                "`{file}`: `{ENTRY}` must return a map like #{{ headers: #{{…}}, query: #{{…}} }}"
            )));
        };
        for (key, value) in answer {
            let pairs = pairs(value).ok_or_else(|| {
                self.shared.error(format!(
                    "`{file}`: `{key}` must be a map of names to values (or a list of [name, value])"
                ))
            })?;
            match key.as_str() {
                "headers" => {
                    for (name, value) in pairs {
                        request.set_header(&name, value);
                    }
                }
                "query" => {
                    let mut query = request.url.query_pairs_mut();
                    for (name, value) in pairs {
                        query.append_pair(&name, &value);
                    }
                }
                other => {
                    return Err(self.shared.error(format!(
                        "`{file}`: `{ENTRY}` returned `{other}`; only `headers` and `query` are applied"
                    )));
                }
            }
        }
        Ok(())
    }

    /// After a 401: tokens the script cached with an expiry are not served again.
    /// Retrying helps when there were such tokens.
    pub fn invalidate(&self) -> bool {
        let keys: Vec<String> = self
            .shared
            .expiring
            .lock()
            .map(|mut k| k.drain().collect())
            .unwrap_or_default();
        if keys.is_empty() {
            return false;
        }
        if let Ok(mut memory) = self.shared.memory.lock() {
            for key in &keys {
                memory.remove(key);
            }
        }
        if let Ok(mut stale) = self.shared.stale.lock() {
            stale.extend(keys);
        }
        true
    }
}

/// The script's text: `base/file` when it exists, else a shipped `stdlib/auth` script.
fn read_script(base: &std::path::Path, file: &str) -> Result<(String, String), String> {
    let path = base.join(file);
    if path.is_file() {
        return std::fs::read_to_string(&path)
            .map(|text| (path.display().to_string(), text))
            .map_err(|e| format!("cannot read script `{}`: {e}", path.display()));
    }
    match auth_script_source(file) {
        Some((name, text)) => Ok((name.to_string(), text.to_string())),
        None => Err(format!(
            "cannot find script `{file}` (looked for `{}` and among the shipped stdlib/auth scripts: {})",
            path.display(),
            AUTH_SCRIPTS
                .iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The strings inside a settings value that may be credentials, to keep out of
/// messages: all but short words (`form`, `basic`) and plain URLs (a token endpoint).
fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            let plain_url = url::Url::parse(s)
                .is_ok_and(|u| u.query().is_none() && u.password().is_none() && u.has_host());
            if s.len() >= 6 && !plain_url {
                out.push(s.clone());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// The request as the script sees it: `method`, `url`, `base_url` (no query),
/// `query` and `form` (lists of `[name, value]`, decoded), `headers` (a map) and
/// `body` (the JSON body, or `()`).
fn request_map(request: &OutgoingRequest) -> Dynamic {
    let pair =
        |(n, v): (String, String)| Dynamic::from_array(vec![Dynamic::from(n), Dynamic::from(v)]);
    let query: Array = request
        .url
        .query_pairs()
        .map(|(n, v)| pair((n.into_owned(), v.into_owned())))
        .collect();
    let (form, body) = match &request.body {
        RequestBody::Form(pairs) => (pairs.iter().cloned().map(pair).collect(), Dynamic::UNIT),
        RequestBody::Json(value) => (Array::new(), script::convert::to_dynamic(value)),
        RequestBody::Empty => (Array::new(), Dynamic::UNIT),
    };
    let headers: Map = request
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().into(), Dynamic::from(v.clone())))
        .collect();
    let mut map = Map::new();
    map.insert(
        "method".into(),
        Dynamic::from(request.method.to_ascii_uppercase()),
    );
    map.insert("url".into(), Dynamic::from(request.url.to_string()));
    map.insert(
        "base_url".into(),
        Dynamic::from(super::oauth1::base_url(&request.url)),
    );
    map.insert("query".into(), Dynamic::from_array(query));
    map.insert("form".into(), Dynamic::from_array(form));
    map.insert("headers".into(), Dynamic::from_map(headers));
    map.insert("body".into(), body);
    Dynamic::from_map(map)
}

/// `#{ name: value }` or `[[name, value], …]` as pairs; values become text.
fn pairs(value: Dynamic) -> Option<Vec<(String, String)>> {
    let text = |v: Dynamic| -> String {
        if v.is_string() {
            v.into_immutable_string()
                .map(|s| s.to_string())
                .unwrap_or_default()
        } else {
            v.to_string()
        }
    };
    if value.is_map() {
        let map = value.try_cast::<Map>()?;
        return Some(
            map.into_iter()
                .map(|(k, v)| (k.to_string(), text(v)))
                .collect(),
        );
    }
    if value.is_array() {
        let items = value.into_array().ok()?;
        let mut out = Vec::new();
        for item in items {
            let mut pair = item.into_array().ok()?.into_iter();
            let (Some(name), Some(value), None) = (pair.next(), pair.next(), pair.next()) else {
                return None;
            };
            out.push((text(name), text(value)));
        }
        return Some(out);
    }
    None
}

type Fallible<T> = Result<T, Box<EvalAltResult>>;

fn script_error(message: String) -> Box<EvalAltResult> {
    message.into()
}

impl Shared {
    fn error(&self, message: String) -> AuthError {
        AuthError {
            name: self.name.clone(),
            message: self.redact(&message),
        }
    }

    /// `message` with every credential of this block (settings, cached tokens) blanked.
    fn redact(&self, message: &str) -> String {
        let mut secrets: Vec<String> = self.secrets.clone();
        if let Ok(sent) = self.sent.lock() {
            secrets.extend(sent.iter().cloned());
        }
        if let Ok(memory) = self.memory.lock() {
            for token in memory.values() {
                secrets.push(token.value.clone());
                secrets.extend(token.refresh_token.clone());
            }
        }
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        super::redact(message, &secrets)
    }

    /// `cache_get(key)`: the value, unless absent, expiring within the refresh margin or
    /// invalidated.
    fn cache_get(&self, key: &str) -> Dynamic {
        let full = format!("{}{key}", self.prefix);
        let stale = self
            .stale
            .lock()
            .map(|mut s| s.remove(&full))
            .unwrap_or(false);
        if stale {
            if let Some(cache) = &self.cache {
                cache.forget(&full);
            }
            return Dynamic::UNIT;
        }
        let cached = self.memory.lock().ok().and_then(|m| m.get(&full).cloned());
        let token = match cached {
            Some(token) => Some(token),
            None => {
                let loaded = self.cache.as_ref().and_then(|c| c.get(&full));
                if let (Some(token), Ok(mut memory)) = (&loaded, self.memory.lock()) {
                    memory.insert(full.clone(), token.clone());
                }
                loaded
            }
        };
        let Some(token) = token else {
            return Dynamic::UNIT;
        };
        if let Some(at) = token.expires_at {
            if let Ok(mut expiring) = self.expiring.lock() {
                expiring.insert(full);
            }
            if at - self.margin <= self.clock.now() {
                return Dynamic::UNIT;
            }
        }
        Dynamic::from(token.value)
    }

    /// `cache_put(key, value[, ttl_seconds])`.
    fn cache_put(&self, key: &str, value: &str, ttl: Option<i64>) {
        let full = format!("{}{key}", self.prefix);
        let token = CachedToken {
            value: value.to_string(),
            expires_at: ttl.map(|s| self.clock.now() + chrono::Duration::seconds(s)),
            refresh_token: None,
        };
        if let Ok(mut stale) = self.stale.lock() {
            stale.remove(&full);
        }
        if token.expires_at.is_some()
            && let Ok(mut expiring) = self.expiring.lock()
        {
            expiring.insert(full.clone());
        }
        if let Some(cache) = &self.cache {
            cache.put(&full, &token);
        }
        if let Ok(mut memory) = self.memory.lock() {
            memory.insert(full, token);
        }
    }

    /// `http_post(url, body, headers)`: waits for the token endpoint's answer.
    fn post(&self, url: &str, body: PostBody, headers: Map) -> Fallible<Map> {
        let url = url::Url::parse(url)
            .map_err(|e| script_error(format!("http_post: not a URL ({e})")))?;
        let headers: Vec<(String, String)> = pairs(Dynamic::from_map(headers))
            .ok_or_else(|| script_error("http_post: headers must be a map".to_string()))?;
        if let Ok(mut sent) = self.sent.lock() {
            for (_, value) in &headers {
                let credential = value.split_once(' ').map(|(_, rest)| rest.trim());
                for value in std::iter::once(value.as_str()).chain(credential) {
                    if !sent.iter().any(|s| s == value) {
                        sent.push(value.to_string());
                    }
                }
            }
        }
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|_| script_error("http_post: no runtime to run the request on".into()))?;
        let response = handle
            .block_on(http::post(&self.http, &url, &headers, body))
            .map_err(|message| script_error(format!("http_post: {message}")))?;
        let mut out = Map::new();
        out.insert(
            "status".into(),
            Dynamic::from_int(i64::from(response.status)),
        );
        out.insert("body".into(), script::convert::to_dynamic(&response.body));
        Ok(out)
    }
}

/// The text of a string or the UTF-8 bytes of a blob.
fn bytes_of(value: &Dynamic) -> Fallible<Vec<u8>> {
    if let Some(s) = value.read_lock::<ImmutableString>() {
        return Ok(s.as_bytes().to_vec());
    }
    if let Some(b) = value.read_lock::<Blob>() {
        return Ok(b.clone());
    }
    Err(script_error(format!(
        "expected a string or a blob, found {}",
        value.type_name()
    )))
}

/// Registers the auth primitives. Every function is pure or reaches only `shared`.
fn register_primitives(engine: &mut Engine, shared: &Arc<Shared>) {
    // Digests and MACs: bytes (blob), or text in hex / base64.
    engine.register_fn("sha1", |d: Dynamic| -> Fallible<Blob> {
        Ok(p::sha1(&bytes_of(&d)?))
    });
    engine.register_fn("sha256", |d: Dynamic| -> Fallible<Blob> {
        Ok(p::sha256(&bytes_of(&d)?))
    });
    engine.register_fn("sha1_hex", |d: Dynamic| -> Fallible<String> {
        Ok(hex::encode(p::sha1(&bytes_of(&d)?)))
    });
    engine.register_fn("sha256_hex", |d: Dynamic| -> Fallible<String> {
        Ok(hex::encode(p::sha256(&bytes_of(&d)?)))
    });
    engine.register_fn("hmac_sha1", |k: Dynamic, m: Dynamic| -> Fallible<Blob> {
        Ok(p::hmac_sha1(&bytes_of(&k)?, &bytes_of(&m)?))
    });
    engine.register_fn("hmac_sha256", |k: Dynamic, m: Dynamic| -> Fallible<Blob> {
        Ok(p::hmac_sha256(&bytes_of(&k)?, &bytes_of(&m)?))
    });
    engine.register_fn(
        "hmac_sha1_hex",
        |k: Dynamic, m: Dynamic| -> Fallible<String> {
            Ok(hex::encode(p::hmac_sha1(&bytes_of(&k)?, &bytes_of(&m)?)))
        },
    );
    engine.register_fn(
        "hmac_sha256_hex",
        |k: Dynamic, m: Dynamic| -> Fallible<String> {
            Ok(hex::encode(p::hmac_sha256(&bytes_of(&k)?, &bytes_of(&m)?)))
        },
    );
    engine.register_fn(
        "hmac_sha1_base64",
        |k: Dynamic, m: Dynamic| -> Fallible<String> {
            Ok(p::base64_encode(&p::hmac_sha1(
                &bytes_of(&k)?,
                &bytes_of(&m)?,
            )))
        },
    );
    engine.register_fn(
        "hmac_sha256_base64",
        |k: Dynamic, m: Dynamic| -> Fallible<String> {
            Ok(p::base64_encode(&p::hmac_sha256(
                &bytes_of(&k)?,
                &bytes_of(&m)?,
            )))
        },
    );
    // Encodings.
    engine.register_fn("hex_encode", |d: Dynamic| -> Fallible<String> {
        Ok(hex::encode(bytes_of(&d)?))
    });
    engine.register_fn("base64_encode", |d: Dynamic| -> Fallible<String> {
        Ok(p::base64_encode(&bytes_of(&d)?))
    });
    engine.register_fn("base64url_encode", |d: Dynamic| -> Fallible<String> {
        Ok(p::base64url_encode(&bytes_of(&d)?))
    });
    engine.register_fn("base64_decode", |t: &str| -> Fallible<Blob> {
        p::base64_decode(t).ok_or_else(|| script_error("base64_decode: not base64".into()))
    });
    engine.register_fn("base64url_decode", |t: &str| -> Fallible<Blob> {
        p::base64url_decode(t).ok_or_else(|| script_error("base64url_decode: not base64".into()))
    });
    engine.register_fn("utf8", |b: Blob| -> Fallible<String> {
        String::from_utf8(b).map_err(|_| script_error("utf8: the bytes are not UTF-8".into()))
    });
    engine.register_fn("percent_encode", |t: &str| p::percent_encode(t));
    // Nonces and time.
    let s = Arc::clone(shared);
    engine.register_fn("nonce", move || s.nonces.next());
    let s = Arc::clone(shared);
    engine.register_fn("unix_time", move || s.clock.now().timestamp());
    let s = Arc::clone(shared);
    engine.register_fn("now", move || {
        s.clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    });
    // The token cache.
    let s = Arc::clone(shared);
    engine.register_fn("cache_get", move |key: &str| s.cache_get(key));
    let s = Arc::clone(shared);
    engine.register_fn("cache_put", move |key: &str, value: &str| {
        s.cache_put(key, value, None)
    });
    let s = Arc::clone(shared);
    engine.register_fn("cache_put", move |key: &str, value: &str, ttl: i64| {
        s.cache_put(key, value, Some(ttl))
    });
    // Token endpoints.
    let s = Arc::clone(shared);
    engine.register_fn("http_post", move |url: &str, form: Map| {
        s.post(url, PostBody::Form(form_pairs(form)?), Map::new())
    });
    let s = Arc::clone(shared);
    engine.register_fn("http_post", move |url: &str, form: Map, headers: Map| {
        s.post(url, PostBody::Form(form_pairs(form)?), headers)
    });
    let s = Arc::clone(shared);
    engine.register_fn("http_post_json", move |url: &str, body: Dynamic| {
        let body = script::convert::from_dynamic(body).map_err(script_error)?;
        s.post(url, PostBody::Json(body), Map::new())
    });
    let s = Arc::clone(shared);
    engine.register_fn(
        "http_post_json",
        move |url: &str, body: Dynamic, headers: Map| {
            let body = script::convert::from_dynamic(body).map_err(script_error)?;
            s.post(url, PostBody::Json(body), headers)
        },
    );
}

fn form_pairs(form: Map) -> Fallible<Vec<(String, String)>> {
    pairs(Dynamic::from_map(form))
        .ok_or_else(|| script_error("http_post: the form must be a map".to_string()))
}
