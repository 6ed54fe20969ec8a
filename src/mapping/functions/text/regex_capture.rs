//! `regex_capture`: extracts the groups of the first match of a regular expression.

use std::sync::Arc;

use super::pattern::Pattern;
use crate::mapping::functions::{
    Args, Call, Category, Example, FnError, Function, Imp, Nulls, Param,
};
use crate::mapping::value::{Map, Value};

pub(crate) const REGEX_CAPTURE: Function = Function {
    name: "regex_capture",
    category: Category::Text,
    summary: "Extracts the groups of the first match: an object by group name when the \
              pattern has named groups `(?P<name>…)`, otherwise a list of the groups (the \
              whole match when there are none). A group that took no part gives null; no \
              match at all gives null.",
    params: &[Param::required("value"), Param::required("pattern")],
    examples: &[
        Example {
            expr: r#""Order 2026-1187" | regex_capture("(?P<year>\\d{4})-(?P<number>\\d+)")"#,
            result: r#"{"year": "2026", "number": "1187"}"#,
        },
        Example {
            expr: r#""ada@example.com" | regex_capture("^(.+)@(.+)$")"#,
            result: r#"["ada", "example.com"]"#,
        },
        Example {
            expr: r#""no digits here" | regex_capture("\\d+")"#,
            result: "null",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Prepared(prepare),
};

/// A call site: the regex compiled once when the pattern is a constant.
struct RegexCapture {
    pattern: Pattern,
}

fn prepare(consts: &[Option<&Value>]) -> Result<Arc<dyn Call>, String> {
    Ok(Arc::new(RegexCapture {
        pattern: Pattern::prepare(consts, 1)?,
    }))
}

impl Call for RegexCapture {
    fn call(&self, args: &mut Args<'_, '_>) -> Result<Value, FnError> {
        let regex = self.pattern.regex(args, 1)?;
        let text = args.text(0)?;
        Ok(capture(&regex, &text))
    }
}

fn capture(regex: &regex::Regex, text: &str) -> Value {
    let Some(groups) = regex.captures(text) else {
        return Value::Null;
    };
    let group = |i: usize| {
        groups
            .get(i)
            .map_or(Value::Null, |m| Value::String(m.as_str().to_string()))
    };
    if regex.capture_names().flatten().next().is_some() {
        let object: Map<String, Value> = regex
            .capture_names()
            .enumerate()
            .filter_map(|(i, name)| Some((name?.to_string(), group(i))))
            .collect();
        Value::Object(object)
    } else if groups.len() == 1 {
        Value::Array(vec![group(0)])
    } else {
        Value::Array((1..groups.len()).map(group).collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    fn capture(text: &str, pattern: &str) -> serde_json::Value {
        match call_builtin("regex_capture", &[json!(text), json!(pattern)]) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn named_groups_give_an_object_in_pattern_order() {
        let got = capture("25/11/2026", r"(?P<day>\d+)/(?P<month>\d+)/(?P<year>\d+)");
        assert_eq!(got, json!({"day": "25", "month": "11", "year": "2026"}));
        let keys: Vec<_> = got.as_object().map_or(vec![], |o| o.keys().collect());
        assert_eq!(keys, ["day", "month", "year"]);
        // Unnamed groups are left out when some are named.
        assert_eq!(capture("a-1", r"(\w)-(?<n>\d)"), json!({"n": "1"}));
    }

    #[test]
    fn unnamed_groups_give_a_list() {
        assert_eq!(capture("a=1", r"(\w)=(\d)"), json!(["a", "1"]));
        assert_eq!(capture("x 42 y", r"\d+"), json!(["42"]));
        assert_eq!(capture("ab", r"(a)(x)?"), json!(["a", null]));
        assert_eq!(capture("abc", r"(?P<x>x)?b"), json!({"x": null}));
    }

    #[test]
    fn no_match_and_null_give_null() {
        assert_eq!(capture("abc", r"\d"), json!(null));
        assert_eq!(
            call_builtin("regex_capture", &[json!(null), json!("a")]),
            Ok(json!(null))
        );
        assert_eq!(
            call_builtin("regex_capture", &[json!(12345), json!("^(\\d{2})")]),
            Ok(json!(["12"]))
        );
    }

    #[test]
    fn a_pattern_known_only_at_run_time_is_compiled_per_call() {
        use std::borrow::Cow;

        use crate::mapping::functions::Args;

        let call = match super::prepare(&[None, None]) {
            Ok(call) => call,
            Err(e) => panic!("{e}"),
        };
        let run = |text: serde_json::Value, pattern: serde_json::Value| {
            let mut values = vec![Cow::Owned(text), Cow::Owned(pattern)];
            let params = super::REGEX_CAPTURE.params;
            let mut args = Args::new("regex_capture", params, &mut values, None);
            call.call(&mut args).map_err(|e| e.0)
        };
        assert_eq!(run(json!("a12"), json!("\\d+")), Ok(json!(["12"])));
        let err = run(json!("a"), json!("(")).unwrap_err();
        assert!(
            err.starts_with("regex_capture: `(` is not a valid regular expression: unclosed group"),
            "{err}"
        );
    }

    #[test]
    fn errors() {
        let err = call_builtin("regex_capture", &[json!("a"), json!("[")]).unwrap_err();
        assert!(err.0.contains("is not a valid regular expression"), "{err}");
        assert!(call_builtin("regex_capture", &[json!({}), json!("a")]).is_err());
    }
}
