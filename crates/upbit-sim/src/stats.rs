//! Counters a test (or the operator, through the logs) can read: everything accepted, refused,
//! sent and dropped.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters, shared by the accept loop and every connection.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub connections_accepted: AtomicU64,
    pub connections_rejected: AtomicU64,
    pub not_found: AtomicU64,
    pub handshakes_failed: AtomicU64,
    pub subscriptions: AtomicU64,
    pub subscription_errors: AtomicU64,
    pub messages_sent: AtomicU64,
    pub garbage_sent: AtomicU64,
    pub pings_answered: AtomicU64,
    pub connections_dropped: AtomicU64,
    pub idle_closed: AtomicU64,
}

impl Counters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> SimStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        SimStats {
            connections_accepted: read(&self.connections_accepted),
            connections_rejected: read(&self.connections_rejected),
            not_found: read(&self.not_found),
            handshakes_failed: read(&self.handshakes_failed),
            subscriptions: read(&self.subscriptions),
            subscription_errors: read(&self.subscription_errors),
            messages_sent: read(&self.messages_sent),
            garbage_sent: read(&self.garbage_sent),
            pings_answered: read(&self.pings_answered),
            connections_dropped: read(&self.connections_dropped),
            idle_closed: read(&self.idle_closed),
        }
    }
}

/// A point-in-time copy of the counters, summed over all connections since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    /// WebSocket upgrades completed.
    pub connections_accepted: u64,
    /// Upgrades refused by the reject fault (HTTP 429/418).
    pub connections_rejected: u64,
    /// Upgrade requests for a path other than `/websocket/v1` (HTTP 404).
    pub not_found: u64,
    /// Connections that failed or timed out before completing the upgrade.
    pub handshakes_failed: u64,
    /// Valid subscription requests.
    pub subscriptions: u64,
    /// Requests refused with an `{"error":…}` frame.
    pub subscription_errors: u64,
    /// Data messages (snapshot and realtime) sent.
    pub messages_sent: u64,
    /// Garbage frames sent by the garbage fault.
    pub garbage_sent: u64,
    /// Text `PING`s answered with `{"status":"UP"}` plus WebSocket pings answered with a pong.
    pub pings_answered: u64,
    /// Connections closed by the drop fault.
    pub connections_dropped: u64,
    /// Connections closed for being idle.
    pub idle_closed: u64,
}
