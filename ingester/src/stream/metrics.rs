//! The stream stage's counters and gauges (plain atomics, declared with the names `/metrics`
//! shows them by).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::consumer::ConsumerMetrics;
use crate::metrics::exposition::Scope;
use crate::metrics::metric_set::metric_set;

/// The stream stage's consumer metrics keep the names they had before the lake stage shared
/// them: unprefixed, and its flush retries named after the store they retry.
const CONSUMER: Scope = Scope {
    prefix: "",
    renamed: &[("flush_retries_total", "dynamodb_retries_total")],
};

metric_set! {
    /// Live counters of one stream stage.
    #[derive(Debug, Default)]
    pub struct StreamMetrics {
        /// Records taken off the bus.
        pub records_in: AtomicU64 =
            counter("stream_records_in_total", "Records consumed by the stream stage."),
        pub tickers_written: AtomicU64 = counter("tickers_written_total", "Latest tickers written."),
        /// Tickers the store refused as not newer than the stored one.
        pub tickers_stale: AtomicU64 = counter(
            "tickers_stale_total",
            "Tickers refused as not newer than the stored one."
        ),
        /// Tickers superseded within their window (not written).
        pub tickers_coalesced: AtomicU64 =
            counter("tickers_coalesced_total", "Tickers superseded within their window."),
        pub candles_written: AtomicU64 = counter("candles_written_total", "Candles written."),
        /// Items sent to the store (tickers + candles + catalog puts).
        pub store_writes: AtomicU64 = counter("store_writes_total", "Items sent to DynamoDB."),
        /// Stored candles read (first touch of a minute).
        pub store_reads: AtomicU64,
        pub dead_letters: AtomicU64 =
            counter("dead_letters_total", "Poison records sent to the dead-letter queue."),
        pub flushes: AtomicU64,
        /// Retries, commits, lag and partitions: what the drivers count.
        pub consumer: Arc<ConsumerMetrics> = nested(CONSUMER),
    }
}
