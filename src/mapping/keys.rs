//! The top-level source fields a mapping reads, prepared for finding them among a
//! record's keys in one merge pass: keys are short, and comparing them is most of the
//! work of reading a record's fields.

use std::cmp::Ordering;

/// A source field a mapping reads: its name, the slot its value goes to, and the name's
/// first eight bytes as one word.
#[derive(Debug, Clone)]
pub(crate) struct FieldName {
    pub(crate) name: String,
    pub(crate) slot: usize,
    head: u64,
}

impl FieldName {
    pub(crate) fn new(name: String, slot: usize) -> FieldName {
        FieldName {
            head: head(name.as_bytes()),
            name,
            slot,
        }
    }

    /// The order of a record key against this name: that of `str`.
    ///
    /// The first eight bytes are compared as one big-endian word, zero-padded (whose
    /// order is that of the bytes; a tie between a shorter and a longer text is settled
    /// by the rest and the lengths below), the rest byte by byte in line.
    #[inline]
    pub(crate) fn order(&self, key: &str) -> Ordering {
        let key = key.as_bytes();
        let name = self.name.as_bytes();
        match head(key).cmp(&self.head) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        for (x, y) in rest(key).iter().zip(rest(name)) {
            if x != y {
                return x.cmp(y);
            }
        }
        key.len().cmp(&name.len())
    }
}

/// What follows the first eight bytes.
#[inline]
fn rest(text: &[u8]) -> &[u8] {
    text.get(8..).unwrap_or_default()
}

/// The first eight bytes of `text` as a big-endian word, zero-padded when shorter.
#[inline]
fn head(text: &[u8]) -> u64 {
    if let Some(first) = text.first_chunk::<8>() {
        return u64::from_be_bytes(*first);
    }
    // Four to seven bytes: two four-byte words that overlap, each put in its place (the
    // bytes they share are the same, so or-ing them is exact).
    if let (Some(first), Some(last)) = (text.first_chunk::<4>(), text.last_chunk::<4>()) {
        let first = u64::from(u32::from_be_bytes(*first)) << 32;
        let last = u64::from(u32::from_be_bytes(*last)) << (64 - 8 * text.len());
        return first | last;
    }
    let mut word = 0u64;
    for (i, byte) in text.iter().enumerate() {
        word |= u64::from(*byte) << (56 - 8 * i);
    }
    word
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn orders_like_str() {
        let keys = [
            "",
            "\0",
            "a",
            "a\0",
            "ab",
            "abcdefgh",
            "abcdefgh\0",
            "abcdefghi",
            "abcdefgi",
            "b",
            "company",
            "country_code",
            "participant_id",
            "participant_ids",
            "é",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(
                    FieldName::new(b.to_string(), 0).order(a),
                    a.cmp(b),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn orders_any_text_like_str(a in "[a\\x00b_é]{0,20}", b in "[a\\x00b_é]{0,20}") {
            prop_assert_eq!(FieldName::new(b.clone(), 0).order(&a), a.as_str().cmp(b.as_str()));
        }
    }
}
