//! Shared test helpers: fake platforms on 127.0.0.1.

pub mod platform;
