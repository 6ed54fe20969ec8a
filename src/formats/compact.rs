//! Compact JSON appended to a byte buffer, byte for byte what `serde_json::to_writer`
//! writes, for any `Serialize` value (mapped records included): text that needs no
//! escapes — nearly all of it — is checked a vector of bytes at a time and copied
//! whole, where serde_json looks each byte up in a table. Numbers, escapes and
//! anything unusual are left to serde_json itself.

use serde::Serialize;
use serde::ser::{self, Impossible, SerializeMap as _, Serializer};

type Error = serde_json::Error;

/// Appends `value` as compact JSON to `out`. On an error (a map key that is not text,
/// an integer or a boolean; a value's own `Serialize` failing) `out` may hold part of it.
pub fn write_compact<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(Out(out))
}

/// Appends `text` as a JSON string.
pub(crate) fn write_text(out: &mut Vec<u8>, text: &str) -> Result<(), Error> {
    if needs_escape(text.as_bytes()) {
        return serde_json::to_writer(out, text);
    }
    out.reserve(text.len() + 2);
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
    Ok(())
}

/// Appends `text` as the inside of a JSON string (escaped, without the quotes): text
/// written piece by piece between quotes is the text of the pieces joined.
pub(crate) fn write_text_body(out: &mut Vec<u8>, text: &str) -> Result<(), Error> {
    if needs_escape(text.as_bytes()) {
        let at = out.len();
        serde_json::to_writer(&mut *out, text)?;
        // The quotes serde_json put around it.
        out.remove(at);
        out.pop();
        return Ok(());
    }
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// Appends `text` in lower or upper case as a JSON string, as [`write_text`] writes
/// the changed text (`str::to_lowercase`, `str::to_uppercase`); ASCII text that needs
/// no escapes is changed as it is written, without being made first.
pub(crate) fn write_cased(out: &mut Vec<u8>, text: &str, upper: bool) -> Result<(), Error> {
    if !text.is_ascii() || needs_escape(text.as_bytes()) {
        let changed = if upper {
            text.to_uppercase()
        } else {
            text.to_lowercase()
        };
        return write_text(out, &changed);
    }
    out.reserve(text.len() + 2);
    out.push(b'"');
    let at = out.len();
    out.extend_from_slice(text.as_bytes());
    if let Some(written) = out.get_mut(at..) {
        if upper {
            written.make_ascii_uppercase();
        } else {
            written.make_ascii_lowercase();
        }
    }
    out.push(b'"');
    Ok(())
}

/// Whether some byte must be escaped in a JSON string: a control character, `"` or
/// `\`. Eight bytes at a time (most text is short: field names and values of a few
/// bytes, where a vectorised loop spends its time getting started).
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    const SPACE: u64 = u64::from_ne_bytes([0x20; 8]);
    const QUOTE: u64 = u64::from_ne_bytes([b'"'; 8]);
    const BACKSLASH: u64 = u64::from_ne_bytes([b'\\'; 8]);
    // Nonzero exactly when some byte of `word` is below 0x20 or is `"` or `\` (the
    // classic "has a byte less than n" and "has a zero byte" tests).
    let flags = |word: u64| {
        let below_space = word.wrapping_sub(SPACE) & !word;
        let quote = (word ^ QUOTE).wrapping_sub(ONES) & !(word ^ QUOTE);
        let backslash = (word ^ BACKSLASH).wrapping_sub(ONES) & !(word ^ BACKSLASH);
        (below_space | quote | backslash) & HIGH
    };
    if bytes.len() < 8 {
        return bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
    }
    let word = |at: usize| {
        let mut word = [0; 8];
        word.copy_from_slice(&bytes[at..at + 8]);
        u64::from_ne_bytes(word)
    };
    let mut found = 0;
    let mut at = 0;
    while at + 8 < bytes.len() {
        found |= flags(word(at));
        at += 8;
    }
    // The last eight bytes, overlapping the words before them.
    found |= flags(word(bytes.len() - 8));
    found != 0
}

/// A scalar exactly as serde_json writes it.
fn scalar<T: Serialize>(out: &mut Vec<u8>, value: T) -> Result<(), Error> {
    serde_json::to_writer(out, &value)
}

struct Out<'a>(&'a mut Vec<u8>);

