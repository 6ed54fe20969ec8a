//! `lookup`: translates a value through a table.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use crate::mapping::functions::{
    Args, Call, Category, Example, FnError, Function, Imp, Nulls, Param,
};
use crate::mapping::keys::Words;
use crate::mapping::value::{self, Value};

pub(crate) const LOOKUP: Function = Function {
    name: "lookup",
    category: Category::Lookup,
    summary: "Translates a value through a table (an object): the value's text (numbers \
              formatted) is looked up as a key, exactly first, then ignoring case and white \
              space at the ends. Gives the default (null when not given) when the key is \
              absent or the value is null.",
    params: &[
        Param::required("value"),
        Param::required("table"),
        Param::optional("default"),
    ],
    examples: &[
        Example {
            expr: r#""NL" | lookup({NL: "Netherlands", BE: "Belgium"})"#,
            result: r#""Netherlands""#,
        },
        Example {
            expr: r#"" be " | lookup({NL: "Netherlands", BE: "Belgium"})"#,
            result: r#""Belgium""#,
        },
        Example {
            expr: r#""FR" | lookup({NL: "Netherlands"}, "other")"#,
            result: r#""other""#,
        },
        Example {
            expr: r#"2 | lookup({"1": "low", "2": "high"})"#,
            result: r#""high""#,
        },
    ],
    nulls: Nulls::Accept,
    imp: Imp::Prepared(prepare),
};

/// A call site: the table indexed once when it is a constant.
struct Lookup {
    table: Option<Table>,
}

/// A constant table: its values, and their positions by exact and by folded key.
/// A constant lookup table, indexed once per call site.
pub(crate) struct Table {
    values: Vec<Value>,
    /// The keys in table order, searched in small tables (comparing a few short keys
    /// costs less than hashing one).
    keys: Vec<ScanKey>,
    exact: HashMap<String, usize>,
    /// By [`fold`]ed key; when several keys fold alike, the first in the table wins.
    folded: HashMap<String, usize>,
}

/// Tables up to this size are searched by scanning their keys.
const SCAN_LIMIT: usize = 16;

impl Table {
    pub(crate) fn new(map: &value::Map<String, Value>) -> Table {
        let mut table = Table {
            values: Vec::with_capacity(map.len()),
            keys: Vec::with_capacity(map.len()),
            exact: HashMap::with_capacity(map.len()),
            folded: HashMap::with_capacity(map.len()),
        };
        for (position, (key, v)) in map.iter().enumerate() {
            table.values.push(v.clone());
            table.exact.insert(key.clone(), position);
            table.keys.push(ScanKey::new(key));
            if let Entry::Vacant(slot) = table.folded.entry(fold(key).into_owned()) {
                slot.insert(position);
            }
        }
        table
    }

    /// The value of `key`: exact match first, then ignoring case and white space at the ends.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        let position = if self.keys.len() <= SCAN_LIMIT {
            self.scan(key)?
        } else {
            match self.exact.get(key) {
                Some(&position) => position,
                None => *self.folded.get(fold(key).as_ref())?,
            }
        };
        self.values.get(position)
    }

    /// The position of `key` in a small table: the same answer as the two maps give.
    fn scan(&self, key: &str) -> Option<usize> {
        let words = Words::of(key.as_bytes());
        if let Some(position) = self
            .keys
            .iter()
            .position(|k| k.words == words && (words.decide() || k.key == key))
        {
            return Some(position);
        }
        let trimmed = value::trim_text(key);
        let mut lowered = [0u8; 16];
        if let Some(lowered) = lowered.get_mut(..trimmed.len())
            && trimmed.is_ascii()
        {
            // Folded keys have no ASCII capitals, so these are the words of `fold(key)`.
            lowered.copy_from_slice(trimmed.as_bytes());
            lowered.make_ascii_lowercase();
            let words = Words::of(lowered);
            self.keys.iter().position(|k| k.folded_words == words)
        } else if trimmed.is_ascii() {
            self.keys
                .iter()
                .position(|k| k.folded.eq_ignore_ascii_case(trimmed))
        } else {
            let key = fold(trimmed);
            self.keys.iter().position(|k| *k.folded == key)
        }
    }
}

