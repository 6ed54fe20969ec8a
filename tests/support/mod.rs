//! Shared test helpers: fake platforms on 127.0.0.1, and the daemon (`sluice serve`)
//! as a real process.

pub mod daemon;
pub mod platform;
pub mod project;
