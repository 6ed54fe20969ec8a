//! Record states in chunks: a pipeline's records table holds a few dozen record states
//! per value, sorted by source id, instead of one entry per record.
//!
//! A redb insert costs about the same whatever the size of what it inserts (the tree
//! walk, a fresh page zeroed and written, the leaf rewrite), so one entry per record
//! made the fold of a 100,000-record first run cost ~85 ms of redb work alone, serially
//! at the end of the run. In chunks of ~[`TARGET`] bytes the same fold is ~240 inserts
//! (chunks of 3 KiB made it ~1,100, of 12 KiB ~300; ~7 µs each on the benchmark
//! machine). A lookup reads one chunk's offsets and searches them, whatever its size.
//!
//! The table is keyed by each chunk's *lower bound*: every id in a chunk is `>=` its key
//! and `<` the next chunk's key. The record of `id` is therefore in the last chunk whose
//! key is `<= id` (or nowhere). A chunk's key is its first id when it was made by a
//! split, and stays as it was when ids below its first one are added or its first one is
//! removed, so keys never move. A chunk left empty is removed; its ids' range falls to
//! the chunk before it, which is again the last one with a key `<=` them.
//!
//! A chunk value: the entry count (`u32` LE), the end offset of each entry in the body
//! (`u32` LE each, so an id is found by binary search), then the body: per entry, the
//! id's length (LEB128), the id, and the record in the compact layout of
//! [`super::tables::encode_record`].

use super::error::Fail;

/// Chunks are cut at about this many bytes when they are built or split: a chunk and
/// its leaf fill one 16 KiB page of the state file (redb gives a value of 12 KiB the
/// same page: a quarter of it went unused).
pub(crate) const TARGET: usize = 16 * 1024 - 256;
/// A chunk grown past this many bytes (by inserts) is split into chunks of [`TARGET`].
pub(crate) const MAX: usize = 2 * TARGET;

/// A chunk value, read in place.
#[derive(Clone, Copy)]
pub(crate) struct Chunk<'a> {
    /// The end offsets, 4 bytes each.
    ends: &'a [u8],
    body: &'a [u8],
}

impl<'a> Chunk<'a> {
    /// Reads a chunk's header; the entries are checked as they are read.
    pub fn parse(bytes: &'a [u8]) -> Result<Chunk<'a>, &'static str> {
        let (count, rest) = bytes.split_first_chunk::<4>().ok_or("chunk too short")?;
        let count = u32::from_le_bytes(*count) as usize;
        let header = count.checked_mul(4).ok_or("chunk count too large")?;
        if rest.len() < header {
            return Err("chunk shorter than its entry count");
        }
        let (ends, body) = rest.split_at(header);
        Ok(Chunk { ends, body })
    }

    /// How many records the chunk holds.
    pub fn len(&self) -> usize {
        self.ends.len() / 4
    }

    fn end(&self, i: usize) -> usize {
        match self.ends.get(i * 4..i * 4 + 4) {
            Some(end) => u32::from_le_bytes([end[0], end[1], end[2], end[3]]) as usize,
            None => 0,
        }
    }

    /// Entry `i`: the source id and its record bytes.
    pub fn entry(&self, i: usize) -> Result<(&'a str, &'a [u8]), &'static str> {
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        let bytes = self
            .body
            .get(start..self.end(i))
            .ok_or("entry outside the chunk")?;
        let (len, rest) = varint(bytes)?;
        let len = usize::try_from(len).map_err(|_| "id length too large")?;
        if len > rest.len() {
            return Err("id outside its entry");
        }
        let (id, record) = rest.split_at(len);
        let id = std::str::from_utf8(id).map_err(|_| "id is not UTF-8")?;
        Ok((id, record))
    }

    /// The record bytes of `id`, when the chunk holds it (binary search: the entries are
    /// in id order).
    pub fn find(&self, id: &str) -> Result<Option<&'a [u8]>, &'static str> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            let (found, record) = self.entry(middle)?;
            match found.cmp(id) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Ok(Some(record)),
            }
        }
        Ok(None)
    }

    /// The entries in id order.
    pub fn entries(self) -> impl Iterator<Item = Result<(&'a str, &'a [u8]), &'static str>> {
        (0..self.len()).map(move |i| self.entry(i))
    }
}

/// Builds chunk values from entries given in id order, cutting a new chunk when the
/// next entry would take it past its limit.
pub(crate) struct Builder {
    /// The most bytes a chunk of more than one entry may take.
    limit: usize,
    ends: Vec<u32>,
    body: Vec<u8>,
    /// The first id of the chunk being built.
    first: String,
}

impl Default for Builder {
    /// Cuts chunks at [`TARGET`].
    fn default() -> Self {
        Builder::new(TARGET)
    }
}

