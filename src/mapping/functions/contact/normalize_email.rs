//! `normalize_email`: cleans up an e-mail address and checks its shape.

use std::ops::Range;

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const NORMALIZE_EMAIL: Function = Function {
    name: "normalize_email",
    category: Category::Contact,
    summary: "Trims and lower-cases an e-mail address and removes a `mailto:` prefix. An \
              address without exactly one `@`, a non-empty name before it and a domain \
              with a dot after it (or with spaces or brackets) is an error.",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#""  Ada.Lovelace@Example.COM " | normalize_email"#,
            result: r#""ada.lovelace@example.com""#,
        },
        Example {
            expr: r#""mailto:info@caf\u{e9}-flore.fr" | normalize_email"#,
            result: r#""info@café-flore.fr""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(normalize_email),
};

fn normalize_email(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    // Check the borrowed text first, so the error can show it as it was; then reuse it.
    let range = {
        let text = args.text(0)?;
        let range = address(&text);
        if !text.get(range.clone()).is_some_and(is_valid) {
            let shown = value::excerpt(args.value(0));
            return Err(args.fail(format_args!("not a valid e-mail address: {shown}")));
        }
        range
    };
    let mut email = args.take_text(0)?;
    email.truncate(range.end);
    email.drain(..range.start);
    if email.is_ascii() {
        email.make_ascii_lowercase();
        Ok(Value::String(email))
    } else {
        Ok(Value::String(email.to_lowercase()))
    }
}

/// Where the address is in a text: trimmed, after a `mailto:` prefix (in any case).
fn address(text: &str) -> Range<usize> {
    const MAILTO: &str = "mailto:";
    let mut start = text.len() - text.trim_start().len();
    let end = text.trim_end().len().max(start);
    let is_mailto = text
        .get(start..end)
        .and_then(|inner| inner.get(..MAILTO.len()))
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(MAILTO));
    if is_mailto {
        start += MAILTO.len();
        let rest = text.get(start..end).unwrap_or_default();
        start += rest.len() - rest.trim_start().len();
    }
    start..end
}

/// A basic check of the shape `name@domain.tld`; it does not try to follow every rule
/// of RFC 5321, only to catch what is clearly not an address.
fn is_valid(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && !local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c));
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    fn normalize(text: &str) -> Result<serde_json::Value, String> {
        call_builtin("normalize_email", &[json!(text)]).map_err(|e| e.0)
    }

    #[test]
    fn trims_lowers_and_strips_mailto() {
        assert_eq!(
            normalize(" Ada@Example.COM\n"),
            Ok(json!("ada@example.com"))
        );
        assert_eq!(
            normalize("MAILTO:ada@example.com"),
            Ok(json!("ada@example.com"))
        );
        assert_eq!(
            normalize("mailto: ada@example.com"),
            Ok(json!("ada@example.com"))
        );
        assert_eq!(
            normalize("first.last+tag@sub.example.co.uk"),
            Ok(json!("first.last+tag@sub.example.co.uk"))
        );
        assert_eq!(normalize("JOSÉ@BÜCHER.DE"), Ok(json!("josé@bücher.de")));
        assert_eq!(normalize("a@b.c"), Ok(json!("a@b.c")));
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "ada@x@example.com",
            "ada lovelace@example.com",
            "ada@exa mple.com",
            "ada@.example.com",
            "ada@example.com.",
            "ada@example..com",
            "ada@-example.com",
            "Ada <ada@example.com>",
            "ada@example.com?subject=hi",
            "mailto:",
        ] {
            let err = normalize(bad).expect_err(bad);
            assert!(err.contains("not a valid e-mail address"), "{err}");
        }
    }

    #[test]
    fn the_error_names_the_value() {
        let err = normalize(" Nobody ").unwrap_err();
        assert_eq!(
            err,
            "normalize_email: not a valid e-mail address: \" Nobody \""
        );
    }

    #[test]
    fn null_and_wrong_types() {
        assert_eq!(
            call_builtin("normalize_email", &[json!(null)]),
            Ok(json!(null))
        );
        assert!(call_builtin("normalize_email", &[json!(12)]).is_err());
        let err = call_builtin("normalize_email", &[json!(["a@b.c"])]).unwrap_err();
        assert!(err.0.contains("`value` must be text"), "{err}");
    }
}
