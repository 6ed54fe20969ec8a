//! A mapping applied straight to a record's fields, writing the mapped record's
//! canonical JSON text (every level's keys in order, as [`MappedRecord::canonical`]
//! writes it) without making a [`MappedRecord`] first: no slot per field, no copy of
//! each value, nothing to free afterwards. The engine takes this text as the record's
//! fingerprint and, for a destination that takes JSON text, as what it writes.
//!
//! It exists only for mappings whose every statement is an assignment with a fast form
//! (see `fast`), as [`RowMapping`](super::RowMapping) does for rows of text. A record
//! the fast forms cannot answer for is left to the caller, who maps it the ordinary
//! way; the fast forms have no side effects, so the fields are evaluated in key order
//! rather than in the order the mapping assigns them, and the text is byte for byte
//! what the ordinary path writes.
//!
//! [`MappedRecord`]: super::MappedRecord
//! [`MappedRecord::canonical`]: super::MappedRecord::canonical

use super::eval::read_fields;
use super::fast::{self, FieldValue, Fields, Op, Text, Val};
use super::program::Mapping;
use super::record::{Pruned, SortedField, SortedNode, vanishes};
use super::value::{Value, trim_text};
use crate::formats::compact::{write_cased, write_compact, write_text, write_text_body};

/// A mapping prepared to write records' canonical JSON text; see the module
/// documentation.
pub struct CanonicalWriter<'m> {
    mapping: &'m Mapping,
    /// The fast form of each assignment, by output slot.
    assignments: Vec<&'m Text>,
}

impl Mapping {
    /// This mapping as a [`CanonicalWriter`], when every statement is an assignment with
    /// a fast form; `None` otherwise (map records the ordinary way).
    pub fn canonical_writer(&self) -> Option<CanonicalWriter<'_>> {
        Some(CanonicalWriter {
            mapping: self,
            assignments: self.fast_assignments()?,
        })
    }
}

impl<'m> CanonicalWriter<'m> {
    /// The mapping written with.
    pub fn mapping(&self) -> &'m Mapping {
        self.mapping
    }

    /// Maps a record read in place (its fields by the mapping's field slots, as
    /// [`Mapping::apply_fields`] takes them) and appends the canonical JSON text of the
    /// mapped record to `out`; `skip_empty`: without the empty values the engine drops.
    /// `false`, with `out` as it was, when the record must be mapped the ordinary way.
    pub fn write_fields(
        &self,
        fields: &[FieldValue<'_>],
        skip_empty: bool,
        out: &mut Vec<u8>,
    ) -> bool {
        self.write(fields, skip_empty, out)
    }

    /// [`write_fields`](Self::write_fields) for a record given as a JSON value.
    pub fn write_record(&self, record: &Value, skip_empty: bool, out: &mut Vec<u8>) -> bool {
        let fields = read_fields(record, &self.mapping.source_fields);
        self.write(&fields[..], skip_empty, out)
    }

    fn write<'a, F: Fields<'a> + ?Sized>(
        &'a self,
        fields: &F,
        skip_empty: bool,
        out: &mut Vec<u8>,
    ) -> bool {
        let start = out.len();
        let level = Level {
            assignments: &self.assignments,
            fields,
            skip_empty,
        };
        if level.object(self.mapping.shape.sorted(), out).is_none() {
            out.truncate(start);
            return false;
        }
        true
    }
}

/// What writing each level of the output reads.
struct Level<'w, 'a, F: ?Sized> {
    assignments: &'w [&'a Text],
    fields: &'w F,
    skip_empty: bool,
}

