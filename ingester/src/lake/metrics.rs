//! The lake stage's counters (plain atomics, declared with the names `/metrics` shows them by).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::consumer::ConsumerMetrics;
use crate::metrics::exposition::Scope;
use crate::metrics::metric_set::metric_set;

/// The lake stage's consumer metrics, apart from the stream stage's.
const CONSUMER: Scope = Scope {
    prefix: "lake_",
    renamed: &[],
};

metric_set! {
    #[derive(Debug, Default)]
    pub struct LakeMetrics {
        /// Records taken off the bus.
        pub records_in: AtomicU64 =
            counter("lake_records_in_total", "Records consumed by the lake stage."),
        /// Records that are not a valid ticker (the stream stage dead-letters them; here they are
        /// only counted) or do not fit the table's decimal columns.
        pub records_rejected: AtomicU64 = counter(
            "lake_records_rejected_total",
            "Records the lake stage skipped: not a valid ticker, or not storable."
        ),
        /// Market-minutes written (ticks + candle).
        pub minutes_written: AtomicU64 = counter(
            "lake_minutes_written_total",
            "Market-minutes written to the lake (ticks and candle)."
        ),
        /// Tick rows added to the lake.
        pub ticks_written: AtomicU64 =
            counter("lake_ticks_written_total", "Tick rows added to the lake."),
        /// Ticks already in the lake when their minute was written (re-deliveries, replays).
        pub ticks_duplicate: AtomicU64 = counter(
            "lake_ticks_duplicate_total",
            "Ticks already in the lake when their minute was written."
        ),
        /// Ticks of a minute that had already been written when they arrived; merged in by a
        /// second write of that minute.
        pub ticks_late: AtomicU64 = counter(
            "lake_ticks_late_total",
            "Ticks that arrived after their minute was written (merged in)."
        ),
        pub consumer: Arc<ConsumerMetrics> = nested(CONSUMER),
    }
}
