//! Opens a pipeline's connectors: the one place that turns a `[source]` or
//! `[destination]` block into the [`Source`] or [`Destination`] a run uses.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::destination::{Destination, FileDestinationWriter};
use super::source::{FileSourceReader, Source};
use crate::auth::{AuthContext, Authenticator, TokenCache};
use crate::catalog::Prepared;
use crate::http::{HttpDestinationWriter, HttpSourceReader};
use crate::pipeline;
use crate::state::State;

/// What opening a connector may need besides its block.
pub struct Context<'a> {
    /// The folder of the pipeline file; relative paths start here.
    pub base: &'a Path,
    /// When the run started (fills `{date}` and friends in paths).
    pub started_at: DateTime<Utc>,
    /// The pipeline's time zone.
    pub zone: chrono_tz::Tz,
    /// The state store (tokens are cached there); `None` in a dry run without one.
    pub state: Option<&'a State>,
    /// The saved incremental cursor this run reads past, if any.
    pub cursor: Option<&'a str>,
}

/// The run's source.
pub fn open_source(prepared: &Prepared, cx: &Context<'_>) -> Result<Box<dyn Source>, String> {
    match &prepared.pipeline.source {
        Some(source) => open_source_block(prepared, source, cx),
        None => Err("a two-way pipeline has no `[source]`".into()),
    }
}

/// A reader of any source block of the pipeline (`[two_way.users] source` too).
pub fn open_source_block(
    prepared: &Prepared,
    source: &pipeline::Source,
    cx: &Context<'_>,
) -> Result<Box<dyn Source>, String> {
    match source {
        pipeline::Source::File(config) => Ok(Box::new(FileSourceReader::new(config, cx.base))),
        pipeline::Source::Http(config) => Ok(Box::new(open_http_source(prepared, config, cx)?)),
    }
}

/// An HTTP source's reader as itself, for callers that need more than [`Source`]:
/// `fetch_record` for id-only webhooks.
pub fn open_http_source(
    prepared: &Prepared,
    config: &pipeline::HttpSource,
    cx: &Context<'_>,
) -> Result<HttpSourceReader, String> {
    let auth = authenticator(prepared, config.auth.as_deref(), cx)?;
    HttpSourceReader::open(config, auth, cx.cursor).map_err(|e| format!("source: {e}"))
}

/// The run's destination.
pub fn open_destination(
    prepared: &Prepared,
    cx: &Context<'_>,
) -> Result<Box<dyn Destination>, String> {
    match &prepared.pipeline.destination {
        None => Err("a two-way pipeline has no `[destination]`".into()),
        Some(pipeline::Destination::File(config)) => Ok(Box::new(FileDestinationWriter::open(
            config,
            prepared.mapping.output_fields(),
            cx.base,
            cx.started_at,
            cx.zone,
        )?)),
        Some(pipeline::Destination::Http(config)) => {
            let auth = authenticator(prepared, config.auth.as_deref(), cx)?;
            let writer = HttpDestinationWriter::open(config, auth, &prepared.pipeline.name)
                .map_err(|e| format!("destination: {e}"))?;
            Ok(Box::new(writer))
        }
    }
}

/// The authenticator of the `[auth.NAME]` block a connector names, if it names one.
pub fn authenticator(
    prepared: &Prepared,
    name: Option<&str>,
    cx: &Context<'_>,
) -> Result<Option<Authenticator>, String> {
    let Some(name) = name else {
        return Ok(None);
    };
    let Some(config) = prepared.pipeline.auth.get(name) else {
        return Err(format!(
            "unknown auth `{name}`: there is no `[auth.{name}]`"
        ));
    };
    // Tokens are cached in the state file, so a run reuses the last run's token.
    let tokens = cx
        .state
        .map(|state| std::sync::Arc::new(state.clone()) as std::sync::Arc<dyn TokenCache>);
    let context = AuthContext::new(cx.base, tokens);
    Authenticator::new(name, config, &context)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// The path of the id in each source record (of each item, in a two-way pipeline).
pub fn id_path(pipeline: &pipeline::Pipeline) -> &str {
    match (&pipeline.source, &pipeline.two_way) {
        (Some(pipeline::Source::File(config)), _) => &config.id,
        (Some(pipeline::Source::Http(config)), _) => &config.id,
        (None, Some(two_way)) => &two_way.keys.id,
        (None, None) => "id",
    }
}

/// The record field an incremental run's cursor is read from, if the source has one.
pub fn cursor_field(pipeline: &pipeline::Pipeline) -> Option<&str> {
    match pipeline.source.as_ref()? {
        pipeline::Source::File(config) => config.incremental.as_ref().map(|i| i.field.as_str()),
        pipeline::Source::Http(config) => config.incremental.as_ref().map(|i| i.field.as_str()),
    }
}
