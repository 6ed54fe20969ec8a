//! `[destination]`: where records are written, one variant per `type`. `file` and
//! `http` exist today; databases and object stores will be further variants.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::secret::Secret;
use super::source::FileFormat;
use super::template::{HttpUrl, Template};
use super::types::{Duration, HeaderName, RateLimit};

/// A destination, tagged on `type`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(tag = "type")]
pub enum Destination {
    /// An export file (CSV, JSON, NDJSON, XML, XLSX).
    #[serde(rename = "file")]
    File(FileDestination),
    /// An HTTP/REST API.
    #[serde(rename = "http")]
    Http(Box<HttpDestination>),
}

impl Destination {
    /// The `type` as written.
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::File(_) => "file",
            Destination::Http(_) => "http",
        }
    }
}

/// `type = "file"`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct FileDestination {
    /// The file written, relative to the pipeline file. `{date}`, `{time}` and
    /// `{datetime}` are filled with the run's start (in the schedule's time zone).
    pub path: String,
    /// CSV: the field separator, one character (default `,`).
    pub delimiter: Option<char>,
    /// XLSX: the sheet name (default `records`).
    pub sheet: Option<String>,
    /// The format; inferred from the extension when absent.
    pub format: Option<FileFormat>,
    /// The field that identifies a record in the file.
    pub id: Option<String>,
}

impl FileDestination {
    /// The format as written, else as the extension of `path` says.
    pub fn format(&self) -> Option<FileFormat> {
        self.format.or_else(|| FileFormat::from_path(&self.path))
    }
}

/// `type = "http"`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HttpDestination {
    /// The start of every endpoint URL.
    pub base_url: HttpUrl,
    /// The name of an `[auth.NAME]` block.
    pub auth: Option<String>,
    /// Headers added to every request.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// The mapped field that finds an existing record when no destination id is known.
    #[serde(rename = "match")]
    pub match_field: Option<String>,
    /// Creates a record.
    pub create: Option<Endpoint>,
    /// Updates a record (`{dest_id}` is filled).
    pub update: Option<Endpoint>,
    /// Deletes a record.
    pub delete: Option<Endpoint>,
    /// Finds a record by the `match` field (`{email}` is filled).
    pub lookup: Option<Endpoint>,
    /// Writes many records per request.
    pub batch: Option<Batch>,
    /// At most this many requests per period.
    pub rate_limit: Option<RateLimit>,
    /// Requests in flight at once (default 1).
    pub concurrency: Option<u32>,
    /// Retrying failed writes.
    pub retries: Option<Retries>,
    /// How long one request may take, reading the answer included (default 30s).
    pub timeout: Option<Duration>,
}

/// One endpoint of a destination API.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Endpoint {
    /// The HTTP method.
    pub method: WriteMethod,
    /// The path after `base_url`, with `{placeholders}` from the record and `{dest_id}`.
    pub path: Template,
    /// Wraps the record in an object under this key (`data` sends `{"data": {…}}`).
    pub wrap: Option<String>,
    /// Where the destination id sits in the response (`id`, `0.id`, `data.id`).
    pub id: Option<String>,
    /// Sends an idempotency key in this header (`"Idempotency-Key"`) with every
    /// request to this endpoint: the same key for the same write of the same record
    /// (pipeline, source id, what is sent), also when it is retried by a later run, so a
    /// platform that honours the header applies a repeated request once.
    pub idempotency_key: Option<HeaderName>,
}

/// Methods a destination writes (or looks up) with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum WriteMethod {
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
    #[serde(rename = "PUT")]
    Put,
    #[serde(rename = "PATCH")]
    Patch,
    #[serde(rename = "DELETE")]
    Delete,
}

/// Writing many records per request.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Batch {
    /// The batch endpoint's path after `base_url`.
    pub path: Template,
    /// The HTTP method (default POST).
    #[serde(default = "post")]
    pub method: WriteMethod,
    /// Records per request.
    pub size: u32,
    /// Wraps the list in an object under this key (`records` sends `{"records": […]}`).
    pub wrap: Option<String>,
    /// Where the list of destination ids sits in the response, in request order.
    pub ids: Option<String>,
    /// Sends an idempotency key in this header with every batch request: one key for
    /// the same records written the same way (see the endpoints' `idempotency_key`).
    pub idempotency_key: Option<HeaderName>,
}

fn post() -> WriteMethod {
    WriteMethod::Post
}

/// Retrying failed requests (408, 429, 5xx, timeouts, connection errors) with
/// exponential backoff and jitter, or after the platform's `Retry-After` (seconds or an
/// HTTP date), never longer than `max_backoff`. Sources and destinations both take it.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Retries {
    /// Attempts per request, the first included (default 3).
    #[serde(default = "three")]
    pub attempts: u32,
    /// The first wait (default 1s); each next wait doubles.
    pub backoff: Option<Duration>,
    /// The longest wait (default 1m).
    pub max_backoff: Option<Duration>,
}

fn three() -> u32 {
    3
}
