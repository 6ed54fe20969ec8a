//! What to do with one item of a two-way pipeline, from the two sides' versions and
//! the versions both had when the item was last synced. Pure logic, no I/O.
//!
//! The rule, per item:
//! 1. Both sides hold the same content (timestamps aside), or neither holds it: in sync.
//! 2. A side has *changed* when its content differs from what it held at the last
//!    sync (an item that appeared, changed or disappeared). Without a last sync, a
//!    side that holds the item has changed and a side without it has not.
//! 3. Only one side changed: that side wins (its item is copied over, or, when it
//!    deleted the item, the item is removed on the other side). A timestamp the other
//!    platform gave sluice's own write is not a change, so nothing ping-pongs.
//! 4. Both changed: the newer timestamp wins, compared as instants; an item that was
//!    edited beats one that disappeared; equal timestamps change nothing.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::state::Synced;

/// One side of a two-way pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Which {
    Left,
    Right,
}

impl Which {
    /// The other side.
    pub fn other(self) -> Which {
        match self {
            Which::Left => Which::Right,
            Which::Right => Which::Left,
        }
    }

    /// `left` or `right`.
    pub fn name(self) -> &'static str {
        match self {
            Which::Left => "left",
            Which::Right => "right",
        }
    }
}

/// An item as one side holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    /// The item as read.
    pub record: Value,
    /// When it last changed at its side.
    pub at: DateTime<Utc>,
    /// A fingerprint of its content, the timestamp left out.
    pub content: String,
    /// Whether it is a tombstone (its action says deleted).
    pub deleted: bool,
}

/// What to do with one item.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Nothing to write. `remember` is the entry the state should hold afterwards
    /// (`None`: forget the item), when it differs from what it holds.
    InSync { remember: Option<Option<Synced>> },
    /// Write the item of side `from` to the other side, which holds an older version
    /// (`create` false) or none (`create` true).
    Copy { from: Which, create: bool },
    /// Remove the item from side `on`: the other side deleted it after the last sync.
    Remove { on: Which },
    /// Nothing is written: both sides changed the item at the same instant.
    Tie,
}

/// Decides what to do with an item held as `left` and `right`, last synced as `synced`.
pub fn decide(
    left: Option<&Version>,
    right: Option<&Version>,
    synced: Option<&Synced>,
) -> Decision {
    let content = |v: Option<&Version>| v.map(|v| v.content.clone());
    let (l, r) = (content(left), content(right));
    if l == r {
        let wanted = l.map(|c| Synced {
            left: Some(c.clone()),
            right: Some(c),
        });
        let remember = (wanted.as_ref() != synced).then_some(wanted);
        return Decision::InSync { remember };
    }
    let changed = |now: &Option<String>, then: Option<&Option<String>>| match then {
        Some(then) => now != then,
        None => now.is_some(),
    };
    let changed_left = changed(&l, synced.map(|s| &s.left));
    let changed_right = changed(&r, synced.map(|s| &s.right));
    let wins = |from: Which| {
        let (winner, loser) = match from {
            Which::Left => (left, right),
            Which::Right => (right, left),
        };
        match winner {
            Some(_) => Decision::Copy {
                from,
                create: loser.is_none(),
            },
            None => Decision::Remove { on: from.other() },
        }
    };
    match (changed_left, changed_right) {
        (true, false) => wins(Which::Left),
        (false, true) => wins(Which::Right),
        // Neither changed since the last sync, yet they differ: a side that is only
        // read kept its own version. Nothing new to do.
        (false, false) => Decision::InSync { remember: None },
        (true, true) => match (left, right) {
            (Some(a), Some(b)) => match a.at.cmp(&b.at) {
                Ordering::Greater => wins(Which::Left),
                Ordering::Less => wins(Which::Right),
                Ordering::Equal => Decision::Tie,
            },
            (Some(_), None) => wins(Which::Left),
            (None, Some(_)) => wins(Which::Right),
            (None, None) => Decision::InSync { remember: None },
        },
    }
}

/// Reads a timestamp liberally: RFC 3339 with any offset (`Z`, `+02:00`), the same
/// without an offset or with a space for `T` (read as UTC, as the favourites spec's
/// "timestamps should be in GMT" asks), a date alone (midnight UTC), or a number of
/// Unix seconds (milliseconds when it is beyond the year 5000 in seconds).
pub fn parse_time(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::String(text) => parse_time_text(text.trim()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                if i.unsigned_abs() > 95_617_584_000 {
                    DateTime::from_timestamp_millis(i)
                } else {
                    DateTime::from_timestamp(i, 0)
                }
            } else {
                let f = n.as_f64()?;
                let millis = (f * 1000.0).round();
                if !millis.is_finite() || millis.abs() > 9.0e15 {
                    return None;
                }
                DateTime::from_timestamp_millis(millis as i64)
            }
        }
        _ => None,
    }
}

