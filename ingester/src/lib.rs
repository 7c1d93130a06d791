//! The CoinKing ingester: Upbit's WebSocket in, Kafka out, and Kafka → DynamoDB, laid out as
//! sources → transforms → sinks joined by bounded channels, plus the stream stage.
//!
//! Module map:
//! - [`sources`]: where data enters. [`sources::UpbitSource`] connects to Upbit, subscribes,
//!   keeps the connections alive and hands every raw frame on as a [`sources::SourceEvent`];
//!   [`sources::load_catalog`] fetches the market catalog (or falls back to the bundled one) and
//!   [`sources::CatalogWatcher`] refetches it periodically, publishing changes that the source
//!   (resubscribe) and the stream stage (catalog items) follow.
//! - [`transforms`]: [`transforms::Normalizer`], frames → keyed records (normalised v1 JSON).
//! - [`sinks`]: the [`sinks::RecordSink`] port: [`sinks::KafkaBus`] and [`sinks::InProcessBus`].
//! - [`kafka`]: the Kafka client code the Kafka sink and drivers share: producer and consumer
//!   settings, [`kafka::KafkaAdmin`], [`kafka::KafkaSink`] (enqueue-only producing with delivery
//!   accounting and retries), [`kafka::KafkaClientError`].
//! - [`pipeline`]: [`pipeline::run_ingest`], source → transform → sink with a drain.
//! - [`consumer`]: the [`consumer::ConsumerStage`] port and its drivers: a Kafka consumer group
//!   that commits after write ([`consumer::run_consumer`]) and the in-process bus
//!   ([`consumer::run_in_process`]).
//! - [`stream`]: the stream stage: [`stream::StreamProcessor`] (coalesce, newer-wins tickers,
//!   candles, catalog, dead letters), run by [`stream::run_kafka`] / [`stream::run_in_process`].
//! - [`lake`]: the lake stage: closed minutes of ticks and 1-minute candles to Parquet in the
//!   market-data lake (its own consumer group).
//! - [`hints`]: the hints stage: [`hints::HintsStage`] turns the stored candles and tickers
//!   into the `/get_deeplearning` hint set every minute (after the stream stage, same process).
//! - [`embedded`]: [`embedded::run`], the whole chain in process for the local platform.
//! - [`config`]: the binary's typed configuration (TOML file + `COINKING_*` env).
//! - [`metrics`]: how each stage declares its metrics (`metric_set!`) and their Prometheus text.
//! - [`ops`]: `/healthz`, `/readyz`, `/metrics` and the registry that collects the stages' metrics.
//! - [`error`]: [`IngesterError`], what stops the ingester as a whole; each stage has its own
//!   ([`SourceError`] and [`CatalogFetchError`] in [`sources`], [`consumer::ConsumerError`], …).

pub mod config;
pub mod consumer;
pub mod embedded;
pub mod error;
pub mod hints;
pub mod kafka;
pub mod lake;
pub mod metrics;
pub mod ops;
pub mod pipeline;
pub mod sinks;
pub mod sources;
pub mod stream;
pub mod transforms;

#[cfg(test)]
mod test_support;

pub use error::IngesterError;
pub use sources::{CatalogFetchError, SourceError};
