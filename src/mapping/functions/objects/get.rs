//! `get`: reads a value at a path computed at run time.

use std::sync::Arc;

use crate::mapping::functions::{
    Args, Call, Category, Example, FnError, Function, Imp, Nulls, Param,
};
use crate::mapping::value::{self, Num, Value};

pub(crate) const GET: Function = Function {
    name: "get",
    category: Category::Objects,
    summary: "Reads the value at a path: text such as `\"address.city\"`, `\"items[0].name\"` \
              or `\"items[-1]\"` (negative indexes count from the end, `[\"key\"]` quotes a \
              key), a list of keys and indexes, or one index. Gives the default (null when \
              not given) when the path is missing or leads to null.",
    params: &[
        Param::required("value"),
        Param::required("path"),
        Param::optional("default"),
    ],
    examples: &[
        Example {
            expr: r#"{address: {city: "Utrecht"}} | get("address.city")"#,
            result: r#""Utrecht""#,
        },
        Example {
            expr: r#"{items: [{name: "a"}, {name: "b"}]} | get("items[-1].name")"#,
            result: r#""b""#,
        },
        Example {
            expr: r#"{items: []} | get("items[0].name", "none")"#,
            result: r#""none""#,
        },
        Example {
            expr: r#"{"first name": "Ada"} | get(["first name"])"#,
            result: r#""Ada""#,
        },
    ],
    nulls: Nulls::Accept,
    imp: Imp::Prepared(prepare),
};

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// A key of an object; on a list, a key that is an integer is used as an index.
    Key(String),
    /// A position in a list, negative from the end; on an object, the key of that text.
    Index(i64),
}

/// A call site: the path parsed once when it is a constant.
struct Get {
    path: Option<Vec<Step>>,
}

fn prepare(consts: &[Option<&Value>]) -> Result<Arc<dyn Call>, String> {
    let path = match consts.get(1).copied().flatten() {
        Some(path) => Some(steps(path).map_err(|e| format!("the path {e}"))?),
        None => None,
    };
    Ok(Arc::new(Get { path }))
}

impl Call for Get {
    fn call(&self, args: &mut Args<'_, '_>) -> Result<Value, FnError> {
        let dynamic;
        let path = match &self.path {
            Some(path) => path,
            None => {
                dynamic = steps(args.value(1)).map_err(|e| args.error(1, e))?;
                &dynamic
            }
        };
        let mut current = args.value(0);
        for step in path {
            match follow(current, step) {
                Some(next) => current = next,
                None => return Ok(args.take(2)),
            }
        }
        if current.is_null() {
            Ok(args.take(2))
        } else {
            Ok(current.clone())
        }
    }
}

fn follow<'v>(current: &'v Value, step: &Step) -> Option<&'v Value> {
    match (current, step) {
        (Value::Object(map), Step::Key(key)) => map.get(key),
        (Value::Object(map), Step::Index(i)) => map.get(&i.to_string()),
        (Value::Array(items), Step::Index(i)) => at(items, *i),
        (Value::Array(items), Step::Key(key)) => at(items, key.parse().ok()?),
        _ => None,
    }
}

fn at(items: &[Value], i: i64) -> Option<&Value> {
    let position = if i < 0 {
        items
            .len()
            .checked_sub(usize::try_from(i.unsigned_abs()).ok()?)?
    } else {
        usize::try_from(i).ok()?
    };
    items.get(position)
}

/// The steps of a path given as text, a list of keys and indexes, or one index.
fn steps(path: &Value) -> Result<Vec<Step>, String> {
    match path {
        Value::String(text) => {
            parse(text).map_err(|e| format!("{} is not valid: {e}", value::excerpt(path)))
        }
        Value::Number(_) => index(path).map(|i| vec![Step::Index(i)]),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(key) => Ok(Step::Key(key.clone())),
                Value::Number(_) => index(item).map(Step::Index),
                other => Err(format!(
                    "must hold keys and indexes, got {} {}",
                    value::type_name(other),
                    value::excerpt(other)
                )),
            })
            .collect(),
        other => Err(format!(
            "must be text, a list or an index, got {} {}",
            value::type_name(other),
            value::excerpt(other)
        )),
    }
}