fn parse_time_text(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let spaced = text.replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&spaced) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&spaced, format) {
            return Some(t.and_utc());
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(&spaced, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn version(content: &str, at: &str) -> Version {
        Version {
            record: json!({}),
            at: parse_time(&json!(at)).expect("time"),
            content: content.to_string(),
            deleted: content == "DELETE",
        }
    }

    fn synced(left: Option<&str>, right: Option<&str>) -> Synced {
        Synced {
            left: left.map(str::to_string),
            right: right.map(str::to_string),
        }
    }

    const T1: &str = "2017-05-02T10:45:12.798Z";
    const T2: &str = "2017-05-03T12:15:00.128Z";

    #[test]
    fn a_first_sync_copies_each_item_to_the_side_without_it() {
        let a = version("ADD", T1);
        assert_eq!(
            decide(Some(&a), None, None),
            Decision::Copy {
                from: Which::Left,
                create: true
            }
        );
        assert_eq!(
            decide(None, Some(&a), None),
            Decision::Copy {
                from: Which::Right,
                create: true
            }
        );
    }

    #[test]
    fn the_newer_timestamp_wins_when_both_sides_changed() {
        let (add, delete) = (version("ADD", T1), version("DELETE", T2));
        let copy_right = Decision::Copy {
            from: Which::Right,
            create: false,
        };
        assert_eq!(decide(Some(&add), Some(&delete), None), copy_right);
        let earlier_delete = version("DELETE", T1);
        let later_add = version("ADD", T2);
        assert_eq!(
            decide(Some(&later_add), Some(&earlier_delete), None),
            Decision::Copy {
                from: Which::Left,
                create: false
            }
        );
    }

    #[test]
    fn equal_timestamps_change_nothing() {
        let (add, delete) = (version("ADD", T1), version("DELETE", T1));
        assert_eq!(decide(Some(&add), Some(&delete), None), Decision::Tie);
    }

    #[test]
    fn offsets_are_compared_as_instants() {
        // 12:00+02:00 is 10:00Z: earlier than 11:00Z.
        let amsterdam = version("ADD", "2026-05-02T12:00:00+02:00");
        let utc = version("DELETE", "2026-05-02T11:00:00Z");
        assert_eq!(
            decide(Some(&amsterdam), Some(&utc), None),
            Decision::Copy {
                from: Which::Right,
                create: false
            }
        );
    }

    #[test]
    fn equal_content_is_in_sync_and_remembered_once() {
        let a = version("ADD", T1);
        let restamped = version("ADD", T2);
        let remember = Some(Some(synced(Some("ADD"), Some("ADD"))));
        assert_eq!(
            decide(Some(&a), Some(&restamped), None),
            Decision::InSync { remember }
        );
        let known = synced(Some("ADD"), Some("ADD"));
        assert_eq!(
            decide(Some(&a), Some(&restamped), Some(&known)),
            Decision::InSync { remember: None }
        );
        assert_eq!(
            decide(None, None, Some(&known)),
            Decision::InSync {
                remember: Some(None)
            }
        );
    }

    #[test]
    fn the_only_side_that_changed_wins_whatever_the_stamps_say() {
        // sluice wrote ADD to the right, which restamped it later; then the left
        // deleted it with an older clock. The left's change wins: no ping-pong.
        let left = version("DELETE", T1);
        let right = version("ADD", T2);
        let known = synced(Some("ADD"), Some("ADD"));
        assert_eq!(
            decide(Some(&left), Some(&right), Some(&known)),
            Decision::Copy {
                from: Which::Left,
                create: false
            }
        );
    }

    #[test]
    fn a_deletion_is_not_undone_by_the_stale_copy() {
        let stale = version("v1", T1);
        let known = synced(Some("v1"), Some("v1"));
        assert_eq!(
            decide(None, Some(&stale), Some(&known)),
            Decision::Remove { on: Which::Right }
        );
        // An edit after the sync beats the deletion.
        let edited = version("v2", T2);
        assert_eq!(
            decide(None, Some(&edited), Some(&known)),
            Decision::Copy {
                from: Which::Right,
                create: true
            }
        );
    }

    #[test]
    fn a_read_only_sides_own_version_is_left_alone() {
        let left = version("v2", T2);
        let right = version("v1", T1);
        let known = synced(Some("v2"), Some("v1"));
        assert_eq!(
            decide(Some(&left), Some(&right), Some(&known)),
            Decision::InSync { remember: None }
        );
    }

    #[test]
    fn timestamps_are_read_liberally() {
        let utc = |text: &str| parse_time(&json!(text)).map(|t| t.to_rfc3339());
        assert_eq!(
            utc("2017-05-02T10:45:12.798Z").as_deref(),
            Some("2017-05-02T10:45:12.798+00:00")
        );
        assert_eq!(
            utc("2017-05-02T12:45:12+02:00").as_deref(),
            Some("2017-05-02T10:45:12+00:00")
        );
        assert_eq!(
            utc("2017-05-02 10:45:12").as_deref(),
            Some("2017-05-02T10:45:12+00:00")
        );
        assert_eq!(
            utc("2017-05-02T10:45:12+0200").as_deref(),
            Some("2017-05-02T08:45:12+00:00")
        );
        assert_eq!(
            utc("2017-05-02").as_deref(),
            Some("2017-05-02T00:00:00+00:00")
        );
        assert_eq!(
            parse_time(&json!(1_493_721_912)).map(|t| t.to_rfc3339()),
            Some("2017-05-02T10:45:12+00:00".to_string())
        );
        assert_eq!(
            parse_time(&json!(1_493_721_912_798_i64)).map(|t| t.timestamp_millis()),
            Some(1_493_721_912_798)
        );
        assert_eq!(parse_time(&json!("yesterday")), None);
        assert_eq!(parse_time(&json!(null)), None);
    }
}
