//! Pipeline files: the typed model of a pipeline's TOML file and the loader that reads
//! it, lays it over its `extends` preset, fills in secrets and `{vars.…}`, and reports
//! every problem as a diagnostic with its place in the file (codes `P001`…).
//!
//! Stages, one file each: `tree` (the spanned document, merging presets),
//! `interpolate` (secrets and variables), `de` (serde over the spanned document),
//! `model`/`auth`/`source`/`destination` (the typed form), `checks` (rules across
//! keys), `load` (the driver), `resolved` (the loaded pipeline), `schema` (JSON Schema).

mod auth;
mod checks;
pub mod codes;
mod de;
mod destination;
mod interpolate;
mod load;
mod model;
mod resolved;
mod schema;
mod secret;
mod sections;
mod source;
mod template;
mod tree;
mod two_way;
mod types;
mod vars;

pub use auth::{
    ApiKeyAuth, Auth, BasicAuth, BearerAuth, ClientAuth, Grant, JwtAlgorithm, JwtAuth, OAuth1Auth,
    OAuth2Auth, ScriptAuth, SignatureMethod,
};
pub use destination::{
    Batch, Destination, Endpoint, FileDestination, HttpDestination, Retries, WriteMethod,
};
pub use load::{LoadContext, Loaded, load, load_source};
pub use model::{
    Deletes, EmptyFields, MappingSection, Notify, NotifyOn, PipelineFile, PipelineSection,
    Schedule, Sync, SyncMode, Webhook,
};
pub use resolved::{InlineMapping, Mapping, Pipeline, Reference, References};
pub use schema::json_schema;
pub use secret::Secret;
pub use source::{
    AfterRead, CursorParams, Encoding, FileFormat, FileIncremental, FileSource, HttpSource,
    Incremental, NextUrlParams, PageParams, Paginate, ReadMethod, Source,
};
pub use template::{HttpUrl, Template, UrlTemplate};
pub use tree::Located;
pub use two_way::{
    FileSide, HttpSide, HttpSideWrite, Side, SideWriteMethod, TwoWay, TwoWaySpec, User, UserToken,
    Users,
};
pub use types::{CronSchedule, Duration, Fraction, HeaderName, RateLimit, TimeZone, Timestamp};
pub use vars::VarValue;
