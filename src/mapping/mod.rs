//! The mapping language: parse → spanned AST → compile → evaluate on JSON values.
//!
//! This module does no I/O and knows nothing of connectors: imported files reach it
//! through an [`ImportResolver`] that the caller supplies.

pub mod ast;
mod canonical;
pub mod codes;
pub mod compile;
mod eval;
mod fast;
pub mod functions;
mod keys;
pub mod links;
mod ops;
pub mod parse;
pub mod program;
pub mod record;
pub mod reference;
mod rows;
pub mod value;

pub use canonical::CanonicalWriter;
pub use compile::{Compilation, Environment, ImportResolver, LinkRef, NoImports, compile};
pub use eval::no_vars;
pub use fast::FieldValue;
pub use program::{Mapping, Outcome};
pub use record::MappedRecord;
pub use rows::RowMapping;

#[cfg(test)]
pub(crate) mod tests;
