//! JSON Web Tokens signed by sluice (RFC 7519): HS256 with a shared secret or RS256 with
//! a PEM private key; the block's claims plus `iat` and `exp` (`ttl`, default 1 h). A
//! token is reused until shortly before it expires.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Map, Value};

use super::{AuthContext, Clock};
use crate::pipeline::{JwtAlgorithm, JwtAuth};

/// How long a token lives when the block gives no `ttl`.
const DEFAULT_TTL: chrono::Duration = chrono::Duration::hours(1);

/// The signer of one `type = "jwt"` block.
pub(crate) struct JwtSigner {
    key: EncodingKey,
    header: Header,
    claims: Map<String, Value>,
    ttl: chrono::Duration,
    margin: chrono::Duration,
    clock: Clock,
    /// The last token and when it expires.
    current: Mutex<Option<(String, DateTime<Utc>)>>,
}

impl JwtSigner {
    pub fn new(config: &JwtAuth, context: &AuthContext) -> Result<JwtSigner, String> {
        let (key, algorithm) = match config.algorithm {
            JwtAlgorithm::Hs256 => {
                let secret = config
                    .secret
                    .as_ref()
                    .ok_or("`algorithm = \"HS256\"` needs `secret`")?;
                (
                    EncodingKey::from_secret(secret.expose().as_bytes()),
                    jsonwebtoken::Algorithm::HS256,
                )
            }
            JwtAlgorithm::Rs256 => {
                let pem = config
                    .private_key
                    .as_ref()
                    .ok_or("`algorithm = \"RS256\"` needs `private_key`")?;
                let key = EncodingKey::from_rsa_pem(pem.expose().as_bytes()).map_err(|_| {
                    "`private_key` is not an RSA private key in PEM form".to_string()
                })?;
                (key, jsonwebtoken::Algorithm::RS256)
            }
        };
        let ttl = config
            .ttl
            .as_ref()
            .and_then(|t| chrono::Duration::from_std(t.get()).ok())
            .unwrap_or(DEFAULT_TTL);
        // A short-lived token is still reused for half its life.
        let margin = context.margin().min(ttl / 2);
        Ok(JwtSigner {
            key,
            header: Header::new(algorithm),
            claims: config
                .claims
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            ttl,
            margin,
            clock: context.clock.clone(),
            current: Mutex::new(None),
        })
    }

    /// A token valid for a while yet: the last one, or a newly signed one.
    pub fn token(&self) -> Result<String, String> {
        let now = self.clock.now();
        if let Ok(current) = self.current.lock()
            && let Some((token, expires)) = current.as_ref()
            && *expires - self.margin > now
        {
            return Ok(token.clone());
        }
        let expires = now + self.ttl;
        let mut claims = self.claims.clone();
        claims.insert("iat".into(), Value::from(now.timestamp()));
        claims.insert("exp".into(), Value::from(expires.timestamp()));
        let token = jsonwebtoken::encode(&self.header, &claims, &self.key)
            .map_err(|e| format!("cannot sign the token: {e}"))?;
        if let Ok(mut current) = self.current.lock() {
            *current = Some((token.clone(), expires));
        }
        Ok(token)
    }

    /// After a 401: sign a new token next time (the platform may have expected a fresher
    /// `iat`). Retrying helps only if the old one was reused.
    pub fn invalidate(&self) -> bool {
        self.current
            .lock()
            .map(|mut current| current.take().is_some())
            .unwrap_or(false)
    }
}
