//! The journal: how commits reach the per-pipeline records tables cheaply.
//!
//! A run commits its record changes (upserts, seen marks, deletes) in batches of a few
//! thousand scattered source ids. Written straight into a records table, one batch
//! touches thousands of B-tree leaves, and redb copies every leaf a transaction changes:
//! 1M seen marks in 200 commits took ~19 s. So a commit appends its record changes as
//! one journal entry (one insert), and the entries are later *folded* into the records
//! table in a single transaction, id by id in key order, so each chunk of the table
//! (`chunks.rs`) is merged with its changes and rewritten once.
//!
//! Records are only ever read after folding: `State::reader`, `unseen`, `record_count`
//! and `finish_run` fold first, and a commit folds once its pipeline's journal holds
//! [`FOLD_AT`] changes. Folding applies each id's changes in commit order, so the result
//! is exactly what applying every commit directly would have given. Entries are durable
//! like any commit: a crash loses nothing, the next fold applies them.
//!
//! A staged destination's run needs no entries: nothing of it lasts a crash before its
//! destination finished, so it holds its batches back in the journal's layout
//! (`state::Staged`) and hands them to [`fold_with`] together (`State::commit_staged`),
//! which folds them after the journal's entries as if they had been appended.

use std::cmp::Ordering;
use std::ops::Bound;

use redb::{ReadableTable, WriteTransaction};

use super::chunks::{self, Builder, Chunk, damaged_chunk};
use super::error::Fail;
use super::model::Commit;
use super::tables::{
    FIXED, JOURNAL, JOURNAL_OPS, chunks_table, chunks_table_name, encode_record, seen_of,
};

/// A commit folds its pipeline's journal once it holds this many changes, which bounds
/// the journal's size and the memory a fold needs.
pub(crate) const FOLD_AT: u64 = 250_000;

/// Appends a commit's record changes to the pipeline's journal (nothing when it has
/// none), folding when the journal has grown to [`FOLD_AT`] changes.
pub(crate) fn append(txn: &WriteTransaction, pipeline: &str, batch: &Commit) -> Result<(), Fail> {
    let changes = (batch.records.len() + batch.seen.len() + batch.deleted.len()) as u64;
    if changes == 0 {
        return Ok(());
    }
    let entry = encode_entry(batch);
    let pending = {
        let mut journal = txn.open_table(JOURNAL)?;
        let next = match journal
            .range((pipeline, 0)..=(pipeline, u64::MAX))?
            .next_back()
        {
            Some(last) => last?.0.value().1 + 1,
            None => 0,
        };
        journal.insert((pipeline, next), entry.bytes())?;
        let mut ops = txn.open_table(JOURNAL_OPS)?;
        let pending = ops.get(pipeline)?.map_or(0, |v| v.value()) + changes;
        ops.insert(pipeline, pending)?;
        pending
    };
    if pending >= FOLD_AT {
        fold(txn, pipeline)?;
    }
    Ok(())
}

/// The pipelines whose journal holds changes not yet folded.
pub(crate) fn pending(ops: &impl ReadableTable<&'static str, u64>) -> Result<Vec<String>, Fail> {
    let mut out = Vec::new();
    for entry in ops.iter()? {
        out.push(entry?.0.value().to_string());
    }
    Ok(out)
}

/// Folds every pipeline's journal into its records table.
pub(crate) fn fold_all(txn: &WriteTransaction) -> Result<(), Fail> {
    let names = pending(&txn.open_table(JOURNAL_OPS)?)?;
    for pipeline in names {
        fold(txn, &pipeline)?;
    }
    Ok(())
}