impl Builder {
    /// Cuts chunks at `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Builder {
            limit,
            ends: Vec::new(),
            body: Vec::new(),
            first: String::new(),
        }
    }

    /// Adds an entry; when it does not fit in the chunk being built, that chunk is handed
    /// back (with its first id) and the entry starts the next one. `seen`: a
    /// `last_seen_run` to write over the record's own.
    pub fn push(
        &mut self,
        id: &str,
        record: &[u8],
        seen: Option<u64>,
    ) -> Option<(String, Vec<u8>)> {
        let size = entry_size(id, record);
        let full = (!self.ends.is_empty() && self.size().saturating_add(size) > self.limit)
            .then(|| self.take());
        if self.ends.is_empty() {
            self.first.clear();
            self.first.push_str(id);
        }
        put_varint(&mut self.body, id.len() as u64);
        self.body.extend_from_slice(id.as_bytes());
        let at = self.body.len();
        self.body.extend_from_slice(record);
        if let Some(seen) = seen
            && let Some(place) = self
                .body
                .get_mut(at + super::tables::SEEN.start..at + super::tables::SEEN.end)
        {
            place.copy_from_slice(&seen.to_le_bytes());
        }
        // Entries of 4 GiB and more cannot be (ids and records are small).
        self.ends
            .push(u32::try_from(self.body.len()).unwrap_or(u32::MAX));
        full
    }

    /// The chunk being built, if it holds anything, with its first id.
    pub fn finish(mut self) -> Option<(String, Vec<u8>)> {
        (!self.ends.is_empty()).then(|| self.take())
    }

    fn size(&self) -> usize {
        4 + self.ends.len() * 4 + self.body.len()
    }

    fn take(&mut self) -> (String, Vec<u8>) {
        let mut out = Vec::with_capacity(self.size());
        out.extend_from_slice(&(self.ends.len() as u32).to_le_bytes());
        for end in &self.ends {
            out.extend_from_slice(&end.to_le_bytes());
        }
        out.extend_from_slice(&self.body);
        self.ends.clear();
        self.body.clear();
        (std::mem::take(&mut self.first), out)
    }
}

/// About how many bytes an entry takes in a chunk: its end offset, the id's length
/// (two bytes for ids under 16 KB), the id and the record.
pub(crate) fn entry_size(id: &str, record: &[u8]) -> usize {
    4 + 2 + id.len() + record.len()
}

/// The error for a damaged chunk of a pipeline's records table, keyed `key`.
pub(crate) fn damaged_chunk(pipeline: &str, key: &str, why: &str) -> Fail {
    Fail::Damaged(format!(
        "records of pipeline `{pipeline}` from `{key}`: {why}"
    ))
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn varint(bytes: &[u8]) -> Result<(u64, &[u8]), &'static str> {
    let mut n = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        n |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Ok((n, &bytes[i + 1..]));
        }
    }
    Err("bad id length")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::state::tables::{FIXED, SEEN};

    fn build(entries: &[(String, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
        let mut builder = Builder::default();
        let mut chunks = Vec::new();
        for (id, record) in entries {
            chunks.extend(builder.push(id, record, None));
        }
        chunks.extend(builder.finish());
        chunks
    }

    proptest! {
        #[test]
        fn chunks_hold_their_entries_in_order_and_find_each(
            ids in proptest::collection::btree_set("[a-z0-9é]{0,12}", 0..300),
            dest in "[a-z]{0,40}",
        ) {
            let entries: Vec<(String, Vec<u8>)> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    let mut record = vec![i as u8; FIXED];
                    record.extend_from_slice(dest.as_bytes());
                    (id.clone(), record)
                })
                .collect();
            let chunks = build(&entries);
            let mut back = Vec::new();
            for (first, bytes) in &chunks {
                let chunk = Chunk::parse(bytes).expect("parses");
                prop_assert!(chunk.len() == 1 || bytes.len() <= TARGET);
                prop_assert_eq!(chunk.entry(0).expect("entry").0, first.as_str());
                for entry in chunk.entries() {
                    let (id, record) = entry.expect("entry");
                    prop_assert_eq!(chunk.find(id).expect("finds"), Some(record));
                    back.push((id.to_string(), record.to_vec()));
                }
                prop_assert_eq!(chunk.find("zzzzzzzzzzzzzzz").expect("looks"), None);
            }
            prop_assert_eq!(back, entries);
        }

        #[test]
        fn damaged_chunks_are_errors_not_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), id in "[a-z]{0,4}") {
            if let Ok(chunk) = Chunk::parse(&bytes) {
                let _ = chunk.find(&id);
                for entry in chunk.entries() {
                    let _ = entry;
                }
            }
        }
    }

    #[test]
    fn a_seen_run_is_written_over_the_records_own() {
        let mut builder = Builder::default();
        assert!(builder.push("a", &[0u8; FIXED], Some(7)).is_none());
        let (first, bytes) = builder.finish().expect("a chunk");
        assert_eq!(first, "a");
        let record = Chunk::parse(&bytes)
            .expect("parses")
            .find("a")
            .expect("reads")
            .expect("found");
        assert_eq!(record[SEEN], 7u64.to_le_bytes());
    }

    #[test]
    fn truncated_chunks_are_errors() {
        let (_, bytes) = build(&[("abc".to_string(), vec![1u8; FIXED])])
            .pop()
            .expect("a chunk");
        for cut in 0..bytes.len() {
            let whole = Chunk::parse(&bytes[..cut]).and_then(|c| c.entry(0));
            assert!(whole.is_err(), "{cut}");
        }
    }
}
