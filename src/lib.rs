//! sluice: a data-sync hub. See ARCHITECTURE.md for a map of the code.
pub mod mapping;
