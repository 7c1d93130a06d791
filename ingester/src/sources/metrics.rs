//! The source's counters: plain atomics, declared with the names `/metrics` shows them by, read
//! with [`SourceMetrics::snapshot`]. What each counts is documented on
//! [`SourceMetricsSnapshot`].

use std::sync::atomic::{AtomicU64, Ordering};

use crate::metrics::metric_set::metric_set;

metric_set! {
    /// Live counters, shared by every connection of a source.
    #[derive(Debug, Default)]
    pub struct SourceMetrics {
        counter("source_frames_total", "WebSocket frames received.", by "kind") {
            pub binary_frames: AtomicU64 = "binary",
            pub text_frames: AtomicU64 = "text",
        }
        pub status_frames: AtomicU64,
        pub error_frames: AtomicU64,
        pub bytes_in: AtomicU64,
        pub connects: AtomicU64 = counter("connects_total", "WebSocket connections established."),
        pub reconnects: AtomicU64 =
            counter("reconnects_total", "WebSocket connections lost and replaced."),
        pub connect_failures: AtomicU64 =
            counter("connect_failures_total", "WebSocket connect attempts that failed."),
        pub rate_limited: AtomicU64 =
            counter("rate_limited_total", "Connects refused with HTTP 429/418."),
        pub watchdog_fires: AtomicU64 =
            counter("gaps_total", "Data gaps: no frame within the watchdog period."),
        pub resubscribes: AtomicU64 = counter(
            "resubscribes_total",
            "Catalog changes that changed the subscribed codes."
        ),
        pub server_closes: AtomicU64,
        pub connection_drops: AtomicU64,
        pub pings_sent: AtomicU64,
        pub capture_lines: AtomicU64,
        pub capture_errors: AtomicU64,
    }
}

impl SourceMetrics {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add(counter: &AtomicU64, amount: u64) {
        counter.fetch_add(amount, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> SourceMetricsSnapshot {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        SourceMetricsSnapshot {
            binary_frames: read(&self.binary_frames),
            text_frames: read(&self.text_frames),
            status_frames: read(&self.status_frames),
            error_frames: read(&self.error_frames),
            bytes_in: read(&self.bytes_in),
            connects: read(&self.connects),
            reconnects: read(&self.reconnects),
            resubscribes: read(&self.resubscribes),
            connect_failures: read(&self.connect_failures),
            rate_limited: read(&self.rate_limited),
            server_closes: read(&self.server_closes),
            connection_drops: read(&self.connection_drops),
            watchdog_fires: read(&self.watchdog_fires),
            pings_sent: read(&self.pings_sent),
            capture_lines: read(&self.capture_lines),
            capture_errors: read(&self.capture_errors),
        }
    }
}

/// A point-in-time copy of [`SourceMetrics`], summed over all connections since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceMetricsSnapshot {
    /// Binary frames received (Upbit's data frames).
    pub binary_frames: u64,
    /// Text frames received.
    pub text_frames: u64,
    /// `{"status":"UP"}` answers to `PING` (also counted in binary/text frames).
    pub status_frames: u64,
    /// `{"error":…}` frames (also counted in binary/text frames); each ends the connection.
    pub error_frames: u64,
    /// Payload bytes of all frames received.
    pub bytes_in: u64,
    /// Connections established (upgrade done, request sent).
    pub connects: u64,
    /// Connections lost or ended (other than by shutdown) and about to be replaced, including
    /// those closed to resubscribe.
    pub reconnects: u64,
    /// Catalog changes that changed the subscribed codes (each reconnects the connections whose
    /// codes changed).
    pub resubscribes: u64,
    /// Connect attempts that failed (refused, timed out, TLS, HTTP status).
    pub connect_failures: u64,
    /// Connect attempts refused with HTTP 429 or 418 (also counted in connect failures).
    pub rate_limited: u64,
    /// Connections the server closed with a close frame.
    pub server_closes: u64,
    /// Connections that failed or ended without a close frame.
    pub connection_drops: u64,
    /// Connections abandoned because no data came within the watchdog period.
    pub watchdog_fires: u64,
    /// Text `PING`s sent.
    pub pings_sent: u64,
    /// Capture lines handed to the capture writer.
    pub capture_lines: u64,
    /// Capture write or rotate failures (the frame still goes downstream).
    pub capture_errors: u64,
}
