//! `normalize_phone`: writes a phone number in the international E.164 form.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use phonenumber::country::Id;
use phonenumber::metadata::DATABASE;

use crate::mapping::functions::{
    Args, Call, Category, Example, FnError, Function, Imp, Nulls, Param,
};
use crate::mapping::value::{self, Value};

pub(crate) const NORMALIZE_PHONE: Function = Function {
    name: "normalize_phone",
    category: Category::Contact,
    summary: "Writes a phone number in the international E.164 form (`+31612345678`), as \
              messaging and ad platforms expect. Accepts spaces, dashes, dots, parentheses \
              and a leading `+` or `00`; numbers without a country code are read as from \
              `country`, a two-letter ISO code (default `\"NL\"`). A number that is not \
              valid for its country is an error.",
    params: &[Param::required("value"), Param::optional("country")],
    examples: &[
        Example {
            expr: r#""06-12 34 56 78" | normalize_phone"#,
            result: r#""+31612345678""#,
        },
        Example {
            expr: r#""0044 (0)20 7946 0958" | normalize_phone"#,
            result: r#""+442079460958""#,
        },
        Example {
            expr: r#""(030) 123 456 78" | normalize_phone("DE")"#,
            result: r#""+493012345678""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Prepared(prepare),
};

/// The country when none is given.
const DEFAULT_COUNTRY: Id = Id::NL;

/// A call site: the country parsed once when it is a constant (or not given).
struct NormalizePhone {
    country: Option<Id>,
}

fn prepare(consts: &[Option<&Value>]) -> Result<Arc<dyn Call>, String> {
    let country = match consts.get(1).copied() {
        // Not given, or null: the default.
        None | Some(Some(Value::Null)) => Some(DEFAULT_COUNTRY),
        Some(Some(value)) => {
            let text = value::as_text(value).ok_or_else(|| {
                format!("the country must be text, got {}", value::excerpt(value))
            })?;
            Some(parse_country(&text)?)
        }
        // Only known when the mapping runs.
        Some(None) => None,
    };
    // Load the phone number metadata now rather than on the first record (it is loaded
    // once per process, on first use).
    let _ = DATABASE.by_id("NL");
    Ok(Arc::new(NormalizePhone { country }))
}

/// A two-letter ISO 3166 country code known to the phone number metadata.
fn parse_country(text: &str) -> Result<Id, String> {
    let code = text.trim();
    let invalid = || {
        format!(
            "the country must be a two-letter ISO code such as \"NL\", got {}",
            value::excerpt(&Value::String(text.to_string()))
        )
    };
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(invalid());
    }
    let code = code.to_ascii_uppercase();
    match code.parse::<Id>() {
        Ok(id) if DATABASE.by_id(id.as_ref()).is_some() => Ok(id),
        _ => Err(invalid()),
    }
}

impl Call for NormalizePhone {
    fn call(&self, args: &mut Args<'_, '_>) -> Result<Value, FnError> {
        let country = match self.country {
            Some(country) => country,
            None => match args.opt_text(1)? {
                None => DEFAULT_COUNTRY,
                Some(text) => parse_country(&text).map_err(|e| args.fail(e))?,
            },
        };
        let text = args.text(0)?;
        normalize(&text, country).ok_or_else(|| {
            args.fail(format_args!(
                "not a valid phone number: {}",
                value::excerpt(args.value(0))
            ))
        })
    }
}

/// The E.164 form of a number, or `None` when it is not a valid phone number.
fn normalize(text: &str, country: Id) -> Option<Value> {
    let text = text.trim();
    // `00` is the international prefix in most of the world; the metadata only knows it
    // for the countries that use it.
    let text = match text.strip_prefix("00") {
        Some(rest) => Cow::Owned(format!("+{rest}")),
        None => Cow::Borrowed(text),
    };
    // The parser has panicked on odd input in the past (rust-phonenumber issue 43): a bad
    // value must not stop a run.
    let number = catch_unwind(AssertUnwindSafe(|| {
        phonenumber::parse(Some(country), text.as_ref())
            .ok()
            .filter(phonenumber::is_valid)
    }))
    .ok()
    .flatten()?;
    let mut e164 = String::with_capacity(16);
    write!(e164, "+{}{}", number.code().value(), number.national()).ok()?;
    Some(Value::String(e164))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::{Value, json};

    fn phone(text: &str, country: Option<&str>) -> Result<Value, String> {
        let mut args = vec![json!(text)];
        if let Some(country) = country {
            args.push(json!(country));
        }
        call_builtin("normalize_phone", &args).map_err(|e| e.0)
    }

    #[test]
    fn dutch_numbers_in_every_notation() {
        for written in [
            "0612345678",
            "06-12345678",
            "06 12 34 56 78",
            "06.12.34.56.78",
            "(06) 1234 5678",
            "+31612345678",
            "+31 6 12345678",
            "+31 (0)6 1234 5678",
            "0031612345678",
            "0031 6 1234 5678",
            "  +31-6-1234-5678 ",
        ] {
            assert_eq!(phone(written, None), Ok(json!("+31612345678")), "{written}");
        }
        assert_eq!(phone("020 794 6095", None), Ok(json!("+31207946095")));
    }

    #[test]
    fn other_countries() {
        assert_eq!(
            phone("030 12345678", Some("DE")),
            Ok(json!("+493012345678"))
        );
        assert_eq!(
            phone("(202) 555-0123", Some("us")),
            Ok(json!("+12025550123"))
        );
        assert_eq!(
            phone("020 7946 0958", Some("GB")),
            Ok(json!("+442079460958"))
        );
        // An Italian landline keeps its leading zero.
        assert_eq!(
            phone("06 6982 0000", Some("IT")),
            Ok(json!("+390669820000"))
        );
        // A number with its own country code ignores the default country.
        assert_eq!(
            phone("+32 470 12 34 56", Some("NL")),
            Ok(json!("+32470123456"))
        );
        assert_eq!(phone("0032 470 12 34 56", None), Ok(json!("+32470123456")));
        assert_eq!(
            phone("+1 202 555 0123", Some("FR")),
            Ok(json!("+12025550123"))
        );
    }

    #[test]
    fn numbers_as_json_numbers() {
        assert_eq!(
            call_builtin("normalize_phone", &[json!(612345678)]),
            Ok(json!("+31612345678"))
        );
        // Digits that start with a country code are read as such, as libphonenumber does.
        assert_eq!(
            call_builtin("normalize_phone", &[json!(31612345678_i64)]),
            Ok(json!("+31612345678"))
        );
        assert!(call_builtin("normalize_phone", &[json!(1.5)]).is_err());
        assert!(call_builtin("normalize_phone", &[json!(true)]).is_err());
    }

    #[test]
    fn invalid_numbers_are_errors_naming_the_value() {
        for bad in [
            "",
            "abc",
            "12",
            "06-1234",
            "0612345678901234",
            "+999 1234567",
            "n/a",
        ] {
            let err = phone(bad, None).expect_err(bad);
            assert!(
                err.starts_with("normalize_phone: not a valid phone number: "),
                "{err}"
            );
            assert!(err.contains(&format!("{:?}", bad)), "{err}");
        }
    }

    #[test]
    fn odd_input_does_not_panic() {
        for odd in [
            "  2 22#:",
            "+",
            "00",
            "+-",
            "tel:",
            "tel:+",
            ";;",
            "((((",
            "0".repeat(40).as_str(),
        ] {
            assert!(phone(odd, None).is_err(), "{odd}");
        }
    }

    #[test]
    fn the_country_must_be_a_known_two_letter_code() {
        for bad in ["NLD", "N", "", "12", "XX", "Nederland"] {
            let err = phone("0612345678", Some(bad)).expect_err(bad);
            assert!(err.contains("two-letter ISO code"), "{err}");
        }
        let err = call_builtin("normalize_phone", &[json!("0612345678"), json!(31)]).unwrap_err();
        assert!(err.0.contains("two-letter ISO code"), "{err}");
        let err =
            call_builtin("normalize_phone", &[json!("0612345678"), json!(["NL"])]).unwrap_err();
        assert!(err.0.contains("must be text"), "{err}");
        assert_eq!(
            call_builtin("normalize_phone", &[json!("0612345678"), json!(null)]),
            Ok(json!("+31612345678"))
        );
    }

    #[test]
    fn a_country_known_only_at_run_time_is_read_per_call() {
        use std::borrow::Cow;

        use crate::mapping::functions::Args;

        let call = match super::prepare(&[None, None]) {
            Ok(call) => call,
            Err(e) => panic!("{e}"),
        };
        let run = |number: Value, country: Value| {
            let mut values = vec![Cow::Owned(number), Cow::Owned(country)];
            let params = super::NORMALIZE_PHONE.params;
            let mut args = Args::new("normalize_phone", params, &mut values, None);
            call.call(&mut args).map_err(|e| e.0)
        };
        assert_eq!(
            run(json!("030 12345678"), json!("de")),
            Ok(json!("+493012345678"))
        );
        assert_eq!(
            run(json!("0612345678"), json!(null)),
            Ok(json!("+31612345678"))
        );
        let err = run(json!("0612345678"), json!("Holland")).unwrap_err();
        assert!(
            err.starts_with("normalize_phone: the country must be"),
            "{err}"
        );
        // A constant country that is not valid is reported when the mapping is compiled.
        let err = super::prepare(&[None, Some(&json!("XYZ"))]).err();
        assert!(err.is_some_and(|e| e.contains("two-letter ISO code")));
    }

    #[test]
    fn null_propagates() {
        assert_eq!(
            call_builtin("normalize_phone", &[json!(null)]),
            Ok(json!(null))
        );
        assert_eq!(
            call_builtin("normalize_phone", &[json!(null), json!("DE")]),
            Ok(json!(null))
        );
    }
}
