//! The HTTP client every connector sends through: each request is throttled (rate and
//! concurrency), signed by the pipeline's authenticator, sent with a timeout and, on
//! 408, 429, 5xx, a timeout or a connection error, tried again after a backoff (or the
//! platform's `Retry-After`). A 401 makes a token scheme refresh its token once. Any
//! other 4xx is final: the error carries the status and an excerpt of the body.
//!
//! A request that is not safe to repeat (a create) can be sent with a check
//! ([`Client::send_checked`]): when an attempt failed in a way the platform may
//! nevertheless have applied (a timeout, a connection lost after sending, a 5xx), the
//! check (a lookup) runs before the request is sent again.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::error::{HttpError, describe, excerpt};
use super::limit::Limits;
use super::retry::{RetryPolicy, parse_retry_after};
use super::transport::{SendError, Transport};
use crate::auth::{Authenticator, OutgoingRequest, RequestBody};
use crate::engine::doc::Doc;
use crate::pipeline::RateLimit;

/// The timeout of one attempt when the pipeline sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// What a client is built from.
pub struct ClientSettings<'a> {
    /// Signs every request; `None` sends them as they are.
    pub auth: Option<Authenticator>,
    /// Headers added to every request (the authenticator's win over them).
    pub headers: Vec<(String, String)>,
    /// At most this many request starts per period.
    pub rate_limit: Option<&'a RateLimit>,
    /// Requests in flight at once (default 1).
    pub concurrency: Option<u32>,
    /// Attempts and waits for requests worth trying again.
    pub retry: RetryPolicy,
    /// The timeout of one attempt, reading the body included.
    pub timeout: Duration,
}

/// A platform's answer: a 2xx, or an error status the caller asked to see.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Vec<u8>,
    /// `GET https://host/path`, for messages.
    pub request: String,
    /// Credentials the request carried, blanked out of messages that quote the body.
    pub hidden: Vec<String>,
}

/// A page's body: read in place, or (when its records cannot be) a JSON value.
#[derive(Debug)]
pub enum PageBody {
    Doc(Arc<Doc>),
    Json(serde_json::Value),
}

impl Response {
    /// The body as JSON; an empty body is `null`.
    pub fn json(&self) -> Result<serde_json::Value, HttpError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(serde_json::Value::Null);
        }
        // UTF-8 checked once for the whole body, not string by string as the parser
        // would (a body that is not UTF-8 goes to the parser, which says where).
        let parsed = match std::str::from_utf8(&self.body) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(&self.body),
        };
        parsed.map_err(|e| HttpError::Response {
            request: self.request.clone(),
            message: format!(
                "the answer is not JSON ({e}): {}",
                excerpt(hide(&self.body, &self.hidden).as_bytes())
            ),
        })
    }

    /// The body as a page of records at the dotted `records` path: read in place
    /// (see [`Doc`]) when its records are a list (or missing), else as a JSON value,
    /// whose errors say what is wrong.
    pub fn page(mut self, records: Option<&str>) -> Result<PageBody, HttpError> {
        // The body is taken, not copied, and put back when it is not read in place.
        self.body = match String::from_utf8(std::mem::take(&mut self.body)) {
            Ok(text) if !text.trim().is_empty() => match Doc::read(text, records) {
                Ok(doc) => return Ok(PageBody::Doc(Arc::new(doc))),
                Err(text) => text.into_bytes(),
            },
            Ok(text) => text.into_bytes(),
            Err(e) => e.into_bytes(),
        };
        self.json().map(PageBody::Json)
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One connector's client.
pub struct Client {
    clients: Transport,
    auth: Option<Authenticator>,
    headers: Vec<(String, String)>,
    limits: Limits,
    retry: RetryPolicy,
    timeout: Duration,
}

/// What one attempt came to.
enum Attempt {
    Done(Response),
    /// Worth another try, after the platform's wait if it named one.
    Retry(HttpError, Option<Duration>, Reached),
    Unauthorized(HttpError),
    Final(HttpError),
}

/// Whether a failed attempt may have been applied by the platform all the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reached {
    /// Certainly not: no connection was made, or the platform said it did not take it
    /// (408, 429).
    No,
    /// Perhaps: the request was sent and no answer came (a timeout, a connection lost),
    /// or the platform failed while handling it (5xx).
    Maybe,
}

/// The check of a request sent without one: never called.
type NoCheck = fn() -> std::future::Ready<Result<Option<Infallible>, HttpError>>;

/// What a request sent with a check came to: the platform's answer, or what the check
/// found after an attempt that may have been applied.
#[derive(Debug)]
pub enum Checked<T> {
    Answered(Response),
    Found(T),
}

impl Client {
    /// Builds the client (no request is sent).
    pub fn new(settings: ClientSettings<'_>) -> Result<Client, HttpError> {
        let clients = Transport::new(settings.timeout)
            .map_err(|e| HttpError::Runtime(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            clients,
            auth: settings.auth,
            headers: settings.headers,
            limits: Limits::new(settings.rate_limit, settings.concurrency),
            retry: settings.retry,
            timeout: settings.timeout,
        })
    }

