//! `title`: capitalises each word and lower-cases the rest.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const TITLE: Function = Function {
    name: "title",
    category: Category::Text,
    summary: "Capitalises the first letter of each word and lower-cases the rest. A word \
              starts after a space, hyphen or other punctuation, but not after an \
              apostrophe or a digit (`o'neil` becomes `O'neil`, `3rd` stays `3rd`).",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#""ADA LOVELACE" | title"#,
            result: r#""Ada Lovelace""#,
        },
        Example {
            expr: r#""jean-luc van der berg" | title"#,
            result: r#""Jean-Luc Van Der Berg""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(title),
};

/// Characters that continue a word: the next letter is not capitalised.
fn continues_word(c: char) -> bool {
    c.is_alphanumeric() || c == '\'' || c == '\u{2019}'
}

fn title(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let mut text = args.take_text(0)?;
    if text.is_ascii() {
        // In place: every byte is a character.
        let mut in_word = false;
        for i in 0..text.len() {
            let Some(part) = text.get_mut(i..=i) else {
                continue;
            };
            if in_word {
                part.make_ascii_lowercase();
            } else {
                part.make_ascii_uppercase();
            }
            in_word = part.chars().next().is_some_and(continues_word);
        }
        return Ok(Value::String(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut in_word = false;
    for c in text.chars() {
        if in_word {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        in_word = continues_word(c);
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    fn title(text: &str) -> String {
        match call_builtin("title", &[json!(text)]) {
            Ok(serde_json::Value::String(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn capitalises_words() {
        assert_eq!(title("ada LOVELACE"), "Ada Lovelace");
        assert_eq!(
            title("  two  spaces\tand\ttabs"),
            "  Two  Spaces\tAnd\tTabs"
        );
        assert_eq!(title("jean-luc (the captain)"), "Jean-Luc (The Captain)");
        assert_eq!(title("o'neil's 3rd shop"), "O'neil's 3rd Shop");
        assert_eq!(title(""), "");
    }

    #[test]
    fn handles_unicode() {
        assert_eq!(title("ÉMILE zola"), "Émile Zola");
        assert_eq!(title("łódź city"), "Łódź City");
        assert_eq!(title("o’neil"), "O’neil");
    }

    #[test]
    fn null_numbers_and_wrong_types() {
        assert_eq!(call_builtin("title", &[json!(null)]), Ok(json!(null)));
        assert_eq!(call_builtin("title", &[json!(true)]), Ok(json!("True")));
        assert!(call_builtin("title", &[json!([])]).is_err());
    }
}