fn index(number: &Value) -> Result<i64, String> {
    match value::as_num(number) {
        Some(Num::Int(i)) => Ok(i),
        _ => Err(format!(
            "must use whole numbers as indexes, got {}",
            value::excerpt(number)
        )),
    }
}

/// Parses `a.b[0]["c d"][-1]`: keys separated by dots, indexes and quoted keys in brackets.
fn parse(text: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(inside) = rest.strip_prefix('[') {
            let (step, after) = bracket(inside)?;
            steps.push(step);
            rest = after;
        } else {
            let end = rest.find(['.', '[', ']']).unwrap_or(rest.len());
            let (name, after) = rest.split_at(end);
            if name.is_empty() {
                return Err("a key is empty".to_string());
            }
            steps.push(Step::Key(name.to_string()));
            rest = after;
        }
        if let Some(after) = rest.strip_prefix('.') {
            if after.is_empty() {
                return Err("it ends with `.`".to_string());
            }
            rest = after;
        } else if rest.starts_with(']') {
            return Err("a `]` has no `[`".to_string());
        } else if !rest.is_empty() && !rest.starts_with('[') {
            return Err("a key follows `]` without a `.`".to_string());
        }
    }
    Ok(steps)
}

/// Reads `0]`, `-1]` or `"key"]` (after the `[`), and gives the rest of the path.
fn bracket(inside: &str) -> Result<(Step, &str), String> {
    let inside = inside.trim_start();
    if let Some(quote) = inside.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let quoted = &inside[1..];
        let end = quoted
            .find(quote)
            .ok_or_else(|| format!("a quoted key has no closing {quote}"))?;
        let (key, after) = quoted.split_at(end);
        let after = after[1..].trim_start();
        let after = after
            .strip_prefix(']')
            .ok_or_else(|| "a quoted key is not followed by `]`".to_string())?;
        return Ok((Step::Key(key.to_string()), after));
    }
    let end = inside
        .find(']')
        .ok_or_else(|| "a `[` is not closed".to_string())?;
    let (number, after) = inside.split_at(end);
    let number = number.trim();
    let i = number
        .parse()
        .map_err(|_| format!("`[{number}]` is not an index (quote keys: `[\"{number}\"]`)"))?;
    Ok((Step::Index(i), &after[1..]))
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::{GET, Step, parse, prepare};
    use crate::mapping::functions::{Args, FnError, call_builtin};
    use serde_json::{Value, json};

    /// Calls `get` as a call site whose arguments are all only known at run time.
    fn get_dynamic(args: &[Value]) -> Result<Value, FnError> {
        let call = prepare(&vec![None; args.len()]).map_err(FnError)?;
        let mut values: Vec<Cow<'_, Value>> = args.iter().map(Cow::Borrowed).collect();
        call.call(&mut Args::new(GET.name, GET.params, &mut values, None))
    }

    fn record() -> Value {
        json!({
            "id": 7,
            "address": {"city": "Utrecht", "zip": null},
            "items": [{"name": "a", "tags": ["x", "y"]}, {"name": "b"}],
            "first name": "Ada",
            "0": "zero",
            "a.b": "dotted"
        })
    }

    fn get(path: Value) -> Value {
        call_builtin("get", &[record(), path]).unwrap()
    }

    #[test]
    fn follows_text_paths() {
        assert_eq!(get(json!("id")), json!(7));
        assert_eq!(get(json!("address.city")), json!("Utrecht"));
        assert_eq!(get(json!("items[0].name")), json!("a"));
        assert_eq!(get(json!("items[1]")), json!({"name": "b"}));
        assert_eq!(get(json!("items[-1].name")), json!("b"));
        assert_eq!(get(json!("items[-2].tags[1]")), json!("y"));
        assert_eq!(get(json!("items.0.tags.-1")), json!("y"));
        assert_eq!(get(json!("[\"first name\"]")), json!("Ada"));
        assert_eq!(get(json!("['a.b']")), json!("dotted"));
        assert_eq!(get(json!("[0]")), json!("zero"));
        assert_eq!(get(json!("")), record());
    }

    #[test]
    fn follows_lists_of_keys_and_single_indexes() {
        assert_eq!(get(json!(["items", 0, "name"])), json!("a"));
        assert_eq!(get(json!(["a.b"])), json!("dotted"));
        assert_eq!(get(json!([])), record());
        assert_eq!(
            call_builtin("get", &[json!([1, 2, 3]), json!(-1)]),
            Ok(json!(3))
        );
    }

    #[test]
    fn missing_paths_give_the_default() {
        assert_eq!(get(json!("nope")), json!(null));
        assert_eq!(get(json!("items[2].name")), json!(null));
        assert_eq!(get(json!("items[-3]")), json!(null));
        assert_eq!(get(json!("id.x")), json!(null));
        assert_eq!(get(json!("items.first")), json!(null));
        let with_default = |path: Value| call_builtin("get", &[record(), path, json!("?")]);
        assert_eq!(with_default(json!("address.zip")), Ok(json!("?")));
        assert_eq!(with_default(json!("address.country")), Ok(json!("?")));
        assert_eq!(with_default(json!("address.city")), Ok(json!("Utrecht")));
        assert_eq!(
            call_builtin("get", &[json!(null), json!("a"), json!(0)]),
            Ok(json!(0))
        );
        assert_eq!(
            call_builtin("get", &[json!(null), json!("a")]),
            Ok(json!(null))
        );
        assert_eq!(
            call_builtin("get", &[json!("text"), json!("a"), json!(1)]),
            Ok(json!(1))
        );
    }

    #[test]
    fn invalid_paths_are_errors() {
        for path in [
            "a[0]b",
            "a..b",
            ".a",
            "a.",
            "a[0",
            "a[x]",
            "a]",
            "a[\"b]",
            "a[\"b\"c]",
            "a[1.5]",
        ] {
            let got = call_builtin("get", &[record(), json!(path)]);
            assert!(got.is_err(), "{path}: {got:?}");
        }
        let err = call_builtin("get", &[record(), json!("a[x]")]).unwrap_err();
        assert!(
            err.0
                .contains("the path \"a[x]\" is not valid: `[x]` is not an index"),
            "{err}"
        );
        assert!(call_builtin("get", &[record(), json!(null)]).is_err());
        assert!(call_builtin("get", &[record(), json!(1.5)]).is_err());
        assert!(call_builtin("get", &[record(), json!([true])]).is_err());
    }

    #[test]
    fn paths_known_only_at_run_time_work_alike() {
        assert_eq!(
            get_dynamic(&[record(), json!("items[-1].name")]),
            Ok(json!("b"))
        );
        assert_eq!(
            get_dynamic(&[record(), json!(["items", 0])]),
            Ok(get(json!("items[0]")))
        );
        assert_eq!(
            get_dynamic(&[record(), json!("nope"), json!(0)]),
            Ok(json!(0))
        );
        let err = get_dynamic(&[record(), json!("a..b")]).unwrap_err();
        assert!(
            err.0.starts_with("get: `path` \"a..b\" is not valid"),
            "{err}"
        );
        let err = get_dynamic(&[record(), json!(true)]).unwrap_err();
        assert!(
            err.0.contains("`path` must be text, a list or an index"),
            "{err}"
        );
    }

    #[test]
    fn parses_paths() {
        assert_eq!(
            parse("a[ 2 ][\"b c\"].d[-1]"),
            Ok(vec![
                Step::Key("a".into()),
                Step::Index(2),
                Step::Key("b c".into()),
                Step::Key("d".into()),
                Step::Index(-1),
            ])
        );
        assert_eq!(
            parse("é.ü"),
            Ok(vec![Step::Key("é".into()), Step::Key("ü".into())])
        );
    }
}
