//! HTTP connectors: the `http` source and destination, and the plumbing they share
//! (written once here): a client that signs, throttles and retries every request, the
//! pagination rules, and the one tokio runtime all HTTP work runs on while the engine
//! stays synchronous.
//!
//! `engine/connect.rs` is the only place that builds these connectors.

pub mod client;
pub mod destination;
pub mod error;
pub mod limit;
pub mod paginate;
pub mod retry;
pub mod runtime;
pub mod source;
pub mod template;
mod transport;

pub use client::{Checked, Client, ClientSettings, Response};
pub use destination::HttpDestinationWriter;
pub use error::HttpError;
pub use retry::RetryPolicy;
pub use source::HttpSourceReader;
