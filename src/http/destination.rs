//! `[destination] type = "http"`: records written through a platform's API. Each change
//! goes to its endpoint (`create`, `update`, `delete`), or in lists through `batch`.
//! Update-or-create: when no destination id is known for a record and `lookup` is set
//! (and the record has a value for `match`), the record is looked up first and updated if found, created if
//! not. Writes of one window run concurrently within the rate and concurrency limits;
//! results come back in the order of the writes.
//!
//! A create is not safe to repeat: when one times out or loses its connection, the
//! platform may have applied it all the same. Two defences, both here: an endpoint's
//! `idempotency_key` header carries a key that names the write (pipeline, source id,
//! operation, the content's fingerprint), the same on every retry, also in a later run;
//! and with `lookup`, a create that failed in a way that may have been applied is
//! followed by a lookup before it is sent again — found, the record is updated (or
//! linked) instead.

use futures_util::future::{join, join_all};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

use super::client::{Checked, Client, ClientSettings, DEFAULT_TIMEOUT, Response};
use super::error::HttpError;
use super::retry::RetryPolicy;
use super::runtime::block_on;
use super::template::fill;
use crate::auth::{Authenticator, OutgoingRequest, RequestBody};
use crate::engine::destination::{Change, Destination, Write, WriteFailure, WriteResult};
use crate::engine::identity::{fingerprint, lookup, source_id};
use crate::pipeline::{Endpoint, HeaderName, HttpDestination, Template, WriteMethod};

/// Writes to an HTTP destination.
pub struct HttpDestinationWriter {
    config: HttpDestination,
    client: Client,
    /// The pipeline's name, part of every idempotency key.
    pipeline: String,
}

/// Writes per concurrent request a window holds when there is no batch endpoint.
const WINDOW_PER_SLOT: usize = 4;

impl HttpDestinationWriter {
    /// Prepares the writer of pipeline `pipeline` (nothing is sent yet); `auth` signs
    /// every request.
    pub fn open(
        config: &HttpDestination,
        auth: Option<Authenticator>,
        pipeline: &str,
    ) -> Result<HttpDestinationWriter, HttpError> {
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
        Ok(HttpDestinationWriter {
            config: config.clone(),
            client,
            pipeline: pipeline.to_string(),
        })
    }

