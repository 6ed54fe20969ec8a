//! The management API (axum): `POST /pipelines/{name}/run` asks for a manual run,
//! `GET /status` tells each pipeline's last run, next scheduled run and what it waits
//! for; every other path is tried as a pipeline's webhook. All routes are built here,
//! in one function.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::Shared;
use crate::report::Trigger;
use crate::schedule::{PipelineStatus, Refused};

/// The daemon's routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/status", get(status))
        .route("/pipelines/{name}/run", post(trigger))
        .fallback(super::webhooks::receive)
        .with_state(shared)
}

/// The body of `GET /status`.
#[derive(Debug, Serialize)]
struct StatusBody {
    /// The daemon's time.
    now: DateTime<Utc>,
    /// Every pipeline, by name.
    pipelines: Vec<PipelineStatus>,
    /// The errors of the last hot reload (empty when it succeeded): pipelines named
    /// there are served in their previous version.
    reload_errors: Vec<String>,
}

async fn status(State(shared): State<Arc<Shared>>) -> Json<StatusBody> {
    let now = shared.clock.now();
    let pipelines = shared.planner().status();
    let reload_errors = shared
        .reload_errors
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    Json(StatusBody {
        now,
        pipelines,
        reload_errors,
    })
}

/// 202 when accepted or queued; 404 unknown; 409 disabled; 429 too soon (with
/// `Retry-After`); 503 while shutting down.
async fn trigger(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    if shared.stopping() {
        let body = json!({ "error": "the daemon is shutting down" });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    let now = shared.clock.now();
    let answer = shared.planner().trigger(&name, Trigger::Manual, now);
    match answer {
        Ok(accepted) => {
            shared.wake.notify_one();
            let body = json!({ "pipeline": name, "accepted": accepted });
            (StatusCode::ACCEPTED, Json(body)).into_response()
        }
        Err(refused) => {
            let code = match refused {
                Refused::Unknown(_) => StatusCode::NOT_FOUND,
                Refused::Disabled(_) => StatusCode::CONFLICT,
                Refused::TooSoon { .. } => StatusCode::TOO_MANY_REQUESTS,
            };
            let wait = refused.retry_after_secs();
            let body = json!({
                "pipeline": name,
                "error": refused.to_string(),
                "retry_after_seconds": wait,
            });
            let mut response = (code, Json(body)).into_response();
            if let Some(seconds) = wait {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
    }
}
