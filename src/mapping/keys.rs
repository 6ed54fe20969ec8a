//! The top-level source fields a mapping reads, prepared for finding them among a
//! record's keys in one merge pass: keys are short, and comparing them is most of the
//! work of reading a record's fields.

use std::cmp::Ordering;

/// A source field a mapping reads: its name, the slot its value goes to, and the name's
/// first and last eight bytes as words.
#[derive(Debug, Clone)]
pub(crate) struct FieldName {
    pub(crate) name: String,
    pub(crate) slot: usize,
    head: u64,
    /// The last eight bytes, big-endian, when the name is longer than eight.
    tail: u64,
}

impl FieldName {
    pub(crate) fn new(name: String, slot: usize) -> FieldName {
        FieldName {
            head: head(name.as_bytes()),
            tail: tail(name.as_bytes()),
            name,
            slot,
        }
    }

    /// The order of a record key against this name: that of `str`.
    ///
    /// The first eight bytes are compared as one big-endian word, zero-padded, whose
    /// order is that of the bytes. When they tie and either text has at most eight
    /// bytes, that one is a prefix of the other (the padding stands for the other's
    /// zero bytes), so the lengths decide. Two texts of the same length up to sixteen
    /// bytes, the usual case of a key meeting its own name, are settled by their last
    /// eight bytes as one word: where these overlap the first eight, they are equal.
    #[inline]
    pub(crate) fn order(&self, key: &str) -> Ordering {
        let key = key.as_bytes();
        let name = self.name.as_bytes();
        match head(key).cmp(&self.head) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        if key.len() <= 8 || name.len() <= 8 {
            return key.len().cmp(&name.len());
        }
        if key.len() == name.len() && key.len() <= 16 {
            return tail(key).cmp(&self.tail);
        }
        rest(key).cmp(rest(name))
    }
}

/// A text's length and its first and last eight bytes as words, for testing texts for
/// equality without comparing them byte by byte: texts of up to sixteen bytes are equal
/// exactly when their words are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Words {
    len: usize,
    head: u64,
    tail: u64,
}

impl Words {
    #[inline]
    pub(crate) fn of(text: &[u8]) -> Words {
        Words {
            len: text.len(),
            head: head(text),
            tail: tail(text),
        }
    }

    /// Whether equal words alone make the texts equal (up to sixteen bytes).
    #[inline]
    pub(crate) fn decide(&self) -> bool {
        self.len <= 16
    }
}

/// What follows the first eight bytes.
#[inline]
fn rest(text: &[u8]) -> &[u8] {
    text.get(8..).unwrap_or_default()
}

/// The last eight bytes of `text` as a big-endian word; zero when it is shorter.
#[inline]
fn tail(text: &[u8]) -> u64 {
    text.last_chunk::<8>()
        .map_or(0, |last| u64::from_be_bytes(*last))
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
            "abcdefghij",
            "abcdefghik",
            "abcdefghijklmnop",
            "abcdefghijklmnoq",
            "abcdefghijklmnopq",
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
        fn short_texts_are_equal_when_their_words_are(a in "[a\\x00b]{0,16}", b in "[a\\x00b]{0,16}") {
            let (x, y) = (Words::of(a.as_bytes()), Words::of(b.as_bytes()));
            prop_assert!(x.decide() && y.decide());
            prop_assert_eq!(x == y, a == b);
        }

        #[test]
        fn orders_any_text_like_str(a in "[a\\x00b_é]{0,20}", b in "[a\\x00b_é]{0,20}") {
            prop_assert_eq!(FieldName::new(b.clone(), 0).order(&a), a.as_str().cmp(b.as_str()));
        }

        /// Texts that share their first eight bytes, so that the rest decides.
        #[test]
        fn orders_texts_with_one_head_like_str(
            head in "[ab]{8}",
            a in "[a\\x00b]{0,12}",
            b in "[a\\x00b]{0,12}",
        ) {
            let (a, b) = (format!("{head}{a}"), format!("{head}{b}"));
            prop_assert_eq!(FieldName::new(b.clone(), 0).order(&a), a.as_str().cmp(b.as_str()));
        }
    }
}
