//! `coalesce`: the first argument that is not null.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const COALESCE: Function = Function {
    name: "coalesce",
    category: Category::General,
    summary: "Gives the first argument that is not null (null when all are).",
    params: &[Param::required("value"), Param::variadic("fallbacks")],
    examples: &[Example {
        expr: r#"coalesce(null, "", "x")"#,
        result: r#""""#,
    }],
    nulls: Nulls::Accept,
    imp: Imp::Plain(coalesce),
};

fn coalesce(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let first = (0..args.len()).find(|&i| args.has(i));
    Ok(first.map_or(Value::Null, |i| args.take(i)))
}
