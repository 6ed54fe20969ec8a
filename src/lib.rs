//! sluice: a data-sync hub. See ARCHITECTURE.md for a map of the code.

pub mod auth;
pub mod catalog;
pub mod cli;
pub mod daemon;
pub mod diagnostic;
pub mod engine;
pub mod files;
pub mod formats;
pub mod http;
pub mod mapping;
pub mod pipeline;
pub mod report;
pub mod schedule;
pub mod script;
pub mod state;
