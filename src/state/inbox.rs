//! The webhook inbox: every accepted webhook call is stored here, durably, before the
//! daemon answers it, and removed only after the record it carried was applied and its
//! record state committed. A crash therefore loses no acknowledged event: whatever the
//! inbox still holds at start-up is applied then. Repeated deliveries are recognised
//! here too, in the same transaction that stores an event, so two copies of one call
//! arriving at once still store one event.

use chrono::{DateTime, Utc};
use redb::{ReadableTable, TableError};
use serde::{Deserialize, Serialize};

use super::tables::{DELIVERIES, INBOX, INBOX_SEQ, from_json};
use super::{Fail, State, StateError};

/// One received webhook call, as the inbox keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxEvent {
    /// When the daemon received it.
    pub received_at: DateTime<Utc>,
    /// The sender's delivery id, when it sent one.
    #[serde(default)]
    pub delivery_id: Option<String>,
    /// The JSON body of a POST (a full record, or a notification carrying an id).
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// The record id of an id-only GET (`?id=…`).
    #[serde(default)]
    pub id: Option<String>,
}

/// What [`State::receive`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Stored under this sequence number.
    Stored(u64),
    /// A repeat of a delivery received before: nothing stored.
    Duplicate,
}

/// One webhook call to store, as [`State::receive_all`] takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// The pipeline whose inbox takes it.
    pub pipeline: String,
    /// The call, encoded as the inbox keeps it.
    pub event: EncodedEvent,
    /// The key a repeat of this delivery is recognised by.
    pub key: String,
    /// Until when the key is remembered.
    pub remember_until: DateTime<Utc>,
}

/// An [`InboxEvent`] encoded as the inbox keeps it (JSON), and when it was received.
/// A webhook's body goes into it as it came ([`EncodedEvent::post`]), not parsed
/// into a value and written again.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedEvent {
    received_at: DateTime<Utc>,
    bytes: Vec<u8>,
}

impl EncodedEvent {
    /// `event`, encoded.
    pub fn of(event: &InboxEvent) -> Result<EncodedEvent, serde_json::Error> {
        Ok(EncodedEvent {
            received_at: event.received_at,
            bytes: serde_json::to_vec(event)?,
        })
    }

    /// The event of a POST whose body is `body`, which must be one JSON value (the
    /// caller checked it, as parsing it into a `serde_json::Value` would): it is kept
    /// byte for byte, and reads back as the [`InboxEvent`] with that value as `body`.
    pub fn post(
        received_at: DateTime<Utc>,
        delivery_id: Option<&str>,
        body: &[u8],
    ) -> Result<EncodedEvent, serde_json::Error> {
        let mut bytes = Vec::with_capacity(body.len() + 96);
        bytes.extend_from_slice(b"{\"received_at\":");
        serde_json::to_writer(&mut bytes, &received_at)?;
        bytes.extend_from_slice(b",\"delivery_id\":");
        serde_json::to_writer(&mut bytes, &delivery_id)?;
        bytes.extend_from_slice(b",\"body\":");
        bytes.extend_from_slice(body);
        bytes.extend_from_slice(b",\"id\":null}");
        Ok(EncodedEvent { received_at, bytes })
    }

    /// When the call was received.
    pub fn received_at(&self) -> DateTime<Utc> {
        self.received_at
    }
}

impl State {
    /// Stores `event` in `pipeline`'s inbox, durably, unless a delivery with the same
    /// `key` was received and is still remembered; the key is then remembered until
    /// `remember_until`.
    pub fn receive(
        &self,
        pipeline: &str,
        event: &InboxEvent,
        key: &str,
        remember_until: DateTime<Utc>,
    ) -> Result<Received, StateError> {
        let call = Incoming {
            pipeline: pipeline.to_string(),
            event: EncodedEvent::of(event)
                .map_err(|e| Fail::Encode("a webhook event", e).at(self.path.clone()))?,
            key: key.to_string(),
            remember_until,
        };
        let mut received = self.receive_all(std::slice::from_ref(&call))?;
        Ok(received.pop().unwrap_or(Received::Duplicate))
    }

