//! [`ConsumerMetrics`]: what every consumer stage counts (plain atomics; `/metrics` shows them
//! once per stage, each stage naming them in its own [`Scope`](crate::metrics::exposition::Scope)).

use std::sync::atomic::{AtomicI64, AtomicU64};

use crate::metrics::metric_set::metric_set;

metric_set! {
    /// The driver-side counters and gauges of one consumer stage.
    #[derive(Debug, Default)]
    pub struct ConsumerMetrics {
        /// Failed flushes that were retried.
        pub flush_retries: AtomicU64 =
            counter("flush_retries_total", "Failed flushes retried with backoff."),
        /// Offset commits that succeeded / failed.
        pub commits: AtomicU64 = counter("commits_total", "Offset commits that succeeded."),
        pub commit_failures: AtomicU64 =
            counter("commit_failures_total", "Offset commits that failed."),
        /// Gauge: sum over assigned partitions of (high watermark − committed offset).
        pub consumer_lag: AtomicI64 =
            gauge("consumer_lag", "Sum of high watermark minus committed offset."),
        /// Gauge: partitions currently assigned (Kafka driver); 1 for the in-process driver.
        pub assigned_partitions: AtomicI64 =
            gauge("assigned_partitions", "Partitions held by the consumer."),
    }
}
