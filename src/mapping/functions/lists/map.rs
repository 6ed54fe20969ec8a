//! `map`: applies a function to every element of a list.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const MAP: Function = Function {
    name: "map",
    category: Category::Lists,
    summary: "Applies a function to every element of a list: a function name, a call \
              without its first argument, or an expression over `_`, the element.",
    params: &[Param::required("list"), Param::function("function")],
    examples: &[
        Example {
            expr: r#"[" a", "b "] | map(trim)"#,
            result: r#"["a", "b"]"#,
        },
        Example {
            expr: r#"["a-1", "b-2"] | map(replace("-", ""))"#,
            result: r#"["a1", "b2"]"#,
        },
        Example {
            expr: r#"[{"id": 1}, {"id": 2}] | map(_.id * 10)"#,
            result: r#"[10, 20]"#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(map),
};

fn map(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let items = args.take_list(0)?;
    let mut mapped = Vec::with_capacity(items.len());
    for item in items {
        mapped.push(args.apply(item)?);
    }
    Ok(Value::Array(mapped))
}