    /// `base_url` followed by the filled path.
    fn url(
        &self,
        path: &Template,
        record: &Value,
        dest_id: Option<&str>,
    ) -> Result<Url, HttpError> {
        let path = fill(path, record, dest_id).map_err(HttpError::Request)?;
        let base = self.config.base_url.0.as_str().trim_end_matches('/');
        let joined = if path.starts_with('/') || path.starts_with('?') || path.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}/{path}")
        };
        Url::parse(&joined)
            .map_err(|e| HttpError::Request(format!("the endpoint URL is not valid ({e})")))
    }

    /// The request sending `body` (wrapped if the endpoint says so), with the
    /// idempotency header when there is one.
    fn request(
        method: WriteMethod,
        url: Url,
        wrap: Option<&str>,
        body: Option<Value>,
        key: Option<(&HeaderName, String)>,
    ) -> OutgoingRequest {
        let mut request = OutgoingRequest::new(method_name(method), url);
        if let Some(body) = body
            && !matches!(method, WriteMethod::Get | WriteMethod::Delete)
        {
            request.body = RequestBody::Json(wrapped(wrap, body));
        }
        if let Some((name, key)) = key {
            request.headers.push((name.as_str().to_string(), key));
        }
        request
    }

    /// Sends `body` to an endpoint.
    async fn call(
        &self,
        method: WriteMethod,
        url: Url,
        wrap: Option<&str>,
        body: Option<Value>,
        accept: &[u16],
        key: Option<(&HeaderName, String)>,
    ) -> Result<Response, HttpError> {
        let request = Self::request(method, url, wrap, body, key);
        self.client.send(&request, accept).await
    }

    /// The idempotency header of `endpoint` for this write of this record, if it
    /// asks for one.
    fn key<'a>(
        &self,
        header: Option<&'a HeaderName>,
        operation: &str,
        source_id: &str,
        content: &[u8],
    ) -> Option<(&'a HeaderName, String)> {
        header.map(|name| {
            (
                name,
                idempotency_key(&self.pipeline, operation, source_id, content),
            )
        })
    }

    /// Creates the record; its new destination id when the endpoint gives one. With
    /// a `lookup`, an attempt that may have been applied although it failed is
    /// followed by a lookup before the create is sent again: found, the record is
    /// updated (or linked) instead of created twice.
    async fn create(&self, source: &str, record: &Value) -> Result<Option<String>, HttpError> {
        let Some(endpoint) = &self.config.create else {
            return Err(HttpError::Request(
                "the record is new and the destination has no `create` endpoint".into(),
            ));
        };
        let url = self.url(&endpoint.path, record, None)?;
        let key = self.key(
            endpoint.idempotency_key.as_ref(),
            "create",
            source,
            &fingerprint(record),
        );
        let request = Self::request(
            endpoint.method,
            url,
            endpoint.wrap.as_deref(),
            Some(record.clone()),
            key,
        );
        if self.config.lookup.is_none() {
            let response = self.client.send(&request, &[]).await?;
            return response_id(&response, endpoint);
        }
        let checked = self
            .client
            .send_checked(&request, &[], async || self.find(record).await)
            .await?;
        match checked {
            Checked::Answered(response) => response_id(&response, endpoint),
            Checked::Found(found) => self.found(source, record, found).await,
        }
    }

    /// A record found at the destination: updated with the record when there is an
    /// `update` endpoint, else linked as it is.
    async fn found(
        &self,
        source: &str,
        record: &Value,
        found: String,
    ) -> Result<Option<String>, HttpError> {
        match &self.config.update {
            Some(update) => self.update(update, source, record, Some(&found)).await,
            None => Ok(Some(found)),
        }
    }

    /// Updates the record known as `dest_id`.
    async fn update(
        &self,
        endpoint: &Endpoint,
        source: &str,
        record: &Value,
        dest_id: Option<&str>,
    ) -> Result<Option<String>, HttpError> {
        let url = self.url(&endpoint.path, record, dest_id)?;
        let key = self.key(
            endpoint.idempotency_key.as_ref(),
            "update",
            source,
            &fingerprint(record),
        );
        let response = self
            .call(
                endpoint.method,
                url,
                endpoint.wrap.as_deref(),
                Some(record.clone()),
                &[],
                key,
            )
            .await?;
        Ok(response_id(&response, endpoint)?.or(dest_id.map(str::to_string)))
    }

    /// Finds the record with the `lookup` endpoint: its destination id, or `None` when
    /// the platform has none (an empty answer, no id at the `id` path, or 404). `None`
    /// without a request when there is no `lookup`, or when the record has no value
    /// for the `match` field.
    async fn find(&self, record: &Value) -> Result<Option<String>, HttpError> {
        let Some(endpoint) = &self.config.lookup else {
            return Ok(None);
        };
        if let Some(field) = &self.config.match_field
            && source_id(record, field).is_none()
        {
            return Ok(None);
        }
        let url = self.url(&endpoint.path, record, None)?;
        let response = self
            .call(endpoint.method, url, None, None, &[404, 410], None)
            .await?;
        if matches!(response.status, 404 | 410) {
            return Ok(None);
        }
        let path = endpoint.id.as_deref().unwrap_or("id");
        Ok(source_id(&response.json()?, path))
    }

    /// Update-or-create for a record without a known destination id.
    async fn upsert(&self, source: &str, record: &Value) -> Result<Option<String>, HttpError> {
        match self.find(record).await? {
            Some(found) => self.found(source, record, found).await,
            None => match (&self.config.create, &self.config.update) {
                (None, Some(update)) => self.update(update, source, record, None).await,
                _ => self.create(source, record).await,
            },
        }
    }

    async fn write(&self, write: &Write<'_>) -> Result<Option<String>, HttpError> {
        let source = write.source_id;
        match &write.change {
            Change::Unchanged { .. } => Ok(None),
            Change::Create { record } => self.upsert(source, record).await,
            Change::Update {
                dest_id: Some(dest_id),
                record,
            } => match &self.config.update {
                Some(update) => self.update(update, source, record, Some(*dest_id)).await,
                None => Err(HttpError::Request(
                    "the record changed and the destination has no `update` endpoint".into(),
                )),
            },
            Change::Update {
                dest_id: None,
                record,
            } => self.upsert(source, record).await,
            Change::Delete { dest_id } => {
                let Some(endpoint) = &self.config.delete else {
                    return Err(HttpError::Request(
                        "the destination has no `delete` endpoint".into(),
                    ));
                };
                let url = self.url(&endpoint.path, &Value::Null, *dest_id)?;
                let key = self.key(
                    endpoint.idempotency_key.as_ref(),
                    "delete",
                    source,
                    dest_id.unwrap_or_default().as_bytes(),
                );
                // Already gone is as good as deleted.
                self.call(endpoint.method, url, None, None, &[404, 410], key)
                    .await?;
                Ok(None)
            }
        }
    }

    /// Writes `records` (with their source ids) in one batch request; one result
    /// each, in order.
    async fn batch(&self, records: Vec<(&str, &Value)>) -> Vec<Result<Option<String>, HttpError>> {
        let count = records.len();
        match self.send_batch(records).await {
            Ok(ids) => ids.into_iter().map(Ok).collect(),
            Err(e) => (0..count).map(|_| Err(e.clone())).collect(),
        }
    }

    /// The batch request; the destination ids the answer lists, in order. Its
    /// idempotency key names the batch: the source ids and fingerprints of its
    /// records, in order.
    async fn send_batch(
        &self,
        records: Vec<(&str, &Value)>,
    ) -> Result<Vec<Option<String>>, HttpError> {
        let count = records.len();
        let Some(batch) = &self.config.batch else {
            return Err(HttpError::Request(
                "the destination has no `batch` endpoint".into(),
            ));
        };
        let url = self.url(&batch.path, &Value::Null, None)?;
        let key = batch.idempotency_key.as_ref().map(|name| {
            let mut content = Vec::new();
            for (source, record) in &records {
                content.extend_from_slice(&(source.len() as u64).to_le_bytes());
                content.extend_from_slice(source.as_bytes());
                content.extend_from_slice(&fingerprint(record));
            }
            (name, idempotency_key(&self.pipeline, "batch", "", &content))
        });
        let list = Value::Array(records.into_iter().map(|(_, r)| r.clone()).collect());
        let response = self
            .call(
                batch.method,
                url,
                batch.wrap.as_deref(),
                Some(list),
                &[],
                key,
            )
            .await?;
        let Some(path) = &batch.ids else {
            return Ok(vec![None; count]);
        };
        let body = response.json()?;
        let ids = lookup(&body, path).and_then(Value::as_array);
        Ok((0..count)
            .map(|i| {
                let item = ids.and_then(|ids| ids.get(i))?;
                match item {
                    Value::Object(_) => source_id(item, "id"),
                    Value::String(s) if !s.is_empty() => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                }
            })
            .collect())
    }

    /// Every write of a window, concurrently; creates and updates in lists when there
    /// is a batch endpoint.
    async fn apply_all(&self, writes: &[Write<'_>]) -> Vec<Result<Option<String>, HttpError>> {
        let batched = |w: &Write<'_>| {
            self.config.batch.is_some()
                && matches!(w.change, Change::Create { .. } | Change::Update { .. })
        };
        let (listed, single): (Vec<usize>, Vec<usize>) =
            (0..writes.len()).partition(|&i| batched(&writes[i]));
        let size = self
            .config
            .batch
            .as_ref()
            .map_or(1, |b| b.size.max(1) as usize);
        let singles = join_all(single.iter().map(|&i| self.write(&writes[i])));
        let lists = join_all(listed.chunks(size).map(|chunk| {
            self.batch(
                chunk
                    .iter()
                    .filter_map(|&i| match &writes[i].change {
                        Change::Create { record } | Change::Update { record, .. } => {
                            Some((writes[i].source_id, *record))
                        }
                        _ => None,
                    })
                    .collect(),
            )
        }));
        let (singles, lists) = join(singles, lists).await;
        let mut results: Vec<Option<Result<Option<String>, HttpError>>> =
            (0..writes.len()).map(|_| None).collect();
        for (i, result) in single.into_iter().zip(singles) {
            results[i] = Some(result);
        }
        for (i, result) in listed.into_iter().zip(lists.into_iter().flatten()) {
            results[i] = Some(result);
        }
        results.into_iter().map(|r| r.unwrap_or(Ok(None))).collect()
    }
}

