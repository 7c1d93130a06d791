//! The hints stage's counters, declared with the names `/metrics` shows them by
//! (`coinking_ingester_hints_*`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::metrics::metric_set::metric_set;

metric_set! {
    #[derive(Debug, Default)]
    pub struct HintsMetrics {
        /// Runs that wrote a hint set.
        pub runs: AtomicU64 = counter("hints_runs_total", "Hints runs that wrote a hint set."),
        /// Runs that failed (store read or write); the previous set stays served.
        pub failures: AtomicU64 = counter(
            "hints_failures_total",
            "Hints runs that failed; the previous set stays served."
        ),
        /// Sum of every run's duration, ms (with `runs + failures`, the mean).
        pub duration_ms_total: AtomicU64 =
            counter("hints_duration_ms_total", "Milliseconds spent in hints runs."),
        /// The last run's duration, ms.
        pub last_duration_ms: AtomicU64 =
            gauge("hints_last_duration_ms", "Duration of the last hints run, ms."),
        /// 1 while the last written set was a warm-up set (some market without a forecast).
        pub warming_up: AtomicU64 = gauge(
            "hints_warming_up",
            "1 while the last hint set lacked a forecast for some market."
        ),
        /// Markets served by a learned model (the rest by the baseline).
        pub models_served: AtomicU64 = gauge(
            "hints_models_served",
            "Markets served by a learned model; the rest get the baseline."
        ),
        /// Looks at the lake's `models/` (at start and every refresh period).
        pub model_refreshes: AtomicU64 = counter(
            "hints_model_refreshes_total",
            "Looks at the lake's models/ for newer versions."
        ),
        /// Markets whose newest model could not be read at a refresh (served by the baseline).
        pub model_load_failures: AtomicU64 = counter(
            "hints_model_load_failures_total",
            "Markets whose newest model could not be read (served by the baseline)."
        ),
    }
}

impl HintsMetrics {
    pub(crate) fn record(&self, took: Duration, outcome: Result<bool, ()>) {
        let ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        self.duration_ms_total.fetch_add(ms, Ordering::Relaxed);
        self.last_duration_ms.store(ms, Ordering::Relaxed);
        match outcome {
            Ok(warming_up) => {
                self.runs.fetch_add(1, Ordering::Relaxed);
                self.warming_up
                    .store(u64::from(warming_up), Ordering::Relaxed);
            }
            Err(()) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
