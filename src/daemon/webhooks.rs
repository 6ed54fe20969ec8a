//! Receiving webhooks: a POST (a record in its JSON body) or a GET (`?id=…`, an id-only
//! notification) on a pipeline's `[webhook] path`. A call is checked (signature, body),
//! stored in the state's inbox — durably, in a transaction that also recognises a
//! repeated delivery and that concurrent calls share (`ingest.rs`, group commit) — and
//! only then answered with 202. The pipeline's inbox worker (`worker.rs`) applies it
//! afterwards.
//!
//! Signatures: with `secret` set, the `signature_header` (default
//! `X-Sluice-Signature`) must hold `sha256=<hex>`, the HMAC-SHA256 under the secret of
//! the body of a POST or the query string of a GET; it is compared in constant time.
//! A missing or wrong signature is a 401 and nothing is stored.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Event, Shared, json_check, worker};
use crate::pipeline::Webhook;
use crate::report::Trigger;
use crate::state::{EncodedEvent, InboxEvent, Incoming, Received};

/// The signature header when `signature_header` does not name one.
pub const SIGNATURE_HEADER: &str = "X-Sluice-Signature";
/// The delivery id header when `delivery_header` does not name one.
pub const DELIVERY_HEADER: &str = "X-Delivery-Id";
/// How long a delivery id is remembered.
const DELIVERY_MEMORY: chrono::Duration = chrono::Duration::hours(24);
/// How long a body is remembered when the call has no delivery id and the pipeline
/// sets no `dedupe_window`.
const BODY_MEMORY: std::time::Duration = std::time::Duration::from_secs(600);

/// Any request no other route took: a webhook when its path is a pipeline's
/// `[webhook] path`, else 404. The request is taken whole (its head is not copied
/// as separate extractors would) and its body read only once the route is known.
pub(super) async fn receive(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let Some((name, prepared)) = shared.webhook_at(request.uri().path()) else {
        return answer(StatusCode::NOT_FOUND, json!({ "error": "no such route" }));
    };
    let Some(hook) = prepared.pipeline.webhook.as_ref() else {
        return answer(StatusCode::NOT_FOUND, json!({ "error": "no such route" }));
    };
    let method = request.method().clone();
    let query = request.uri().query().unwrap_or_default().to_string();
    let signature_header = hook.signature_header.as_deref().unwrap_or(SIGNATURE_HEADER);
    let delivery_header = hook.delivery_header.as_deref().unwrap_or(DELIVERY_HEADER);
    let given = request.headers().get(signature_header).cloned();
    let delivery = request.headers().get(delivery_header).cloned();
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let signed: &[u8] = if method == Method::GET {
        query.as_bytes()
    } else {
        &body
    };
    if let Some(secret) = &hook.secret {
        let given = given.as_ref().and_then(|v| v.to_str().ok());
        if !signature_ok(secret.expose().as_bytes(), given, signed) {
            let error = format!("missing or wrong signature in `{signature_header}`");
            return answer(StatusCode::UNAUTHORIZED, json!({ "error": error }));
        }
    }
    let received_at = Utc::now();
    let delivery_id = delivery
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let event = match event(&method, &query, &body, hook, received_at, delivery_id) {
        Ok(event) => event,
        Err((code, error)) => return answer(code, json!({ "pipeline": name, "error": error })),
    };
    let (key, until) = match delivery_id {
        Some(delivery) => (format!("id:{delivery}"), received_at + DELIVERY_MEMORY),
        None => {
            let mut digest = Sha256::new();
            digest.update(method.as_str().as_bytes());
            digest.update(b"\n");
            digest.update(signed);
            let window = hook.dedupe_window.as_ref().map_or(BODY_MEMORY, |d| d.get());
            let window = chrono::Duration::from_std(window).unwrap_or(DELIVERY_MEMORY);
            (
                format!("body:{}", hex::encode(digest.finalize())),
                received_at + window,
            )
        }
    };
    let call = Incoming {
        pipeline: name.clone(),
        event,
        key,
        remember_until: until,
    };
    match shared.ingest.store(call).await {
        Ok(Received::Stored(seq)) => {
            worker::wake(&shared, &name);
            let accepted = Accepted {
                pipeline: &name,
                accepted: seq,
            };
            (StatusCode::ACCEPTED, Json(accepted)).into_response()
        }
        Ok(Received::Duplicate) => answer(
            StatusCode::OK,
            json!({ "pipeline": name, "duplicate": true }),
        ),
        Err(e) => stored_failed(&shared, name, e),
    }
}

