//! `[source] type = "http"`: a listing read page by page. The whole listing is one unit
//! for the engine: a page that still fails after the retries fails the unit, so the run
//! neither propagates deletes nor moves its cursor. Records are handed over page by
//! page; while the engine maps one page, the next is fetched and parsed on the HTTP
//! runtime (every pagination style knows the next page from the current answer), so
//! memory holds two pages at most, however many there are.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use url::Url;

use super::client::{Client, ClientSettings, DEFAULT_TIMEOUT, PageBody};
use super::error::{HttpError, describe};
use super::paginate::{Next, PageSeen, Pager};
use super::retry::RetryPolicy;
use super::runtime::{block_on, runtime};
use super::template::encode;
use crate::auth::{Authenticator, OutgoingRequest, RequestBody};
use crate::engine::doc::Doc;
use crate::engine::identity::lookup;
use crate::engine::source::{Item, Source, Unit};
use crate::formats::Flow;
use crate::pipeline::{HttpSource, Paginate, ReadMethod};

/// Reads an HTTP source.
pub struct HttpSourceReader {
    config: HttpSource,
    client: Arc<Client>,
    /// `body`, parsed.
    body: Option<Value>,
    /// The saved incremental cursor this run reads past.
    cursor: Option<String>,
    /// The first page, requested by [`Source::start`] before reading.
    started: Option<(Url, Result<Prefetch, HttpError>)>,
}

impl HttpSourceReader {
    /// Prepares the reader (nothing is sent yet). `auth` signs every request;
    /// `cursor` is the saved incremental cursor, sent as `incremental.param` or
    /// `incremental.header`.
    pub fn open(
        config: &HttpSource,
        auth: Option<Authenticator>,
        cursor: Option<&str>,
    ) -> Result<HttpSourceReader, HttpError> {
        let body = match (&config.method, &config.body) {
            (ReadMethod::Post, Some(text)) => Some(serde_json::from_str(text).map_err(|e| {
                HttpError::Request(format!("the source's `body` is not JSON ({e})"))
            })?),
            _ => None,
        };
        let client = Client::new(ClientSettings {
            auth,
            headers: config
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), value.expose().clone()))
                .collect(),
            rate_limit: config.rate_limit.as_ref(),
            concurrency: config.concurrency,
            retry: RetryPolicy::from_config(config.retries.as_ref()),
            timeout: config.timeout.as_ref().map_or(DEFAULT_TIMEOUT, |d| d.get()),
        })?;
        Ok(HttpSourceReader {
            config: config.clone(),
            client: Arc::new(client),
            body,
            cursor: cursor.map(str::to_string),
            started: None,
        })
    }

    /// The pagination from the first page on.
    fn pager(&self) -> Pager<'_> {
        Pager::new(
            self.config.paginate.as_ref(),
            self.config.stop.as_deref(),
            self.base_url(),
        )
    }

    fn method(&self) -> &'static str {
        match self.config.method {
            ReadMethod::Get => "GET",
            ReadMethod::Post => "POST",
        }
    }

    /// The first page's URL without pagination: the source URL, its `query` and the
    /// incremental parameter.
    fn base_url(&self) -> Url {
        let mut url = self.config.url.0.clone();
        {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &self.config.query {
                pairs.append_pair(name, value.expose());
            }
            if let (Some(cursor), Some(param)) = (
                &self.cursor,
                self.config
                    .incremental
                    .as_ref()
                    .and_then(|i| i.param.as_ref()),
            ) {
                pairs.append_pair(param, cursor);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        url
    }

    fn request(&self, url: Url) -> OutgoingRequest {
        let mut request = OutgoingRequest::new(self.method(), url);
        if let (Some(cursor), Some(header)) = (
            &self.cursor,
            self.config
                .incremental
                .as_ref()
                .and_then(|i| i.header.as_ref()),
        ) {
            request.set_header(header, cursor.clone());
        }
        if let Some(body) = &self.body {
            request.body = RequestBody::Json(body.clone());
        }
        request
    }

    /// Starts fetching one page on the HTTP runtime: its body (parsed there) and
    /// `Link` header come from [`Prefetch::wait`].
    fn page(&self, url: Url) -> Result<Prefetch, HttpError> {
        let request = self.request(url);
        let client = Arc::clone(&self.client);
        let records = self.config.records.clone();
        let task = runtime()?.spawn(async move {
            let response = client.send(&request, &[]).await?;
            let link = response.header("link").map(str::to_string);
            Ok((response.page(records.as_deref())?, link))
        });
        Ok(Prefetch(task))
    }

    /// Fetches one full record by id with the `fetch` URL (`{id}` filled), as webhook
    /// notifications that carry only an id need.
    pub fn fetch_record(&self, id: &str) -> Result<Value, HttpError> {
        block_on(self.fetch(id))?
    }

    /// [`fetch_record`](Self::fetch_record), for async callers (on any tokio runtime).
    pub async fn fetch(&self, id: &str) -> Result<Value, HttpError> {
        let Some(template) = &self.config.fetch else {
            return Err(HttpError::Request(
                "the source has no `fetch` URL to fetch records by id".into(),
            ));
        };
        let mut unknown = None;
        let text = template.template().render(|name| {
            if name == "id" {
                encode(id)
            } else {
                unknown.get_or_insert_with(|| name.to_string());
                String::new()
            }
        });
        if let Some(name) = unknown {
            return Err(HttpError::Request(format!(
                "the `fetch` URL has a placeholder `{{{name}}}`; only `{{id}}` is filled"
            )));
        }
        let url = Url::parse(&text)
            .map_err(|e| HttpError::Request(format!("the `fetch` URL is not valid ({e})")))?;
        let response = self
            .client
            .send(&OutgoingRequest::new("GET", url), &[])
            .await?;
        response.json()
    }
}

/// The records of a page: the list at `records` (or the whole body); a missing list is
/// an empty page.
fn records_of(body: &mut Value, path: Option<&str>) -> Result<Vec<Value>, String> {
    let found = match path {
        None => Some(body.take()),
        Some(path) => lookup(body, path).is_some().then(|| take(body, path)),
    };
    match found {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!(
            "expected a list of records at `{}`, found {}",
            path.unwrap_or("the top of the answer"),
            kind(&other)
        )),
    }
}