impl<'a> Serializer for Out<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.0.extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        scalar(self.0, v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        scalar(self.0, v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        scalar(self.0, v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        scalar(self.0, v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        scalar(self.0, v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        scalar(self.0, v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        scalar(self.0, v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        scalar(self.0, v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        scalar(self.0, v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        scalar(self.0, v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        scalar(self.0, v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        scalar(self.0, v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_text(self.0, v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_text(self.0, v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        scalar(self.0, v)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.0.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        write_text(self.0, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let mut object = self.serialize_map(Some(1))?;
        object.serialize_entry(variant, value)?;
        object.end()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a>, Error> {
        self.0.push(b'[');
        Ok(Seq {
            out: self.0,
            first: true,
            close: b"]",
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Seq<'a>, Error> {
        self.0.push(b'{');
        write_text(self.0, variant)?;
        self.0.extend_from_slice(b":[");
        Ok(Seq {
            out: self.0,
            first: true,
            close: b"]}",
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Object<'a>, Error> {
        self.0.push(b'{');
        Ok(Object {
            out: self.0,
            first: true,
            close: b"}",
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Object<'a>, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Object<'a>, Error> {
        self.0.push(b'{');
        write_text(self.0, variant)?;
        self.0.extend_from_slice(b":{");
        Ok(Object {
            out: self.0,
            first: true,
            close: b"}}",
        })
    }
}

/// A list (or a tuple variant's list, closed by `]}`).
struct Seq<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    close: &'static [u8],
}

impl Seq<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        value.serialize(Out(self.out))
    }

    fn close(self) -> Result<(), Error> {
        self.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTupleVariant for Seq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// An object (or a struct variant's object, closed by `}}`).
struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    close: &'static [u8],
}

impl Object<'_> {
    fn field(&mut self, key: &str) {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        // A key is text: writing it cannot fail.
        let _ = write_text(self.out, key);
        self.out.push(b':');
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        key.serialize(Key(self.out))?;
        self.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(Out(self.out))
    }
    fn end(self) -> Result<(), Error> {
        self.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key);
        value.serialize(Out(self.out))
    }
    fn end(self) -> Result<(), Error> {
        self.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl ser::SerializeStructVariant for Object<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key);
        value.serialize(Out(self.out))
    }
    fn end(self) -> Result<(), Error> {
        self.out.extend_from_slice(self.close);
        Ok(())
    }
}

/// A map key: text as it is; integers and booleans quoted (as serde_json does); anything
/// else refused.
struct Key<'a>(&'a mut Vec<u8>);

impl Key<'_> {
    fn quoted<T: Serialize>(self, value: T) -> Result<(), Error> {
        self.0.push(b'"');
        scalar(self.0, value)?;
        self.0.push(b'"');
        Ok(())
    }
}

fn not_a_key() -> Error {
    ser::Error::custom("key must be a string")
}

impl Serializer for Key<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_text(self.0, v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_text(self.0, v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        write_text(self.0, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_f32(self, _v: f32) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_f64(self, _v: f64) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(not_a_key())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(not_a_key())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(not_a_key())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(not_a_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn same<T: Serialize + ?Sized>(value: &T) {
        let mut out = Vec::new();
        write_compact(&mut out, value).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(value).unwrap()
        );
    }

    #[test]
    fn values_are_written_as_serde_json_writes_them() {
        same(&json!({
            "plain": "text",
            "quote\"d": "a \"b\" \\ c\n\t\u{1}\u{1f} é 😀",
            "empty": "",
            "numbers": [0, -1, 1.5, 1e300, -0.0, 12345678901234567890u64, 0.1],
            "nested": {"a": [true, false, null, {"b": []}], "c": {}},
        }));
        same(&json!([]));
        same(&json!("x"));
        same(&json!(null));
    }

    #[test]
    fn rust_types_too() {
        #[derive(Serialize)]
        enum Kind {
            Unit,
            Newtype(u8),
            Tuple(u8, &'static str),
            Struct { a: Option<f64>, b: char },
        }
        #[derive(Serialize)]
        struct Wrapper(i32);
        same(&vec![
            Kind::Unit,
            Kind::Newtype(7),
            Kind::Tuple(1, "x\"y"),
            Kind::Struct { a: None, b: '"' },
            Kind::Struct {
                a: Some(f64::NAN),
                b: 'é',
            },
        ]);
        same(&(Wrapper(-3), (), 'c', f32::INFINITY));
        let keys: BTreeMap<i64, bool> = [(1, true), (-2, false)].into();
        same(&keys);
        let keys: BTreeMap<bool, u8> = [(true, 1)].into();
        same(&keys);
    }

    #[test]
    fn bytes_needing_escapes_are_found_wherever_they_are() {
        for length in 0..20 {
            assert!(!needs_escape(&vec![b'x'; length]));
            for at in 0..length {
                for special in [0u8, 0x1f, b'"', b'\\'] {
                    let mut bytes = vec![b'x'; length];
                    bytes[at] = special;
                    assert!(needs_escape(&bytes), "{bytes:?}");
                }
                for plain in [b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xff] {
                    let mut bytes = vec![b'x'; length];
                    bytes[at] = plain;
                    assert!(!needs_escape(&bytes), "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn keys_that_are_not_text_or_numbers_are_refused() {
        let keys: BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into();
        assert!(write_compact(&mut Vec::new(), &keys).is_err());
    }

    proptest::proptest! {
        /// Pieces written between quotes are the joined text written whole, and text
        /// written in a case is the changed text written whole.
        #[test]
        fn pieces_and_cases_are_written_as_whole_text(
            a in "[ \ta-zA-Z\"\\\\é\u{1}-]{0,10}",
            b in "[ \ta-zA-Z\"\\\\é\u{1}-]{0,10}",
        ) {
            let mut pieces = b"x\"".to_vec();
            write_text_body(&mut pieces, &a).unwrap();
            write_text_body(&mut pieces, &b).unwrap();
            pieces.push(b'"');
            let mut whole = b"x".to_vec();
            write_text(&mut whole, &format!("{a}{b}")).unwrap();
            proptest::prop_assert_eq!(&pieces, &whole);
            for upper in [false, true] {
                let mut cased = b"x".to_vec();
                write_cased(&mut cased, &a, upper).unwrap();
                let changed = if upper { a.to_uppercase() } else { a.to_lowercase() };
                let mut expected = b"x".to_vec();
                write_text(&mut expected, &changed).unwrap();
                proptest::prop_assert_eq!(&cased, &expected);
            }
        }
    }
}