/// The answer to a stored call (written straight from this, not through a
/// `serde_json::Value`).
#[derive(Serialize)]
struct Accepted<'a> {
    pipeline: &'a str,
    accepted: u64,
}

/// The event a call stores: a GET's `?id=`; a POST's JSON body, checked to be a JSON
/// object and kept as it came.
fn event(
    method: &Method,
    query: &str,
    body: &[u8],
    hook: &Webhook,
    received_at: DateTime<Utc>,
    delivery_id: Option<&str>,
) -> Result<EncodedEvent, (StatusCode, String)> {
    let bad = |message: String| (StatusCode::BAD_REQUEST, message);
    let encoded = |e: serde_json::Error| {
        let error = format!("the event could not be encoded: {e}");
        (StatusCode::INTERNAL_SERVER_ERROR, error)
    };
    if *method == Method::GET {
        if hook.fetch.is_none() {
            return Err(bad(
                "a GET notification needs `fetch` in the pipeline's [webhook]".into(),
            ));
        }
        let id = url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "id")
            .map(|(_, value)| value.into_owned())
            .filter(|id| !id.is_empty());
        let Some(id) = id else {
            return Err(bad("a GET notification needs `?id=`".into()));
        };
        let event = InboxEvent {
            received_at,
            delivery_id: delivery_id.map(str::to_string),
            body: None,
            id: Some(id),
        };
        return EncodedEvent::of(&event).map_err(encoded);
    }
    if *method != Method::POST {
        return Err((
            StatusCode::METHOD_NOT_ALLOWED,
            "webhooks take POST or GET".into(),
        ));
    }
    let object = json_check::object(body).map_err(|e| bad(e.to_string()))?;
    EncodedEvent::post(received_at, delivery_id, object).map_err(encoded)
}

/// Whether `given` is `sha256=<hex>` of the HMAC-SHA256 of `signed` under `key`,
/// compared in constant time.
fn signature_ok(key: &[u8], given: Option<&str>, signed: &[u8]) -> bool {
    let Some(hex_text) = given.and_then(|g| g.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(signature) = hex::decode(hex_text) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    mac.update(signed);
    mac.verify_slice(&signature).is_ok()
}

fn stored_failed(shared: &Shared, pipeline: String, error: String) -> Response {
    shared.emit(&Event::Failed {
        pipeline: pipeline.clone(),
        trigger: Trigger::Webhook,
        error: format!("a webhook call could not be stored: {error}"),
    });
    answer(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({ "pipeline": pipeline, "error": "the event could not be stored" }),
    )
}

fn answer(code: StatusCode, body: serde_json::Value) -> Response {
    (code, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(key: &[u8], message: &[u8]) -> String {
        format!(
            "sha256={}",
            hex::encode(crate::auth::primitives::hmac_sha256(key, message))
        )
    }

    #[test]
    fn signatures_are_checked() {
        let good = sign(b"k", b"{}");
        assert!(signature_ok(b"k", Some(&good), b"{}"));
        assert!(!signature_ok(b"k", Some(&good), b"{ }"));
        assert!(!signature_ok(b"other", Some(&good), b"{}"));
        assert!(!signature_ok(b"k", None, b"{}"));
        assert!(!signature_ok(b"k", Some("sha256=zz"), b"{}"));
        assert!(!signature_ok(
            b"k",
            Some(good.trim_start_matches("sha256=")),
            b"{}"
        ));
    }
}
