//! `floor`: the largest integer not above a number.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{Num, Value};

use super::common::float_to_int;

pub(crate) const FLOOR: Function = Function {
    name: "floor",
    category: Category::Numbers,
    summary: "Rounds down to the nearest integer (towards minus infinity: -2.5 gives -3).",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: "floor(2.7)",
            result: "2",
        },
        Example {
            expr: "floor(-2.5)",
            result: "-3",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(floor),
};

fn floor(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    match args.num(0)? {
        Num::Int(n) => Ok(Value::from(n)),
        Num::Float(f) => float_to_int(f.floor())
            .map(Value::from)
            .ok_or_else(|| args.fail(format_args!("{f} is too large for an integer"))),
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn rounds_down_to_integers() {
        assert_eq!(call_builtin("floor", &[json!(2.7)]), Ok(json!(2)));
        assert_eq!(call_builtin("floor", &[json!(-2.5)]), Ok(json!(-3)));
        assert_eq!(call_builtin("floor", &[json!(-0.5)]), Ok(json!(-1)));
        assert_eq!(call_builtin("floor", &[json!(4)]), Ok(json!(4)));
        assert_eq!(call_builtin("floor", &[json!(4.0)]), Ok(json!(4)));
    }

    #[test]
    fn null_gives_null_and_other_types_are_errors() {
        assert_eq!(call_builtin("floor", &[json!(null)]), Ok(json!(null)));
        assert!(call_builtin("floor", &[json!("2.5")]).is_err());
        assert!(call_builtin("floor", &[json!(true)]).is_err());
        assert!(call_builtin("floor", &[json!(-1e20)]).is_err());
    }
}