/// Takes the value at a dotted path out of `value`.
fn take(value: &mut Value, path: &str) -> Value {
    let mut current = value;
    for step in path.split('.') {
        let next = match current {
            Value::Object(map) => map.get_mut(step),
            Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => return Value::Null,
        }
    }
    current.take()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl Source for HttpSourceReader {
    /// One unit: the whole listing.
    fn units(&mut self) -> Result<Vec<Unit>, String> {
        Ok(vec![Unit {
            name: describe(self.method(), &self.config.url.0),
            path: PathBuf::new(),
        }])
    }

    /// Sends the first page's request: it is answered while the run prepares.
    fn start(&mut self) {
        if self.started.is_none() {
            let first = self.pager().first();
            let fetched = self.page(first.clone());
            self.started = Some((first, fetched));
        }
    }

    fn read(&mut self, _unit: &Unit, sink: &mut dyn FnMut(Item) -> Flow) {
        let started = self.started.take();
        let mut pager = self.pager();
        // The page being waited for first, then the pages after it fetched ahead.
        let depth = self.client.concurrency().max(1);
        let mut fetching: VecDeque<(Url, Result<Prefetch, HttpError>)> = VecDeque::new();
        let first = pager.first();
        match started {
            Some((url, fetched)) if url == first => fetching.push_back((url, fetched)),
            _ => fetching.push_back((first.clone(), self.page(first))),
        }
        loop {
            self.fetch_ahead(&pager, &mut fetching, depth);
            let Some((url, fetched)) = fetching.pop_front() else {
                return;
            };
            let described = describe(self.method(), &url);
            let (page, link) = match fetched.and_then(Prefetch::wait) {
                Ok(page) => page,
                Err(e) => {
                    sink(Item::UnitFailed {
                        message: e.to_string(),
                    });
                    return;
                }
            };
            let (next, records) = match self.page_records(page, &mut pager, link.as_deref()) {
                Ok(read) => read,
                Err(message) => {
                    sink(Item::UnitFailed {
                        message: format!("{described}: {message}"),
                    });
                    return;
                }
            };
            // The next pages are on their way while this one's records are processed:
            // the one fetched ahead if it is the page the answer leads to, else that
            // page (the ones fetched ahead are dropped, which abandons them).
            match &next {
                Next::Page(next) => {
                    if fetching.front().is_none_or(|(ahead, _)| ahead != next) {
                        fetching.clear();
                        fetching.push_back((next.clone(), self.page(next.clone())));
                    }
                    self.fetch_ahead(&pager, &mut fetching, depth);
                }
                Next::Done | Next::Fail(_) => fetching.clear(),
            }
            let stopped = match records {
                PageRecords::Values(records) => records
                    .into_iter()
                    .any(|record| sink(Item::Record(record)) == Flow::Stop),
                PageRecords::Doc(doc) => doc
                    .into_records()
                    .any(|record| sink(Item::Doc(record)) == Flow::Stop),
            };
            if stopped {
                return;
            }
            match next {
                Next::Page(_) => {}
                Next::Done => return,
                Next::Fail(message) => {
                    sink(Item::UnitFailed {
                        message: format!("{described}: {message}"),
                    });
                    return;
                }
            }
        }
    }
}

/// A page's records: values, or read in place.
enum PageRecords {
    Values(Vec<Value>),
    Doc(Arc<Doc>),
}

impl HttpSourceReader {
    /// Tells the pager about `page` and takes its records: what comes next, and the
    /// records; an error when the records are not a list (a page read in place has
    /// a list there, or none).
    fn page_records(
        &self,
        page: PageBody,
        pager: &mut Pager<'_>,
        link: Option<&str>,
    ) -> Result<(Next, PageRecords), String> {
        let path = self.config.records.as_deref();
        match page {
            PageBody::Json(mut body) => {
                let count = match path {
                    None => body.as_array().map_or(0, Vec::len),
                    Some(path) => lookup(&body, path)
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len),
                };
                let next = pager.next(&PageSeen {
                    body: &body,
                    link,
                    count,
                });
                let records = records_of(&mut body, path)?;
                Ok((next, PageRecords::Values(records)))
            }
            PageBody::Doc(doc) => {
                // Pagination reads the page without its records, unless one of its
                // paths leads into them.
                let whole;
                let body = if self.pagination_reads_records() {
                    whole = doc.to_json();
                    &whole
                } else {
                    doc.without_records()
                };
                let next = pager.next(&PageSeen {
                    body,
                    link,
                    count: doc.len(),
                });
                Ok((next, PageRecords::Doc(doc)))
            }
        }
    }

    /// Whether a path the pagination reads (`stop`, a next cursor or URL) leads into
    /// the records' list (or the records are the whole answer).
    fn pagination_reads_records(&self) -> bool {
        let paths = [
            self.config.stop.as_deref(),
            match &self.config.paginate {
                Some(Paginate::Cursor(c)) => Some(c.next.as_str()),
                Some(Paginate::NextUrl(n)) => Some(n.next.as_str()),
                _ => None,
            },
        ];
        let Some(records) = self.config.records.as_deref() else {
            return paths.iter().any(Option::is_some);
        };
        paths.into_iter().flatten().any(|path| {
            path == records
                || path
                    .strip_prefix(records)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    /// Tops `fetching` up to `depth` pages where the pagination tells the pages ahead
    /// (`page`, `offset` with a `size`): with a source `concurrency` above 1, that
    /// many pages are requested at once, while the engine works on an earlier one.
    /// Pages past the end may be requested this way; their answers are dropped.
    fn fetch_ahead(
        &self,
        pager: &Pager<'_>,
        fetching: &mut VecDeque<(Url, Result<Prefetch, HttpError>)>,
        depth: usize,
    ) {
        while fetching.len() < depth {
            // `fetching` holds the page the pager last gave, then the ones after it.
            let Some(url) = pager.ahead(fetching.len() as u64) else {
                return;
            };
            let fetched = self.page(url.clone());
            fetching.push_back((url, fetched));
        }
    }
}

/// A page being fetched on the HTTP runtime; dropped unfinished (the engine stopped
/// reading), the request is abandoned.
struct Prefetch(tokio::task::JoinHandle<Result<(PageBody, Option<String>), HttpError>>);

impl Prefetch {
    /// The page's body and `Link` header, once they arrived.
    fn wait(mut self) -> Result<(PageBody, Option<String>), HttpError> {
        match block_on(&mut self.0)? {
            Ok(page) => page,
            Err(e) => Err(HttpError::Runtime(format!(
                "the page request stopped unexpectedly ({e})"
            ))),
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn records_sit_at_a_path_or_are_the_whole_answer() {
        let mut body = json!({"data": {"items": [{"id": 1}, {"id": 2}]}});
        assert_eq!(
            records_of(&mut body, Some("data.items")).map(|r| r.len()),
            Ok(2)
        );
        let mut body = json!([{"id": 1}]);
        assert_eq!(records_of(&mut body, None).map(|r| r.len()), Ok(1));
        let mut body = json!({"data": {}});
        assert_eq!(records_of(&mut body, Some("data.items")), Ok(Vec::new()));
        let mut body = json!({"data": {"items": {"id": 1}}});
        assert_eq!(
            records_of(&mut body, Some("data.items")),
            Err("expected a list of records at `data.items`, found an object".into())
        );
    }
}