impl Destination for HttpDestinationWriter {
    fn window(&self) -> usize {
        let slots = self.client.concurrency();
        match &self.config.batch {
            Some(batch) => (batch.size.max(1) as usize).saturating_mul(slots),
            None => slots.saturating_mul(WINDOW_PER_SLOT),
        }
    }

    fn apply(&mut self, writes: &[Write<'_>]) -> Vec<WriteResult> {
        let results = match block_on(self.apply_all(writes)) {
            Ok(results) => results,
            Err(e) => writes.iter().map(|_| Err(e.clone())).collect(),
        };
        results
            .into_iter()
            .map(|r| {
                r.map_err(|e| WriteFailure {
                    message: e.to_string(),
                })
            })
            .collect()
    }

    fn finish(self: Box<Self>) -> Result<(), WriteFailure> {
        Ok(())
    }
}

fn method_name(method: WriteMethod) -> &'static str {
    match method {
        WriteMethod::Get => "GET",
        WriteMethod::Post => "POST",
        WriteMethod::Put => "PUT",
        WriteMethod::Patch => "PATCH",
        WriteMethod::Delete => "DELETE",
    }
}

/// `body`, or `{wrap: body}`.
fn wrapped(wrap: Option<&str>, body: Value) -> Value {
    match wrap {
        Some(key) => Value::Object(Map::from_iter([(key.to_string(), body)])),
        None => body,
    }
}

