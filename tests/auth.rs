//! Authentication end to end: OAuth 2 against a fake token endpoint on 127.0.0.1
//! (counting calls, checking client credentials, issuing short-lived tokens, rotating
//! refresh tokens, failing on demand), tokens persisted in a real state file, OAuth 1
//! against published signatures, JWTs verified with their keys, auth scripts (both
//! shipped ones), and a check that no credential reaches an error or a `Debug` form.
//! Time is a test clock: nothing sleeps.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{Value, json};
use sluice::auth::{
    AuthContext, AuthError, Authenticator, Clock, Nonces, OutgoingRequest, RequestBody, TokenCache,
};
use sluice::pipeline::{
    Auth, ClientAuth, Grant, HttpUrl, JwtAlgorithm, JwtAuth, OAuth1Auth, OAuth2Auth, ScriptAuth,
    Secret, SignatureMethod,
};
use sluice::state::State;

const CLIENT_ID: &str = "sluice-client";
const CLIENT_SECRET: &str = "cs-Qx7!vX9-distinctive";
const FIRST_REFRESH: &str = "rt-0-distinctive";

/// The fake token endpoint's state.
#[derive(Default)]
struct Endpoint {
    calls: AtomicUsize,
    fail: AtomicBool,
    /// `expires_in` of the tokens issued.
    expires_in: AtomicI64,
    /// The refresh token that works now (rotated on every refresh).
    refresh: Mutex<String>,
    /// The client authentication of the last call: "basic" or "form".
    client_auth: Mutex<String>,
}

fn parse_form(body: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

fn answer(status: StatusCode, body: Value) -> (StatusCode, Json<Value>) {
    (status, Json(body))
}

async fn token(
    endpoint: Arc<Endpoint>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, Json<Value>) {
    let n = endpoint.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let form = parse_form(&body);
    if endpoint.fail.load(Ordering::SeqCst) {
        // A careless server echoing what it received.
        return answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "server_error", "error_description": format!("cannot handle {body}")}),
        );
    }
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let (id, secret, how) = match basic {
        Some(pair) => {
            let (id, secret) = pair.split_once(':').unwrap_or_default();
            let decode = |s: &str| {
                parse_form(&format!("x={s}"))
                    .remove("x")
                    .unwrap_or_default()
            };
            (decode(id), decode(secret), "basic")
        }
        None => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
            "form",
        ),
    };
    *endpoint.client_auth.lock().expect("lock") = how.to_string();
    if id != CLIENT_ID || secret != CLIENT_SECRET {
        return answer(StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"}));
    }
    let mut body = json!({
        "access_token": format!("access-{n}"),
        "token_type": "bearer",
        "expires_in": endpoint.expires_in.load(Ordering::SeqCst),
    });
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some("refresh_token") => {
            let mut current = endpoint.refresh.lock().expect("lock");
            if form.get("refresh_token") != Some(&*current) {
                return answer(StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}));
            }
            *current = format!("rt-{n}-distinctive");
            body["refresh_token"] = json!(*current);
        }
        _ => {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({"error": "unsupported_grant_type"}),
            );
        }
    }
    answer(StatusCode::OK, body)
}

