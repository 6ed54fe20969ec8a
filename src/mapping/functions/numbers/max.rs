//! `max`: the largest of its arguments, or of a list.

use std::cmp::Ordering;

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

use super::extremes::extreme;

pub(crate) const MAX: Function = Function {
    name: "max",
    category: Category::Numbers,
    summary: "The largest of the arguments, or of the elements of a single list argument; \
              nulls are ignored (null when nothing is left). Numbers compare with numbers, \
              texts with texts (so `YYYY-MM-DD` dates compare by date).",
    params: &[Param::required("value"), Param::variadic("more")],
    examples: &[
        Example {
            expr: "max(3, 1.5, null, 2)",
            result: "3",
        },
        Example {
            expr: r#"max(["2026-01-05", "2026-03-01"])"#,
            result: r#""2026-03-01""#,
        },
    ],
    nulls: Nulls::Accept,
    imp: Imp::Plain(max),
};

fn max(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    extreme(args, Ordering::Greater)
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn picks_the_largest_argument_or_element() {
        assert_eq!(
            call_builtin("max", &[json!(3), json!(4.5), json!(2)]),
            Ok(json!(4.5))
        );
        assert_eq!(call_builtin("max", &[json!([3, 1, 2])]), Ok(json!(3)));
        assert_eq!(
            call_builtin("max", &[json!("b"), json!("a")]),
            Ok(json!("b"))
        );
        assert_eq!(call_builtin("max", &[json!(1), json!(1.0)]), Ok(json!(1)));
    }

    #[test]
    fn nulls_are_ignored() {
        assert_eq!(
            call_builtin("max", &[json!(null), json!(-5)]),
            Ok(json!(-5))
        );
        assert_eq!(call_builtin("max", &[json!([null, 7, 2])]), Ok(json!(7)));
        assert_eq!(
            call_builtin("max", &[json!(null), json!(null)]),
            Ok(json!(null))
        );
    }

    #[test]
    fn mixed_types_are_errors() {
        assert!(call_builtin("max", &[json!(1), json!(true)]).is_err());
        assert!(call_builtin("max", &[json!([1, "a"])]).is_err());
    }
}
