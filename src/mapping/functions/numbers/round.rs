//! `round`: rounds a number half away from zero, to an integer or to some decimals.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Num, Value};

use super::common::{Decimal, float_to_int};

pub(crate) const ROUND: Function = Function {
    name: "round",
    category: Category::Numbers,
    summary: "Rounds half away from zero to `digits` decimals (default 0, which gives an \
              integer; negative digits round to tens, hundreds, …); decimals are counted on \
              the number as written, so `round(1.005, 2)` is 1.01.",
    params: &[Param::required("value"), Param::optional("digits")],
    examples: &[
        Example {
            expr: "round(2.5)",
            result: "3",
        },
        Example {
            expr: "-2.5 | round",
            result: "-3",
        },
        Example {
            expr: "round(1.23456, 2)",
            result: "1.23",
        },
        Example {
            expr: "round(1250, -2)",
            result: "1300",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(round),
};

fn round(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let number = args.num(0)?;
    // Beyond ±400 digits nothing is left to round in any float or integer.
    let digits = args.int_or(1, 0)?.clamp(-400, 400) as i32;
    let result = match number {
        Num::Int(_) if digits >= 0 => Some(number),
        Num::Int(n) => {
            let mut d = Decimal::from_i64(n);
            d.round(digits);
            d.to_i64().map(Num::Int)
        }
        Num::Float(f) if digits == 0 => float_to_int(f.round()).map(Num::Int),
        Num::Float(f)
            if digits > 0
                && let Some(rounded) = round_fast(f, digits) =>
        {
            Some(Num::Float(rounded))
        }
        Num::Float(f) => {
            let mut d = Decimal::from_f64(f);
            d.round(digits);
            if digits < 0 {
                d.to_i64().map(Num::Int)
            } else {
                Some(Num::Float(d.to_f64()))
            }
        }
    };
    match result {
        Some(n) => n.into_value().map_err(|e| args.fail(e)),
        None => Err(args.fail(format_args!(
            "{} is too large to round to an integer",
            value::excerpt(args.value(0))
        ))),
    }
}

/// Rounds in binary floating point when that is sure to give what rounding the decimal
/// form gives: the scaled value is far (in ulps) from a tie, and small enough for its
/// integer part to be exact. `None` when unsure (`1.005` scaled is `100.49999…`).
fn round_fast(f: f64, digits: i32) -> Option<f64> {
    if digits > 15 {
        return None;
    }
    let scale = 10f64.powi(digits);
    let scaled = f * scale;
    let distance_to_tie = (scaled.abs().fract() - 0.5).abs();
    if !scaled.is_finite() || scaled.abs() >= 1e15 || distance_to_tie <= scaled.abs() * 1e-14 {
        return None;
    }
    let rounded = scaled.round() / scale;
    // No negative zero: rounding -0.001 gives 0.0.
    Some(if rounded == 0.0 { 0.0 } else { rounded })
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::{Value, json};

    fn round(args: &[Value]) -> Result<Value, String> {
        call_builtin("round", args).map_err(|e| e.0)
    }

    #[test]
    fn rounds_half_away_from_zero_to_an_integer() {
        assert_eq!(round(&[json!(2.5)]), Ok(json!(3)));
        assert_eq!(round(&[json!(-2.5)]), Ok(json!(-3)));
        assert_eq!(round(&[json!(2.4999)]), Ok(json!(2)));
        assert_eq!(round(&[json!(7)]), Ok(json!(7)));
        assert_eq!(round(&[json!(1.5), json!(null)]), Ok(json!(2)));
        assert_eq!(round(&[json!(1.5), json!(0)]), Ok(json!(2)));
    }

    #[test]
    fn rounds_to_decimals_as_written() {
        assert_eq!(round(&[json!(1.23456), json!(2)]), Ok(json!(1.23)));
        assert_eq!(round(&[json!(1.005), json!(2)]), Ok(json!(1.01)));
        assert_eq!(round(&[json!(-1.005), json!(2)]), Ok(json!(-1.01)));
        assert_eq!(round(&[json!(0.1), json!(5)]), Ok(json!(0.1)));
        assert_eq!(round(&[json!(1e-300), json!(2)]), Ok(json!(0.0)));
        assert_eq!(round(&[json!(5), json!(2)]), Ok(json!(5)));
        assert_eq!(round(&[json!(2.5), json!(1000)]), Ok(json!(2.5)));
    }

    #[test]
    fn the_fast_path_agrees_with_decimal_rounding() {
        use super::super::common::Decimal;
        use super::round_fast;
        let mut checked = 0;
        let mut x: f64 = 0.000123;
        while x < 1e13 {
            for f in [x, -x, x * 1.0005, x + 0.005, x + 0.0005, x + 0.5] {
                for digits in 1..=6 {
                    let Some(fast) = round_fast(f, digits) else {
                        continue;
                    };
                    let mut d = Decimal::from_f64(f);
                    d.round(digits);
                    assert_eq!(fast.to_bits(), d.to_f64().to_bits(), "{f} {digits}");
                    checked += 1;
                }
            }
            x *= 1.37;
        }
        assert!(checked > 1000, "{checked}");
        assert_eq!(round_fast(1.005, 2), None);
        assert_eq!(round_fast(-0.001, 2), Some(0.0));
    }

    #[test]
    fn negative_digits_round_to_tens_and_hundreds() {
        assert_eq!(round(&[json!(1250), json!(-2)]), Ok(json!(1300)));
        assert_eq!(round(&[json!(-1249), json!(-2)]), Ok(json!(-1200)));
        assert_eq!(round(&[json!(1234.5), json!(-1)]), Ok(json!(1230)));
        assert_eq!(round(&[json!(42), json!(-30)]), Ok(json!(0)));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(round(&[json!(null)]), Ok(json!(null)));
        assert_eq!(round(&[json!(null), json!(2)]), Ok(json!(null)));
    }

    #[test]
    fn wrong_types_and_overflow_are_errors() {
        assert_eq!(
            round(&[json!("2.5")]),
            Err(r#"round: `value` must be a number, got text "2.5""#.to_string())
        );
        assert!(round(&[json!(2.5), json!("x")]).is_err());
        assert!(round(&[json!(2.5), json!(1.5)]).is_err());
        assert_eq!(
            round(&[json!(1e300)]),
            Err("round: 1e+300 is too large to round to an integer".to_string())
        );
        assert!(round(&[json!(i64::MAX), json!(-1)]).is_err());
    }
}
