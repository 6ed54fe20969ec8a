//! `abs`: the absolute value of a number.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Num, Value};

pub(crate) const ABS: Function = Function {
    name: "abs",
    category: Category::Numbers,
    summary: "The absolute value of a number (integers stay integers).",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: "abs(-3.5)",
            result: "3.5",
        },
        Example {
            expr: "abs(10 - 25)",
            result: "15",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(abs),
};

fn abs(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    match args.num(0)? {
        Num::Int(n) => n.checked_abs().map(Value::from).ok_or_else(|| {
            args.fail(format_args!(
                "the absolute value of {} is too large for an integer",
                value::excerpt(args.value(0))
            ))
        }),
        Num::Float(f) => value::float_value(f.abs()).map_err(|e| args.fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn drops_the_sign() {
        assert_eq!(call_builtin("abs", &[json!(-3.5)]), Ok(json!(3.5)));
        assert_eq!(call_builtin("abs", &[json!(-15)]), Ok(json!(15)));
        assert_eq!(call_builtin("abs", &[json!(4)]), Ok(json!(4)));
        assert_eq!(call_builtin("abs", &[json!(-0.0)]), Ok(json!(0.0)));
    }

    #[test]
    fn null_gives_null_and_errors_are_reported() {
        assert_eq!(call_builtin("abs", &[json!(null)]), Ok(json!(null)));
        assert!(call_builtin("abs", &[json!("-3")]).is_err());
        assert!(call_builtin("abs", &[json!(i64::MIN)]).is_err());
    }
}