/// A key of a small table, with its [`fold`]ed form, each with its [`Words`].
struct ScanKey {
    key: String,
    words: Words,
    folded: String,
    folded_words: Words,
}

impl ScanKey {
    fn new(key: &str) -> ScanKey {
        let folded = fold(key).into_owned();
        ScanKey {
            words: Words::of(key.as_bytes()),
            key: key.to_string(),
            folded_words: Words::of(folded.as_bytes()),
            folded,
        }
    }
}

/// A key as the second, lenient match sees it: trimmed and lower-cased.
fn fold(key: &str) -> Cow<'_, str> {
    let key = key.trim();
    if key.is_ascii() {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(key.to_ascii_lowercase())
        } else {
            Cow::Borrowed(key)
        }
    } else {
        Cow::Owned(key.to_lowercase())
    }
}

/// Looks a key up in a table only known at run time.
fn find<'t>(map: &'t value::Map<String, Value>, key: &str) -> Option<&'t Value> {
    if let Some(found) = map.get(key) {
        return Some(found);
    }
    let trimmed = key.trim();
    if trimmed.is_ascii() {
        map.iter()
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(trimmed))
            .map(|(_, v)| v)
    } else {
        let folded = fold(trimmed);
        map.iter().find(|(k, _)| fold(k) == folded).map(|(_, v)| v)
    }
}

fn prepare(consts: &[Option<&Value>]) -> Result<Arc<dyn Call>, String> {
    let table = match consts.get(1).copied().flatten() {
        Some(Value::Object(map)) => Some(Table::new(map)),
        Some(other) => {
            return Err(format!(
                "the table must be an object, got {} {}",
                value::type_name(other),
                value::excerpt(other)
            ));
        }
        None => None,
    };
    Ok(Arc::new(Lookup { table }))
}