impl<'a, F: Fields<'a> + ?Sized> Level<'_, 'a, F> {
    /// Writes one level, as `Canonical::write_json` does: keys in order, and with
    /// `skip_empty` neither empty values nor objects all of whose values are empty.
    /// `None` when a value needs the ordinary evaluator.
    fn object(&self, level: &[SortedField], out: &mut Vec<u8>) -> Option<()> {
        out.push(b'{');
        let mut written = 0usize;
        for field in level {
            let before = out.len();
            if written > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&field.json_key);
            let kept = match &field.node {
                SortedNode::Slot(slot) => self.slot(self.assignments.get(*slot)?, out)?,
                SortedNode::Object(children) => {
                    let inner = out.len();
                    self.object(children, out)?;
                    // `{}`: nothing of it was kept.
                    !(self.skip_empty && out.len() == inner + 2)
                }
            };
            if kept {
                written += 1;
            } else {
                out.truncate(before);
            }
        }
        out.push(b'}');
        Some(())
    }

    /// Writes the value of one assignment; `Some(false)` when it is left out as empty,
    /// `None` when it needs the ordinary evaluator. Text joined from parts or changed
    /// in case is written as it is made.
    fn slot(&self, text: &'a Text, out: &mut Vec<u8>) -> Option<bool> {
        match text {
            Text::Join(parts) => self.joined(parts, true, out),
            Text::Concat(parts) => self.joined(parts, false, out),
            Text::Pipe(source, ops) => match ops.split_last() {
                Some((Op::Lower, before)) => self.cased(text, source, before, false, false, out),
                Some((Op::Upper, before)) => self.cased(text, source, before, true, false, out),
                Some((Op::Required, rest)) => match rest.split_last() {
                    Some((Op::Lower, before)) => self.cased(text, source, before, false, true, out),
                    Some((Op::Upper, before)) => self.cased(text, source, before, true, true, out),
                    _ => self.evaluated(text, out),
                },
                _ => self.evaluated(text, out),
            },
            _ => self.evaluated(text, out),
        }
    }

    /// The value of `text` made by the fast form, then written.
    fn evaluated(&self, text: &'a Text, out: &mut Vec<u8>) -> Option<bool> {
        fast::eval_with(text, self.fields, |value| self.value(value, out))?
    }

    /// `concat(…)` (`join`: false) or `a + b + …` (true) on text, each part written
    /// as it comes: null parts are left out, another kind of value is left to the
    /// evaluator, and `a + b` of nulls only is null.
    fn joined(&self, parts: &'a [Text], join: bool, out: &mut Vec<u8>) -> Option<bool> {
        let start = out.len();
        out.push(b'"');
        let mut any_text = false;
        for part in parts {
            let written = match fast::operand(part, self.fields)? {
                Val::Null => continue,
                Val::Str(text) => write_text_body(out, text),
                Val::Own(text) => write_text_body(out, &text),
                Val::Other(_) => return None,
            };
            written.ok()?;
            any_text = true;
        }
        if join && !any_text {
            out.truncate(start);
            return self.value(Val::Null, out);
        }
        if self.skip_empty && out.len() == start + 1 {
            out.truncate(start);
            return Some(false);
        }
        out.push(b'"');
        Some(true)
    }

    /// `source | … | lower` or `… | upper` (`upper`), optionally followed by
    /// `required`: the text before the change of case is changed as it is written.
    /// (`required` is checked before the change on ASCII text only, where a change of
    /// case keeps blank text blank; other text goes the evaluated way, as `text`.)
    fn cased(
        &self,
        text: &'a Text,
        source: &'a Text,
        before: &'a [Op],
        upper: bool,
        required: bool,
        out: &mut Vec<u8>,
    ) -> Option<bool> {
        let mut value = fast::operand(source, self.fields)?;
        for op in before {
            value = fast::apply(op, value)?;
        }
        let plain = match &value {
            Val::Str(plain) => *plain,
            Val::Own(plain) => plain.as_str(),
            // Null stays null (and is not `required`); other values are not text.
            Val::Null if !required => return self.value(Val::Null, out),
            Val::Null | Val::Other(_) => return None,
        };
        if required {
            if !plain.is_ascii() {
                return self.evaluated(text, out);
            }
            if trim_text(plain).is_empty() {
                return None;
            }
        }
        if self.skip_empty && plain.is_empty() {
            return Some(false);
        }
        write_cased(out, plain, upper).ok().map(|()| true)
    }

    /// Writes one value; `Some(false)` when it is left out as empty, `None` when it
    /// cannot be written.
    fn value(&self, value: Val<'_>, out: &mut Vec<u8>) -> Option<bool> {
        let written = match value {
            Val::Null if self.skip_empty => return Some(false),
            Val::Null => {
                out.extend_from_slice(b"null");
                Ok(())
            }
            Val::Str(text) if self.skip_empty && text.is_empty() => return Some(false),
            Val::Str(text) => write_text(out, text),
            Val::Own(text) if self.skip_empty && text.is_empty() => return Some(false),
            Val::Own(text) => write_text(out, &text),
            Val::Other(value) if self.skip_empty && vanishes(value) => return Some(false),
            Val::Other(value) if self.skip_empty => write_compact(out, &Pruned(value)),
            Val::Other(value) => write_compact(out, value),
        };
        written.ok().map(|()| true)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use crate::mapping::tests::compiled as mapping;
    use crate::mapping::{FieldValue, Mapping, Outcome};

    /// Every fast shape, nested targets (one of them all constants), constants of each
    /// kind, and a field the records lack.
    const MAPPING: &str = r#"
email = y | trim | lower | required
id = x
name.last = y | trim | upper
name.first = x | trim
label = concat(x | trim, " (", z | lookup({nl: "Netherlands", be: "Belgium"}, "?"), ")")
fallback = missing ?? x
count = 3
quote = "say \"hi\"\n"
blank = ""
nothing = null
joined = x + " " + y
both = x + y
nested.deep.value = z
nested.other = w
upper = z | upper
"#;

    /// Text joined or changed in case, and nothing `required`: records of nulls and
    /// empty text are written too.
    const LOOSE: &str = r#"
both = x + w
concatenated = concat(w, x)
lowered = w | lower
raised = x | trim | upper
"#;

    /// A comparison with text, which the fast form answers for values only (a record
    /// read in place is mapped the ordinary way).
    const COMPARING: &str = r#"
pick = if z == "nl" then x else y
id = x
"#;

    /// The ordinary path: the record mapped, then its canonical text written.
    fn ordinary(mapping: &Mapping, record: &Value, skip_empty: bool) -> Option<Vec<u8>> {
        match mapping.apply(record, &json!({})) {
            Outcome::Mapped(mapped) => {
                let mut out = Vec::new();
                mapped.canonical(skip_empty).write_json(&mut out).ok()?;
                Some(out)
            }
            _ => None,
        }
    }

    /// The record's top-level fields by the mapping's field slots, as a record read in
    /// place gives them.
    fn slotted<'a>(mapping: &Mapping, record: &'a Value) -> Vec<FieldValue<'a>> {
        let mut found = vec![FieldValue::Null; mapping.field_count()];
        if let Value::Object(map) = record {
            for (key, value) in map {
                if let Some(place) = mapping.field_slot(key).and_then(|s| found.get_mut(s)) {
                    *place = match value {
                        Value::Null => FieldValue::Null,
                        Value::String(text) => FieldValue::Text(text),
                        other => FieldValue::Value(other),
                    };
                }
            }
        }
        found
    }

    #[test]
    fn only_mappings_of_fast_assignments_get_a_writer() {
        assert!(mapping(MAPPING).canonical_writer().is_some());
        assert!(
            mapping("a = x\nskip if x == \"\"")
                .canonical_writer()
                .is_none()
        );
        assert!(mapping("a = x | slug").canonical_writer().is_none());
        assert!(mapping("let v = x\na = $v").canonical_writer().is_none());
    }

    #[test]
    fn a_plain_record_is_written_directly_with_its_keys_in_order() {
        let mapping = mapping(MAPPING);
        let Some(writer) = mapping.canonical_writer() else {
            panic!("the test mapping has a writer");
        };
        let record = json!({"x": " Ann ", "y": "ann@Example.com", "z": "nl", "w": {}});
        let mut out = Vec::new();
        assert!(writer.write_record(&record, true, &mut out));
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"{"both":" Ann ann@Example.com","count":3,"email":"ann@example.com","fallback":" Ann ","id":" Ann ","joined":" Ann  ann@Example.com","label":"Ann (Netherlands)","name":{"first":"Ann","last":"ANN@EXAMPLE.COM"},"nested":{"deep":{"value":"nl"}},"quote":"say \"hi\"\n","upper":"NL"}"#
        );
        let mut fields = Vec::new();
        assert!(writer.write_fields(&slotted(&mapping, &record), true, &mut fields));
        assert_eq!(fields, out);
        let comparing = self::mapping(COMPARING);
        let Some(writer) = comparing.canonical_writer() else {
            panic!("a comparison of two leaves has a fast form");
        };
        let mut out = b"before".to_vec();
        assert!(!writer.write_fields(&slotted(&comparing, &record), true, &mut out));
        assert_eq!(out, b"before");
        assert!(writer.write_record(&record, true, &mut out));
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"before{"id":" Ann ","pick":" Ann "}"#
        );
    }

    fn field() -> impl Strategy<Value = Value> {
        prop_oneof![
            1 => Just(Value::Null),
            // Mostly text: a record maps directly only when all its fields do.
            6 => "[ \ta-zA-Z0-9@.\"\\\\é\u{3000}-]{0,12}".prop_map(Value::from),
            3 => prop_oneof![Just("nl"), Just("be"), Just(""), Just("  ")].prop_map(Value::from),
            1 => any::<i64>().prop_map(Value::from),
            1 => any::<bool>().prop_map(Value::from),
            1 => Just(json!([])),
            1 => Just(json!([null, ""])),
            1 => Just(json!({})),
            1 => Just(json!({"a": null, "b": {"c": ""}})),
            1 => Just(json!({"a": 1, "b": ""})),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// A record written directly, from its value or from its fields read in place, is
        /// byte for byte the ordinary path's canonical text, with and without empty
        /// values; a record the direct path leaves alone leaves `out` as it was.
        #[test]
        fn records_are_written_as_the_ordinary_path_writes_them(
            x in field(), y in field(), z in field(), w in field(), skip_empty in any::<bool>(),
        ) {
            let record = json!({"w": w, "x": x, "y": y, "z": z});
            for text in [MAPPING, COMPARING, LOOSE] {
            let mapping = mapping(text);
            let Some(writer) = mapping.canonical_writer() else {
                panic!("the test mapping has a writer");
            };
            let expected = ordinary(&mapping, &record, skip_empty);
            let fields = slotted(&mapping, &record);
            for from_fields in [false, true] {
                let mut out = b"before".to_vec();
                let direct = if from_fields {
                    writer.write_fields(&fields, skip_empty, &mut out)
                } else {
                    writer.write_record(&record, skip_empty, &mut out)
                };
                if direct {
                    let written = out.get(6..).map(<[u8]>::to_vec);
                    prop_assert_eq!(written, expected.clone());
                } else {
                    prop_assert_eq!(&out[..], b"before");
                }
            }
            }
        }
    }
}
