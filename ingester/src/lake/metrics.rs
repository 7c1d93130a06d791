//! The lake stage's counters (plain atomics; the Prometheus export reads them).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::consumer::ConsumerMetrics;

#[derive(Debug, Default)]
pub struct LakeMetrics {
    /// Records taken off the bus.
    pub records_in: AtomicU64,
    /// Records that are not a valid ticker (the stream stage dead-letters them; here they are
    /// only counted) or do not fit the table's decimal columns.
    pub records_rejected: AtomicU64,
    /// Market-minutes written (ticks + candle).
    pub minutes_written: AtomicU64,
    /// Tick rows added to the lake.
    pub ticks_written: AtomicU64,
    /// Ticks already in the lake when their minute was written (re-deliveries, replays).
    pub ticks_duplicate: AtomicU64,
    /// Ticks of a minute that had already been written when they arrived; merged in by a
    /// second write of that minute.
    pub ticks_late: AtomicU64,
    pub consumer: Arc<ConsumerMetrics>,
}
