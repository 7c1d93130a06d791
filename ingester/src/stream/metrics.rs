//! The stream stage's counters and gauges (plain atomics; the Prometheus export reads them).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::consumer::ConsumerMetrics;

/// Live counters of one stream stage.
#[derive(Debug, Default)]
pub struct StreamMetrics {
    /// Records taken off the bus.
    pub records_in: AtomicU64,
    /// Tickers superseded within their window (not written).
    pub tickers_coalesced: AtomicU64,
    pub tickers_written: AtomicU64,
    /// Tickers the store refused as not newer than the stored one.
    pub tickers_stale: AtomicU64,
    pub candles_written: AtomicU64,
    /// Items sent to the store (tickers + candles + catalog puts).
    pub store_writes: AtomicU64,
    /// Stored candles read (first touch of a minute).
    pub store_reads: AtomicU64,
    pub dead_letters: AtomicU64,
    pub flushes: AtomicU64,
    /// Retries, commits, lag and partitions: what the drivers count.
    pub consumer: Arc<ConsumerMetrics>,
}
