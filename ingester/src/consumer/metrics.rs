//! [`ConsumerMetrics`]: what every consumer stage counts (plain atomics; the Prometheus export
//! reads them, once per stage).

use std::sync::atomic::{AtomicI64, AtomicU64};

/// The driver-side counters and gauges of one consumer stage.
#[derive(Debug, Default)]
pub struct ConsumerMetrics {
    /// Failed flushes that were retried.
    pub flush_retries: AtomicU64,
    /// Offset commits that succeeded / failed.
    pub commits: AtomicU64,
    pub commit_failures: AtomicU64,
    /// Gauge: partitions currently assigned (Kafka driver); 1 for the in-process driver.
    pub assigned_partitions: AtomicI64,
    /// Gauge: sum over assigned partitions of (high watermark − committed offset).
    pub consumer_lag: AtomicI64,
}
