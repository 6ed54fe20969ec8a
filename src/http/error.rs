//! What can go wrong with an HTTP call, in words fit for a report: the method, the
//! URL's path (never its query, which may carry a key), the status and an excerpt of
//! the response body. Request headers are never shown.

use crate::auth::AuthError;

/// How many characters of a response body an error shows.
pub const EXCERPT_CHARS: usize = 300;

/// Why an HTTP call failed (after any retries).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HttpError {
    /// The platform answered with an error status.
    #[error("{request} answered {status}{}", body_suffix(.excerpt))]
    Status {
        /// `POST /people`.
        request: String,
        /// The status code.
        status: u16,
        /// The start of the response body.
        excerpt: String,
    },
    /// No answer: connection refused or reset, DNS, TLS, or the timeout.
    #[error("{request} failed: {message}")]
    Transport {
        /// `GET https://host/path`.
        request: String,
        /// What happened, without the URL.
        message: String,
    },
    /// The request could not be signed.
    #[error("{0}")]
    Auth(#[from] AuthError),
    /// The answer is not what was expected (not JSON, no list of records).
    #[error("{request}: {message}")]
    Response {
        /// `GET https://host/path`.
        request: String,
        /// What was wrong with the answer.
        message: String,
    },
    /// The request could not be built (a bad URL, a placeholder without a value).
    #[error("{0}")]
    Request(String),
    /// The shared runtime could not start.
    #[error("{0}")]
    Runtime(String),
}

impl HttpError {
    /// The HTTP status, when the platform answered with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

fn body_suffix(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!(": {excerpt}")
    }
}

/// How a request is named in messages: the method and the URL without its query or
/// any user name or password in it.
pub fn describe(method: &str, url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("");
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{method} {}://{host}{port}{}", url.scheme(), url.path())
}

/// The start of a response body as one line: control characters become spaces,
/// runs of spaces shrink to one, and it is cut at [`EXCERPT_CHARS`] characters.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut count = 0;
    let mut space = false;
    for c in text.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' {
            if space || out.is_empty() {
                continue;
            }
            space = true;
        } else {
            space = false;
        }
        if count == EXCERPT_CHARS {
            out.push('…');
            return out;
        }
        out.push(c);
        count += 1;
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(
            excerpt(b"  {\"error\":\n\t\"bad\"}  "),
            "{\"error\": \"bad\"}"
        );
        let long = "x".repeat(1000);
        let cut = excerpt(long.as_bytes());
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn descriptions_leave_out_query_and_credentials() {
        let url = url::Url::parse("https://u:p@api.example.com:8443/v1/people?api_key=SECRET")
            .expect("a URL");
        let text = describe("GET", &url);
        assert_eq!(text, "GET https://api.example.com:8443/v1/people");
    }

    #[test]
    fn status_errors_show_the_excerpt() {
        let e = HttpError::Status {
            request: "POST http://h/people".into(),
            status: 422,
            excerpt: "{\"email\":\"invalid\"}".into(),
        };
        assert_eq!(
            e.to_string(),
            "POST http://h/people answered 422: {\"email\":\"invalid\"}"
        );
    }
}
