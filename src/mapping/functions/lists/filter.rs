//! `filter`: keeps the elements of a list for which a condition holds.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const FILTER: Function = Function {
    name: "filter",
    category: Category::Lists,
    summary: "Keeps the elements for which the condition (an expression over `_`, or a \
              function name) is true.",
    params: &[Param::required("list"), Param::function("condition")],
    examples: &[
        Example {
            expr: r#"[1, 5, 10] | filter(_ > 3)"#,
            result: r#"[5, 10]"#,
        },
        Example {
            expr: r#"["a", "", " "] | filter(not is_empty(_))"#,
            result: r#"["a"]"#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(filter),
};

fn filter(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let items = args.take_list(0)?;
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        match args.apply(item.clone())? {
            Value::Bool(true) => kept.push(item),
            Value::Bool(false) | Value::Null => {}
            other => {
                return Err(args.fail(format_args!(
                    "the condition must give true or false, got {} {}",
                    value::type_name(&other),
                    value::excerpt(&other)
                )));
            }
        }
    }
    Ok(Value::Array(kept))
}