/// One change to one record, borrowed from a journal entry.
#[derive(Clone, Copy, Debug)]
enum Change<'a> {
    /// Store this encoded record.
    Upsert(&'a [u8]),
    /// Store this encoded record with `last_seen_run` set to the number.
    UpsertSeen(&'a [u8], u64),
    /// Set the stored record's `last_seen_run`, if there is one.
    Seen(u64),
    /// Remove the record.
    Delete,
}

impl<'a> Change<'a> {
    /// The one change equal to `self` followed by `next`.
    fn then(self, next: Change<'a>) -> Change<'a> {
        match (self, next) {
            (Change::Upsert(bytes) | Change::UpsertSeen(bytes, _), Change::Seen(run)) => {
                Change::UpsertSeen(bytes, run)
            }
            (Change::Delete, Change::Seen(_)) => Change::Delete,
            (_, next) => next,
        }
    }
}

/// Folds a pipeline's journal into its records table and empties the journal.
pub(crate) fn fold(txn: &WriteTransaction, pipeline: &str) -> Result<(), Fail> {
    fold_with(txn, pipeline, &[], 0)
}

/// Folds a pipeline's journal and then `staged` (entries made by [`encode_entry`] from
/// batches held back), in order, into its records table: what appending each batch to
/// the journal and folding would give, without writing them to the journal first.
pub(crate) fn fold_with(
    txn: &WriteTransaction,
    pipeline: &str,
    staged: &[Entry],
    staged_changes: usize,
) -> Result<(), Fail> {
    let count = txn
        .open_table(JOURNAL_OPS)?
        .remove(pipeline)?
        .map_or(0, |c| c.value());
    let mut entries = Vec::new();
    if count > 0 {
        let mut journal = txn.open_table(JOURNAL)?;
        for entry in journal.extract_from_if((pipeline, 0)..=(pipeline, u64::MAX), |_, _| true)? {
            let (key, value) = entry?;
            entries.push((key.value().1, value.value().to_vec()));
        }
    }
    if entries.is_empty() && staged.is_empty() {
        return Ok(());
    }

    let mut batches = Batches::default();
    let mut items: Vec<Item> = Vec::with_capacity(
        usize::try_from(count)
            .unwrap_or(0)
            .min(FOLD_AT as usize * 2)
            + staged_changes,
    );
    for (number, bytes) in &entries {
        batches.decode(bytes, &mut items).map_err(|why| {
            Fail::Damaged(format!(
                "journal entry {number} of pipeline `{pipeline}`: {why}"
            ))
        })?;
    }
    for entry in staged {
        batches
            .decode_made(entry, &mut items)
            .map_err(|why| Fail::Damaged(format!("a batch of pipeline `{pipeline}`: {why}")))?;
    }
    batches.sort(&mut items);

    let name = chunks_table_name(pipeline);
    let mut table = txn.open_table(chunks_table(&name))?;
    let mut rest = items.as_slice();
    while let Some(&item) = rest.first() {
        let first = batches.id(item);
        // The chunk that holds `first` (the last one keyed at or below it), and the key
        // of the chunk after it, which bounds the changes that fall into this one.
        let (key, old) = match table.range::<&str>(..=first)?.next_back() {
            Some(entry) => {
                let (key, value) = entry?;
                (Some(key.value().to_string()), value.value().to_vec())
            }
            None => (None, Vec::new()),
        };
        let upper = match &key {
            Some(key) => table
                .range::<&str>((Bound::Excluded(key.as_str()), Bound::Unbounded))?
                .next(),
            None => table.iter()?.next(),
        };
        let upper = upper.transpose()?.map(|(key, _)| key.value().to_string());
        let take = upper.as_deref().map_or(rest.len(), |upper| {
            rest.partition_point(|item| batches.id(*item) < upper)
        });
        let (mine, later) = rest.split_at(take);
        rest = later;

        let damaged = |why| damaged_chunk(pipeline, key.as_deref().unwrap_or_default(), why);
        let old = match key {
            Some(_) => Some(Chunk::parse(&old).map_err(damaged)?),
            None => None,
        };
        let broken = |why| match why {
            Broken::Chunk(why) => damaged(why),
            Broken::Record(id) => Fail::Damaged(format!(
                "record `{id}` of pipeline `{pipeline}`: value too short"
            )),
            Broken::Stored(fail) => fail,
        };
        // The merge runs twice rather than holding its result (a first run's one merge
        // is its hundred thousand records): first to size it (one chunk, or pieces of
        // `TARGET` when it is too big for one), stopping as soon as the result is known
        // to change and to need more than one chunk; then to build it.
        let mut size = 0usize;
        let changed = merge(old, batches.combined(mine), |id, record, _| {
            size = size.saturating_add(chunks::entry_size(id, record));
            Ok(size <= chunks::MAX)
        })
        .map_err(broken)?;
        if !changed {
            continue;
        }
        let mut builder = Builder::new(if size > chunks::MAX {
            chunks::TARGET
        } else {
            usize::MAX
        });
        // Each piece is stored as soon as it is cut (a first run's one merge makes
        // hundreds); the first keeps the chunk's key, so keys never move.
        let mut stored_any = false;
        let mut store = |(id, bytes): (String, Vec<u8>)| -> Result<(), Fail> {
            let at = match &key {
                Some(key) if !stored_any => key.as_str(),
                _ => id.as_str(),
            };
            stored_any = true;
            table.insert(at, bytes.as_slice())?;
            Ok(())
        };
        merge(
            old,
            batches.combined(mine),
            |id, record, seen| match builder.push(id, record, seen) {
                Some(piece) => store(piece).map(|()| true),
                None => Ok(true),
            },
        )
        .map_err(broken)?;
        if let Some(piece) = builder.finish() {
            store(piece)?;
        }
        if !stored_any && let Some(key) = &key {
            table.remove(key.as_str())?;
        }
    }
    Ok(())
}

/// Why a chunk could not be merged.
enum Broken<'a> {
    /// The chunk itself is damaged.
    Chunk(&'static str),
    /// A record in it is too short to carry a `last_seen_run`.
    Record(&'a str),
    /// What the merged entries were handed to failed.
    Stored(Fail),
}

/// One change of a fold, in 16 bytes: where it lies in its batch. A first run's fold
/// sorts a hundred thousand of them; sorting the decoded changes themselves (48 bytes
/// each, and as much again of fresh memory for the sort's scratch) took ~5 ms of the
/// run's end.
#[derive(Clone, Copy)]
struct Item {
    /// The id's first eight bytes as one number: the order of most ids.
    head: u64,
    /// The change's kind (the top two bits) and its batch in [`Batches`].
    batch: u32,
    /// Where its id starts in the batch.
    at: u32,
}

const UPSERT: u32 = 0;
const SEEN: u32 = 1 << 30;
const DELETE: u32 = 2 << 30;
const KIND: u32 = 3 << 30;

/// The batches (journal entries made by [`encode_entry`]) a fold reads, in commit
/// order, and the `seen_run` of each.
#[derive(Default)]
struct Batches<'a> {
    bytes: Vec<&'a [u8]>,
    runs: Vec<u64>,
}

impl<'a> Batches<'a> {
    /// Checks a batch and appends an item for each of its changes to `items`, in the
    /// order they were made.
    fn decode(&mut self, bytes: &'a [u8], items: &mut Vec<Item>) -> Result<(), &'static str> {
        self.decode_ids(bytes, items, true)
    }

    /// [`decode`](Self::decode) of an entry made in this process, whose ids are UTF-8 by
    /// construction: they are not checked again (~1 ms of a 100,000-record fold).
    fn decode_made(&mut self, entry: &'a Entry, items: &mut Vec<Item>) -> Result<(), &'static str> {
        self.decode_ids(&entry.0, items, false)
    }

    /// Decodes a batch; `check`: whether to check that its ids are UTF-8.
    fn decode_ids(
        &mut self,
        bytes: &'a [u8],
        items: &mut Vec<Item>,
        check: bool,
    ) -> Result<(), &'static str> {
        let batch = u32::try_from(self.bytes.len())
            .ok()
            .filter(|b| b & KIND == 0)
            .ok_or("too many batches")?;
        if u32::try_from(bytes.len()).is_err() {
            return Err("batch too large");
        }
        let mut input = Input { bytes };
        let mut item = |kind: u32, input: &mut Input<'a>| -> Result<(), &'static str> {
            // Fits: the batch's length does.
            let at = (bytes.len() - input.bytes.len()) as u32;
            let id = input.bytes()?;
            if check && std::str::from_utf8(id).is_err() {
                return Err("id is not UTF-8");
            }
            items.push(Item {
                head: head(id),
                batch: batch | kind,
                at,
            });
            Ok(())
        };
        for _ in 0..input.varint()? {
            item(UPSERT, &mut input)?;
            if input.bytes()?.len() < FIXED {
                return Err("record too short");
            }
        }
        let run = input.varint()?;
        for _ in 0..input.varint()? {
            item(SEEN, &mut input)?;
        }
        for _ in 0..input.varint()? {
            item(DELETE, &mut input)?;
        }
        if !input.bytes.is_empty() {
            return Err("trailing bytes");
        }
        self.bytes.push(bytes);
        self.runs.push(run);
        Ok(())
    }

    /// The item's batch (its index), read from the item's id on. The batch was checked
    /// when decoded, so what is read from it there cannot fail.
    fn at(&self, item: Item) -> (usize, Input<'a>) {
        let batch = (item.batch & !KIND) as usize;
        let bytes = self.bytes.get(batch).copied().unwrap_or_default();
        let input = Input {
            bytes: bytes.get(item.at as usize..).unwrap_or_default(),
        };
        (batch, input)
    }

    /// An item's id (what sorting and bounding ranges compare).
    fn id(&self, item: Item) -> &'a str {
        checked_id(&mut self.at(item).1)
    }

    /// An item's id and change.
    fn change(&self, item: Item) -> (&'a str, Change<'a>) {
        let (batch, mut input) = self.at(item);
        let id = checked_id(&mut input);
        let change = match item.batch & KIND {
            UPSERT => Change::Upsert(input.bytes().unwrap_or_default()),
            SEEN => Change::Seen(self.runs.get(batch).copied().unwrap_or_default()),
            _ => Change::Delete,
        };
        (id, change)
    }

    /// Sorts items by id (`str`'s order, byte by byte), each id's in the order they
    /// were made: by the first eight bytes, then in full among those that share them.
    fn sort(&self, items: &mut [Item]) {
        // Stable: each id's changes stay in commit order, to combine into one.
        items.sort_by_key(|item| item.head);
        for same_head in items.chunk_by_mut(|a, b| a.head == b.head) {
            if same_head.len() > 1 {
                same_head.sort_by(|a, b| self.id(*a).cmp(self.id(*b)));
            }
        }
    }

    /// The sorted items' changes, each id's combined into one, in id order.
    fn combined<'s>(
        &'s self,
        items: &'s [Item],
    ) -> impl Iterator<Item = (&'a str, Change<'a>)> + 's {
        items
            .chunk_by(|a, b| a.head == b.head && self.id(*a) == self.id(*b))
            .filter_map(|same_id| {
                same_id
                    .iter()
                    .map(|item| self.change(*item))
                    .reduce(|(id, kept), (_, next)| (id, kept.then(next)))
            })
    }
}

