//! `sum`: adds up the numbers of a list.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Num, Value};

pub(crate) const SUM: Function = Function {
    name: "sum",
    category: Category::Numbers,
    summary: "Adds up the numbers of a list, ignoring nulls (0 for an empty list); the result \
              is an integer unless an element is a float. An integer overflow is an error.",
    params: &[Param::required("list")],
    examples: &[
        Example {
            expr: "sum([1, 2, null, 4])",
            result: "7",
        },
        Example {
            expr: "[1, 2.5] | sum",
            result: "3.5",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(sum),
};

fn sum(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let items = args.list(0)?;
    let mut int_total: i64 = 0;
    let mut float_total: Option<f64> = None;
    for (i, item) in items.iter().enumerate() {
        let number = match value::as_num(item) {
            Some(number) => number,
            None if item.is_null() => continue,
            None => {
                return Err(args.fail(format_args!(
                    "element {} is not a number: {} {}",
                    i + 1,
                    value::type_name(item),
                    value::excerpt(item)
                )));
            }
        };
        match (number, float_total.as_mut()) {
            (Num::Int(n), None) => {
                int_total = int_total.checked_add(n).ok_or_else(|| {
                    args.fail("the total is too large for an integer (use to_float first)")
                })?;
            }
            (n, Some(total)) => *total += n.as_f64(),
            (Num::Float(f), None) => float_total = Some(int_total as f64 + f),
        }
    }
    match float_total {
        None => Ok(Value::from(int_total)),
        Some(total) => value::float_value(total).map_err(|e| args.fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn adds_integers_and_floats() {
        assert_eq!(call_builtin("sum", &[json!([1, 2, null, 4])]), Ok(json!(7)));
        assert_eq!(call_builtin("sum", &[json!([1, 2.5])]), Ok(json!(3.5)));
        assert_eq!(call_builtin("sum", &[json!([0.5, 1])]), Ok(json!(1.5)));
        assert_eq!(call_builtin("sum", &[json!([1.5, 1.5])]), Ok(json!(3.0)));
        assert_eq!(call_builtin("sum", &[json!([])]), Ok(json!(0)));
        assert_eq!(call_builtin("sum", &[json!([null])]), Ok(json!(0)));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(call_builtin("sum", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn non_numbers_and_overflow_are_errors() {
        assert_eq!(
            call_builtin("sum", &[json!([1, "2"])]).map_err(|e| e.0),
            Err(r#"sum: element 2 is not a number: string "2""#.to_string())
        );
        assert!(call_builtin("sum", &[json!(5)]).is_err());
        assert!(call_builtin("sum", &[json!([i64::MAX, 1])]).is_err());
        assert!(call_builtin("sum", &[json!([1e308, 1e308])]).is_err());
    }
}