/// The idempotency key of one write: a digest of the pipeline, the operation, the
/// source id and the content (a fingerprint), each length-prefixed, written as a UUID
/// (version 8, "custom") so that platforms which expect a UUID take it too. The same
/// write of the same record gives the same key in every attempt and every run; a
/// change of content gives a new one.
pub fn idempotency_key(pipeline: &str, operation: &str, source_id: &str, content: &[u8]) -> String {
    let mut digest = Sha256::new();
    for part in [
        pipeline.as_bytes(),
        operation.as_bytes(),
        source_id.as_bytes(),
        content,
    ] {
        digest.update((part.len() as u64).to_le_bytes());
        digest.update(part);
    }
    let hash = digest.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
}

/// The destination id at the endpoint's `id` path, if it names one.
fn response_id(response: &Response, endpoint: &Endpoint) -> Result<Option<String>, HttpError> {
    let Some(path) = &endpoint.id else {
        return Ok(None);
    };
    Ok(source_id(&response.json()?, path))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn idempotency_keys_name_one_write() {
        let key = idempotency_key("people", "create", "p-1", b"print");
        assert_eq!(key, idempotency_key("people", "create", "p-1", b"print"));
        assert_eq!(key.len(), 36);
        assert_eq!(&key[14..15], "8", "a version 8 UUID: {key}");
        for other in [
            idempotency_key("other", "create", "p-1", b"print"),
            idempotency_key("people", "update", "p-1", b"print"),
            idempotency_key("people", "create", "p-2", b"print"),
            idempotency_key("people", "create", "p-1", b"print2"),
            // Parts are length-prefixed: moving a boundary changes the key.
            idempotency_key("people", "create", "p-1p", b"rint"),
        ] {
            assert_ne!(key, other);
        }
    }

    #[test]
    fn bodies_are_wrapped_on_request() {
        assert_eq!(wrapped(None, json!({"a": 1})), json!({"a": 1}));
        assert_eq!(
            wrapped(Some("contact"), json!({"a": 1})),
            json!({"contact": {"a": 1}})
        );
    }
}
