//! Filling endpoint paths from a record: `{email}` is the record's `email` field,
//! `{address.city}` a nested one, `{dest_id}` the destination id. Each value is
//! percent-encoded, so it stays one path segment or one query value. A placeholder
//! without a value is an error for that record, never an empty segment.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::engine::identity::lookup;
use crate::pipeline::Template;

/// Everything but the unreserved characters of RFC 3986.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `text` encoded as one path segment or query value.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// Fills `template` from `record`, `dest_id` filling `{dest_id}`. Fails with the name
/// of the first placeholder that has no value (missing, null, a list or an object).
pub fn fill(template: &Template, record: &Value, dest_id: Option<&str>) -> Result<String, String> {
    let mut missing = None;
    let text = template.render(|name| {
        let value = if name == "dest_id" {
            dest_id.map(str::to_string)
        } else {
            match lookup(record, name) {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(Value::Bool(b)) => Some(b.to_string()),
                _ => None,
            }
        };
        match value {
            Some(value) => encode(&value),
            None => {
                missing.get_or_insert_with(|| name.to_string());
                String::new()
            }
        }
    });
    match missing {
        None => Ok(text),
        Some(name) if name == "dest_id" => {
            Err("no destination id is known for this record (`{dest_id}`)".to_string())
        }
        Some(name) => Err(format!("the record has no value for `{{{name}}}`")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn placeholders_are_filled_and_encoded() {
        let t = Template::parse("/people/{dest_id}?email={email}&c={a.city}").expect("valid");
        let record = json!({"email": "a+b@x.org", "a": {"city": "Den Haag"}});
        assert_eq!(
            fill(&t, &record, Some("7/8")),
            Ok("/people/7%2F8?email=a%2Bb%40x.org&c=Den%20Haag".into())
        );
        assert_eq!(
            fill(&t, &record, None),
            Err("no destination id is known for this record (`{dest_id}`)".into())
        );
        let t = Template::parse("/people?email={email}").expect("valid");
        assert_eq!(
            fill(&t, &json!({"email": ""}), None),
            Err("the record has no value for `{email}`".into())
        );
    }
}
