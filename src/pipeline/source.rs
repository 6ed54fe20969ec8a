//! `[source]`: where records come from, one variant per `type`. `file` and `http`
//! exist today; `sftp`, `s3`, `postgres` and `nats` will be further variants (an
//! unknown `type` is refused with the list of known ones).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::destination::Retries;
use super::secret::Secret;
use super::template::{HttpUrl, UrlTemplate};
use super::types::{Duration, RateLimit};

/// A source, tagged on `type`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(tag = "type")]
pub enum Source {
    /// Files in a folder.
    #[serde(rename = "file")]
    File(FileSource),
    /// An HTTP/REST API.
    #[serde(rename = "http")]
    Http(Box<HttpSource>),
}

impl Source {
    /// The `type` as written.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::File(_) => "file",
            Source::Http(_) => "http",
        }
    }
}

/// `type = "file"`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct FileSource {
    /// A file, or a folder and a pattern (`inbox/*.csv`), relative to the pipeline file.
    pub path: String,
    /// The format; inferred from the extension when absent.
    pub format: Option<FileFormat>,
    /// The field that identifies a record.
    pub id: String,
    /// Where the list of records sits in a JSON or XML document (`data.items`).
    pub records: Option<String>,
    /// What happens to a file once all its records were written: `"keep"`, `"delete"`,
    /// `"move"` (to `move_to`) or `"move:DIR"`.
    #[serde(default)]
    #[schemars(with = "String")]
    pub after_read: AfterRead,
    /// The folder files are moved to with `after_read = "move"`.
    pub move_to: Option<String>,
    /// A folder that files which cannot be read are moved to (they are reported, and
    /// the other files go on). Without it they stay where they are.
    pub reject_dir: Option<String>,
    /// CSV: the field separator, one character (default `,`).
    pub delimiter: Option<char>,
    /// CSV and sheets: whether the first row holds the field names (default true).
    #[serde(default = "yes")]
    pub header: bool,
    /// CSV: the text encoding (default UTF-8).
    #[serde(default)]
    pub encoding: Encoding,
    /// XLSX/XLS: the sheet to read (default the first).
    pub sheet: Option<String>,
    /// Incremental mode: only records whose `field` is past the saved cursor.
    pub incremental: Option<FileIncremental>,
}

fn yes() -> bool {
    true
}

impl FileSource {
    /// The format as written, else as the extension of `path` says.
    pub fn format(&self) -> Option<FileFormat> {
        self.format.or_else(|| FileFormat::from_path(&self.path))
    }

    /// The folder read files are moved to, if they are moved.
    pub fn move_dir(&self) -> Option<&str> {
        match &self.after_read {
            AfterRead::Move(Some(dir)) => Some(dir),
            AfterRead::Move(None) => self.move_to.as_deref(),
            _ => None,
        }
    }
}

/// Text encodings of CSV files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    #[default]
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    #[serde(rename = "latin-1", alias = "latin1", alias = "iso-8859-1")]
    Latin1,
}

/// `incremental = { field = "updated_at" }` of a file source.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct FileIncremental {
    /// The record field that holds the change time (or a growing number); its largest
    /// value is the cursor.
    pub field: String,
}

/// File formats (`xls`, the older Excel format, is read only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Json,
    Ndjson,
    Csv,
    Xml,
    Xlsx,
    Xls,
}

impl FileFormat {
    /// The format an extension stands for (`.jsonl` is NDJSON).
    pub fn from_path(path: &str) -> Option<FileFormat> {
        let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match extension.as_str() {
            "json" => FileFormat::Json,
            "ndjson" | "jsonl" => FileFormat::Ndjson,
            "csv" => FileFormat::Csv,
            "xml" => FileFormat::Xml,
            "xlsx" => FileFormat::Xlsx,
            "xls" => FileFormat::Xls,
            _ => return None,
        })
    }
}

/// What happens to a source file once it has been read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AfterRead {
    /// Leave it (its records are recognised as unchanged next time).
    #[default]
    Keep,
    /// Delete it.
    Delete,
    /// Move it to a folder: the one given (`"move:DIR"`), else `move_to`.
    Move(Option<String>),
}

