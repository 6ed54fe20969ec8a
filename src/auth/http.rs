//! The one way auth code talks to the network: a POST to a token endpoint (form or
//! JSON), used by the OAuth 2 client and by auth scripts' `http_post`. Errors describe
//! the failure without the URL's query or any body, which may carry credentials.

use std::time::Duration;

use serde_json::Value;
use url::Url;

/// How long a token request may take in all.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest token response read.
const MAX_RESPONSE: usize = 1 << 20;

/// A client for token endpoints.
pub(crate) fn new_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| format!("cannot set up an HTTP client: {}", e.without_url()))
}

/// What a POST sends.
pub(crate) enum PostBody {
    /// `application/x-www-form-urlencoded` pairs.
    Form(Vec<(String, String)>),
    /// A JSON document.
    Json(Value),
}

/// A token endpoint's answer.
pub(crate) struct Response {
    pub status: u16,
    /// The body as JSON when it parses, else as text.
    pub body: Value,
}

/// POSTs `body` with `headers` to `url`. `Err` only when no answer came; an error
/// status is an `Ok` response for the caller to judge.
pub(crate) async fn post(
    client: &reqwest::Client,
    url: &Url,
    headers: &[(String, String)],
    body: PostBody,
) -> Result<Response, String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{}` URLs cannot be called", url.scheme()));
    }
    let mut request = client.post(url.clone());
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    request = match body {
        PostBody::Form(pairs) => {
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            request
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(encoded)
        }
        PostBody::Json(value) => request.json(&value),
    };
    let place = endpoint(url);
    let mut response = request
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| format!("cannot reach {place}: {}", describe(&e)))?;
    let status = response.status().as_u16();
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading the answer of {place} failed: {}", describe(&e)))?
    {
        if bytes.len() + chunk.len() > MAX_RESPONSE {
            return Err(format!("the answer of {place} is larger than 1 MiB"));
        }
        bytes.extend_from_slice(&chunk);
    }
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Ok(Response { status, body })
}

/// The endpoint without query or credentials, for messages: `https://host/path`.
pub(crate) fn endpoint(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

/// A reqwest error in words, without the URL.
fn describe(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    match error.source() {
        Some(source) => format!("{kind} ({source})"),
        None => kind.to_string(),
    }
}