/// Starts the fake endpoint on a random port of 127.0.0.1.
async fn start_endpoint() -> (Arc<Endpoint>, url::Url) {
    let endpoint = Arc::new(Endpoint {
        expires_in: AtomicI64::new(3600),
        refresh: Mutex::new(FIRST_REFRESH.to_string()),
        ..Endpoint::default()
    });
    let shared = Arc::clone(&endpoint);
    let app = Router::new().route(
        "/oauth/token",
        post(move |headers: HeaderMap, body: String| token(Arc::clone(&shared), headers, body)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let url = url::Url::parse(&format!("http://{address}/oauth/token")).expect("url");
    (endpoint, url)
}

/// A clock the test moves by hand.
fn test_clock() -> (Arc<AtomicI64>, Clock) {
    let now = Arc::new(AtomicI64::new(1_700_000_000));
    let read = Arc::clone(&now);
    let clock = Clock::from_fn(move || {
        chrono::DateTime::from_timestamp(read.load(Ordering::SeqCst), 0).unwrap_or_default()
    });
    (now, clock)
}

fn oauth2(url: &url::Url, grant: Grant, client_auth: ClientAuth) -> Auth {
    Auth::OAuth2(OAuth2Auth {
        token_url: HttpUrl(url.clone()),
        client_id: Secret::new(CLIENT_ID.into()),
        client_secret: Secret::new(CLIENT_SECRET.into()),
        grant,
        refresh_token: (grant == Grant::RefreshToken).then(|| Secret::new(FIRST_REFRESH.into())),
        scope: Some("read write".into()),
        client_auth,
    })
}

fn request() -> OutgoingRequest {
    OutgoingRequest::new(
        "GET",
        url::Url::parse("http://127.0.0.1:9/api/items").expect("url"),
    )
}

async fn authorization(auth: &Authenticator) -> Result<String, AuthError> {
    let mut request = request();
    auth.authorize(&mut request).await?;
    Ok(request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default())
}

fn context(clock: Clock, tokens: Option<Arc<dyn TokenCache>>) -> AuthContext {
    AuthContext {
        tokens,
        clock,
        ..AuthContext::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_token_is_fetched_once_and_reused_until_near_expiry() {
    let (endpoint, url) = start_endpoint().await;
    let (now, clock) = test_clock();
    let config = oauth2(&url, Grant::ClientCredentials, ClientAuth::Basic);
    let auth = Arc::new(Authenticator::new("crm", &config, &context(clock, None)).expect("built"));

    // Concurrent requests wait for one fetch.
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let auth = Arc::clone(&auth);
        requests.spawn(async move { authorization(&auth).await });
    }
    while let Some(header) = requests.join_next().await {
        assert_eq!(
            header.expect("joined").expect("authorized"),
            "Bearer access-1"
        );
    }
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 1);
    assert_eq!(*endpoint.client_auth.lock().expect("lock"), "basic");

    // 3600 s tokens are replaced 30 s before they expire.
    now.fetch_add(3569, Ordering::SeqCst);
    assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-1");
    now.fetch_add(2, Ordering::SeqCst);
    assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-2");
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 2);

    // After a 401 the token is forgotten and a retry gets a new one.
    assert!(auth.invalidate());
    assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-3");
    assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-3");
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_client_credentials_can_go_in_the_form() {
    let (endpoint, url) = start_endpoint().await;
    let config = oauth2(&url, Grant::ClientCredentials, ClientAuth::Form);
    let auth = Authenticator::new("crm", &config, &AuthContext::default()).expect("built");
    assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-1");
    assert_eq!(*endpoint.client_auth.lock().expect("lock"), "form");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_refresh_tokens_are_persisted_and_used_by_the_next_run() {
    let (endpoint, url) = start_endpoint().await;
    let (now, clock) = test_clock();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.redb");
    let config = oauth2(&url, Grant::RefreshToken, ClientAuth::Basic);
    {
        let state: Arc<dyn TokenCache> = Arc::new(State::open(&path).expect("state"));
        let auth = Authenticator::new("crm", &config, &context(clock.clone(), Some(state)))
            .expect("built");
        assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-1");
        // The endpoint rotated the refresh token; the next refresh must use the new one.
        assert!(auth.invalidate());
        assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-2");
        assert_eq!(*endpoint.refresh.lock().expect("lock"), "rt-2-distinctive");
    }

    // A second run, with the state file opened again: the cached token is reused…
    let state: Arc<dyn TokenCache> = Arc::new(State::open(&path).expect("reopened"));
    let auth =
        Authenticator::new("crm", &config, &context(clock, Some(state))).expect("second run");
    assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-2");
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 2);
    // …and once it expires, the refresh token rotated by the first run works (the one in
    // the configuration was refused by the endpoint by now).
    now.fetch_add(4000, Ordering::SeqCst);
    assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-3");
    assert_eq!(*endpoint.refresh.lock().expect("lock"), "rt-3-distinctive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_failures_are_clear_errors_without_secrets() {
    let (endpoint, url) = start_endpoint().await;
    let config = oauth2(&url, Grant::RefreshToken, ClientAuth::Form);
    let auth = Authenticator::new("crm", &config, &AuthContext::default()).expect("built");
    endpoint.fail.store(true, Ordering::SeqCst);
    let error = authorization(&auth).await.unwrap_err();
    assert_eq!(error.name, "crm");
    assert!(
        error
            .message
            .contains("answered 500 (server_error: cannot handle"),
        "{error}"
    );
    assert_no_secret(&format!("{error} {error:?} {auth:?}"));

    // Wrong client secret.
    endpoint.fail.store(false, Ordering::SeqCst);
    let Auth::OAuth2(mut wrong) = oauth2(&url, Grant::ClientCredentials, ClientAuth::Basic) else {
        unreachable!()
    };
    wrong.client_secret = Secret::new("wrong-secret-distinctive".into());
    let auth =
        Authenticator::new("crm", &Auth::OAuth2(wrong), &AuthContext::default()).expect("built");
    let error = authorization(&auth).await.unwrap_err();
    assert!(
        error.message.contains("answered 401 (invalid_client)"),
        "{error}"
    );
    assert!(!error.to_string().contains("wrong-secret-distinctive"));

    // Nobody listening.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    let url = url::Url::parse(&format!("http://{closed}/token?key={CLIENT_SECRET}")).expect("url");
    let config = oauth2(&url, Grant::ClientCredentials, ClientAuth::Basic);
    let auth = Authenticator::new("crm", &config, &AuthContext::default()).expect("built");
    let error = authorization(&auth).await.unwrap_err();
    assert!(
        error.message.contains("token request failed: cannot reach"),
        "{error}"
    );
    assert_no_secret(&format!("{error} {error:?}"));
}

fn assert_no_secret(text: &str) {
    for secret in [CLIENT_SECRET, FIRST_REFRESH, "rt-", "access-"] {
        assert!(!text.contains(secret), "`{secret}` leaked: {text}");
    }
}

// ---- OAuth 1 ----

fn oauth1_config(method: SignatureMethod) -> OAuth1Auth {
    OAuth1Auth {
        consumer_key: Secret::new("xvz1evFS4wEEPTGEFPHBog".into()),
        consumer_secret: Secret::new("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw".into()),
        token: Some(Secret::new(
            "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb".into(),
        )),
        token_secret: Some(Secret::new(
            "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE".into(),
        )),
        signature_method: method,
    }
}

fn fixed_context() -> AuthContext {
    AuthContext {
        clock: Clock::fixed(chrono::DateTime::from_timestamp(1318622958, 0).expect("time")),
        nonces: Nonces::fixed("kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"),
        ..AuthContext::default()
    }
}

fn status_update() -> OutgoingRequest {
    let mut request = OutgoingRequest::new(
        "POST",
        url::Url::parse("https://api.twitter.com/1.1/statuses/update.json?include_entities=true")
            .expect("url"),
    );
    request.body = RequestBody::Form(vec![(
        "status".into(),
        "Hello Ladies + Gentlemen, a signed OAuth request!".into(),
    )]);
    request
}

async fn authorize_header(auth: &Authenticator, mut request: OutgoingRequest) -> String {
    auth.authorize(&mut request).await.expect("authorized");
    request
        .headers
        .into_iter()
        .find(|(n, _)| n == "Authorization")
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// The worked example of Twitter's signing guide, every input and the signature
/// published, through the public interface with a fixed nonce and time.
#[tokio::test]
async fn oauth1_signs_the_published_example() {
    let auth = Authenticator::new(
        "twitter",
        &Auth::OAuth1(oauth1_config(SignatureMethod::HmacSha1)),
        &fixed_context(),
    )
    .expect("built");
    let header = authorize_header(&auth, status_update()).await;
    assert!(
        header.contains("oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""),
        "{header}"
    );
    assert!(!auth.invalidate(), "a signature gets no better on retry");
}

fn script(file: &str, settings: Value) -> Auth {
    let Value::Object(map) = settings else {
        panic!("settings are a table")
    };
    Auth::Script(ScriptAuth {
        file: file.into(),
        settings: Secret::new(map.into_iter().collect()),
    })
}

/// The shipped `oauth1.rhai` and the built-in signer give the same header, for a
/// request whose query and form need encoding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth1_script_matches_the_built_in_signer() {
    let config = oauth1_config(SignatureMethod::HmacSha1);
    let builtin =
        Authenticator::new("b", &Auth::OAuth1(config.clone()), &fixed_context()).expect("built-in");
    let scripted = Authenticator::new(
        "s",
        &script(
            "stdlib/auth/oauth1.rhai",
            json!({
                "consumer_key": config.consumer_key.expose(),
                "consumer_secret": config.consumer_secret.expose(),
                "token": config.token.as_ref().map(|t| t.expose().clone()),
                "token_secret": config.token_secret.as_ref().map(|t| t.expose().clone()),
            }),
        ),
        &fixed_context(),
    )
    .expect("script");
    let mut tricky = OutgoingRequest::new(
        "post",
        url::Url::parse(
            "HTTP://Example.COM:8080/a%20path/r?b5=%3D%253D&a3=a&c%40=&a2=r%20b&a=x+y&a2=~*",
        )
        .expect("url"),
    );
    tricky.body = RequestBody::Form(vec![
        ("c2".into(), String::new()),
        ("a3".into(), "2 q".into()),
        ("naïve".into(), "ü & = + / ? 🙂".into()),
    ]);
    for request in [status_update(), tricky, request()] {
        let expected = authorize_header(&builtin, request.clone()).await;
        assert!(
            expected.starts_with("OAuth oauth_consumer_key="),
            "{expected}"
        );
        assert_eq!(authorize_header(&scripted, request).await, expected);
    }
    // Two-legged (no token), too.
    let mut two_legged = config.clone();
    two_legged.token = None;
    two_legged.token_secret = None;
    let builtin =
        Authenticator::new("b", &Auth::OAuth1(two_legged), &fixed_context()).expect("built-in");
    let scripted = Authenticator::new(
        "s",
        &script(
            "oauth1",
            json!({"consumer_key": config.consumer_key.expose(),
                   "consumer_secret": config.consumer_secret.expose()}),
        ),
        &fixed_context(),
    )
    .expect("script");
    assert_eq!(
        authorize_header(&scripted, status_update()).await,
        authorize_header(&builtin, status_update()).await
    );
}

// ---- JWT ----

fn jwt(algorithm: JwtAlgorithm, secret: Option<&str>, key: Option<&str>) -> Auth {
    Auth::Jwt(JwtAuth {
        algorithm,
        secret: secret.map(|s| Secret::new(s.into())),
        private_key: key.map(|k| Secret::new(k.into())),
        claims: [
            ("iss".to_string(), json!("sluice")),
            ("scope".to_string(), json!(["read", "write"])),
        ]
        .into_iter()
        .collect(),
        ttl: Some(sluice::pipeline::Duration::parse("10m").expect("duration")),
    })
}

fn bearer(header: &str) -> &str {
    header.strip_prefix("Bearer ").unwrap_or("")
}

fn validation(algorithm: jsonwebtoken::Algorithm) -> jsonwebtoken::Validation {
    let mut validation = jsonwebtoken::Validation::new(algorithm);
    // The test clock is in the past; the claims are checked by hand.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation
}

#[tokio::test]
async fn jwt_hs256_verifies_with_the_secret_and_is_reused_until_near_expiry() {
    let (now, clock) = test_clock();
    let auth = Authenticator::new(
        "api",
        &jwt(JwtAlgorithm::Hs256, Some("jwt-secret-distinctive"), None),
        &context(clock, None),
    )
    .expect("built");
    let first = authorization(&auth).await.expect("ok");
    let claims = jsonwebtoken::decode::<Value>(
        bearer(&first),
        &jsonwebtoken::DecodingKey::from_secret(b"jwt-secret-distinctive"),
        &validation(jsonwebtoken::Algorithm::HS256),
    )
    .expect("valid signature")
    .claims;
    assert_eq!(
        claims,
        json!({"iss": "sluice", "scope": ["read", "write"],
               "iat": 1_700_000_000, "exp": 1_700_000_600})
    );
    now.fetch_add(569, Ordering::SeqCst);
    assert_eq!(authorization(&auth).await.expect("ok"), first);
    now.fetch_add(2, Ordering::SeqCst);
    assert_ne!(authorization(&auth).await.expect("ok"), first);
    assert!(auth.invalidate());
}

#[tokio::test]
async fn jwt_rs256_verifies_with_the_public_key() {
    let private = include_str!("auth/rsa_test_key.pem");
    let public = include_str!("auth/rsa_test_key.pub.pem");
    let auth = Authenticator::new(
        "api",
        &jwt(JwtAlgorithm::Rs256, None, Some(private)),
        &AuthContext::default(),
    )
    .expect("built");
    let header = authorization(&auth).await.expect("ok");
    let data = jsonwebtoken::decode::<Value>(
        bearer(&header),
        &jsonwebtoken::DecodingKey::from_rsa_pem(public.as_bytes()).expect("public key"),
        &validation(jsonwebtoken::Algorithm::RS256),
    )
    .expect("valid signature");
    assert_eq!(data.header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(data.claims["iss"], "sluice");
    let lifetime =
        data.claims["exp"].as_i64().unwrap_or(0) - data.claims["iat"].as_i64().unwrap_or(0);
    assert_eq!(lifetime, 600);
}

// ---- Scripts ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_script_verifies_with_the_secret() {
    let (now, clock) = test_clock();
    let config = script(
        "stdlib/auth/jwt_hs256.rhai",
        json!({"secret": "jwt-script-secret", "claims": {"iss": "sluice", "aud": ["a", "b"]},
               "ttl_seconds": 600}),
    );
    let auth = Authenticator::new("api", &config, &context(clock, None)).expect("built");
    let first = authorization(&auth).await.expect("ok");
    let claims = jsonwebtoken::decode::<Value>(
        bearer(&first),
        &jsonwebtoken::DecodingKey::from_secret(b"jwt-script-secret"),
        &validation(jsonwebtoken::Algorithm::HS256),
    )
    .expect("valid signature")
    .claims;
    assert_eq!(
        claims,
        json!({"iss": "sluice", "aud": ["a", "b"], "iat": 1_700_000_000, "exp": 1_700_000_600})
    );
    assert_eq!(authorization(&auth).await.expect("ok"), first);
    now.fetch_add(571, Ordering::SeqCst);
    assert_ne!(authorization(&auth).await.expect("ok"), first);
}

fn refresh_settings(url: &url::Url) -> Value {
    json!({
        "token_url": url.as_str(),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": FIRST_REFRESH,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_refresh_script_caches_rotates_and_persists() {
    let (endpoint, url) = start_endpoint().await;
    let (now, clock) = test_clock();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.redb");
    let config = script("stdlib/auth/oauth2_refresh.rhai", refresh_settings(&url));
    {
        let state: Arc<dyn TokenCache> = Arc::new(State::open(&path).expect("state"));
        let auth = Authenticator::new("crm", &config, &context(clock.clone(), Some(state)))
            .expect("built");
        assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-1");
        assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-1");
        assert_eq!(endpoint.calls.load(Ordering::SeqCst), 1);
        assert_eq!(*endpoint.client_auth.lock().expect("lock"), "basic");
        // A 401: the access token is dropped, the rotated refresh token kept.
        assert!(auth.invalidate());
        assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-2");
    }
    let state: Arc<dyn TokenCache> = Arc::new(State::open(&path).expect("reopened"));
    let auth = Authenticator::new("crm", &config, &context(clock, Some(state))).expect("built");
    assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-2");
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 2);
    now.fetch_add(3600, Ordering::SeqCst);
    assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-3");
    assert_eq!(*endpoint.refresh.lock().expect("lock"), "rt-3-distinctive");

    // The endpoint failing: the script's error, named, without a credential.
    endpoint.fail.store(true, Ordering::SeqCst);
    now.fetch_add(3600, Ordering::SeqCst);
    let error = authorization(&auth).await.unwrap_err();
    assert!(
        error.message.contains("stdlib/auth/oauth2_refresh.rhai:"),
        "{error}"
    );
    assert!(
        error.message.contains("the token endpoint answered 500"),
        "{error}"
    );
    assert_no_secret(&format!("{error} {error:?} {auth:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_errors_name_the_script_and_line_and_hide_settings() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("bad.rhai"),
        "fn authorize(request, settings) {\n    let key = settings.key;\n    throw `refused: ${key}`;\n}\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("loop.rhai"),
        "fn authorize(request, settings) {\n    loop { }\n}\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("query.rhai"),
        "fn authorize(request, settings) {\n    #{ query: #{ sig: sha256_hex(request.method + request.url) }, headers: [[\"X-Key\", settings.key]] }\n}\n",
    )
    .expect("write");
    let context = AuthContext {
        base: dir.path().to_path_buf(),
        ..AuthContext::default()
    };
    let settings = json!({"key": "script-key-distinctive"});

    let auth =
        Authenticator::new("s", &script("bad.rhai", settings.clone()), &context).expect("built");
    let error = authorization(&auth).await.unwrap_err();
    assert!(error.message.contains("bad.rhai:3:"), "{error}");
    assert!(error.message.contains("refused: ***"), "{error}");
    assert!(!format!("{error:?}").contains("script-key-distinctive"));

    let auth =
        Authenticator::new("s", &script("loop.rhai", settings.clone()), &context).expect("built");
    let error = authorization(&auth).await.unwrap_err();
    assert!(error.message.contains("operations"), "{error}");

    let auth = Authenticator::new("s", &script("query.rhai", settings), &context).expect("built");
    let mut request = request();
    auth.authorize(&mut request).await.expect("authorized");
    let expected = hex::encode(sha2::Sha256::digest(b"GEThttp://127.0.0.1:9/api/items"));
    assert_eq!(
        request.url.query(),
        Some(format!("sig={expected}").as_str())
    );
    assert!(
        request
            .headers
            .contains(&("X-Key".into(), "script-key-distinctive".into()))
    );

    // No `fn authorize`, no file system.
    std::fs::write(dir.path().join("none.rhai"), "let x = 1;\n").expect("write");
    let error = Authenticator::new("s", &script("none.rhai", json!({})), &context).unwrap_err();
    assert!(
        error.message.contains("defines no `fn authorize"),
        "{error}"
    );
    std::fs::write(
        dir.path().join("fs.rhai"),
        "fn authorize(request, settings) { import \"x\" as y; #{} }\n",
    )
    .expect("write");
    let error = Authenticator::new("s", &script("fs.rhai", json!({})), &context).unwrap_err();
    assert!(error.message.contains("does not compile"), "{error}");
}

use sha2::Digest as _;

/// Distinctive credentials of every scheme never appear in an error or a `Debug` form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_errors_or_debug_output() {
    const LEAK: &str = "LEAKCHECK-7f3a9";
    let (endpoint, url) = start_endpoint().await;
    endpoint.fail.store(true, Ordering::SeqCst);
    let secret = |s: &str| Secret::new(format!("{LEAK}-{s}"));
    let configs = vec![
        Auth::OAuth1(OAuth1Auth {
            consumer_key: secret("ck"),
            consumer_secret: secret("cs"),
            token: Some(secret("t")),
            token_secret: Some(secret("ts")),
            signature_method: SignatureMethod::HmacSha1,
        }),
        Auth::OAuth2(OAuth2Auth {
            token_url: HttpUrl(url.clone()),
            client_id: secret("id"),
            client_secret: secret("secret"),
            grant: Grant::RefreshToken,
            refresh_token: Some(secret("refresh")),
            scope: None,
            client_auth: ClientAuth::Form,
        }),
        Auth::Jwt(JwtAuth {
            algorithm: JwtAlgorithm::Hs256,
            secret: Some(secret("jwt")),
            private_key: None,
            claims: BTreeMap::new(),
            ttl: None,
        }),
        Auth::Jwt(JwtAuth {
            algorithm: JwtAlgorithm::Rs256,
            secret: None,
            private_key: Some(secret("not a pem")),
            claims: BTreeMap::new(),
            ttl: None,
        }),
        script(
            "oauth2_refresh",
            json!({"token_url": url.as_str(), "client_id": format!("{LEAK}-id"),
                   "client_secret": format!("{LEAK}-secret"),
                   "refresh_token": format!("{LEAK}-refresh"), "client_auth": "form"}),
        ),
    ];
    let mut seen = String::new();
    for config in &configs {
        seen.push_str(&format!("{config:?}\n"));
        match Authenticator::new("leak", config, &AuthContext::default()) {
            Ok(auth) => {
                seen.push_str(&format!("{auth:?}\n"));
                if let Err(error) = authorization(&auth).await {
                    seen.push_str(&format!("{error}\n{error:?}\n"));
                }
            }
            Err(error) => seen.push_str(&format!("{error}\n{error:?}\n")),
        }
    }
    // The failing endpoint echoed the form, credentials included, in its error.
    assert!(seen.contains("cannot handle"), "{seen}");
    assert!(!seen.contains(LEAK), "a credential leaked:\n{seen}");
}

/// A script's `http_post` also works on a single-threaded runtime (the one thread waits
/// for the script while driving the request).
#[tokio::test]
async fn script_token_requests_work_on_a_current_thread_runtime() {
    let (endpoint, url) = start_endpoint().await;
    let config = script("oauth2_refresh.rhai", refresh_settings(&url));
    let auth = Authenticator::new("crm", &config, &AuthContext::default()).expect("built");
    assert_eq!(authorization(&auth).await.expect("ok"), "Bearer access-1");
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 1);
}

/// The script example of the README's "Script authentication" runs as documented.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_script_example_runs() {
    let readme = include_str!("../README.md");
    let example = readme
        .split("```rhai\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a rhai example in the README");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("sign.rhai"), example).expect("write");
    let context = AuthContext {
        base: dir.path().to_path_buf(),
        ..fixed_context()
    };
    let config = script("sign.rhai", json!({"secret": "s3cret-value", "key": "k1"}));
    let auth = Authenticator::new("shop", &config, &context).expect("built");
    let mut request = request();
    auth.authorize(&mut request).await.expect("authorized");
    let expected = hex::encode(
        <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(b"s3cret-value")
            .map(|mut mac| {
                hmac::Mac::update(&mut mac, b"GEThttp://127.0.0.1:9/api/items1318622958");
                hmac::Mac::finalize(mac).into_bytes().to_vec()
            })
            .expect("hmac"),
    );
    assert!(
        request
            .headers
            .contains(&("X-Signature".to_string(), expected)),
        "{:?}",
        request.headers
    );
    assert!(
        request
            .headers
            .contains(&("X-Timestamp".into(), "1318622958".into()))
    );
    assert_eq!(request.url.query(), Some("key=k1"));
}