impl<'de> Deserialize<'de> for AfterRead {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<AfterRead, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.as_str() {
            "keep" => Ok(AfterRead::Keep),
            "delete" => Ok(AfterRead::Delete),
            "move" => Ok(AfterRead::Move(None)),
            _ => match text.strip_prefix("move:") {
                Some(dir) if !dir.trim().is_empty() => {
                    Ok(AfterRead::Move(Some(dir.trim().to_string())))
                }
                _ => Err(serde::de::Error::custom(format!(
                    "expected \"keep\", \"delete\", \"move\" or \"move:FOLDER\", found {text:?}"
                ))),
            },
        }
    }
}

/// `type = "http"`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HttpSource {
    /// The list endpoint.
    pub url: HttpUrl,
    /// `GET` (default) or `POST`.
    #[serde(default)]
    pub method: ReadMethod,
    /// A request body (JSON text) for `POST`.
    pub body: Option<String>,
    /// Query parameters added to every request.
    #[serde(default)]
    pub query: BTreeMap<String, Secret>,
    /// Headers added to every request.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// The name of an `[auth.NAME]` block.
    pub auth: Option<String>,
    /// Where the list of records sits in each response (`data.items`); the whole
    /// response when absent.
    pub records: Option<String>,
    /// The field that identifies a record.
    pub id: String,
    /// How to get the next page.
    pub paginate: Option<Paginate>,
    /// A response path whose value `false`, `null` or empty ends paging (`meta.has_more`).
    pub stop: Option<String>,
    /// Reading only records changed since the last run.
    pub incremental: Option<Incremental>,
    /// At most this many requests per period.
    pub rate_limit: Option<RateLimit>,
    /// Requests in flight at once (default 1). Pages are read one after another;
    /// this limits record fetches.
    pub concurrency: Option<u32>,
    /// Retrying failed requests (429, 5xx, timeouts, connection errors).
    pub retries: Option<Retries>,
    /// How long one request may take, reading the answer included (default 30s).
    pub timeout: Option<Duration>,
    /// Fetches each full record by id (`{id}` is filled) when the list holds summaries.
    pub fetch: Option<UrlTemplate>,
}

/// Methods a source reads with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum ReadMethod {
    #[default]
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
}

/// Pagination, tagged on `type`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(tag = "type")]
pub enum Paginate {
    /// Pages counted from 1: `?page=2&per_page=100`.
    #[serde(rename = "page")]
    Page(PageParams),
    /// Offsets counted from 0: `?offset=200&limit=100`.
    #[serde(rename = "offset")]
    Offset(PageParams),
    /// A cursor from each response sent with the next request.
    #[serde(rename = "cursor")]
    Cursor(CursorParams),
    /// A full URL of the next page in each response.
    #[serde(rename = "next_url")]
    NextUrl(NextUrlParams),
    /// The `Link: <…>; rel="next"` header.
    #[serde(rename = "link_header")]
    LinkHeader,
}

/// Page or offset pagination.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PageParams {
    /// The query parameter of the page number or offset.
    pub param: String,
    /// The query parameter of the page size.
    pub size_param: Option<String>,
    /// The page size sent in `size_param`.
    pub size: Option<u32>,
}

/// Cursor pagination.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CursorParams {
    /// The query parameter the cursor is sent in.
    pub param: String,
    /// Where the next cursor sits in a response (`meta.next`); paging ends when empty.
    pub next: String,
}

/// Next-URL pagination.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct NextUrlParams {
    /// Where the next page's URL sits in a response (`links.next`).
    pub next: String,
}

/// `incremental`: exactly one of `param` and `header`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Incremental {
    /// The record field that holds the change time; its largest value is the cursor.
    pub field: String,
    /// The query parameter the cursor is sent in.
    pub param: Option<String>,
    /// Or the header it is sent in.
    pub header: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_the_extension() {
        assert_eq!(FileFormat::from_path("in/a.CSV"), Some(FileFormat::Csv));
        assert_eq!(FileFormat::from_path("a.jsonl"), Some(FileFormat::Ndjson));
        assert_eq!(
            FileFormat::from_path("inbox/*.xlsx"),
            Some(FileFormat::Xlsx)
        );
        assert_eq!(FileFormat::from_path("old.xls"), Some(FileFormat::Xls));
        assert_eq!(FileFormat::from_path("inbox/*"), None);
        assert_eq!(FileFormat::from_path("data.txt"), None);
    }
}
