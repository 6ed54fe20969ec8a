//! Two-way pipelines (`[sync] mode = "two_way"`): `[two_way]` says how items are
//! recognised and compared, `[left]` and `[right]` are the two sides, each read and
//! (unless read-only) written. They take the place of `[source]`, `[destination]` and
//! `[mapping]`: items travel between the sides as they are.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::destination::Retries;
use super::secret::Secret;
use super::source::{Paginate, Source};
use super::template::UrlTemplate;
use super::types::{Duration, RateLimit};

/// `[two_way]`: the fields every item carries on both sides.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TwoWay {
    /// The field that identifies an item (`item`).
    pub id: String,
    /// The field with the time the item last changed at its side (`actionDate`): an
    /// RFC 3339 time (any offset; without one it is read as UTC) or Unix seconds. Per
    /// item, the newer version wins.
    pub timestamp: String,
    /// The field that says whether the item was added or deleted (`action`), when
    /// deletions travel as records (tombstones). Without it, an item that disappears
    /// from one side after a sync is deleted on the other.
    pub action: Option<String>,
    /// The `action` value of a deleted item (default `DELETE`).
    #[serde(default = "delete_word")]
    pub deleted: String,
    /// Run the pipeline once for each of these users (their tokens authenticate the
    /// sides that set `user_token`, their ids fill `{user}` in URLs and paths).
    pub users: Option<Users>,
}

fn delete_word() -> String {
    "DELETE".to_string()
}

/// `[two_way.users]`: a `list`, or a `source` whose records are users.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Users {
    /// The users, e.g. `[{ id = "anna", token = "${env:ANNA_TOKEN}" }]`.
    #[serde(default)]
    pub list: Vec<User>,
    /// Or read the users from a file or an API like any source; its `id` is the user's id.
    pub source: Option<Source>,
    /// With `source`: the field of a user record that holds the token (default `token`).
    pub token: Option<String>,
}

/// One user of a per-user two-way pipeline.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct User {
    /// Who the user is: fills `{user}`, keys the user's sync state, names the user in
    /// reports (the token never appears there).
    pub id: String,
    /// The user's token (a secret: write `${env:NAME}` or `${file:PATH}`).
    pub token: Secret,
}

/// `[left]` or `[right]`: one side of a two-way pipeline, tagged on `type`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(tag = "type")]
pub enum Side {
    /// A JSON or NDJSON file holding the side's items, rewritten whole when written.
    #[serde(rename = "file")]
    File(FileSide),
    /// An HTTP API: a listing to read and an endpoint that takes a batch of items.
    #[serde(rename = "http")]
    Http(Box<HttpSide>),
}

impl Side {
    /// The `type` as written.
    pub fn kind(&self) -> &'static str {
        match self {
            Side::File(_) => "file",
            Side::Http(_) => "http",
        }
    }

    /// Whether the side is only read.
    pub fn read_only(&self) -> bool {
        match self {
            Side::File(file) => file.read_only,
            Side::Http(http) => http.read_only || http.write.is_none(),
        }
    }
}

/// `type = "file"`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct FileSide {
    /// The file, relative to the pipeline file; `{user}` is filled per user. A missing
    /// file is a side without items (it is created when written). `.json` files hold a
    /// list (or an object with the list at `records`), `.ndjson` one item a line.
    pub path: String,
    /// Where the list sits in a JSON file (`data.items`).
    pub records: Option<String>,
    /// Only read the file, never write it.
    #[serde(default)]
    pub read_only: bool,
}

/// `type = "http"`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HttpSide {
    /// The listing read with GET; `{user}` is filled per user.
    pub url: UrlTemplate,
    /// Where the list of items sits in each response; the whole response when absent.
    pub records: Option<String>,
    /// How to get the next page.
    pub paginate: Option<Paginate>,
    /// A response path whose value `false`, `null` or empty ends paging.
    pub stop: Option<String>,
    /// The name of an `[auth.NAME]` block (not together with `user_token`).
    pub auth: Option<String>,
    /// Send the user's token: `"bearer"` (`Authorization: Bearer TOKEN`) or
    /// `"header:NAME"` (the token as the value of header NAME).
    pub user_token: Option<UserToken>,
    /// Headers added to every request.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// Where changed items are sent, all of a user's in one request (a JSON list).
    /// Without it the side is only read.
    pub write: Option<HttpSideWrite>,
    /// Only read this side, even if `write` is set.
    #[serde(default)]
    pub read_only: bool,
    /// At most this many requests per period.
    pub rate_limit: Option<RateLimit>,
    /// Retrying failed requests (429, 5xx, timeouts, connection errors).
    pub retries: Option<Retries>,
    /// How long one request may take (default 30s).
    pub timeout: Option<Duration>,
}

/// `write = { url = "…" }` of an HTTP side.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HttpSideWrite {
    /// The endpoint; `{user}` is filled per user.
    pub url: UrlTemplate,
    /// `POST` (default), `PUT` or `PATCH`.
    #[serde(default)]
    pub method: SideWriteMethod,
    /// Send the list inside an object under this key (`{"favorites": […]}`).
    pub wrap: Option<String>,
    /// At most this many items a request (default: all of a user's changes at once).
    pub batch_size: Option<u32>,
}

/// Methods a side is written with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum SideWriteMethod {
    #[default]
    #[serde(rename = "POST")]
    Post,
    #[serde(rename = "PUT")]
    Put,
    #[serde(rename = "PATCH")]
    Patch,
}

impl SideWriteMethod {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            SideWriteMethod::Post => "POST",
            SideWriteMethod::Put => "PUT",
            SideWriteMethod::Patch => "PATCH",
        }
    }
}

/// How a side sends the user's token.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(with = "String")]
pub enum UserToken {
    /// `Authorization: Bearer TOKEN`.
    Bearer,
    /// The token as the value of this header.
    Header(String),
}

impl<'de> Deserialize<'de> for UserToken {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<UserToken, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text == "bearer" {
            return Ok(UserToken::Bearer);
        }
        match text.strip_prefix("header:").map(str::trim) {
            Some(name) if !name.is_empty() => Ok(UserToken::Header(name.to_string())),
            _ => Err(serde::de::Error::custom(format!(
                "expected \"bearer\" or \"header:NAME\", found {text:?}"
            ))),
        }
    }
}

/// A loaded two-way pipeline's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoWaySpec {
    /// `[two_way]`.
    pub keys: TwoWay,
    /// `[left]`.
    pub left: Side,
    /// `[right]`.
    pub right: Side,
}
