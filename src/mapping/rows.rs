//! A mapping applied straight to rows of text (a CSV file's), writing compact JSON,
//! without building a record for the row or a [`MappedRecord`] for the result.
//!
//! It exists only for mappings whose every statement is an assignment with a fast form
//! (see `fast`): then each field is read from the row by column, evaluated on borrowed
//! text, and written where the mapped record would have been serialised. A row the fast
//! forms cannot answer for (an empty `required` value, a time that does not parse, a
//! comparison) is left to the caller, who maps it the ordinary way: the output is byte
//! for byte what [`crate::formats::compact::write_compact`] writes of the ordinary
//! [`MappedRecord`].
//!
//! [`MappedRecord`]: super::MappedRecord

use smallvec::SmallVec;

use super::fast::{self, Text, Val};
use super::program::Mapping;
use super::record::ShapeNode;
use crate::formats::compact::write_text;

/// A mapping prepared for rows with known columns; see the module documentation.
pub struct RowMapping<'m> {
    /// For each source field slot, the column it is read from (`None`: no such column,
    /// the field is null).
    columns: Vec<Option<usize>>,
    /// The fast form of each assignment, by output slot.
    assignments: Vec<&'m Text>,
    /// The output's JSON text around the values: `{"id":`, value 0, `,"name":`, …
    layout: Vec<Piece>,
}

/// A part of the output's layout.
enum Piece {
    /// JSON text: punctuation and keys.
    Text(Vec<u8>),
    /// The value of an output slot.
    Value(usize),
}

impl Mapping {
    /// This mapping for rows whose columns have these names, when every statement is an
    /// assignment with a fast form; `None` otherwise (map records the ordinary way).
    pub fn for_rows(&self, names: &[String]) -> Option<RowMapping<'_>> {
        let mut columns = vec![None; self.source_fields.len()];
        for field in &self.source_fields {
            *columns.get_mut(field.slot)? = names.iter().position(|n| *n == field.name);
        }
        let layout = Layout::of(&self.shape.fields).ok()?;
        Some(RowMapping {
            columns,
            assignments: self.fast_assignments()?,
            layout,
        })
    }
}

