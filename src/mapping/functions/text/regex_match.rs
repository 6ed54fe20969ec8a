//! `regex_match`: tells whether a regular expression matches a text.

use std::sync::Arc;

use super::pattern::Pattern;
use crate::mapping::functions::{
    Args, Call, Category, Example, FnError, Function, Imp, Nulls, Param,
};
use crate::mapping::value::Value;

pub(crate) const REGEX_MATCH: Function = Function {
    name: "regex_match",
    category: Category::Text,
    summary: "True when the regular expression matches somewhere in the text; anchor it \
              with `^…$` to test the whole text, start it with `(?i)` to ignore case.",
    params: &[Param::required("value"), Param::required("pattern")],
    examples: &[
        Example {
            expr: r#""1234 AB" | regex_match("^\\d{4} ?[A-Z]{2}$")"#,
            result: "true",
        },
        Example {
            expr: r#""Newsletter: Spring SALE" | regex_match("(?i)sale")"#,
            result: "true",
        },
        Example {
            expr: r#""order-17" | regex_match("^\\d+$")"#,
            result: "false",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Prepared(prepare),
};

/// A call site: the regex compiled once when the pattern is a constant.
struct RegexMatch {
    pattern: Pattern,
}

fn prepare(consts: &[Option<&Value>]) -> Result<Arc<dyn Call>, String> {
    Ok(Arc::new(RegexMatch {
        pattern: Pattern::prepare(consts, 1)?,
    }))
}

impl Call for RegexMatch {
    fn call(&self, args: &mut Args<'_, '_>) -> Result<Value, FnError> {
        let regex = self.pattern.regex(args, 1)?;
        let text = args.text(0)?;
        Ok(Value::Bool(regex.is_match(&text)))
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn matches_anywhere_unless_anchored() {
        assert_eq!(
            call_builtin("regex_match", &[json!("abc123"), json!("\\d")]),
            Ok(json!(true))
        );
        assert_eq!(
            call_builtin("regex_match", &[json!("abc123"), json!("^\\d+$")]),
            Ok(json!(false))
        );
        assert_eq!(
            call_builtin("regex_match", &[json!("ABC"), json!("(?i)^abc$")]),
            Ok(json!(true))
        );
    }

    #[test]
    fn numbers_are_matched_as_text_and_null_propagates() {
        assert_eq!(
            call_builtin("regex_match", &[json!(2026), json!("^20\\d\\d$")]),
            Ok(json!(true))
        );
        assert_eq!(
            call_builtin("regex_match", &[json!(null), json!("x")]),
            Ok(json!(null))
        );
        assert_eq!(
            call_builtin("regex_match", &[json!(""), json!("^$")]),
            Ok(json!(true))
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
            let params = super::REGEX_MATCH.params;
            let mut args = Args::new("regex_match", params, &mut values, None);
            call.call(&mut args).map_err(|e| e.0)
        };
        assert_eq!(run(json!("a12"), json!("\\d+")), Ok(json!(true)));
        let err = run(json!("a"), json!("(")).unwrap_err();
        assert!(
            err.starts_with("regex_match: `(` is not a valid regular expression: unclosed group"),
            "{err}"
        );
    }

    #[test]
    fn errors() {
        let err = call_builtin("regex_match", &[json!("a"), json!("(")]).unwrap_err();
        assert!(err.0.contains("is not a valid regular expression"), "{err}");
        assert!(call_builtin("regex_match", &[json!("a"), json!(1)]).is_err());
        assert!(call_builtin("regex_match", &[json!(["a"]), json!("a")]).is_err());
    }
}
