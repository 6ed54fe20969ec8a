//! `unique`: removes repeated elements, keeping first occurrences.

use std::collections::HashSet;

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const UNIQUE: Function = Function {
    name: "unique",
    category: Category::Lists,
    summary: "Removes repeated elements, keeping the first occurrence of each in its place; \
              elements are equal as `==` sees them (`1` and `1.0` are the same).",
    params: &[Param::required("list")],
    examples: &[
        Example {
            expr: r#"["b", "a", "b", "c", "a"] | unique"#,
            result: r#"["b", "a", "c"]"#,
        },
        Example {
            expr: r#"[1, 1.0, {id: 1}, {id: 1}] | unique"#,
            result: r#"[1, {"id": 1}]"#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(unique),
};

/// Up to this many elements, comparing every pair is faster than hashing.
const SMALL: usize = 16;

fn unique(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let items = args.take_list(0)?;
    let keep = if items.len() <= SMALL {
        first_occurrences_small(&items)
    } else {
        first_occurrences_hashed(&items)
    };
    if keep.iter().all(|&k| k) {
        return Ok(Value::Array(items));
    }
    let kept = items
        .into_iter()
        .zip(keep)
        .filter_map(|(item, k)| k.then_some(item))
        .collect();
    Ok(Value::Array(kept))
}

/// For each element, whether no earlier element equals it (pairwise comparison).
fn first_occurrences_small(items: &[Value]) -> Vec<bool> {
    let mut keep = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let seen = items[..i]
            .iter()
            .zip(&keep)
            .any(|(earlier, &kept)| kept && value::equals(earlier, item));
        keep.push(!seen);
    }
    keep
}

/// A hashable stand-in for a scalar, equal exactly when [`value::equals`] says so.
#[derive(PartialEq, Eq, Hash)]
enum Key<'a> {
    Null,
    Bool(bool),
    Str(&'a str),
    /// The bits of a number below 2^53 in magnitude, as a float (exact for such integers).
    Num(u64),
}

/// Numbers from 2^53 on are compared pairwise: there, integers and floats that differ
/// can still be equal as floats.
const EXACT: f64 = 9_007_199_254_740_992.0;

fn key(item: &Value) -> Option<Key<'_>> {
    match item {
        Value::Null => Some(Key::Null),
        Value::Bool(b) => Some(Key::Bool(*b)),
        Value::String(s) => Some(Key::Str(s)),
        Value::Number(_) => {
            let f = value::as_num(item)?.as_f64();
            if f.abs() < EXACT {
                // 0.0 and -0.0 are equal but have different bits.
                let f = if f == 0.0 { 0.0 } else { f };
                Some(Key::Num(f.to_bits()))
            } else {
                None
            }
        }
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// For each element, whether no earlier element equals it: scalars through a hash set,
/// lists, objects and very large numbers pairwise among themselves (they never equal a
/// hashed scalar).
fn first_occurrences_hashed(items: &[Value]) -> Vec<bool> {
    let mut seen = HashSet::with_capacity(items.len());
    let mut others: Vec<&Value> = Vec::new();
    items
        .iter()
        .map(|item| match key(item) {
            Some(k) => seen.insert(k),
            None => {
                if others.iter().any(|o| value::equals(o, item)) {
                    false
                } else {
                    others.push(item);
                    true
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::{Value, json};

    #[test]
    fn keeps_first_occurrences_in_order() {
        assert_eq!(
            call_builtin("unique", &[json!([3, 1, 3, 2, 1])]),
            Ok(json!([3, 1, 2]))
        );
        assert_eq!(
            call_builtin("unique", &[json!([1, 1.0, "1", null, null, false, 0])]),
            Ok(json!([1, "1", null, false, 0]))
        );
        assert_eq!(
            call_builtin("unique", &[json!([{"a": [1]}, {"a": [1.0]}, [1], [1]])]),
            Ok(json!([{"a": [1]}, [1]]))
        );
    }

    #[test]
    fn long_lists_give_the_same_result_as_short_ones() {
        let mut items: Vec<Value> = Vec::new();
        for i in 0..40 {
            items.push(json!(i % 7));
            items.push(json!(format!("s{}", i % 5)));
            items.push(json!((i % 3) as f64));
            items.push(json!({"k": i % 4}));
            items.push(json!([i % 2]));
            items.push(json!(i % 2 == 0));
            items.push(json!(null));
        }
        items.push(json!(-0.0));
        items.push(json!(9_007_199_254_740_993_i64));
        items.push(json!(9_007_199_254_740_992.0));
        assert_eq!(
            super::first_occurrences_hashed(&items),
            super::first_occurrences_small(&items)
        );
        let got = call_builtin("unique", &[Value::Array(items)]);
        let expected = json!([
            0, "s0", {"k": 0}, [0], true, null, 1, "s1", {"k": 1}, [1], false, 2, "s2",
            {"k": 2}, 3, "s3", {"k": 3}, 4, "s4", 5, 6, 9_007_199_254_740_993_i64
        ]);
        assert_eq!(got, Ok(expected));
    }

    #[test]
    fn empty_and_null() {
        assert_eq!(call_builtin("unique", &[json!([])]), Ok(json!([])));
        assert_eq!(call_builtin("unique", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn other_types_are_errors() {
        assert!(call_builtin("unique", &[json!("aab")]).is_err());
        assert!(call_builtin("unique", &[json!({"a": 1})]).is_err());
    }
}
