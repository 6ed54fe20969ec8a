//! `regex_replace`: replaces every match of a regular expression.

use std::sync::Arc;

use regex::Regex;

use crate::mapping::functions::{
    Args, Call, Category, Example, FnError, Function, Imp, Nulls, Param,
};
use crate::mapping::value::Value;

pub(crate) const REGEX_REPLACE: Function = Function {
    name: "regex_replace",
    category: Category::Text,
    summary: "Replaces every match of a regular expression; `$1` or `${name}` in the \
              replacement insert capture groups.",
    params: &[
        Param::required("value"),
        Param::required("pattern"),
        Param::required("replacement"),
    ],
    examples: &[
        Example {
            expr: r#""06-1234 5678" | regex_replace("[^0-9]", "")"#,
            result: r#""0612345678""#,
        },
        Example {
            expr: r#""2026-11-25" | regex_replace("(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1")"#,
            result: r#""25/11/2026""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Prepared(prepare),
};

/// A call site: the regex compiled once when the pattern is a constant.
struct RegexReplace {
    pattern: Option<Regex>,
}

fn prepare(consts: &[Option<&Value>]) -> Result<Arc<dyn Call>, String> {
    let pattern = match consts.get(1).copied().flatten() {
        Some(Value::String(p)) => Some(compile(p)?),
        Some(other) => return Err(format!("the pattern must be text, got {other}")),
        None => None,
    };
    Ok(Arc::new(RegexReplace { pattern }))
}

/// Compiles a pattern, with the regex crate's explanation when it is invalid.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| {
        // The regex crate explains on several lines, with a caret diagram; keep its
        // last line, the explanation ("unclosed group").
        let text = e.to_string();
        let reason = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let reason = reason.trim().trim_start_matches("error: ");
        format!("`{pattern}` is not a valid regular expression: {reason}")
    })
}

impl Call for RegexReplace {
    fn call(&self, args: &mut Args<'_, '_>) -> Result<Value, FnError> {
        let dynamic;
        let regex = match &self.pattern {
            Some(regex) => regex,
            None => {
                dynamic = compile(&args.text(1)?).map_err(|e| args.fail(e))?;
                &dynamic
            }
        };
        let replacement = args.text(2)?;
        let text = args.text(0)?;
        Ok(Value::String(
            regex.replace_all(&text, replacement.as_ref()).into_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn replaces_with_groups() {
        let got = call_builtin(
            "regex_replace",
            &[json!("a1b22"), json!("(\\d+)"), json!("<$1>")],
        );
        assert_eq!(got, Ok(json!("a<1>b<22>")));
    }

    #[test]
    fn an_invalid_pattern_is_an_error() {
        let got = call_builtin("regex_replace", &[json!("a"), json!("("), json!("")]);
        assert!(
            got.unwrap_err()
                .0
                .contains("is not a valid regular expression: unclosed group")
        );
    }
}
