//! `slug`: turns a text into a URL-friendly identifier.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const SLUG: Function = Function {
    name: "slug",
    category: Category::Text,
    summary: "Turns a text into a lower-case identifier for URLs and tags: accents and \
              other scripts are transliterated to ASCII (`é` → `e`, `ß` → `ss`), and every \
              run of other characters becomes a single `-`, none at the ends.",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#""Caf\u{e9} de Flore!" | slug"#,
            result: r#""cafe-de-flore""#,
        },
        Example {
            expr: r#""Spring Sale 2026 -- 50% off" | slug"#,
            result: r#""spring-sale-2026-50-off""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(slug),
};

fn slug(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let text = args.text(0)?;
    let mut out = String::with_capacity(text.len());
    // A separator is owed once the next letter or digit comes (never at the ends).
    let mut separate = false;
    let mut push = |b: u8| {
        if b.is_ascii_alphanumeric() {
            if separate && !out.is_empty() {
                out.push('-');
            }
            separate = false;
            out.push(char::from(b.to_ascii_lowercase()));
        } else {
            separate = true;
        }
    };
    for c in text.chars() {
        if c.is_ascii() {
            push(c as u8);
        } else {
            // Characters without a transliteration separate words.
            deunicode::deunicode_char(c)
                .unwrap_or(" ")
                .bytes()
                .for_each(&mut push);
        }
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    fn slug(text: &str) -> serde_json::Value {
        match call_builtin("slug", &[json!(text)]) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn makes_lower_case_ascii_words_joined_by_dashes() {
        assert_eq!(slug("Café de Flore!"), json!("cafe-de-flore"));
        assert_eq!(slug("  Hello,   World  "), json!("hello-world"));
        assert_eq!(slug("already-a-slug"), json!("already-a-slug"));
        assert_eq!(slug("snake_case_name"), json!("snake-case-name"));
        assert_eq!(slug("--x--"), json!("x"));
    }

    #[test]
    fn transliterates() {
        assert_eq!(slug("Straße Ærø"), json!("strasse-aero"));
        assert_eq!(slug("Łódź"), json!("lodz"));
        assert_eq!(slug("Ελλάδα"), json!("ellada"));
    }

    #[test]
    fn edge_cases() {
        assert_eq!(slug(""), json!(""));
        assert_eq!(slug("!!!"), json!(""));
        assert_eq!(call_builtin("slug", &[json!(2026)]), Ok(json!("2026")));
        assert_eq!(call_builtin("slug", &[json!(1.5)]), Ok(json!("1-5")));
        assert_eq!(call_builtin("slug", &[json!(null)]), Ok(json!(null)));
        assert!(call_builtin("slug", &[json!(["a"])]).is_err());
    }
}