impl RowMapping<'_> {
    /// Maps one row and appends the mapped record to `out` as compact JSON; `column(i)`
    /// is the text of column `i`. `false` (with `out` as it was) when the row must be
    /// mapped the ordinary way.
    pub fn write_json<'r>(
        &self,
        column: impl Fn(usize) -> Option<&'r str>,
        out: &mut Vec<u8>,
    ) -> bool {
        let fields: SmallVec<[Option<&'r str>; 16]> =
            self.columns.iter().map(|c| c.and_then(&column)).collect();
        let mut values: SmallVec<[Val<'_>; 16]> = SmallVec::with_capacity(self.assignments.len());
        for text in &self.assignments {
            match fast::eval_text(text, &fields) {
                Some(value) => values.push(value),
                None => return false,
            }
        }
        let start = out.len();
        for piece in &self.layout {
            let written = match piece {
                Piece::Text(text) => {
                    out.extend_from_slice(text);
                    Ok(())
                }
                Piece::Value(slot) => match values.get(*slot) {
                    Some(value) => value.write_json(out),
                    None => {
                        out.extend_from_slice(b"null");
                        Ok(())
                    }
                },
            };
            if written.is_err() {
                out.truncate(start);
                return false;
            }
        }
        true
    }
}

/// Builds the layout of a shape: text is gathered until a value interrupts it.
#[derive(Default)]
struct Layout {
    pieces: Vec<Piece>,
    text: Vec<u8>,
}

impl Layout {
    fn of(fields: &[(String, ShapeNode)]) -> Result<Vec<Piece>, serde_json::Error> {
        let mut layout = Layout::default();
        layout.object(fields)?;
        layout.pieces.push(Piece::Text(layout.text));
        Ok(layout.pieces)
    }

    /// One level of the output's shape: a JSON object.
    fn object(&mut self, fields: &[(String, ShapeNode)]) -> Result<(), serde_json::Error> {
        self.text.push(b'{');
        for (i, (key, node)) in fields.iter().enumerate() {
            if i > 0 {
                self.text.push(b',');
            }
            write_text(&mut self.text, key)?;
            self.text.push(b':');
            match node {
                ShapeNode::Slot(slot) => {
                    let text = std::mem::take(&mut self.text);
                    self.pieces.push(Piece::Text(text));
                    self.pieces.push(Piece::Value(*slot));
                }
                ShapeNode::Object(children) => self.object(children)?,
            }
        }
        self.text.push(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use crate::formats::compact::write_compact;
    use crate::mapping::tests::compiled as mapping;
    use crate::mapping::{Mapping, Outcome};

    const COLUMNS: [&str; 4] = ["x", "y", "when", "code"];

    /// Every fast shape, nested targets, a constant number, and a field the file lacks.
    const MAPPING: &str = r#"
id = x
name.first = x | trim
name.last = y | trim | upper
email = y | trim | lower | required
label = concat(x | trim, " (", code | lookup({nl: "Netherlands", be: "Belgium"}, "?"), ")")
when = when | parse_time("%d/%m/%Y %H:%M", "Europe/Amsterdam")
fallback = missing ?? x
count = 3
quote = "say \"hi\"\n"
"#;

    /// The ordinary path: the row as a record of text fields, mapped and written.
    fn ordinary(mapping: &Mapping, row: &[String]) -> Option<Vec<u8>> {
        let record: Map<String, Value> = COLUMNS
            .iter()
            .zip(row)
            .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
            .collect();
        match mapping.apply(&Value::Object(record), &Value::Object(Map::new())) {
            Outcome::Mapped(mapped) => {
                let mut out = Vec::new();
                write_compact(&mut out, &mapped).ok()?;
                Some(out)
            }
            _ => None,
        }
    }

    #[test]
    fn only_mappings_of_fast_assignments_take_rows() {
        let names: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
        assert!(mapping(MAPPING).for_rows(&names).is_some());
        assert!(
            mapping("a = x\nskip if x == \"\"")
                .for_rows(&names)
                .is_none()
        );
        assert!(mapping("a = x | slug").for_rows(&names).is_none());
        assert!(mapping("let v = x\na = $v").for_rows(&names).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        /// A row written directly is byte for byte the ordinary mapped record, and a row
        /// the direct path leaves alone is one the ordinary path cannot map either or
        /// one it needs (here: `required` on blank text, a time that does not parse).
        #[test]
        fn rows_are_written_as_the_ordinary_path_writes_them(
            x in "[ a-zA-Z\"\\\\é\t]{0,12}",
            y in "[ a-zA-Z@.]{0,12}",
            when in prop_oneof![
                Just("29/03/2026 02:30".to_string()),
                Just("25/10/2026 02:30".to_string()),
                Just("1/2/2026 3:04".to_string()),
                "[0-3][0-9]/[01][0-9]/20[0-9]{2} [0-2][0-9]:[0-5][0-9]",
                "[ a-z0-9/:]{0,6}",
            ],
            code in prop_oneof![Just("nl"), Just("be"), Just("de"), Just("")],
        ) {
            let names: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
            let mapping = mapping(MAPPING);
            let Some(rows) = mapping.for_rows(&names) else {
                panic!("the test mapping takes rows");
            };
            let row = [x, y, when, code.to_string()];
            let mut out = b"before".to_vec();
            let direct = rows.write_json(|i| row.get(i).map(String::as_str), &mut out);
            let expected = ordinary(&mapping, &row);
            if direct {
                let written = out.get(6..).map(<[u8]>::to_vec);
                prop_assert_eq!(written, expected);
            } else {
                prop_assert_eq!(&out[..], b"before");
            }
        }
    }
}
