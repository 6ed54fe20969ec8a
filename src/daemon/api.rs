//! The management API (axum): `POST /pipelines/{name}/run` asks for a manual run,
//! `GET /status` tells each pipeline's last run, next scheduled run and what it waits
//! for, `GET /pipelines/{name}/runs` its stored reports, `GET /metrics` the same in
//! Prometheus text, `GET /health` that the daemon answers; every other path is tried
//! as a pipeline's webhook. With an API token (`SLUICE_API_TOKEN`) the management
//! routes want `Authorization: Bearer <token>`; `/health` and webhooks (which have
//! their signatures) do not. All routes are built here, in one function.

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Shared;
use crate::report::Trigger;
use crate::schedule::{PipelineStatus, Refused};

/// The daemon's routes.
pub fn router(shared: Arc<Shared>) -> Router {
    let management = Router::new()
        .route("/status", get(status))
        .route("/metrics", get(metrics))
        .route("/pipelines", get(pipelines))
        .route("/pipelines/{name}/run", post(trigger))
        .route("/pipelines/{name}/runs", get(runs))
        .route_layer(middleware::from_fn_with_state(shared.clone(), authorized));
    Router::new()
        .merge(management)
        .route("/health", get(health))
        .fallback(super::webhooks::receive)
        .with_state(shared)
}

/// Lets a management request through when no token is set or it carries the token.
async fn authorized(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if let Some(token) = &shared.api_token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !same(given.as_bytes(), token.expose().as_bytes()) {
            let body = json!({ "error": "a bearer token (SLUICE_API_TOKEN) is required" });
            let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
    }
    next.run(request).await
}

/// Equal bytes, compared in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `?limit=N` for the runs of a pipeline.
#[derive(Debug, Deserialize)]
struct Limit {
    limit: Option<usize>,
}

/// A pipeline's stored run reports, newest first (20 unless `?limit=`); 404 unknown.
async fn runs(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    Query(limit): Query<Limit>,
) -> Response {
    if shared.prepared(&name).is_none() {
        let body = json!({ "pipeline": name, "error": format!("there is no pipeline `{name}`") });
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    }
    let limit = limit.limit.unwrap_or(20).min(1_000);
    let state = shared.state.clone();
    let found = tokio::task::spawn_blocking(move || state.history(&name, limit)).await;
    match found {
        Ok(Ok(reports)) => Json(reports).into_response(),
        Ok(Err(e)) => {
            let body = json!({ "error": e.to_string() });
            (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
        }
        Err(e) => {
            let body = json!({ "error": e.to_string() });
            (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
        }
    }
}

/// Prometheus text: per pipeline the finished runs, whether one is running, the last
/// status and the last success, and the events waiting in a webhook inbox; the number
/// of reload errors.
async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let pipelines = shared.planner().status();
    let hooked: Vec<String> = {
        let loaded = shared.pipelines.read().unwrap_or_else(|p| p.into_inner());
        loaded
            .iter()
            .filter(|(_, p)| p.pipeline.webhook.is_some())
            .map(|(name, _)| name.clone())
            .collect()
    };
    let state = shared.state.clone();
    let inboxes = tokio::task::spawn_blocking(move || {
        hooked
            .into_iter()
            .filter_map(|name| state.inbox_len(&name).ok().map(|n| (name, n)))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    let reload_errors = shared
        .reload_errors
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .len();
    let mut text = String::new();
    let mut family = |name: &str, kind: &str, help: &str, values: Vec<(String, String)>| {
        text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, value) in values {
            text.push_str(&format!("{name}{labels} {value}\n"));
        }
    };
    let each = |value: &dyn Fn(&PipelineStatus) -> Option<String>| {
        pipelines
            .iter()
            .filter_map(|p| {
                let name = label(&p.name);
                value(p).map(|v| (format!("{{pipeline=\"{name}\"}}"), v))
            })
            .collect::<Vec<_>>()
    };
    family(
        "sluice_pipeline_runs_total",
        "counter",
        "Finished runs of the pipeline.",
        each(&|p| Some(p.history.runs.to_string())),
    );
    family(
        "sluice_pipeline_running",
        "gauge",
        "1 while a run of the pipeline is going on.",
        each(&|p| Some(u8::from(p.running_since.is_some()).to_string())),
    );
    family(
        "sluice_pipeline_last_run_succeeded",
        "gauge",
        "1 when the last finished run succeeded, 0 when it was partial or failed.",
        each(&|p| {
            p.history
                .last_status
                .map(|s| u8::from(s == crate::report::RunStatus::Succeeded).to_string())
        }),
    );
    family(
        "sluice_pipeline_last_success_timestamp_seconds",
        "gauge",
        "When the last successful run ended (Unix time).",
        each(&|p| p.history.last_success_at.map(|t| t.timestamp().to_string())),
    );
    family(
        "sluice_webhook_inbox_events",
        "gauge",
        "Webhook events received and not yet applied.",
        inboxes
            .iter()
            .map(|(name, n)| (format!("{{pipeline=\"{}\"}}", label(name)), n.to_string()))
            .collect(),
    );
    family(
        "sluice_reload_errors",
        "gauge",
        "Errors of the last hot reload.",
        vec![(String::new(), reload_errors.to_string())],
    );
    let content_type = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

/// A pipeline name as a Prometheus label value (backslashes and quotes escaped).
fn label(name: &str) -> String {
    name.replace('\\', "\\\\").replace('"', "\\\"")
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

/// Every pipeline's schedule state (as in `/status`) with its last report, and the
/// errors of the last hot reload.
async fn pipelines(State(shared): State<Arc<Shared>>) -> Response {
    let statuses = shared.planner().status();
    let reload_errors = shared
        .reload_errors
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let state = shared.state.clone();
    let names: Vec<String> = statuses.iter().map(|s| s.name.clone()).collect();
    let last = tokio::task::spawn_blocking(move || {
        names
            .iter()
            .map(|name| state.history(name, 1).map(|mut reports| reports.pop()))
            .collect::<Result<Vec<_>, _>>()
    })
    .await;
    let reports = match last {
        Ok(Ok(reports)) => reports,
        Ok(Err(e)) => {
            let body = json!({ "error": e.to_string() });
            return (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response();
        }
        Err(e) => {
            let body = json!({ "error": e.to_string() });
            return (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response();
        }
    };
    let listed: Vec<serde_json::Value> = statuses
        .into_iter()
        .zip(reports)
        .map(|(status, report)| {
            let mut entry = serde_json::to_value(status).unwrap_or_default();
            if let Some(fields) = entry.as_object_mut() {
                fields.insert(
                    "last_report".to_string(),
                    serde_json::to_value(report).unwrap_or_default(),
                );
            }
            entry
        })
        .collect();
    Json(json!({ "pipelines": listed, "reload_errors": reload_errors })).into_response()
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
