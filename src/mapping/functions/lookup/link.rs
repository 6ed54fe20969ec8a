//! `link` and `link_or_null`: the destination id another pipeline wrote for a source id.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::links;
use crate::mapping::value::Value;

pub(crate) const LINK: Function = Function {
    name: "link",
    category: Category::Lookup,
    summary: "Gives the destination id that pipeline `pipeline` wrote for this source id \
              (read from the sync state; a list is linked element by element). An id that \
              pipeline never wrote makes the record invalid, naming the pipeline and the id. \
              Name the pipeline in `after` so it has synced first.",
    params: &[Param::required("id"), Param::literal("pipeline")],
    examples: &[
        Example {
            expr: r#""s-1" | link("sessions")"#,
            result: r#""900""#,
        },
        Example {
            expr: r#"["s-1", "s-2"] | link("sessions")"#,
            result: r#"["900", "901"]"#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(link),
};

pub(crate) const LINK_OR_NULL: Function = Function {
    name: "link_or_null",
    category: Category::Lookup,
    summary: "Like `link`, but an id the pipeline never wrote gives null instead of making \
              the record invalid.",
    params: &[Param::required("id"), Param::literal("pipeline")],
    examples: &[Example {
        expr: r#"["s-1", "s-9"] | link_or_null("sessions")"#,
        result: r#"["900", null]"#,
    }],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(link_or_null),
};

fn link(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    resolve(args, false)
}

fn link_or_null(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    resolve(args, true)
}

fn resolve(args: &mut Args<'_, '_>, or_null: bool) -> Result<Value, FnError> {
    let pipeline = args.text(1)?.into_owned();
    match args.take(0) {
        Value::Array(ids) => ids
            .iter()
            .map(|id| one(args, &pipeline, id, or_null))
            .collect::<Result<Vec<Value>, FnError>>()
            .map(Value::Array),
        id => one(args, &pipeline, &id, or_null),
    }
}

fn one(args: &Args<'_, '_>, pipeline: &str, id: &Value, or_null: bool) -> Result<Value, FnError> {
    let id = match id {
        Value::Null => return Ok(Value::Null),
        Value::String(text) => text.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => {
            return Err(args.error(
                0,
                format!(
                    "an id is text or a number, found {}",
                    crate::mapping::value::type_name(other)
                ),
            ));
        }
    };
    match links::lookup(pipeline, &id).map_err(|e| args.fail(e))? {
        Some(destination_id) => Ok(Value::String(destination_id)),
        None if or_null => Ok(Value::Null),
        None => Err(args.fail(format!(
            "pipeline `{pipeline}` has written no record with source id `{id}`"
        ))),
    }
}
