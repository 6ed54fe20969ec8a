//! `required`: makes the record invalid when a value is missing or empty.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const REQUIRED: Function = Function {
    name: "required",
    category: Category::General,
    summary: "Passes the value on, but makes the record Invalid when it is null, blank, \
              or an empty list or object.",
    params: &[Param::required("value")],
    examples: &[Example {
        expr: r#"" ada@example.com" | trim | required"#,
        result: r#""ada@example.com""#,
    }],
    nulls: Nulls::Accept,
    imp: Imp::Plain(required),
};

fn required(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    if value::is_empty(args.value(0)) {
        Err(FnError::new(
            "a value is required but it is missing or empty",
        ))
    } else {
        Ok(args.take(0))
    }
}
