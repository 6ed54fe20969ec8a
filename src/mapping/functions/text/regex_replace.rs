//! `regex_replace`: replaces every match of a regular expression.

use std::sync::Arc;

use super::pattern::Pattern;
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
    pattern: Pattern,
}

fn prepare(consts: &[Option<&Value>]) -> Result<Arc<dyn Call>, String> {
    Ok(Arc::new(RegexReplace {
        pattern: Pattern::prepare(consts, 1)?,
    }))
}

impl Call for RegexReplace {
    fn call(&self, args: &mut Args<'_, '_>) -> Result<Value, FnError> {
        let regex = self.pattern.regex(args, 1)?;
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
