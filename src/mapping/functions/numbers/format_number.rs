//! `format_number`: writes a number with fixed decimals and chosen separators.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{Num, Value};

use super::common::Decimal;

/// The most decimals `format_number` writes.
const MAX_DECIMALS: i64 = 100;

pub(crate) const FORMAT_NUMBER: Function = Function {
    name: "format_number",
    category: Category::Numbers,
    summary: "Writes a number as text, rounded half away from zero to `decimals` decimals \
              (default 2), with a decimal separator (default `.`) and a thousands separator \
              (default none).",
    params: &[
        Param::required("value"),
        Param::optional("decimals"),
        Param::optional("decimal_separator"),
        Param::optional("thousands_separator"),
    ],
    examples: &[
        Example {
            expr: r#"format_number(1234.5, 2, ",", ".")"#,
            result: r#""1.234,50""#,
        },
        Example {
            expr: "format_number(1.23456)",
            result: r#""1.23""#,
        },
        Example {
            expr: r#"1234567 | format_number(0, ".", ",")"#,
            result: r#""1,234,567""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(format_number),
};

fn format_number(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let mut decimal = match args.num(0)? {
        Num::Int(n) => Decimal::from_i64(n),
        Num::Float(f) => Decimal::from_f64(f),
    };
    let decimals = args.int_or(1, 2)?;
    if !(0..=MAX_DECIMALS).contains(&decimals) {
        return Err(args.error(
            1,
            format_args!("must be between 0 and {MAX_DECIMALS}, got {decimals}"),
        ));
    }
    let decimal_separator = args.opt_text(2)?;
    let thousands_separator = args.opt_text(3)?;
    decimal.round(decimals as i32);
    Ok(Value::String(decimal.format(
        decimal_separator.as_deref().unwrap_or("."),
        thousands_separator.as_deref().unwrap_or(""),
    )))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::{Value, json};

    fn format(args: &[Value]) -> Result<Value, String> {
        call_builtin("format_number", args).map_err(|e| e.0)
    }

    #[test]
    fn formats_with_defaults() {
        assert_eq!(format(&[json!(1.23456)]), Ok(json!("1.23")));
        assert_eq!(format(&[json!(1234567)]), Ok(json!("1234567.00")));
        assert_eq!(format(&[json!(-0.001)]), Ok(json!("0.00")));
        assert_eq!(format(&[json!(1.005)]), Ok(json!("1.01")));
        assert_eq!(format(&[json!(-2.5), json!(0)]), Ok(json!("-3")));
    }

    #[test]
    fn uses_the_separators_given() {
        let args = [json!(1234.5), json!(2), json!(","), json!(".")];
        assert_eq!(format(&args), Ok(json!("1.234,50")));
        let args = [json!(-1234567.891), json!(1), json!("."), json!(" ")];
        assert_eq!(format(&args), Ok(json!("-1 234 567.9")));
        let args = [json!(999.999), json!(2), json!(null), json!("'")];
        assert_eq!(format(&args), Ok(json!("1'000.00")));
        let args = [json!(i64::MIN), json!(0), json!("."), json!(",")];
        assert_eq!(format(&args), Ok(json!("-9,223,372,036,854,775,808")));
        let args = [json!(12), json!(3), json!(",")];
        assert_eq!(format(&args), Ok(json!("12,000")));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(format(&[json!(null), json!(2)]), Ok(json!(null)));
    }

    #[test]
    fn wrong_arguments_are_errors() {
        assert!(format(&[json!("12")]).is_err());
        assert_eq!(
            format(&[json!(1), json!(-1)]),
            Err("format_number: `decimals` must be between 0 and 100, got -1".to_string())
        );
        assert!(format(&[json!(1), json!(2), json!([","])]).is_err());
    }
}
