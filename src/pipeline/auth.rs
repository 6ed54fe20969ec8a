//! `[auth.NAME]`: the ways a connector can authenticate, one variant per `type`. Every
//! credential is a [`Secret`].

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::secret::Secret;
use super::template::HttpUrl;
use super::types::Duration;

/// One auth block, tagged on `type`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(tag = "type")]
pub enum Auth {
    /// A key sent in a header or a query parameter.
    #[serde(rename = "api_key")]
    ApiKey(ApiKeyAuth),
    /// HTTP basic authentication.
    #[serde(rename = "basic")]
    Basic(BasicAuth),
    /// `Authorization: Bearer TOKEN`.
    #[serde(rename = "bearer")]
    Bearer(BearerAuth),
    /// OAuth 1.0a request signing.
    #[serde(rename = "oauth1")]
    OAuth1(OAuth1Auth),
    /// OAuth 2 access tokens from a token endpoint, cached until they expire.
    #[serde(rename = "oauth2")]
    OAuth2(OAuth2Auth),
    /// A JSON Web Token signed per request (or per `ttl`).
    #[serde(rename = "jwt")]
    Jwt(JwtAuth),
    /// A Rhai script that returns the headers and query to add.
    #[serde(rename = "script")]
    Script(ScriptAuth),
}

/// `type = "api_key"`: exactly one of `header` and `query`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ApiKeyAuth {
    /// The header that carries the key, e.g. `Api-Key`.
    pub header: Option<String>,
    /// Or the query parameter that carries it, e.g. `api_key`.
    pub query: Option<String>,
    /// The key.
    pub key: Secret,
}

/// `type = "basic"`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BasicAuth {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: Secret,
}

/// `type = "bearer"`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BearerAuth {
    /// The token.
    pub token: Secret,
}

/// `type = "oauth1"`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OAuth1Auth {
    /// The consumer (application) key.
    pub consumer_key: Secret,
    /// The consumer secret.
    pub consumer_secret: Secret,
    /// The access token (absent for two-legged OAuth).
    pub token: Option<Secret>,
    /// The access token's secret.
    pub token_secret: Option<Secret>,
    /// How requests are signed.
    #[serde(default)]
    pub signature_method: SignatureMethod,
}

/// OAuth 1 signature methods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum SignatureMethod {
    #[default]
    #[serde(rename = "HMAC-SHA1")]
    HmacSha1,
    #[serde(rename = "HMAC-SHA256")]
    HmacSha256,
    #[serde(rename = "PLAINTEXT")]
    Plaintext,
}

/// `type = "oauth2"`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OAuth2Auth {
    /// The token endpoint.
    pub token_url: HttpUrl,
    /// The client id.
    pub client_id: Secret,
    /// The client secret.
    pub client_secret: Secret,
    /// How a token is obtained.
    #[serde(default)]
    pub grant: Grant,
    /// The refresh token (required with `grant = "refresh_token"`).
    pub refresh_token: Option<Secret>,
    /// Scopes to ask for, separated by spaces.
    pub scope: Option<String>,
    /// How the client id and secret reach the token endpoint (default `basic`).
    #[serde(default)]
    pub client_auth: ClientAuth,
}

/// How an OAuth 2 client authenticates to the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// An `Authorization: Basic` header (what the RFC asks servers to support).
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Form,
}

/// OAuth 2 grant types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    #[default]
    ClientCredentials,
    RefreshToken,
}

/// `type = "jwt"`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct JwtAuth {
    /// The signing algorithm.
    pub algorithm: JwtAlgorithm,
    /// The shared secret (HS256).
    pub secret: Option<Secret>,
    /// The PEM private key (RS256).
    pub private_key: Option<Secret>,
    /// Claims added to every token (`iat` and `exp` are set by sluice).
    #[serde(default)]
    pub claims: BTreeMap<String, serde_json::Value>,
    /// How long a token lives (default 1h).
    pub ttl: Option<Duration>,
}

/// JWT signing algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum JwtAlgorithm {
    /// HMAC with SHA-256 and a shared `secret`.
    #[serde(rename = "HS256")]
    Hs256,
    /// RSA with SHA-256 and a `private_key`.
    #[serde(rename = "RS256")]
    Rs256,
}

/// `type = "script"`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ScriptAuth {
    /// The Rhai script, relative to the pipeline file (or in a library folder such as
    /// `stdlib/auth`).
    pub file: String,
    /// Settings handed to the script, kept as a secret since settings of auth scripts
    /// are mostly credentials.
    #[serde(default = "no_settings")]
    pub settings: Secret<BTreeMap<String, serde_json::Value>>,
}

fn no_settings() -> Secret<BTreeMap<String, serde_json::Value>> {
    Secret::new(BTreeMap::new())
}

impl Auth {
    /// The `type` as written.
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::ApiKey(_) => "api_key",
            Auth::Basic(_) => "basic",
            Auth::Bearer(_) => "bearer",
            Auth::OAuth1(_) => "oauth1",
            Auth::OAuth2(_) => "oauth2",
            Auth::Jwt(_) => "jwt",
            Auth::Script(_) => "script",
        }
    }
}
