//! Reading and writing one side of a two-way pipeline for one user: a JSON or NDJSON
//! file, rewritten whole (atomically) when written, or an HTTP API whose listing is
//! read page by page and whose write endpoint takes a user's changed items in one
//! request (or in `batch_size` chunks).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;
use url::Url;

use crate::auth::{OutgoingRequest, RequestBody};
use crate::catalog::Prepared;
use crate::engine::connect::{self, Context};
use crate::engine::identity::{lookup, source_id};
use crate::engine::source::{Item, Source as _};
use crate::formats::{AtomicFile, Flow};
use crate::http::runtime::block_on;
use crate::http::template::encode;
use crate::http::{Client, ClientSettings, HttpSourceReader, RetryPolicy};
use crate::pipeline::{
    self, ApiKeyAuth, Auth, BearerAuth, FileFormat, FileSide, HttpSide, HttpUrl, ReadMethod,
    Secret, Side, UrlTemplate, UserToken,
};

/// The user a pass of a two-way run is for.
pub struct UserScope<'a> {
    /// The user's id (empty when the pipeline is not per user).
    pub id: &'a str,
    /// The user's token, if there are users.
    pub token: Option<&'a Secret>,
}

/// One side, opened for one user.
pub enum SideIo {
    File(FileIo),
    Http(Box<HttpIo>),
}

impl SideIo {
    /// Opens `side` for `user` (nothing is read yet).
    pub fn open(
        prepared: &Prepared,
        side: &Side,
        user: &UserScope<'_>,
        cx: &Context<'_>,
    ) -> Result<SideIo, String> {
        match side {
            Side::File(config) => Ok(SideIo::File(FileIo::open(config, user, cx.base)?)),
            Side::Http(config) => Ok(SideIo::Http(Box::new(HttpIo::open(
                prepared, config, user, cx,
            )?))),
        }
    }

    /// Every item the side holds, or why it could not be read. Items that cannot be
    /// parsed come back as `Err` entries with their place, so they are reported and
    /// their ids are not mistaken for missing.
    pub fn read(&mut self) -> Result<Vec<Result<Value, String>>, String> {
        match self {
            SideIo::File(file) => file.read(),
            SideIo::Http(http) => http.read(),
        }
    }

    /// Writes `put` (items replaced by id, or added) and removes the items `remove`
    /// names. All or nothing for a file; an HTTP side sends `put` in batches, and
    /// cannot remove (deletions travel as tombstones there).
    pub fn write(&mut self, id_path: &str, put: &[&Value], remove: &[&str]) -> Result<(), String> {
        match self {
            SideIo::File(file) => file.write(id_path, put, remove),
            SideIo::Http(http) => {
                if !remove.is_empty() {
                    return Err("an HTTP side cannot remove items".into());
                }
                http.write(put)
            }
        }
    }

    /// Whether items can be removed (HTTP sides take tombstones instead).
    pub fn can_remove(&self) -> bool {
        matches!(self, SideIo::File(_))
    }
}

/// A JSON or NDJSON file side.
pub struct FileIo {
    path: PathBuf,
    format: FileFormat,
    records: Option<String>,
    /// The document as read (a JSON file whose list sits at `records` keeps the rest).
    document: Value,
    /// The items as read, in file order.
    items: Vec<Value>,
}

impl FileIo {
    fn open(config: &FileSide, user: &UserScope<'_>, base: &Path) -> Result<FileIo, String> {
        if config.path.contains("{user}")
            && (user.id.is_empty() || user.id.contains(['/', '\\']) || user.id.starts_with('.'))
        {
            return Err(format!(
                "user id {:?} cannot be part of a file name",
                user.id
            ));
        }
        let relative = config.path.replace("{user}", user.id);
        let format = FileFormat::from_path(&relative)
            .filter(|f| matches!(f, FileFormat::Json | FileFormat::Ndjson))
            .ok_or_else(|| format!("`{relative}` is not a .json or .ndjson file"))?;
        Ok(FileIo {
            path: base.join(relative),
            format,
            records: config.records.clone(),
            document: Value::Null,
            items: Vec::new(),
        })
    }

