//! Record formats: turning bytes into records and records into bytes.

pub mod json;
