//! The webhook inbox: every accepted webhook call is stored here, durably, before the
//! daemon answers it, and removed only after the record it carried was applied and its
//! record state committed. A crash therefore loses no acknowledged event: whatever the
//! inbox still holds at start-up is applied then. Repeated deliveries are recognised
//! here too, in the same transaction that stores an event, so two copies of one call
//! arriving at once still store one event.

use chrono::{DateTime, Utc};
use redb::{ReadableTable, TableError};
use serde::{Deserialize, Serialize};

use super::tables::{DELIVERIES, INBOX, INBOX_SEQ, from_json, to_json};
use super::{State, StateError};

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
        let now = event.received_at.timestamp_millis();
        self.write(|txn| {
            let mut deliveries = txn.open_table(DELIVERIES)?;
            let seen = deliveries.get((pipeline, key))?.map(|v| v.value());
            if seen.is_some_and(|until| until > now) {
                return Ok(Received::Duplicate);
            }
            deliveries.insert((pipeline, key), remember_until.timestamp_millis())?;
            let mut seqs = txn.open_table(INBOX_SEQ)?;
            let seq = seqs.get(pipeline)?.map_or(0, |v| v.value()) + 1;
            seqs.insert(pipeline, seq)?;
            let bytes = to_json("a webhook event", event)?;
            txn.open_table(INBOX)?
                .insert((pipeline, seq), bytes.as_slice())?;
            Ok(Received::Stored(seq))
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

    /// Removes applied events from `pipeline`'s inbox, and forgets delivery keys no
    /// longer remembered at `now`.
    pub fn inbox_done(
        &self,
        pipeline: &str,
        seqs: &[u64],
        now: DateTime<Utc>,
    ) -> Result<(), StateError> {
        let now = now.timestamp_millis();
        self.write(|txn| {
            let mut inbox = txn.open_table(INBOX)?;
            for seq in seqs {
                inbox.remove((pipeline, *seq))?;
            }
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
        state
            .inbox_done("p", &[1, 2], event(0).received_at)
            .expect("done");
        let left: Vec<u64> = state
            .inbox("p", 10)
            .expect("inbox")
            .iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(left, [3]);
        assert_eq!(state.inbox("q", 10).expect("q").len(), 1);
        // Sequence numbers are never reused.
        let got = state
            .receive("p", &event(4), "body:4", later)
            .expect("stored");
        assert_eq!(got, Received::Stored(4));
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
        // Expired keys are forgotten when events are done.
        state
            .inbox_done("p", &[1, 2], until + chrono::Duration::days(1))
            .expect("done");
        let got = state.receive("p", &first, "id:d-1", until).expect("stored");
        assert_eq!(got, Received::Stored(3));
    }
}
