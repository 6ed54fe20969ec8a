//! The pipeline file as written: one type per TOML table, every key a doc-commented
//! field. Values are parsed into types here (durations, cron, zones, URLs, secrets);
//! rules that span several keys (`every` or `cron`, auth names that must exist) are
//! checked by the loader, which knows where each key sits.
//!
//! Enums written as tables are tagged on `type` (see `de.rs`); `#[schemars(tag =
//! "type")]` makes the JSON schema say so.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::auth::Auth;
use super::destination::Destination;
use super::secret::Secret;
use super::source::Source;
use super::template::{HttpUrl, UrlTemplate};
use super::two_way::{Side, TwoWay};
use super::types::{CronSchedule, Duration, Fraction, TimeZone, Timestamp};
use super::vars::VarValue;

/// A whole pipeline file. A preset (`stdlib/presets/*.toml`) has the same form; the
/// loader lays the pipeline over the preset it `extends`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PipelineFile {
    /// A preset this file builds on, e.g. `stdlib/presets/registration.toml`: relative
    /// to this file, else to the project root or a library folder. Keys written here
    /// win; tables merge key by key; arrays and other values replace.
    pub extends: Option<String>,
    /// General settings.
    #[serde(default)]
    pub pipeline: PipelineSection,
    /// When the pipeline runs by itself; without it, only manual runs and webhooks.
    pub schedule: Option<Schedule>,
    /// Values for `{vars.NAME}` placeholders in URLs, paths and headers, and for
    /// `$vars.NAME` in the mapping.
    #[serde(default)]
    pub vars: BTreeMap<String, VarValue>,
    /// Named ways to authenticate, referred to by `auth = "NAME"`.
    #[serde(default)]
    pub auth: BTreeMap<String, Auth>,
    /// Where records come from.
    pub source: Option<Source>,
    /// Where records go.
    pub destination: Option<Destination>,
    /// Two-way pipelines: how items are recognised and compared.
    pub two_way: Option<TwoWay>,
    /// Two-way pipelines: one side, read and written.
    pub left: Option<Side>,
    /// Two-way pipelines: the other side, read and written.
    pub right: Option<Side>,
    /// How records are compared and written.
    #[serde(default)]
    pub sync: Sync,
    /// The mapping from source to destination records.
    pub mapping: Option<MappingSection>,
    /// An incoming webhook that feeds the pipeline in real time.
    pub webhook: Option<Webhook>,
    /// Where run reports are sent.
    pub notify: Option<Notify>,
}

/// `[pipeline]`: general settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PipelineSection {
    /// What the pipeline does, for people.
    pub description: Option<String>,
    /// `false` keeps the pipeline from running (it is still validated).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Pipelines (file names without `.toml`) that must have synced before this one
    /// runs, e.g. because the mapping links to their records.
    #[serde(default)]
    pub after: Vec<String>,
    /// Rhai files with functions for the mapping and the `[sync] when` condition,
    /// relative to the pipeline file (or in a library folder).
    #[serde(default)]
    pub scripts: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Default for PipelineSection {
    fn default() -> PipelineSection {
        PipelineSection {
            description: None,
            enabled: true,
            after: Vec::new(),
            scripts: Vec::new(),
        }
    }
}

/// `[schedule]`: runs by interval or by calendar.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Schedule {
    /// Run this long after the end of the last run, whatever triggered it.
    pub every: Option<Duration>,
    /// Or run at calendar times (cron; not together with `every`).
    pub cron: Option<CronSchedule>,
    /// The zone `cron` times are read in (default UTC).
    pub timezone: Option<TimeZone>,
    /// Manual triggers closer than this to the last run are refused.
    pub min_interval: Option<Duration>,
    /// No scheduled runs after this moment.
    pub until: Option<Timestamp>,
    /// Run once when the daemon starts, whatever the schedule says.
    #[serde(default)]
    pub run_on_start: bool,
}

/// `[sync]`: how records are compared and written.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Sync {
    /// `full`, `incremental` or `two_way`.
    #[serde(default)]
    pub mode: SyncMode,
    /// What happens to destination records whose source record disappeared.
    #[serde(default)]
    pub deletes: Deletes,
    /// Whether empty mapped values overwrite destination data.
    #[serde(default)]
    pub empty_fields: EmptyFields,
    /// The largest share of known records one run may delete (0 to 1).
    #[serde(default = "half")]
    pub max_delete_fraction: Fraction,
    /// A Rhai condition per source record; records for which it is false are skipped.
    pub when: Option<String>,
}

fn half() -> Fraction {
    Fraction::HALF
}

impl Default for Sync {
    fn default() -> Sync {
        Sync {
            mode: SyncMode::default(),
            deletes: Deletes::default(),
            empty_fields: EmptyFields::default(),
            max_delete_fraction: half(),
            when: None,
        }
    }
}

/// How much is read each run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Read everything; write what changed.
    #[default]
    Full,
    /// Read only records past the saved cursor.
    Incremental,
    /// Both sides read and written; the newer change wins.
    TwoWay,
}

/// What happens to records that disappeared from the source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Deletes {
    /// Leave them.
    #[default]
    Ignore,
    /// Delete them in the destination (full mode only, after a complete read).
    Propagate,
}

/// Whether empty mapped values are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmptyFields {
    /// Empty values do not overwrite destination data.
    #[default]
    Skip,
    /// Empty values are written like any other.
    Overwrite,
}

/// `[mapping]`: exactly one of `file` and `inline`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct MappingSection {
    /// A mapping file, relative to the pipeline file (or in a library folder).
    pub file: Option<String>,
    /// The mapping itself, usually in a `'''` literal string.
    pub inline: Option<String>,
}

/// `[webhook]`: calls that deliver records (or their ids) as they change.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Webhook {
    /// The path the daemon listens on, e.g. `/hooks/participants`: a POST delivers a
    /// record in its JSON body, a GET with `?id=…` notifies of a changed record.
    pub path: String,
    /// For id-only notifications: where to fetch the full record (`{id}` is filled).
    /// With `fetch`, every call is a notification: the id is read from the body (at
    /// `id`) or from `?id=`, and the record is fetched with the source's auth.
    pub fetch: Option<UrlTemplate>,
    /// The HMAC-SHA256 key that signs incoming calls; calls without a valid signature
    /// are refused with 401.
    pub secret: Option<Secret>,
    /// The header that carries the signature, `sha256=<hex>` (default
    /// `X-Sluice-Signature`). It signs the body of a POST, the query of a GET.
    pub signature_header: Option<String>,
    /// Where the record id sits in a notification's body (default: the source's `id`).
    pub id: Option<String>,
    /// The header with the sender's delivery id (default `X-Delivery-Id`): a delivery
    /// id seen in the last 24 hours is a repeat and applied once.
    pub delivery_header: Option<String>,
    /// Calls without a delivery id whose body repeats one received this long ago or
    /// less are repeats, applied once (default `10m`).
    pub dedupe_window: Option<Duration>,
}

/// `[notify]`: where run reports go.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Notify {
    /// Which runs are reported.
    #[serde(default)]
    pub on: NotifyOn,
    /// The URL a report is POSTed to (a secret: such URLs carry tokens).
    pub url: Option<Secret<HttpUrl>>,
}

/// Which runs are reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotifyOn {
    /// Every run.
    Any,
    /// Runs that failed or had failed records.
    #[default]
    Error,
    /// None.
    Never,
}
