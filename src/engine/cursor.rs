//! The incremental cursor: the largest change value seen, compared the way people
//! expect: numbers as numbers, times as instants (whatever their offsets), other text
//! as text.

use std::cmp::Ordering;

use chrono::DateTime;
use serde_json::Value;

/// The value of a cursor field as cursor text (`None` for null, lists and objects).
pub fn cursor_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Orders two cursor values: both numbers → numerically; both RFC 3339 times → as
/// instants; else as text.
pub fn compare(a: &str, b: &str) -> Ordering {
    if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
        return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    }
    if let (Ok(x), Ok(y)) = (
        DateTime::parse_from_rfc3339(a),
        DateTime::parse_from_rfc3339(b),
    ) {
        return x.cmp(&y);
    }
    a.cmp(b)
}

/// Whether a record with change value `value` lies past `cursor` (is new to read).
pub fn is_past(value: &str, cursor: Option<&str>) -> bool {
    cursor.is_none_or(|c| compare(value, c) == Ordering::Greater)
}

/// The larger of two cursor values.
pub fn max(current: Option<String>, candidate: String) -> String {
    match current {
        Some(c) if compare(&c, &candidate) != Ordering::Less => c,
        _ => candidate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_times_and_text() {
        assert_eq!(compare("9", "10"), Ordering::Less);
        assert_eq!(
            compare("2026-01-01T10:00:00+02:00", "2026-01-01T09:00:00Z"),
            Ordering::Less
        );
        assert_eq!(compare("b", "a"), Ordering::Greater);
        assert!(is_past("11", Some("10")));
        assert!(!is_past("10", Some("10")));
        assert!(is_past("1", None));
        assert_eq!(max(Some("9".into()), "10".into()), "10");
        assert_eq!(max(Some("10".into()), "9".into()), "10");
    }
}
