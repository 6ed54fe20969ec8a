//! The reqwest clients behind [`super::client::Client`]: one for `http://` that loads no
//! TLS root certificates, and one for `https://` built at the first such request.
//! Reading the system's root certificates (a bundle and a directory of files) takes
//! milliseconds, which every run against an `http://` API (a loopback or intranet
//! platform) would otherwise pay for nothing.
//!
//! A redirect from `http://` to another scheme is not followed by the plain client: the
//! request is sent again, from the start, through the TLS client, which follows the
//! redirects itself — the same requests reach the platform as with one client.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::redirect::Policy;

/// As many redirects as reqwest follows by default.
const MAX_REDIRECTS: usize = 10;

/// What an exchange can fail with before an answer.
pub(super) enum SendError {
    /// The request could not be sent or answered (connection, timeout, body).
    Transport(reqwest::Error),
    /// The TLS client could not be built.
    Setup(String),
}

/// The clients, by scheme.
pub(super) struct Transport {
    plain: reqwest::Client,
    secure: OnceLock<reqwest::Client>,
    timeout: Duration,
}

impl Transport {
    /// The plain client now, the TLS client when first needed; `timeout` is each
    /// attempt's, reading the body included.
    pub fn new(timeout: Duration) -> Result<Transport, reqwest::Error> {
        let plain = builder(timeout)
            // No TLS roots: this client never makes a TLS connection.
            .tls_certs_only(Vec::new())
            .redirect(Policy::custom(|attempt| {
                if attempt.url().scheme() != "http" {
                    attempt.stop()
                } else if attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else {
                    attempt.follow()
                }
            }))
            .build()?;
        Ok(Transport {
            plain,
            secure: OnceLock::new(),
            timeout,
        })
    }

    /// Sends `request` through the client for its scheme.
    pub async fn execute(&self, request: reqwest::Request) -> Result<reqwest::Response, SendError> {
        if request.url().scheme() != "http" {
            return self
                .secure()?
                .execute(request)
                .await
                .map_err(SendError::Transport);
        }
        let again = request.try_clone();
        let response = self
            .plain
            .execute(request)
            .await
            .map_err(SendError::Transport)?;
        match again {
            Some(again) if redirects_off_http(&response) => self
                .secure()?
                .execute(again)
                .await
                .map_err(SendError::Transport),
            _ => Ok(response),
        }
    }

    fn secure(&self) -> Result<&reqwest::Client, SendError> {
        if let Some(client) = self.secure.get() {
            return Ok(client);
        }
        let client = builder(self.timeout)
            .build()
            .map_err(|e| SendError::Setup(format!("cannot build the HTTP client: {e}")))?;
        Ok(self.secure.get_or_init(|| client))
    }
}

fn builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
}

/// Whether `response` is a redirect the plain client stopped at: one to a URL that is
/// not `http://`.
fn redirects_off_http(response: &reqwest::Response) -> bool {
    if !response.status().is_redirection() {
        return false;
    }
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|location| location.to_str().ok())
        .and_then(|location| response.url().join(location).ok())
        .is_some_and(|target| target.scheme() != "http")
}