    fn read(&mut self) -> Result<Vec<Result<Value, String>>, String> {
        let name = self.path.display().to_string();
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("cannot read `{name}`: {e}")),
        };
        let mut out = Vec::new();
        match self.format {
            FileFormat::Ndjson => {
                for (number, line) in text.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    out.push(
                        serde_json::from_str(line)
                            .map_err(|e| format!("{name}:{}: not JSON ({e})", number + 1)),
                    );
                }
            }
            _ if text.trim().is_empty() => {}
            _ => {
                let document: Value = serde_json::from_str(&text)
                    .map_err(|e| format!("`{name}` is not JSON ({e})"))?;
                let list = match &self.records {
                    Some(path) => lookup(&document, path).cloned().unwrap_or(Value::Null),
                    None => document.clone(),
                };
                match list {
                    Value::Array(items) => out.extend(items.into_iter().map(Ok)),
                    Value::Null => {}
                    _ => {
                        return Err(format!(
                            "`{name}` holds no list of items{}",
                            self.records
                                .as_ref()
                                .map(|p| format!(" at `{p}`"))
                                .unwrap_or_default()
                        ));
                    }
                }
                self.document = document;
            }
        }
        self.items = out
            .iter()
            .filter_map(|r| r.as_ref().ok().cloned())
            .collect();
        Ok(out)
    }

    fn write(&mut self, id_path: &str, put: &[&Value], remove: &[&str]) -> Result<(), String> {
        let mut items = std::mem::take(&mut self.items);
        items.retain(|item| {
            source_id(item, id_path).is_none_or(|id| !remove.contains(&id.as_str()))
        });
        for item in put {
            let id = source_id(item, id_path);
            match items
                .iter_mut()
                .find(|existing| id.is_some() && source_id(existing, id_path) == id)
            {
                Some(existing) => *existing = (*item).clone(),
                None => items.push((*item).clone()),
            }
        }
        let name = self.path.display().to_string();
        let mut bytes = Vec::new();
        match self.format {
            FileFormat::Ndjson => {
                for item in &items {
                    serde_json::to_writer(&mut bytes, item).map_err(|e| e.to_string())?;
                    bytes.push(b'\n');
                }
            }
            _ => {
                let list = Value::Array(items.clone());
                let document = match &self.records {
                    Some(path) => with_list(std::mem::take(&mut self.document), path, list),
                    None => list,
                };
                serde_json::to_writer_pretty(&mut bytes, &document).map_err(|e| e.to_string())?;
                bytes.push(b'\n');
                self.document = document;
            }
        }
        let mut file = AtomicFile::create(&self.path).map_err(|e| e.to_string())?;
        file.write_all(&bytes)
            .map_err(|e| format!("cannot write `{name}`: {e}"))?;
        file.commit().map_err(|e| e.to_string())?;
        self.items = items;
        Ok(())
    }
}

/// `document` with `list` at the dotted `path` (objects made where missing).
fn with_list(document: Value, path: &str, list: Value) -> Value {
    let mut document = match document {
        Value::Object(_) => document,
        _ => Value::Object(Default::default()),
    };
    let mut current = &mut document;
    let steps: Vec<&str> = path.split('.').collect();
    for (i, step) in steps.iter().enumerate() {
        let Value::Object(map) = current else { break };
        if i + 1 == steps.len() {
            map.insert((*step).to_string(), list);
            break;
        }
        let next = map
            .entry((*step).to_string())
            .or_insert_with(|| Value::Object(Default::default()));
        if !next.is_object() {
            *next = Value::Object(Default::default());
        }
        current = next;
    }
    document
}

