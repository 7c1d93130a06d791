//! Counters of what the function accepted, refused and fell back on. Each increment also writes
//! one structured log line with `metric = <name>` (a CloudWatch metric filter counts them on AWS);
//! [`Metrics::snapshot`] serves tests and the local platform.

use std::sync::atomic::{AtomicU64, Ordering};

/// The counters, per process.
#[derive(Debug, Default)]
pub struct Metrics {
    accepted: AtomicU64,
    invalid: AtomicU64,
    out_of_bounds: AtomicU64,
    candles_missing: AtomicU64,
    store_errors: AtomicU64,
}

/// A copy of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Submissions stored (new best, kept or duplicate).
    pub accepted: u64,
    /// Submissions refused by validation (400).
    pub invalid: u64,
    /// Submissions refused by the score bound (422).
    pub out_of_bounds: u64,
    /// Coins bounded by the static cap because no candle was found (or the read failed).
    pub candles_missing: u64,
    /// Store reads or writes that failed (503/500).
    pub store_errors: u64,
}

/// Which counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Accepted,
    Invalid,
    OutOfBounds,
    CandlesMissing,
    StoreError,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Self::Accepted => "leaderboard_score_accepted",
            Self::Invalid => "leaderboard_score_invalid",
            Self::OutOfBounds => "leaderboard_score_out_of_bounds",
            Self::CandlesMissing => "leaderboard_candles_missing",
            Self::StoreError => "leaderboard_store_error",
        }
    }
}

impl Metrics {
    pub fn add(&self, metric: Metric) {
        let counter = match metric {
            Metric::Accepted => &self.accepted,
            Metric::Invalid => &self.invalid,
            Metric::OutOfBounds => &self.out_of_bounds,
            Metric::CandlesMissing => &self.candles_missing,
            Metric::StoreError => &self.store_errors,
        };
        let total = counter.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(metric = metric.name(), total, "counted");
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            accepted: self.accepted.load(Ordering::Relaxed),
            invalid: self.invalid.load(Ordering::Relaxed),
            out_of_bounds: self.out_of_bounds.load(Ordering::Relaxed),
            candles_missing: self.candles_missing.load(Ordering::Relaxed),
            store_errors: self.store_errors.load(Ordering::Relaxed),
        }
    }
}
