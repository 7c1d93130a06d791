//! [`IngesterError`]: what stops the ingester, or one of its stages, as a whole. It wraps each
//! stage's own error and is returned by what runs the stages (the ingest pipeline, the embedded
//! chain, the configuration, the binary); the consumer stages return their own
//! ([`ConsumerError`], [`crate::stream::FlushError`]), so no consumer stage imports this module.

use crate::consumer::ConsumerError;
use crate::sources::SourceError;

/// What stops the ingester (or one of its stages) as a whole. Transient trouble (reconnects,
/// store retries, delivery retries) is not an error: it is logged, counted and retried.
#[derive(Debug, thiserror::Error)]
pub enum IngesterError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Adapter(#[from] coinking_adapters::StoreError),
    #[error(transparent)]
    Kafka(#[from] crate::kafka::KafkaClientError),
    #[error("sink: {0}")]
    Sink(#[from] crate::sinks::SinkError),
    #[error("stream stage: {0}")]
    Flush(#[from] crate::stream::FlushError),
    #[error("lake stage: {0}")]
    Lake(#[from] coinking_forecast::ForecastError),
    #[error("simulator: {0}")]
    Simulator(#[from] coinking_upbit_sim::SimError),
    /// A consumer stage could not start, or its shutdown drain did not finish.
    #[error(transparent)]
    Consumer(#[from] ConsumerError),
    #[error("config {field}: {reason}")]
    Config { field: &'static str, reason: String },
    /// A stage's task panicked or was cancelled.
    #[error("task: {0}")]
    Task(String),
}
