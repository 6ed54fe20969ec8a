//! `sort`: orders the elements of a list.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};

use crate::mapping::value::{self, Value};

pub(crate) const SORT: Function = Function {
    name: "sort",
    category: Category::Lists,
    summary: "Sorts a list in ascending order: numbers by value, text by code point (upper \
              case before lower case), and mixed types as null < booleans < numbers < text < \
              lists < objects. Equal elements keep their order.",
    params: &[Param::required("list")],
    examples: &[
        Example {
            expr: r#"[3, 1.5, 2] | sort"#,
            result: r#"[1.5, 2, 3]"#,
        },
        Example {
            expr: r#"["pear", "Apple", "fig"] | sort"#,
            result: r#"["Apple", "fig", "pear"]"#,
        },
        Example {
            expr: r#"["b", 2, null, true] | sort"#,
            result: r#"[null, true, 2, "b"]"#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(sort),
};

fn sort(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let mut items = args.take_list(0)?;
    items.sort_by(value::total_order);
    Ok(Value::Array(items))
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use crate::mapping::functions::call_builtin;
    use serde_json::{Value, json};

    #[test]
    fn sorts_numbers_and_text() {
        assert_eq!(
            call_builtin("sort", &[json!([10, 9, -1, 2.5])]),
            Ok(json!([-1, 2.5, 9, 10]))
        );
        assert_eq!(
            call_builtin("sort", &[json!(["b", "a", "B", "é", "c"])]),
            Ok(json!(["B", "a", "b", "c", "é"]))
        );
        assert_eq!(
            call_builtin("sort", &[json!([[2], [1, 5], [1]])]),
            Ok(json!([[1], [1, 5], [2]]))
        );
    }

    #[test]
    fn sorting_is_stable() {
        // 1 and 1.0 are equal: they keep their order.
        assert_eq!(
            call_builtin("sort", &[json!([2, 1.0, 1, 0])]),
            Ok(json!([0, 1.0, 1, 2]))
        );
        assert_eq!(
            call_builtin("sort", &[json!([{"b": 1}, {"a": 1}])]),
            Ok(json!([{"b": 1}, {"a": 1}]))
        );
    }

    #[test]
    fn mixed_types_follow_the_type_order() {
        assert_eq!(
            call_builtin("sort", &[json!([{}, [], "a", 1, false, null])]),
            Ok(json!([null, false, 1, "a", [], {}]))
        );
    }

    #[test]
    fn numbers_compare_exactly() {
        let big = 9_007_199_254_740_992_i64; // 2^53
        assert_eq!(
            call_builtin(
                "sort",
                &[json!([big + 1, 9_007_199_254_740_992.0, big, -0.5, -1, 0])]
            ),
            // 2^53 and 2^53.0 are equal: they keep their order.
            Ok(json!([-1, -0.5, 0, 9_007_199_254_740_992.0, big, big + 1]))
        );
        assert_eq!(
            call_builtin(
                "sort",
                &[json!([1e300, i64::MAX, u64::MAX, -1e300, i64::MIN])]
            ),
            Ok(json!([-1e300, i64::MIN, i64::MAX, u64::MAX, 1e300]))
        );
    }

    #[test]
    fn lists_of_mixed_elements_sort_without_panicking() {
        // `value::total_order` is not transitive on such lists; the standard sort may
        // panic on a comparison that is not a total order.
        let pool = [
            json!([1]),
            json!([{}]),
            json!([2]),
            json!([{"a": 1}]),
            json!([0]),
            json!([[{}], 1]),
            json!([[{}], 0]),
            json!([9_007_199_254_740_993_i64]),
            json!([9_007_199_254_740_992.0]),
            json!([9_007_199_254_740_992_i64]),
        ];
        let mut seed: u64 = 12345;
        for _ in 0..300 {
            let mut items = Vec::new();
            for _ in 0..40 {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                items.push(pool[(seed >> 33) as usize % pool.len()].clone());
            }
            let sorted = call_builtin("sort", &[Value::Array(items)]).unwrap();
            let sorted = sorted.as_array().unwrap();
            for pair in sorted.windows(2) {
                assert_ne!(
                    crate::mapping::value::total_order(&pair[0], &pair[1]),
                    Ordering::Greater
                );
            }
        }
    }

    #[test]
    fn empty_and_null() {
        assert_eq!(call_builtin("sort", &[json!([])]), Ok(json!([])));
        assert_eq!(call_builtin("sort", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn other_types_are_errors() {
        assert!(call_builtin("sort", &[json!("cba")]).is_err());
    }
}