    /// Stores many calls in one transaction, committed durably (whatever the handle)
    /// once for all of them
    /// (group commit): what [`State::receive`] does for each, in order, so a repeat
    /// of a call earlier in the same batch is a [`Received::Duplicate`] too. The
    /// answers are in the order of `calls`; when it fails, none was stored.
    pub fn receive_all(&self, calls: &[Incoming]) -> Result<Vec<Received>, StateError> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        self.write_durably(|txn| {
            let mut deliveries = txn.open_table(DELIVERIES)?;
            let mut seqs = txn.open_table(INBOX_SEQ)?;
            let mut inbox = txn.open_table(INBOX)?;
            // Each pipeline's last sequence number, read once and written once a batch.
            let mut last: Vec<(&str, u64)> = Vec::new();
            let mut received = Vec::with_capacity(calls.len());
            for call in calls {
                let pipeline = call.pipeline.as_str();
                let key = call.key.as_str();
                let now = call.event.received_at.timestamp_millis();
                let seen = deliveries.get((pipeline, key))?.map(|v| v.value());
                if seen.is_some_and(|until| until > now) {
                    received.push(Received::Duplicate);
                    continue;
                }
                deliveries.insert((pipeline, key), call.remember_until.timestamp_millis())?;
                let at = match last.iter().position(|(name, _)| *name == pipeline) {
                    Some(at) => at,
                    None => {
                        let stored = seqs.get(pipeline)?.map_or(0, |v| v.value());
                        last.push((pipeline, stored));
                        last.len() - 1
                    }
                };
                last[at].1 += 1;
                let seq = last[at].1;
                inbox.insert((pipeline, seq), call.event.bytes.as_slice())?;
                received.push(Received::Stored(seq));
            }
            for (pipeline, seq) in last {
                seqs.insert(pipeline, seq)?;
            }
            Ok(received)
        })
    }

    /// Up to `limit` of `pipeline`'s inbox events, oldest first, with their sequence
    /// numbers.
    pub fn inbox(
        &self,
        pipeline: &str,
        limit: usize,
    ) -> Result<Vec<(u64, InboxEvent)>, StateError> {
        self.read(|txn| {
            let table = match txn.open_table(INBOX) {
                Ok(table) => table,
                Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(e.into()),
            };
            let mut out = Vec::new();
            for entry in table.range((pipeline, 0)..=(pipeline, u64::MAX))? {
                if out.len() >= limit {
                    break;
                }
                let (key, value) = entry?;
                let seq = key.value().1;
                let what = || format!("webhook event {seq} of pipeline `{pipeline}`");
                out.push((seq, from_json(what, value.value())?));
            }
            Ok(out)
        })
    }

    /// How many events `pipeline`'s inbox holds (received, not yet applied).
    pub fn inbox_len(&self, pipeline: &str) -> Result<u64, StateError> {
        self.read(|txn| {
            let table = match txn.open_table(INBOX) {
                Ok(table) => table,
                Err(TableError::TableDoesNotExist(_)) => return Ok(0),
                Err(e) => return Err(e.into()),
            };
            let mut count = 0;
            for entry in table.range((pipeline, 0)..=(pipeline, u64::MAX))? {
                entry?;
                count += 1;
            }
            Ok(count)
        })
    }

    /// Removes applied events from `pipeline`'s inbox, durably whatever the handle:
    /// with them, every commit before goes to the disk (what applied them through a
    /// [`State::deferred`] handle).
    pub fn inbox_done(&self, pipeline: &str, seqs: &[u64]) -> Result<(), StateError> {
        self.write_durably(|txn| {
            let mut inbox = txn.open_table(INBOX)?;
            for seq in seqs {
                inbox.remove((pipeline, *seq))?;
            }
            Ok(())
        })
    }

    /// Forgets `pipeline`'s delivery keys no longer remembered at `now`. This reads
    /// every key of the pipeline (a day of delivery ids), so the daemon calls it now and
    /// then, not after every batch; a key past its time is not a repeat in the meantime
    /// anyway.
    pub fn forget_deliveries(&self, pipeline: &str, now: DateTime<Utc>) -> Result<(), StateError> {
        let now = now.timestamp_millis();
        self.write(|txn| {
            let mut deliveries = txn.open_table(DELIVERIES)?;
            let mut expired = Vec::new();
            for entry in deliveries.range((pipeline, "")..)? {
                let (key, until) = entry?;
                let (name, delivery) = key.value();
                if name != pipeline {
                    break;
                }
                if until.value() <= now {
                    expired.push(delivery.to_string());
                }
            }
            for delivery in &expired {
                deliveries.remove((pipeline, delivery.as_str()))?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: i64) -> InboxEvent {
        InboxEvent {
            received_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
            delivery_id: None,
            body: Some(serde_json::json!({ "id": n })),
            id: None,
        }
    }

    #[test]
    fn events_are_kept_in_order_until_done_and_survive_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("state.redb");
        let later = DateTime::from_timestamp(1_900_000_000, 0).unwrap_or_default();
        {
            let state = State::open(&path).expect("open");
            assert!(state.inbox("p", 10).expect("empty inbox").is_empty());
            for n in 1..=3 {
                let key = format!("body:{n}");
                let got = state.receive("p", &event(n), &key, later).expect("stored");
                assert_eq!(got, Received::Stored(n as u64));
            }
            state.receive("q", &event(9), "body:9", later).expect("q");
        }
        let state = State::open(&path).expect("reopen");
        let events = state.inbox("p", 10).expect("inbox");
        let seqs: Vec<u64> = events.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert_eq!(events[1].1, event(2));
        state.inbox_done("p", &[1, 2]).expect("done");
        let left: Vec<u64> = state
            .inbox("p", 10)
            .expect("inbox")
            .iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(left, [3]);
        assert_eq!(state.inbox_len("p").expect("p"), 1);
        assert_eq!(state.inbox("q", 10).expect("q").len(), 1);
        assert_eq!(state.inbox_len("nobody").expect("nobody"), 0);
        // Sequence numbers are never reused.
        let got = state
            .receive("p", &event(4), "body:4", later)
            .expect("stored");
        assert_eq!(got, Received::Stored(4));
    }

    #[test]
    fn a_batch_is_stored_in_order_and_recognises_repeats_within_itself() {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = State::open(&dir.path().join("state.redb")).expect("open");
        let until = event(0).received_at + chrono::Duration::minutes(10);
        let call = |pipeline: &str, n: i64, key: &str| Incoming {
            pipeline: pipeline.to_string(),
            event: EncodedEvent::of(&event(n)).expect("encoded"),
            key: key.to_string(),
            remember_until: until,
        };
        state
            .receive("p", &event(0), "id:old", until)
            .expect("stored");
        let got = state
            .receive_all(&[
                call("p", 1, "id:a"),
                call("q", 2, "id:a"),
                call("p", 3, "id:a"),
                call("p", 4, "id:old"),
                call("p", 5, "id:b"),
            ])
            .expect("stored");
        use Received::{Duplicate, Stored};
        assert_eq!(got, [Stored(2), Stored(1), Duplicate, Duplicate, Stored(3)]);
        let p: Vec<InboxEvent> = state
            .inbox("p", 10)
            .expect("inbox")
            .into_iter()
            .map(|e| e.1)
            .collect();
        assert_eq!(p, [event(0), event(1), event(5)]);
        assert_eq!(state.inbox("q", 10).expect("inbox").len(), 1);
        assert!(state.receive_all(&[]).expect("nothing").is_empty());
    }

    #[test]
    fn a_post_kept_as_it_came_reads_back_as_its_value() {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = State::open(&dir.path().join("state.redb")).expect("open");
        let at = event(0).received_at;
        let body = " {\"id\": 7,\n \"name\": \"Ad\\u00e9 \\\"A\\\"\", \"n\": [1.5, null]} ";
        let until = at + chrono::Duration::minutes(10);
        let calls = [
            Incoming {
                pipeline: "p".into(),
                event: EncodedEvent::post(at, Some("d\"1"), body.as_bytes()).expect("encoded"),
                key: "id:d1".into(),
                remember_until: until,
            },
            Incoming {
                pipeline: "p".into(),
                event: EncodedEvent::post(at, None, b"{}").expect("encoded"),
                key: "body:x".into(),
                remember_until: until,
            },
        ];
        state.receive_all(&calls).expect("stored");
        let events: Vec<InboxEvent> = state
            .inbox("p", 10)
            .expect("inbox")
            .into_iter()
            .map(|e| e.1)
            .collect();
        let value = serde_json::from_str::<serde_json::Value>(body).expect("json");
        let expected = [
            InboxEvent {
                received_at: at,
                delivery_id: Some("d\"1".into()),
                body: Some(value),
                id: None,
            },
            InboxEvent {
                received_at: at,
                delivery_id: None,
                body: Some(serde_json::json!({})),
                id: None,
            },
        ];
        assert_eq!(events, expected);
    }

    #[test]
    fn a_repeated_delivery_is_stored_once_while_remembered() {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = State::open(&dir.path().join("state.redb")).expect("open");
        let first = event(1);
        let until = first.received_at + chrono::Duration::minutes(10);
        let got = state.receive("p", &first, "id:d-1", until).expect("stored");
        assert_eq!(got, Received::Stored(1));
        let again = state.receive("p", &first, "id:d-1", until).expect("repeat");
        assert_eq!(again, Received::Duplicate);
        // After the window the same key is a new delivery.
        let mut late = event(1);
        late.received_at = until + chrono::Duration::seconds(1);
        let got = state
            .receive("p", &late, "id:d-1", until + chrono::Duration::minutes(10))
            .expect("stored");
        assert_eq!(got, Received::Stored(2));
        // Expired keys are forgotten.
        state.inbox_done("p", &[1, 2]).expect("done");
        state
            .forget_deliveries("p", until + chrono::Duration::days(1))
            .expect("forgotten");
        let got = state.receive("p", &first, "id:d-1", until).expect("stored");
        assert_eq!(got, Received::Stored(3));
    }
}
