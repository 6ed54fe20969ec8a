//! `flatten`: splices nested lists into their parent list, one level deep.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const FLATTEN: Function = Function {
    name: "flatten",
    category: Category::Lists,
    summary: "Replaces each element that is a list by its elements, one level deep; other \
              elements (including null) are kept as they are.",
    params: &[Param::required("list")],
    examples: &[
        Example {
            expr: r#"[[1, 2], 3, [], [4, [5]]] | flatten"#,
            result: r#"[1, 2, 3, 4, [5]]"#,
        },
        Example {
            expr: r#"[{tags: ["a", "b"]}, {tags: ["c"]}] | map(_.tags) | flatten"#,
            result: r#"["a", "b", "c"]"#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(flatten),
};

fn flatten(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let items = args.take_list(0)?;
    if !items.iter().any(Value::is_array) {
        return Ok(Value::Array(items));
    }
    let size = items
        .iter()
        .map(|item| item.as_array().map_or(1, Vec::len))
        .sum();
    let mut flat = Vec::with_capacity(size);
    for item in items {
        match item {
            Value::Array(inner) => flat.extend(inner),
            other => flat.push(other),
        }
    }
    Ok(Value::Array(flat))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn flattens_one_level() {
        assert_eq!(
            call_builtin(
                "flatten",
                &[json!([[1], [2, [3, [4]]], "x", null, {"a": [5]}])]
            ),
            Ok(json!([1, 2, [3, [4]], "x", null, {"a": [5]}]))
        );
        assert_eq!(call_builtin("flatten", &[json!([1, 2])]), Ok(json!([1, 2])));
        assert_eq!(call_builtin("flatten", &[json!([[], []])]), Ok(json!([])));
        assert_eq!(call_builtin("flatten", &[json!([])]), Ok(json!([])));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(call_builtin("flatten", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn other_types_are_errors() {
        assert!(call_builtin("flatten", &[json!("ab")]).is_err());
        assert!(call_builtin("flatten", &[json!({"a": [1]})]).is_err());
    }
}
