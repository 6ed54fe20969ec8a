//! What `min` and `max` share: picking the extreme of their arguments or of one list.

use std::cmp::Ordering;

use crate::mapping::functions::{Args, FnError};
use crate::mapping::value::{self, Value};

/// The argument (or element of a single list argument) that `wanted` orders before all
/// others; nulls are skipped, null when nothing is left. Values that cannot be compared
/// (a number with a string) are an error.
pub(crate) fn extreme(args: &mut Args<'_, '_>, wanted: Ordering) -> Result<Value, FnError> {
    let best = if args.len() == 1
        && let Value::Array(items) = args.value(0)
    {
        pick(args, items.iter(), wanted)?
    } else {
        pick(args, args.rest(0), wanted)?
    };
    Ok(best.cloned().unwrap_or(Value::Null))
}

fn pick<'v>(
    args: &Args<'_, '_>,
    values: impl Iterator<Item = &'v Value>,
    wanted: Ordering,
) -> Result<Option<&'v Value>, FnError> {
    let mut best: Option<&Value> = None;
    for candidate in values.filter(|v| !v.is_null()) {
        if matches!(candidate, Value::Array(_) | Value::Object(_)) {
            return Err(args.fail(format_args!(
                "cannot compare {} {}",
                value::type_name(candidate),
                value::excerpt(candidate)
            )));
        }
        best = match best {
            None => Some(candidate),
            Some(current) => match value::compare(candidate, current) {
                Some(order) if order == wanted => Some(candidate),
                Some(_) => Some(current),
                None => {
                    return Err(args.fail(format_args!(
                        "cannot compare {} {} with {} {}",
                        value::type_name(current),
                        value::excerpt(current),
                        value::type_name(candidate),
                        value::excerpt(candidate)
                    )));
                }
            },
        };
    }
    Ok(best)
}
