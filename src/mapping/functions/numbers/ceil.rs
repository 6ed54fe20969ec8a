//! `ceil`: the smallest integer not below a number.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{Num, Value};

use super::common::float_to_int;

pub(crate) const CEIL: Function = Function {
    name: "ceil",
    category: Category::Numbers,
    summary: "Rounds up to the nearest integer (towards plus infinity: -2.5 gives -2).",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: "ceil(2.2)",
            result: "3",
        },
        Example {
            expr: "ceil(-2.5)",
            result: "-2",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(ceil),
};

fn ceil(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    match args.num(0)? {
        Num::Int(n) => Ok(Value::from(n)),
        Num::Float(f) => float_to_int(f.ceil())
            .map(Value::from)
            .ok_or_else(|| args.fail(format_args!("{f} is too large for an integer"))),
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn rounds_up_to_integers() {
        assert_eq!(call_builtin("ceil", &[json!(2.2)]), Ok(json!(3)));
        assert_eq!(call_builtin("ceil", &[json!(-2.5)]), Ok(json!(-2)));
        assert_eq!(call_builtin("ceil", &[json!(-0.5)]), Ok(json!(0)));
        assert_eq!(call_builtin("ceil", &[json!(4)]), Ok(json!(4)));
        assert_eq!(call_builtin("ceil", &[json!(4.0)]), Ok(json!(4)));
    }

    #[test]
    fn null_gives_null_and_other_types_are_errors() {
        assert_eq!(call_builtin("ceil", &[json!(null)]), Ok(json!(null)));
        assert!(call_builtin("ceil", &[json!("2.5")]).is_err());
        assert!(call_builtin("ceil", &[json!(true)]).is_err());
        assert!(call_builtin("ceil", &[json!(-1e20)]).is_err());
    }
}
