//! `min`: the smallest of its arguments, or of a list.

use std::cmp::Ordering;

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

use super::extremes::extreme;

pub(crate) const MIN: Function = Function {
    name: "min",
    category: Category::Numbers,
    summary: "The smallest of the arguments, or of the elements of a single list argument; \
              nulls are ignored (null when nothing is left). Numbers compare with numbers, \
              texts with texts (so `YYYY-MM-DD` dates compare by date).",
    params: &[Param::required("value"), Param::variadic("more")],
    examples: &[
        Example {
            expr: "min(3, 1.5, null, 2)",
            result: "1.5",
        },
        Example {
            expr: "min([3, 1])",
            result: "1",
        },
    ],
    nulls: Nulls::Accept,
    imp: Imp::Plain(min),
};

fn min(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    extreme(args, Ordering::Less)
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn picks_the_smallest_argument_or_element() {
        assert_eq!(
            call_builtin("min", &[json!(3), json!(1.5), json!(2)]),
            Ok(json!(1.5))
        );
        assert_eq!(call_builtin("min", &[json!([3, 1, 2])]), Ok(json!(1)));
        assert_eq!(call_builtin("min", &[json!(4)]), Ok(json!(4)));
        assert_eq!(
            call_builtin("min", &[json!("b"), json!("a")]),
            Ok(json!("a"))
        );
        // The first of equal values is kept.
        assert_eq!(call_builtin("min", &[json!(1.0), json!(1)]), Ok(json!(1.0)));
    }

    #[test]
    fn nulls_are_ignored() {
        assert_eq!(call_builtin("min", &[json!(null), json!(5)]), Ok(json!(5)));
        assert_eq!(call_builtin("min", &[json!([null, 7, 2])]), Ok(json!(2)));
        assert_eq!(call_builtin("min", &[json!(null)]), Ok(json!(null)));
        assert_eq!(call_builtin("min", &[json!([])]), Ok(json!(null)));
        assert_eq!(call_builtin("min", &[]), Ok(json!(null)));
    }

    #[test]
    fn mixed_types_are_errors() {
        assert_eq!(
            call_builtin("min", &[json!(1), json!("a")]).map_err(|e| e.0),
            Err(r#"min: cannot compare integer 1 with string "a""#.to_string())
        );
        assert!(call_builtin("min", &[json!([1, 2]), json!(0)]).is_err());
        assert!(call_builtin("min", &[json!([[1], [2]])]).is_err());
        assert!(call_builtin("min", &[json!({"a": 1})]).is_err());
    }
}
