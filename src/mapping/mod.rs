//! The mapping language: parse → spanned AST → compile → evaluate on JSON values.
//!
//! This module does no I/O and knows nothing of connectors: imported files reach it
//! through an [`ImportResolver`] that the caller supplies.

pub mod functions;
pub mod value;