/// The id an item's input starts with, read without checking its UTF-8 again: the fold
/// reads each id many times (sorting, bounding ranges, two merge passes), and checking
/// it each time was 3 % of a first run's instructions.
fn checked_id<'a>(input: &mut Input<'a>) -> &'a str {
    let bytes = input.bytes().unwrap_or_default();
    // SAFETY: an item's input is made only by `Batches::at`, from an item that only
    // `Batches::decode_ids` makes, at the offset where it read these same bytes as the
    // id: it checked that they are UTF-8 (else no item was made), or they come from an
    // `Entry`, which only `encode_entry` makes, from ids that were `&str`s. The
    // fallback, no bytes, is UTF-8 too.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// An id's first eight bytes as one number (padded with zeros), which orders ids as
/// `str` does whenever two ids differ in those bytes.
fn head(id: &[u8]) -> u64 {
    let mut head = [0u8; 8];
    for (to, from) in head.iter_mut().zip(id) {
        *to = *from;
    }
    u64::from_be_bytes(head)
}

/// Merges a chunk's entries (none for a range no chunk holds yet) with the combined
/// changes to ids in its range, both in id order, handing each resulting entry to
/// `emit` in id order: (id, record bytes, a `last_seen_run` to write over the
/// record's). Whether anything changed. `emit` says whether to go on: when it says no
/// and something has changed already, the merge stops there.
fn merge<'a>(
    old: Option<Chunk<'a>>,
    changes: impl Iterator<Item = (&'a str, Change<'a>)>,
    mut emit: impl FnMut(&'a str, &'a [u8], Option<u64>) -> Result<bool, Fail>,
) -> Result<bool, Broken<'a>> {
    let mut out = |id, record, seen| emit(id, record, seen).map_err(Broken::Stored);
    let mut olds = old.into_iter().flat_map(Chunk::entries).peekable();
    let mut changes = changes.peekable();
    let mut changed = false;
    loop {
        let old_id = match olds.peek() {
            Some(Ok((id, _))) => Some(*id),
            Some(Err(why)) => return Err(Broken::Chunk(why)),
            None => None,
        };
        let order = match (old_id, changes.peek()) {
            (None, None) => return Ok(changed),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(old), Some((id, _))) => old.cmp(id),
        };
        // The stored record of the id in turn, when the chunk has it.
        let stored = match order {
            Ordering::Greater => None,
            _ => olds.next().and_then(Result::ok),
        };
        let (id, change) = match (order, stored, changes.peek()) {
            (Ordering::Less, Some((id, record)), _) => {
                if !out(id, record, None)? && changed {
                    return Ok(true);
                }
                continue;
            }
            (_, _, Some(&next)) => {
                changes.next();
                next
            }
            (_, _, None) => return Ok(changed),
        };
        let go_on = match change {
            Change::Upsert(bytes) => {
                changed = true;
                out(id, bytes, None)?
            }
            Change::UpsertSeen(bytes, run) => {
                changed = true;
                out(id, bytes, Some(run))?
            }
            // An id the store does not know is passed over.
            Change::Seen(run) => match stored {
                Some((_, record)) => {
                    if seen_of(record).ok_or(Broken::Record(id))? == run {
                        out(id, record, None)?
                    } else {
                        changed = true;
                        out(id, record, Some(run))?
                    }
                }
                None => true,
            },
            Change::Delete => {
                changed |= stored.is_some();
                true
            }
        };
        if !go_on && changed {
            return Ok(true);
        }
    }
}

