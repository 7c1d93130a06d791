//! Sinks: where keyed records leave the ingest side. One small port, [`RecordSink`], with two
//! implementations:
//! - [`kafka`]: [`KafkaBus`], records to `upbit.ticker` / `upbit.trade` through the
//!   enqueue-only [`crate::kafka::KafkaSink`] (production, and `coinking-ingester ingest`).
//! - [`bus`]: [`InProcessBus`], a bounded channel straight into the stream stage, for the local
//!   platform (`embedded::run`). Records get a strictly increasing position, standing in for the
//!   Kafka offset that the candles' replay guard needs.
//!
//! Both are bounded: a full Kafka queue or a full channel makes `publish` wait, which slows the
//! transform and then the source (TCP backpressure on the WebSocket), never grows memory.

pub mod bus;
pub mod kafka;
mod kafka_metrics;

use std::future::Future;
use std::time::Duration;

pub use bus::{BusReceiver, InProcessBus};
pub use kafka::KafkaBus;

use crate::transforms::KeyedRecord;

/// Why a record could not be handed on.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error(transparent)]
    Kafka(#[from] crate::kafka::KafkaClientError),
    /// The in-process stream stage is gone (it stopped or failed).
    #[error("the in-process bus is closed")]
    Closed,
}

/// Publishes keyed records. `publish` returns once the record is accepted (enqueued), not once
/// it is durable; `flush` waits for everything accepted so far.
pub trait RecordSink: Send + Sync {
    fn publish(&self, record: KeyedRecord) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// Waits until every accepted record is delivered, or `timeout` passes (an error naming
    /// what is still pending).
    fn flush(&self, timeout: Duration) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// Records accepted but not yet delivered (the producer queue depth metric).
    fn pending(&self) -> usize;
}