impl Call for Lookup {
    fn call(&self, args: &mut Args<'_, '_>) -> Result<Value, FnError> {
        if args.value(0).is_null() {
            return Ok(args.take(2));
        }
        let found = {
            let key = value::as_text(args.value(0)).ok_or_else(|| {
                let got = args.value(0);
                args.error(
                    0,
                    format_args!(
                        "must be text or a number, got {} {}",
                        value::type_name(got),
                        value::excerpt(got)
                    ),
                )
            })?;
            match &self.table {
                Some(table) => table.get(&key).cloned(),
                None => find(args.object(1)?, &key).cloned(),
            }
        };
        Ok(match found {
            Some(v) => v,
            None => args.take(2),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::{LOOKUP, find, prepare};
    use crate::mapping::functions::{Args, FnError, call_builtin};
    use serde_json::{Value, json};

    /// Calls `lookup` as a call site whose arguments are all only known at run time.
    fn lookup_dynamic(args: &[Value]) -> Result<Value, FnError> {
        let call = prepare(&vec![None; args.len()]).map_err(FnError)?;
        let mut values: Vec<Cow<'_, Value>> = args.iter().map(Cow::Borrowed).collect();
        call.call(&mut Args::new(
            LOOKUP.name,
            LOOKUP.params,
            &mut values,
            None,
        ))
    }

    fn table() -> Value {
        json!({
            "NL": "Netherlands",
            "nl": "lower-case nl",
            "Be": "Belgium",
            " DE ": "Germany",
            "Ärger": "trouble",
            "1": "one",
            "1.5": "one and a half",
            "true": "yes",
            "empty": null
        })
    }

    fn lookup(v: Value) -> Value {
        call_builtin("lookup", &[v, table(), json!("?")]).unwrap()
    }

    #[test]
    fn exact_keys_come_first() {
        assert_eq!(lookup(json!("NL")), json!("Netherlands"));
        assert_eq!(lookup(json!("nl")), json!("lower-case nl"));
        assert_eq!(lookup(json!(" DE ")), json!("Germany"));
    }

    #[test]
    fn then_keys_are_matched_ignoring_case_and_white_space() {
        assert_eq!(lookup(json!("nL")), json!("Netherlands"));
        assert_eq!(lookup(json!("BE")), json!("Belgium"));
        assert_eq!(lookup(json!("  be\t")), json!("Belgium"));
        assert_eq!(lookup(json!("de")), json!("Germany"));
        assert_eq!(lookup(json!("ärger")), json!("trouble"));
        assert_eq!(lookup(json!(" ÄRGER")), json!("trouble"));
    }

    #[test]
    fn numbers_and_booleans_are_looked_up_as_text() {
        assert_eq!(lookup(json!(1)), json!("one"));
        assert_eq!(lookup(json!(1.5)), json!("one and a half"));
        assert_eq!(lookup(json!(true)), json!("yes"));
        assert_eq!(lookup(json!(2)), json!("?"));
    }

    #[test]
    fn absent_keys_and_null_give_the_default() {
        assert_eq!(lookup(json!("FR")), json!("?"));
        assert_eq!(lookup(json!("")), json!("?"));
        assert_eq!(lookup(json!(null)), json!("?"));
        assert_eq!(
            call_builtin("lookup", &[json!("FR"), table()]),
            Ok(json!(null))
        );
        assert_eq!(
            call_builtin("lookup", &[json!(null), table()]),
            Ok(json!(null))
        );
        // A key that is present gives its value, even null.
        assert_eq!(lookup(json!("empty")), json!(null));
    }

    #[test]
    fn tables_known_only_at_run_time_match_alike() {
        let table = table();
        let map = table.as_object().unwrap();
        let get = |key: &str| find(map, key).cloned();
        assert_eq!(get("nl"), Some(json!("lower-case nl")));
        assert_eq!(get(" Nl "), Some(json!("Netherlands")));
        assert_eq!(get("de"), Some(json!("Germany")));
        assert_eq!(get("ÄrGeR "), Some(json!("trouble")));
        assert_eq!(get("fr"), None);
    }

    /// Small tables are scanned, larger ones hashed: both find the same entries.
    #[test]
    fn scanning_and_hashing_agree() {
        let table = table();
        let indexed = super::Table::new(table.as_object().unwrap());
        let keys = [
            "NL", "nl", "nL", " nl ", "Be", "BE", "be\t", " DE ", "de", "Ärger", " ÄRGER", "1",
            "1.5", "true", "TRUE", "empty", "FR", "", " ",
        ];
        for key in keys {
            let hashed = match indexed.exact.get(key) {
                Some(&position) => Some(position),
                None => indexed.folded.get(super::fold(key).as_ref()).copied(),
            };
            assert_eq!(indexed.scan(key), hashed, "{key:?}");
        }
    }

    #[test]
    fn calls_with_tables_known_only_at_run_time() {
        let call = |v: Value| lookup_dynamic(&[v, table(), json!("?")]);
        assert_eq!(call(json!("NL")), Ok(json!("Netherlands")));
        assert_eq!(call(json!(" be")), Ok(json!("Belgium")));
        assert_eq!(call(json!(1)), Ok(json!("one")));
        assert_eq!(call(json!("FR")), Ok(json!("?")));
        assert_eq!(call(json!(null)), Ok(json!("?")));
        let err = lookup_dynamic(&[json!("NL"), json!("table")]).unwrap_err();
        assert!(
            err.0.contains("`table` must be an object, got text"),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        let err = call_builtin("lookup", &[json!("NL"), json!(["NL"])]).unwrap_err();
        assert!(
            err.0.contains("the table must be an object, got list"),
            "{err}"
        );
        let err = call_builtin("lookup", &[json!(["NL"]), table()]).unwrap_err();
        assert!(
            err.0.contains("`value` must be text or a number, got list"),
            "{err}"
        );
        assert!(call_builtin("lookup", &[json!({"a": 1}), table()]).is_err());
        assert!(call_builtin("lookup", &[json!("NL"), json!(null)]).is_err());
    }
}
