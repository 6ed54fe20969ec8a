//! `pad_start`: pads a text on the left up to a width.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const PAD_START: Function = Function {
    name: "pad_start",
    category: Category::Text,
    summary: "Adds `fill` (default: a space; repeated, and cut if it is longer than one \
              character) at the start until the text is `width` characters long. Longer \
              texts are left as they are.",
    params: &[
        Param::required("value"),
        Param::required("width"),
        Param::optional("fill"),
    ],
    examples: &[
        Example {
            expr: r#"42 | pad_start(6, "0")"#,
            result: r#""000042""#,
        },
        Example {
            expr: r#""7" | pad_start(3)"#,
            result: r#""  7""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(pad_start),
};

/// The widest result a pad function builds, to keep a mistaken width from exhausting memory.
const MAX_WIDTH: usize = 100_000;

fn pad_start(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    pad(args, Side::Start)
}

/// Pads argument 0 to the width in argument 1 with the fill in argument 2, at the start
/// or the end. Shared with `pad_end`.
/// Which end of the text the fill goes to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Start,
    End,
}

pub(super) fn pad(args: &mut Args<'_, '_>, side: Side) -> Result<Value, FnError> {
    let width = args.int(1)?;
    let width = usize::try_from(width)
        .ok()
        .filter(|&w| w <= MAX_WIDTH)
        .ok_or_else(|| {
            args.error(
                1,
                format_args!("must be between 0 and {MAX_WIDTH}, got {width}"),
            )
        })?;
    let text = args.take_text(0)?;
    let fill = args.opt_text(2)?;
    let fill = fill.as_deref().unwrap_or(" ");
    if fill.is_empty() {
        return Err(args.error(2, "must not be empty"));
    }
    let length = if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    };
    if length >= width {
        return Ok(Value::String(text));
    }
    let missing = width - length;
    let mut out = String::with_capacity(text.len() + missing * fill.len());
    if side == Side::End {
        out.push_str(&text);
    }
    if fill.len() == 1 {
        out.extend(std::iter::repeat_n(fill, missing));
    } else {
        out.extend(fill.chars().cycle().take(missing));
    }
    if side == Side::Start {
        out.push_str(&text);
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn pads_at_the_start() {
        assert_eq!(
            call_builtin("pad_start", &[json!("5"), json!(3), json!("0")]),
            Ok(json!("005"))
        );
        assert_eq!(
            call_builtin("pad_start", &[json!("ab"), json!(4)]),
            Ok(json!("  ab"))
        );
        assert_eq!(
            call_builtin("pad_start", &[json!("ab"), json!(4), json!(null)]),
            Ok(json!("  ab"))
        );
        assert_eq!(
            call_builtin("pad_start", &[json!("abc"), json!(10), json!("123")]),
            Ok(json!("1231231abc"))
        );
    }

    #[test]
    fn counts_characters() {
        assert_eq!(
            call_builtin("pad_start", &[json!("é"), json!(3), json!("·")]),
            Ok(json!("··é"))
        );
        assert_eq!(
            call_builtin("pad_start", &[json!("école"), json!(5), json!("x")]),
            Ok(json!("école"))
        );
    }

    #[test]
    fn long_texts_are_kept() {
        assert_eq!(
            call_builtin("pad_start", &[json!("abcdef"), json!(3), json!("0")]),
            Ok(json!("abcdef"))
        );
        assert_eq!(
            call_builtin("pad_start", &[json!(""), json!(0)]),
            Ok(json!(""))
        );
    }

    #[test]
    fn null_and_errors() {
        assert_eq!(
            call_builtin("pad_start", &[json!(null), json!(3)]),
            Ok(json!(null))
        );
        let err = call_builtin("pad_start", &[json!("a"), json!(-1)]).unwrap_err();
        assert!(err.0.contains("`width` must be between 0 and"), "{err}");
        assert!(call_builtin("pad_start", &[json!("a"), json!(1_000_000_000)]).is_err());
        assert!(call_builtin("pad_start", &[json!("a"), json!("3")]).is_err());
        let err = call_builtin("pad_start", &[json!("a"), json!(3), json!("")]).unwrap_err();
        assert!(err.0.contains("`fill` must not be empty"), "{err}");
        assert!(call_builtin("pad_start", &[json!(["a"]), json!(3)]).is_err());
    }
}