    /// How many requests may be in flight at once.
    pub fn concurrency(&self) -> usize {
        self.limits.concurrency()
    }

    /// Sends `request` until it succeeds, fails for good, or runs out of attempts.
    /// Statuses in `accept` (say 404 for a lookup) come back as responses, not errors.
    pub async fn send(
        &self,
        request: &OutgoingRequest,
        accept: &[u16],
    ) -> Result<Response, HttpError> {
        let no_check: Option<NoCheck> = None;
        match self.exchange(request, accept, no_check).await? {
            Checked::Answered(response) => Ok(response),
            Checked::Found(never) => match never {},
        }
    }

    /// Like [`send`](Client::send), for a request that must not be applied twice
    /// (a create): after an attempt that the platform may have applied although it
    /// failed (a timeout, a connection lost after sending, a 5xx), `check` runs —
    /// after the usual wait — before anything is sent again. What it finds
    /// (`Some`) ends the request as [`Checked::Found`]; `None` means not applied, and
    /// the request is sent again while attempts remain. A check that fails ends the
    /// request with the attempt's error: sending again blindly could apply it twice.
    /// The check also runs after the last attempt, so a write the platform took is
    /// found rather than reported as failed.
    pub async fn send_checked<T>(
        &self,
        request: &OutgoingRequest,
        accept: &[u16],
        check: impl AsyncFnMut() -> Result<Option<T>, HttpError>,
    ) -> Result<Checked<T>, HttpError> {
        self.exchange(request, accept, Some(check)).await
    }

    async fn exchange<T>(
        &self,
        request: &OutgoingRequest,
        accept: &[u16],
        mut check: Option<impl AsyncFnMut() -> Result<Option<T>, HttpError>>,
    ) -> Result<Checked<T>, HttpError> {
        let mut attempt = 1;
        let mut refreshed = false;
        loop {
            match self.attempt(request, accept).await {
                Attempt::Done(response) => return Ok(Checked::Answered(response)),
                Attempt::Final(error) => return Err(error),
                Attempt::Unauthorized(error) => {
                    let retry = !refreshed && self.auth.as_ref().is_some_and(|a| a.invalidate());
                    if !retry {
                        return Err(error);
                    }
                    refreshed = true;
                }
                Attempt::Retry(error, asked, reached) => {
                    let last = attempt >= self.retry.attempts;
                    match (reached, check.as_mut()) {
                        (Reached::Maybe, Some(check)) => {
                            // Give the platform the usual wait to finish what it
                            // may have started, then look.
                            tokio::time::sleep(self.retry.wait(attempt, asked)).await;
                            match check().await {
                                Ok(Some(found)) => return Ok(Checked::Found(found)),
                                Ok(None) if !last => {}
                                Ok(None) | Err(_) => return Err(error),
                            }
                        }
                        _ if last => return Err(error),
                        _ => tokio::time::sleep(self.retry.wait(attempt, asked)).await,
                    }
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(&self, request: &OutgoingRequest, accept: &[u16]) -> Attempt {
        let described = describe(&request.method, &request.url);
        let mut request = request.clone();
        for (name, value) in &self.headers {
            if !request
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                request.headers.push((name.clone(), value.clone()));
            }
        }
        // The slot is taken before signing (a signature or token is then fresh when
        // sent) and held while the request is in flight and its body is read.
        let permit = self.limits.acquire().await;
        let unsigned = (request.headers.clone(), request.url.clone());
        if let Some(auth) = &self.auth
            && let Err(e) = auth.authorize(&mut request).await
        {
            return Attempt::Final(e.into());
        }
        let hidden = self.hidden(&unsigned, &request);
        let built = match self.build(&request, &described) {
            Ok(built) => built,
            Err(e) => return Attempt::Final(e),
        };
        let response = match self.clients.execute(built).await {
            Ok(response) => response,
            Err(SendError::Transport(e)) => return self.transport(&described, &e),
            Err(SendError::Setup(message)) => return Attempt::Final(HttpError::Runtime(message)),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            // One contiguous buffer: taken over, not copied.
            Ok(body) => Vec::from(body),
            Err(e) => return self.transport(&described, &e),
        };
        drop(permit);
        if (200..300).contains(&status) || accept.contains(&status) {
            return Attempt::Done(Response {
                status,
                headers,
                body,
                request: described,
                hidden,
            });
        }
        let error = HttpError::Status {
            request: described,
            status,
            excerpt: excerpt(hide(&body, &hidden).as_bytes()),
        };
        match status {
            401 => Attempt::Unauthorized(error),
            408 | 429 | 500..=599 => {
                let asked = headers
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now()));
                let reached = if matches!(status, 408 | 429) {
                    Reached::No
                } else {
                    Reached::Maybe
                };
                Attempt::Retry(error, asked, reached)
            }
            _ => Attempt::Final(error),
        }
    }

    /// What a platform must not see quoted back in a message: the auth block's
    /// credentials and whatever signing added to the request (header values, and the
    /// part after a scheme word such as `Bearer`; query values).
    fn hidden(
        &self,
        (headers, url): &(Vec<(String, String)>, url::Url),
        signed: &OutgoingRequest,
    ) -> Vec<String> {
        let Some(auth) = &self.auth else {
            return Vec::new();
        };
        let mut hidden = auth.secrets().to_vec();
        for (name, value) in &signed.headers {
            if headers.iter().any(|(n, v)| n == name && v == value) {
                continue;
            }
            hidden.push(value.clone());
            if let Some((_, rest)) = value.split_once(' ') {
                hidden.push(rest.trim().to_string());
            }
        }
        let before: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        for pair in signed.url.query_pairs().into_owned() {
            if !before.contains(&pair) {
                hidden.push(pair.1);
            }
        }
        hidden
    }

    /// A transport failure, retried unless the request itself was bad. The message
    /// leaves the URL out (its query may hold a key).
    fn transport(&self, request: &str, error: &reqwest::Error) -> Attempt {
        let message = if error.is_timeout() {
            format!("no answer within {:?}", self.timeout)
        } else {
            let mut message = error_chain(error);
            if error.is_connect() {
                message = format!("cannot connect ({message})");
            }
            message
        };
        let error_out = HttpError::Transport {
            request: request.to_string(),
            message,
        };
        if error.is_builder() {
            Attempt::Final(error_out)
        } else if error.is_connect() {
            Attempt::Retry(error_out, None, Reached::No)
        } else {
            Attempt::Retry(error_out, None, Reached::Maybe)
        }
    }

    fn build(
        &self,
        request: &OutgoingRequest,
        described: &str,
    ) -> Result<reqwest::Request, HttpError> {
        let bad = |what: String| HttpError::Request(format!("{described}: {what}"));
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| bad(format!("`{}` is not an HTTP method", request.method)))?;
        let mut built = reqwest::Request::new(method, request.url.clone());
        let headers = built.headers_mut();
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        for (name, value) in &request.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| bad(format!("`{name}` is not a valid header name")))?;
            // The value may be a credential: it is never shown.
            let value = HeaderValue::from_str(value)
                .map_err(|_| bad(format!("the value of header `{name}` is not valid")))?;
            headers.insert(name, value);
        }
        let (content_type, body) = match &request.body {
            RequestBody::Empty => return Ok(built),
            RequestBody::Json(value) => (
                "application/json",
                serde_json::to_vec(value).map_err(|e| bad(e.to_string()))?,
            ),
            RequestBody::Form(pairs) => (
                "application/x-www-form-urlencoded",
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs)
                    .finish()
                    .into_bytes(),
            ),
        };
        if !built.headers().contains_key(reqwest::header::CONTENT_TYPE) {
            built.headers_mut().insert(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static(content_type),
            );
        }
        *built.body_mut() = Some(body.into());
        Ok(built)
    }
}

