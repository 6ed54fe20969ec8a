//! Migrations of older state layouts, run by `State::open` in one write transaction
//! (a crash half-way leaves the file as it was, and the next open migrates again).

use redb::{ReadableTable, TableHandle, WriteTransaction};

use super::chunks::Builder;
use super::error::Fail;
use super::tables::{V1_RECORDS_PREFIX, chunks_table, chunks_table_name};

/// Schema version 1 → 2: each `records/{pipeline}` table (one entry per record) is
/// copied, in id order, into chunks in `record_chunks/{pipeline}`, then deleted. Record
/// bytes are copied as they are (a damaged one is reported when it is read, as before).
pub(crate) fn records_into_chunks(txn: &WriteTransaction) -> Result<(), Fail> {
    let names: Vec<String> = txn
        .list_tables()?
        .map(|table| table.name().to_string())
        .filter(|name| name.starts_with(V1_RECORDS_PREFIX))
        .collect();
    for name in names {
        let pipeline = &name[V1_RECORDS_PREFIX.len()..];
        {
            let old = txn.open_table(chunks_table(&name))?;
            let new_name = chunks_table_name(pipeline);
            let mut new = txn.open_table(chunks_table(&new_name))?;
            let mut builder = Builder::default();
            for entry in old.iter()? {
                let (id, record) = entry?;
                if let Some((first, chunk)) = builder.push(id.value(), record.value(), None) {
                    new.insert(first.as_str(), chunk.as_slice())?;
                }
            }
            if let Some((first, chunk)) = builder.finish() {
                new.insert(first.as_str(), chunk.as_slice())?;
            }
        }
        txn.delete_table(chunks_table(&name))?;
    }
    Ok(())
}
