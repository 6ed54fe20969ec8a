//! The spanned document a pipeline file is read into before it becomes typed: every
//! value and every key remembers the file it came from and its byte span there. Presets
//! merge into it (so a key from a preset still points into the preset), secrets and
//! `{vars.…}` are substituted in it, and the typed model is deserialized from it.

use std::ops::Range;
use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::SourceFile;

/// A place in a user's file: the file and a byte span in its text.
#[derive(Clone, PartialEq, Eq)]
pub struct Located {
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
}

/// `file:line:col`, without the file's text.
impl std::fmt::Debug for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (line, column) = self.line_col();
        write!(f, "{}:{line}:{column}", self.file.name)
    }
}

impl Located {
    /// 1-based line and column of the start of the span.
    pub fn line_col(&self) -> (usize, usize) {
        self.file.line_col(self.span.start)
    }

    /// The text the span covers.
    pub fn text(&self) -> &str {
        self.file.text.get(self.span.clone()).unwrap_or("")
    }

    /// Where the content of a string literal begins: after its opening quote, and for a
    /// multi-line string (`'''` or `"""`) also after a newline right behind the quotes,
    /// which TOML drops.
    pub fn content_start(&self) -> usize {
        let raw = self.text();
        let skip = if raw.starts_with("'''") || raw.starts_with("\"\"\"") {
            let after = &raw[3..];
            3 + if after.starts_with("\r\n") {
                2
            } else {
                usize::from(after.starts_with('\n'))
            }
        } else {
            usize::from(raw.starts_with(['\'', '"']))
        };
        self.span.start + skip
    }
}

/// One value of the document.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub value: Value,
    pub at: Located,
}

/// A key of a table.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub name: String,
    pub at: Located,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    /// A TOML date-time, in its RFC 3339 text form.
    Datetime(String),
    Array(Vec<Node>),
    /// Entries in the order of the file.
    Table(Vec<(Key, Node)>),
}

impl Value {
    /// How the value is named in messages: `"text"`, `a table`, `the number 5`.
    pub fn describe(&self) -> String {
        match self {
            Value::String(s) => format!("{s:?}"),
            Value::Integer(i) => format!("the number {i}"),
            Value::Float(f) => format!("the number {f}"),
            Value::Boolean(b) => format!("`{b}`"),
            Value::Datetime(d) => format!("the date-time {d}"),
            Value::Array(_) => "an array".to_string(),
            Value::Table(_) => "a table".to_string(),
        }
    }
}

impl Node {
    /// The value at `path` (table keys) below this node.
    pub fn get(&self, path: &[&str]) -> Option<&Node> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        self.entry(first)?.1.get(rest)
    }

    /// The entry `name` of a table.
    pub fn entry(&self, name: &str) -> Option<&(Key, Node)> {
        match &self.value {
            Value::Table(entries) => entries.iter().find(|(k, _)| k.name == name),
            _ => None,
        }
    }

    /// The key `name` at `path`, e.g. the `cron` in `[schedule]`.
    pub fn key(&self, path: &[&str], name: &str) -> Option<&Key> {
        self.get(path)?.entry(name).map(|(k, _)| k)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The entries of a table (none for other values).
    pub fn entries(&self) -> &[(Key, Node)] {
        match &self.value {
            Value::Table(entries) => entries,
            _ => &[],
        }
    }
}

/// Converts toml's spanned document (of `file`) into a tree.
pub(crate) fn from_toml(file: &Arc<SourceFile>, table: Spanned<DeTable<'_>>) -> Node {
    let span = table.span();
    convert(file, span, DeValue::Table(table.into_inner()))
}

fn convert(file: &Arc<SourceFile>, span: Range<usize>, value: DeValue<'_>) -> Node {
    let at = |span: Range<usize>| Located {
        file: Arc::clone(file),
        span,
    };
    let value = match value {
        DeValue::String(s) => Value::String(s.into_owned()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Integer(n),
            // toml reports integers out of range as syntax errors; keep the text.
            Err(_) => Value::String(i.as_str().to_string()),
        },
        DeValue::Float(f) => Value::Float(parse_float(f.as_str())),
        DeValue::Boolean(b) => Value::Boolean(b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| {
                    let span = item.span();
                    convert(file, span, item.into_inner())
                })
                .collect(),
        ),
        DeValue::Table(table) => {
            let mut entries: Vec<(Key, Node)> = table
                .into_iter()
                .map(|(key, value)| {
                    let key = Key {
                        at: at(key.span()),
                        name: key.into_inner().into_owned(),
                    };
                    let span = value.span();
                    (key, convert(file, span, value.into_inner()))
                })
                .collect();
            entries.sort_by_key(|(k, _)| k.at.span.start);
            Value::Table(entries)
        }
    };
    Node {
        value,
        at: at(span),
    }
}

fn parse_float(text: &str) -> f64 {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    cleaned.parse().unwrap_or(f64::NAN)
}

/// Lays `overlay` over `base`: tables merge key by key (recursively), anything else in
/// `overlay` replaces what `base` has. A table whose `type` differs from the base
/// table's replaces it whole (a `page` pagination does not inherit a `cursor`'s keys).
pub(crate) fn merge(base: Node, overlay: Node) -> Node {
    let same_kind = match (base.get(&["type"]), overlay.get(&["type"])) {
        (Some(a), Some(b)) => a.as_str() == b.as_str(),
        _ => true,
    };
    match (base.value, overlay.value) {
        (Value::Table(mut entries), Value::Table(over)) if same_kind => {
            for (key, value) in over {
                match entries.iter().position(|(k, _)| k.name == key.name) {
                    Some(i) => {
                        let (_, old) = entries.remove(i);
                        entries.insert(i, (key, merge(old, value)));
                    }
                    None => entries.push((key, value)),
                }
            }
            Node {
                value: Value::Table(entries),
                at: overlay.at,
            }
        }
        (_, value) => Node {
            value,
            at: overlay.at,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> Node {
        let file = SourceFile::new(name, text);
        let table = DeTable::parse(&file.text).expect("valid TOML");
        from_toml(&file, table)
    }

    #[test]
    fn values_keep_their_spans() {
        let node = parse("p.toml", "[schedule]\nevery = \"15m\"\n");
        let every = node.get(&["schedule", "every"]).expect("present");
        assert_eq!(every.at.text(), "\"15m\"");
        assert_eq!(every.at.line_col(), (2, 9));
        let key = node.key(&["schedule"], "every").expect("key");
        assert_eq!(key.at.line_col(), (2, 1));
    }

    #[test]
    fn merging_keeps_each_value_in_its_own_file() {
        let base = parse(
            "preset.toml",
            "[source]\ntype = \"http\"\nrecords = \"data\"\npaginate = { type = \"cursor\", next = \"n\" }\n",
        );
        let over = parse(
            "p.toml",
            "[source]\nrecords = \"items\"\npaginate = { type = \"link_header\" }\nid = \"x\"\n",
        );
        let merged = merge(base, over);
        let records = merged.get(&["source", "records"]).expect("records");
        assert_eq!(records.as_str(), Some("items"));
        assert_eq!(records.at.file.name, "p.toml");
        let kind = merged.get(&["source", "type"]).expect("type");
        assert_eq!(kind.at.file.name, "preset.toml");
        let paginate = merged.get(&["source", "paginate"]).expect("paginate");
        assert_eq!(paginate.entries().len(), 1, "a different type replaces");
        assert!(merged.get(&["source", "id"]).is_some());
    }
}