/// A body as text with every credential in `hidden` (also percent- or form-encoded)
/// as `***`; blanked before it is cut short, so no part of a credential is left.
fn hide(body: &[u8], hidden: &[String]) -> String {
    let text = String::from_utf8_lossy(body);
    if hidden.is_empty() {
        return text.into_owned();
    }
    let hidden: Vec<&str> = hidden.iter().map(String::as_str).collect();
    crate::auth::redact(&text, &hidden)
}

/// An error and its causes, without the URL reqwest puts in its own message.
fn error_chain(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut parts = Vec::new();
    let mut cause = error.source();
    while let Some(e) = cause {
        let text = e.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        cause = e.source();
    }
    if parts.is_empty() {
        parts.push(if error.is_request() {
            "the request could not be sent".to_string()
        } else {
            "the answer could not be read".to_string()
        });
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &[u8]) -> Response {
        Response {
            status: 200,
            headers: HeaderMap::new(),
            body: body.to_vec(),
            request: "GET http://127.0.0.1/records".to_string(),
            hidden: vec!["s3cret".to_string()],
        }
    }

    #[test]
    fn answers_parse_as_json_and_bad_ones_say_why_without_secrets() {
        let parsed = answer(br#"{"data":[{"name":"\u00e9t\u00e9 \"x\""}]}"#)
            .json()
            .expect("parses");
        assert_eq!(parsed["data"][0]["name"], "été \"x\"");
        assert_eq!(
            answer("{\"name\":\"Zoë\"}".as_bytes())
                .json()
                .expect("utf-8")["name"],
            "Zoë"
        );
        assert_eq!(
            answer(b" \n").json().expect("empty"),
            serde_json::Value::Null
        );
        for bad in [
            &b"{\"name\":\"\xff\"}"[..],
            b"<html>s3cret</html>",
            b"{\"a\":1",
        ] {
            let message = answer(bad).json().expect_err("not JSON").to_string();
            assert!(message.contains("the answer is not JSON"), "{message}");
            assert!(!message.contains("s3cret"), "{message}");
        }
    }
}