/// An HTTP side: the listing's reader and the write endpoint's client.
pub struct HttpIo {
    reader: HttpSourceReader,
    writer: Option<(Client, Url, &'static str, Option<String>, usize)>,
}

impl HttpIo {
    fn open(
        prepared: &Prepared,
        config: &HttpSide,
        user: &UserScope<'_>,
        cx: &Context<'_>,
    ) -> Result<HttpIo, String> {
        let url = fill(&config.url, user.id).map_err(|e| format!("`url`: {e}"))?;
        let listing = pipeline::HttpSource {
            url: HttpUrl(url),
            method: ReadMethod::Get,
            body: None,
            query: Default::default(),
            headers: config.headers.clone(),
            auth: None,
            records: config.records.clone(),
            id: String::new(),
            paginate: config.paginate.clone(),
            stop: config.stop.clone(),
            incremental: None,
            rate_limit: config.rate_limit.clone(),
            concurrency: None,
            retries: config.retries.clone(),
            timeout: config.timeout.clone(),
            fetch: None,
        };
        let auth = || -> Result<_, String> {
            match (&config.user_token, user.token) {
                (Some(kind), Some(token)) => {
                    let scheme = match kind {
                        UserToken::Bearer => Auth::Bearer(BearerAuth {
                            token: token.clone(),
                        }),
                        UserToken::Header(header) => Auth::ApiKey(ApiKeyAuth {
                            header: Some(header.clone()),
                            query: None,
                            key: token.clone(),
                        }),
                    };
                    let context = crate::auth::AuthContext::new(cx.base, None);
                    crate::auth::Authenticator::new("user token", &scheme, &context)
                        .map(Some)
                        .map_err(|e| e.to_string())
                }
                (Some(_), None) => Err("`user_token` is set but there are no users".into()),
                (None, _) => connect::authenticator(prepared, config.auth.as_deref(), cx),
            }
        };
        let reader = HttpSourceReader::open(&listing, auth()?, None).map_err(|e| e.to_string())?;
        let writer = match (&config.write, config.read_only) {
            (Some(write), false) => {
                let url = fill(&write.url, user.id).map_err(|e| format!("`write.url`: {e}"))?;
                let client = Client::new(ClientSettings {
                    auth: auth()?,
                    headers: config
                        .headers
                        .iter()
                        .map(|(name, value)| (name.clone(), value.expose().clone()))
                        .collect(),
                    rate_limit: config.rate_limit.as_ref(),
                    concurrency: None,
                    retry: RetryPolicy::from_config(config.retries.as_ref()),
                    timeout: config
                        .timeout
                        .as_ref()
                        .map_or(crate::http::client::DEFAULT_TIMEOUT, |d| d.get()),
                })
                .map_err(|e| e.to_string())?;
                let batch = write.batch_size.map_or(usize::MAX, |n| n.max(1) as usize);
                Some((
                    client,
                    url,
                    write.method.as_str(),
                    write.wrap.clone(),
                    batch,
                ))
            }
            _ => None,
        };
        Ok(HttpIo { reader, writer })
    }

    fn read(&mut self) -> Result<Vec<Result<Value, String>>, String> {
        let mut out = Vec::new();
        let mut failed = None;
        let units = self.reader.units()?;
        for unit in units {
            self.reader.read(&unit, &mut |item| {
                match item {
                    Item::Record(record) => out.push(Ok(record)),
                    Item::Doc(record) => out.push(Ok(record.to_json())),
                    Item::Unreadable { location, message } => {
                        out.push(Err(format!("{location}: {message}")))
                    }
                    Item::UnitFailed { message } => failed = Some(message),
                }
                Flow::Continue
            });
        }
        match failed {
            Some(message) => Err(message),
            None => Ok(out),
        }
    }

    fn write(&mut self, put: &[&Value]) -> Result<(), String> {
        let Some((client, url, method, wrap, batch)) = &self.writer else {
            return Err("the side is read-only".into());
        };
        for chunk in put.chunks(*batch) {
            let list = Value::Array(chunk.iter().map(|v| (*v).clone()).collect());
            let body = match wrap {
                Some(key) => Value::Object([(key.clone(), list)].into_iter().collect()),
                None => list,
            };
            let mut request = OutgoingRequest::new(method, url.clone());
            request.body = RequestBody::Json(body);
            block_on(client.send(&request, &[]))
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// A URL template with `{user}` filled (URL-encoded).
fn fill(template: &UrlTemplate, user: &str) -> Result<Url, String> {
    let text = template.template().render(|name| match name {
        "user" => encode(user),
        other => format!("{{{other}}}"),
    });
    Url::parse(&text).map_err(|e| format!("not a valid URL ({e})"))
}