/// A journal entry made by [`encode_entry`] in this process. Its ids were `&str`s, so
/// they are UTF-8 and a fold need not check them again; nothing else makes one.
#[derive(Debug)]
pub(crate) struct Entry(Vec<u8>);

impl Entry {
    /// The entry's bytes, as the journal stores them.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A commit's record changes as one journal entry: the records (id, encoded record),
/// then `seen_run` and the seen ids, then the deleted ids; counts and lengths as LEB128.
pub(crate) fn encode_entry(batch: &Commit) -> Entry {
    let ids: usize = batch
        .records
        .iter()
        .map(|(id, _)| id.len() + FIXED + 16)
        .sum::<usize>()
        + batch.seen.iter().map(|id| id.len() + 2).sum::<usize>()
        + batch.deleted.iter().map(|id| id.len() + 2).sum::<usize>();
    let mut out = Vec::with_capacity(ids + 32);
    let mut record = Vec::with_capacity(64);
    put_len(&mut out, batch.records.len());
    for (id, state) in &batch.records {
        put_bytes(&mut out, id.as_bytes());
        encode_record(state, &mut record);
        put_bytes(&mut out, &record);
    }
    put_varint(&mut out, batch.seen_run);
    put_len(&mut out, batch.seen.len());
    for id in &batch.seen {
        put_bytes(&mut out, id.as_bytes());
    }
    put_len(&mut out, batch.deleted.len());
    for id in &batch.deleted {
        put_bytes(&mut out, id.as_bytes());
    }
    Entry(out)
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    put_varint(out, n as u64);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// Reads a journal entry front to back.
struct Input<'a> {
    bytes: &'a [u8],
}

impl<'a> Input<'a> {
    fn varint(&mut self) -> Result<u64, &'static str> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.bytes.split_first().ok_or("truncated")?;
            self.bytes = rest;
            n |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(n);
            }
        }
        Err("number too long")
    }

    fn bytes(&mut self) -> Result<&'a [u8], &'static str> {
        let len = usize::try_from(self.varint()?).map_err(|_| "length too large")?;
        if len > self.bytes.len() {
            return Err("truncated");
        }
        let (taken, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(taken)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::state::RecordState;

    proptest! {
        #[test]
        fn items_sort_by_id_each_ids_in_commit_order(
            ids in proptest::collection::vec("[a-z0-9\\x00é]{0,10}", 0..30),
        ) {
            // Ids that share their first bytes, and ids padded with NULs (not the same ids).
            let mut ids = ids;
            let longer: Vec<String> =
                ids.iter().zip(ids.iter().rev()).map(|(a, b)| format!("{a}{b}")).collect();
            ids.extend(longer);
            // Each id twice, in two batches: a seen mark, then a delete.
            let seen = Commit { seen: ids.clone(), seen_run: 7, ..Commit::default() };
            let deleted = Commit { deleted: ids.clone(), ..Commit::default() };
            let (first, second) = (encode_entry(&seen), encode_entry(&deleted));
            let mut batches = Batches::default();
            let mut items = Vec::new();
            batches.decode(first.bytes(), &mut items).expect("decodes");
            batches.decode_made(&second, &mut items).expect("decodes");
            batches.sort(&mut items);
            let sorted: Vec<(String, bool)> = items
                .iter()
                .map(|item| {
                    let (id, change) = batches.change(*item);
                    (id.to_string(), matches!(change, Change::Delete))
                })
                .collect();
            let mut expected: Vec<(String, bool)> = ids
                .iter()
                .map(|id| (id.clone(), false))
                .chain(ids.iter().map(|id| (id.clone(), true)))
                .collect();
            // A stable sort by `str`: each id's seen mark before its delete.
            expected.sort_by(|a, b| a.0.cmp(&b.0));
            prop_assert_eq!(sorted, expected);
            // Combined, each id once, deleted.
            let combined: Vec<(&str, bool)> = batches
                .combined(&items)
                .map(|(id, change)| (id, matches!(change, Change::Delete)))
                .collect();
            let mut once: Vec<&str> = ids.iter().map(String::as_str).collect();
            once.sort_unstable();
            once.dedup();
            prop_assert_eq!(combined, once.into_iter().map(|id| (id, true)).collect::<Vec<_>>());
        }
    }

    fn record(fp: u8) -> RecordState {
        RecordState {
            dest_id: Some(format!("d{fp}")),
            fingerprint: [fp; 16],
            last_seen_run: 3,
        }
    }

    #[test]
    fn entries_round_trip_in_commit_order() {
        let batch = Commit {
            records: vec![("b".into(), record(1)), ("é".into(), record(2))],
            seen: vec!["x".repeat(300)],
            seen_run: 1 << 40,
            deleted: vec!["b".into()],
            ..Commit::default()
        };
        let entry = encode_entry(&batch);
        let bytes = entry.bytes();
        let mut batches = Batches::default();
        let mut items = Vec::new();
        batches.decode(bytes, &mut items).expect("decodes");
        let mut made = Batches::default();
        let mut made_items = Vec::new();
        made.decode_made(&entry, &mut made_items).expect("decodes");
        let change = |b: &Batches<'_>, item: Item| format!("{:?}", b.change(item));
        assert_eq!(
            items
                .iter()
                .map(|i| change(&batches, *i))
                .collect::<Vec<_>>(),
            made_items
                .iter()
                .map(|i| change(&made, *i))
                .collect::<Vec<_>>()
        );
        let changes: Vec<(&str, Change<'_>)> =
            items.iter().map(|item| batches.change(*item)).collect();
        let ids: Vec<&str> = changes.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, ["b", "é", "x".repeat(300).as_str(), "b"]);
        assert!(matches!(changes[0].1, Change::Upsert(r) if r.len() == FIXED + 2));
        assert!(matches!(changes[2].1, Change::Seen(run) if run == 1 << 40));
        assert!(matches!(changes[3].1, Change::Delete));
        // Read from the journal, an id that is not UTF-8 is refused.
        let mut foreign = bytes.to_vec();
        if let Some(b) = foreign.iter_mut().find(|byte| **byte == b'b') {
            *b = 0xff;
        }
        assert_eq!(
            Batches::default().decode(&foreign, &mut Vec::new()).err(),
            Some("id is not UTF-8")
        );
        for cut in 0..bytes.len() {
            assert!(
                Batches::default()
                    .decode(&bytes[..cut], &mut Vec::new())
                    .is_err(),
                "{cut}"
            );
        }
    }

    #[test]
    fn changes_combine_like_applying_them_in_turn() {
        let a = [1u8; FIXED];
        let b = [2u8; FIXED];
        let kind = |c: Change<'_>| match c {
            Change::Upsert(bytes) => format!("upsert {}", bytes[0]),
            Change::UpsertSeen(bytes, run) => format!("upsert {} seen {run}", bytes[0]),
            Change::Seen(run) => format!("seen {run}"),
            Change::Delete => "delete".into(),
        };
        assert_eq!(
            kind(Change::Upsert(&a).then(Change::Seen(4))),
            "upsert 1 seen 4"
        );
        assert_eq!(
            kind(Change::UpsertSeen(&a, 4).then(Change::Seen(5))),
            "upsert 1 seen 5"
        );
        assert_eq!(kind(Change::Seen(4).then(Change::Seen(5))), "seen 5");
        assert_eq!(kind(Change::Delete.then(Change::Seen(5))), "delete");
        assert_eq!(kind(Change::Seen(4).then(Change::Delete)), "delete");
        assert_eq!(kind(Change::Delete.then(Change::Upsert(&b))), "upsert 2");
        assert_eq!(
            kind(Change::UpsertSeen(&a, 1).then(Change::Upsert(&b))),
            "upsert 2"
        );
    }
}
