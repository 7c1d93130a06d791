//! The CoinKing ingester: Upbit's WebSocket in, Kafka out (and later Kafka → DynamoDB), laid out
//! as sources → transforms → sinks joined by bounded channels.
//!
//! Module map:
//! - [`sources`]: where data enters. [`sources::UpbitSource`] connects to Upbit, subscribes,
//!   keeps the connections alive and hands every raw frame on as a [`sources::SourceEvent`];
//!   [`sources::load_catalog`] fetches the market catalog (or falls back to the bundled one).
//! - [`error`]: [`SourceError`] (start-up failures) and [`CatalogFetchError`].
//!
//! Still to come: the transform (frame → normalised ticker), the Kafka sink, the stream stage.

pub mod error;
pub mod sources;

pub use error::{CatalogFetchError, SourceError};
