//! What runs behind a consumer: the [`ConsumerStage`] port and the drivers that feed one.
//!
//! Two stages consume the bus, each in its own consumer group: the stream stage
//! ([`crate::stream`], the hot stores) and the lake stage ([`crate::lake`], Parquet history).
//! Both take records one at a time, write on `flush`, and say which offsets are then safe to
//! commit; the drivers own everything else:
//! - [`kafka`]: [`run_consumer`], a consumer group that commits exactly what a successful flush
//!   returned, measures lag, and drains on shutdown;
//! - [`in_process`]: [`run_in_process`], the same stage fed by the in-process bus;
//! - [`retry`]: [`flush_with_retry`] and [`flush_until_interrupted`], capped jittered backoff,
//!   nothing committed meanwhile, an attempt in progress never cut off;
//! - [`metrics`]: [`ConsumerMetrics`], the counters every consumer has;
//! - [`error`]: [`ConsumerError`], what stops a driver.

pub mod error;
pub mod in_process;
pub mod kafka;
pub mod metrics;
pub mod retry;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use error::ConsumerError;
pub use in_process::{FINAL_FLUSH_TIMEOUT, run_in_process};
pub use kafka::{ConsumerConfig, LAG_INTERVAL, is_assigned, run_consumer};
pub use metrics::ConsumerMetrics;
pub use retry::{flush_until_interrupted, flush_with_retry};

/// What the stages consume; defined with the bus that carries it in process.
pub use crate::sinks::bus::Record;

/// The default flush window of a consumer stage, the stream stage's coalescing window: at most
/// one write per market (and candle) per 250 ms.
pub const DEFAULT_WINDOW: Duration = Duration::from_millis(250);

/// `(partition, next offset)` pairs: what a successful flush made safe to commit (the next
/// offset to read, as Kafka expects).
pub type Commit = Vec<(i32, i64)>;

/// A stage the drivers can run. `ingest` is pure and never fails (bad records are the stage's
/// business: dead-lettered or counted); `flush` is one attempt and must be safe to call again
/// after an error, with nothing lost.
pub trait ConsumerStage: Send {
    type Error: std::fmt::Display + Send;

    /// Short name for logs ("stream", "lake").
    const NAME: &'static str;

    fn ingest(&mut self, record: Record);

    /// Whether a flush has anything to write or commit.
    fn has_pending(&self) -> bool;

    /// Writes what is due; on success, the offsets now safe to commit.
    fn flush(&mut self) -> impl Future<Output = Result<Commit, Self::Error>> + Send;

    /// Whether a failed flush may succeed when simply tried again (it is retried anyway; this
    /// only decides how loudly it is logged).
    fn is_retryable(error: &Self::Error) -> bool;

    /// The input has ended for good and nothing will be replayed (the in-process bus closed):
    /// make everything held due, so the final flush writes it. Kafka consumers never call it:
    /// what is held there is read again from the committed offset.
    fn input_ended(&mut self) {}

    /// Called after the first successful flush that follows a rebalance: drop caches another
    /// member may have made stale.
    fn after_rebalance(&mut self) {}

    fn consumer_metrics(&self) -> &Arc<ConsumerMetrics>;
}
