//! Faults switchable at runtime: what a flaky exchange does to a client.
//!
//! The [`FaultHandle`] publishes the current [`Faults`] on a watch channel; every connection
//! (current and new) sees a change before its next data message. Counting faults ("after N data
//! messages", "every N messages") count from the moment a connection first sees the setting:
//! from its first data message for a new connection, from the next one for a current connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio_tungstenite::tungstenite::http::StatusCode;

/// Upbit's answers to a client that connects too often.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// HTTP 429 Too Many Requests: over the request-rate limit.
    RateLimited,
    /// HTTP 418: Upbit's ban after repeated 429s.
    Banned,
}

impl Rejection {
    pub fn status(self) -> StatusCode {
        match self {
            Rejection::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Rejection::Banned => StatusCode::IM_A_TEAPOT,
        }
    }

    /// The error name and message of the JSON body.
    pub fn error(self) -> (&'static str, &'static str) {
        match self {
            Rejection::RateLimited => (
                "too_many_requests",
                "Too many requests: the connection rate limit is exceeded.",
            ),
            Rejection::Banned => (
                "banned",
                "Too many requests after being limited: temporarily banned.",
            ),
        }
    }
}

/// How long a stall lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stall {
    /// Until [`FaultHandle::clear_stall`] (or [`FaultHandle::clear`]).
    UntilCleared,
    /// Until this instant.
    Until(Instant),
}

/// The faults in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Close the TCP connection, without a WebSocket close frame, after this many data messages.
    pub drop_after: Option<u64>,
    /// Send no data (the connection stays open and still answers `PING`).
    pub stall: Option<Stall>,
    /// After every this many data messages, send one garbage frame.
    pub garbage_every: Option<u64>,
    /// Refuse new connections with this HTTP status before the upgrade.
    pub reject: Option<Rejection>,
}

/// The kinds of garbage frame, sent in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GarbageKind {
    /// Binary frame of plain text that is not JSON.
    NotJson,
    /// The first half of a real message.
    TruncatedJson,
    /// JSON-looking bytes that are not valid UTF-8.
    InvalidUtf8,
}

impl GarbageKind {
    const CYCLE: [GarbageKind; 3] = [
        GarbageKind::NotJson,
        GarbageKind::TruncatedJson,
        GarbageKind::InvalidUtf8,
    ];

    /// The frame payload; `real_frame` is the data frame just sent (the source of the truncation).
    pub fn payload(self, real_frame: &[u8]) -> Vec<u8> {
        match self {
            GarbageKind::NotJson => b"upbit-sim: this frame is not JSON".to_vec(),
            GarbageKind::TruncatedJson => {
                let half = (real_frame.len() / 2).max(1);
                real_frame.get(..half).unwrap_or(b"{").to_vec()
            }
            GarbageKind::InvalidUtf8 => b"{\"type\":\"ticker\",\"code\":\"KRW-\xff\xfe\"}".to_vec(),
        }
    }
}

/// Published state: the faults plus a revision per counting fault, so a connection can tell a
/// re-set from an unchanged setting.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultState {
    faults: Faults,
    drop_revision: u64,
    garbage_revision: u64,
}

/// Switches faults on and off for current and new connections. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FaultHandle {
    state: Arc<watch::Sender<FaultState>>,
}

impl Default for FaultHandle {
    fn default() -> Self {
        Self::new()
    }
}

impl FaultHandle {
    pub fn new() -> Self {
        let (sender, _) = watch::channel(FaultState::default());
        Self {
            state: Arc::new(sender),
        }
    }

    /// The faults in force now.
    pub fn current(&self) -> Faults {
        self.state.borrow().faults.clone()
    }

    /// Drop every connection (TCP close, no close frame) once it has sent `data_messages` more
    /// data messages; a new connection drops after exactly `data_messages`.
    pub fn drop_after(&self, data_messages: u64) {
        self.state.send_modify(|state| {
            state.faults.drop_after = Some(data_messages);
            state.drop_revision += 1;
        });
    }

    pub fn clear_drop(&self) {
        self.state
            .send_modify(|state| state.faults.drop_after = None);
    }

    /// Stop sending data until [`FaultHandle::clear_stall`]. Connections stay open.
    pub fn stall(&self) {
        self.state
            .send_modify(|state| state.faults.stall = Some(Stall::UntilCleared));
    }

    /// Stop sending data for `duration`, then resume at the recorded pace.
    pub fn stall_for(&self, duration: Duration) {
        let until = Instant::now()
            .checked_add(duration)
            .map_or(Stall::UntilCleared, Stall::Until);
        self.state
            .send_modify(|state| state.faults.stall = Some(until));
    }

    pub fn clear_stall(&self) {
        self.state.send_modify(|state| state.faults.stall = None);
    }

    /// After every `data_messages` data messages send one garbage frame (not JSON, truncated
    /// JSON, invalid UTF-8, in turn). `0` switches it off.
    pub fn garbage_every(&self, data_messages: u64) {
        self.state.send_modify(|state| {
            state.faults.garbage_every = (data_messages > 0).then_some(data_messages);
            state.garbage_revision += 1;
        });
    }

    pub fn clear_garbage(&self) {
        self.state
            .send_modify(|state| state.faults.garbage_every = None);
    }

    /// Refuse new connections with HTTP 429 (or 418) before the WebSocket upgrade.
    pub fn reject_new_connections(&self, rejection: Rejection) {
        self.state
            .send_modify(|state| state.faults.reject = Some(rejection));
    }

    pub fn accept_new_connections(&self) {
        self.state.send_modify(|state| state.faults.reject = None);
    }

    /// Switch every fault off.
    pub fn clear(&self) {
        self.state
            .send_modify(|state| state.faults = Faults::default());
    }

    pub(crate) fn rejection(&self) -> Option<Rejection> {
        self.state.borrow().faults.reject
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<FaultState> {
        self.state.subscribe()
    }
}

/// One connection's view of the faults, with its own counting baselines.
#[derive(Debug)]
pub(crate) struct ConnectionFaults {
    receiver: watch::Receiver<FaultState>,
    drop_revision: u64,
    drop_baseline: u64,
    garbage_revision: u64,
    garbage_baseline: u64,
    garbage_sent: usize,
}

impl ConnectionFaults {
    pub(crate) fn new(handle: &FaultHandle) -> Self {
        let receiver = handle.subscribe();
        let (drop_revision, garbage_revision) = {
            let state = receiver.borrow();
            (state.drop_revision, state.garbage_revision)
        };
        Self {
            receiver,
            drop_revision,
            drop_baseline: 0,
            garbage_revision,
            garbage_baseline: 0,
            garbage_sent: 0,
        }
    }

    /// Resolves when the faults change. Never resolves if the handle is gone (it lives as long as
    /// the server, so that only happens while shutting down).
    pub(crate) async fn changed(&mut self) {
        if self.receiver.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Takes in the current settings; `data_sent` is the connection's data-message count so far.
    pub(crate) fn refresh(&mut self, data_sent: u64) {
        let state = self.receiver.borrow_and_update();
        if state.drop_revision != self.drop_revision {
            self.drop_revision = state.drop_revision;
            self.drop_baseline = data_sent;
        }
        if state.garbage_revision != self.garbage_revision {
            self.garbage_revision = state.garbage_revision;
            self.garbage_baseline = data_sent;
        }
    }

    /// `Some(None)`: stalled until cleared; `Some(Some(t))`: stalled until `t`; `None`: not stalled.
    pub(crate) fn stalled(&self, now: Instant) -> Option<Option<Instant>> {
        match self.receiver.borrow().faults.stall {
            None => None,
            Some(Stall::UntilCleared) => Some(None),
            Some(Stall::Until(until)) if until > now => Some(Some(until)),
            Some(Stall::Until(_)) => None,
        }
    }

    /// Whether the connection must be dropped before sending anything more.
    pub(crate) fn must_drop(&self, data_sent: u64) -> bool {
        match self.receiver.borrow().faults.drop_after {
            Some(limit) => data_sent.saturating_sub(self.drop_baseline) >= limit,
            None => false,
        }
    }

    /// The garbage frame to send after the data message that brought the count to `data_sent`.
    pub(crate) fn garbage_after(&mut self, data_sent: u64) -> Option<GarbageKind> {
        let every = self.receiver.borrow().faults.garbage_every?;
        let counted = data_sent.saturating_sub(self.garbage_baseline);
        if every == 0 || counted == 0 || counted % every != 0 {
            return None;
        }
        let kind = GarbageKind::CYCLE[self.garbage_sent % GarbageKind::CYCLE.len()];
        self.garbage_sent += 1;
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_connection_counts_drop_after_from_zero() {
        let handle = FaultHandle::new();
        handle.drop_after(3);
        let mut faults = ConnectionFaults::new(&handle);
        faults.refresh(0);
        assert!(!faults.must_drop(2));
        assert!(faults.must_drop(3));
    }

    #[test]
    fn a_current_connection_counts_drop_after_from_when_it_was_set() {
        let handle = FaultHandle::new();
        let mut faults = ConnectionFaults::new(&handle);
        faults.refresh(100);
        handle.drop_after(3);
        faults.refresh(100);
        assert!(!faults.must_drop(102));
        assert!(faults.must_drop(103));
        handle.clear_drop();
        faults.refresh(103);
        assert!(!faults.must_drop(1_000));
    }

    #[test]
    fn garbage_comes_after_every_nth_message_in_turn() {
        let handle = FaultHandle::new();
        handle.garbage_every(2);
        let mut faults = ConnectionFaults::new(&handle);
        faults.refresh(0);
        let kinds: Vec<_> = (1..=8).map(|sent| faults.garbage_after(sent)).collect();
        assert_eq!(
            kinds,
            [
                None,
                Some(GarbageKind::NotJson),
                None,
                Some(GarbageKind::TruncatedJson),
                None,
                Some(GarbageKind::InvalidUtf8),
                None,
                Some(GarbageKind::NotJson),
            ]
        );
    }

    #[test]
    fn garbage_payloads_are_never_valid_utf8_json() {
        let real = br#"{"type":"ticker","code":"KRW-BTC"}"#;
        for kind in GarbageKind::CYCLE {
            let payload = kind.payload(real);
            let valid = std::str::from_utf8(&payload)
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok());
            assert!(valid.is_none(), "{kind:?}");
        }
    }

    #[test]
    fn a_timed_stall_ends_by_itself() {
        let handle = FaultHandle::new();
        let faults = ConnectionFaults::new(&handle);
        handle.stall_for(Duration::from_secs(5));
        let now = Instant::now();
        assert!(matches!(faults.stalled(now), Some(Some(_))));
        assert_eq!(faults.stalled(now + Duration::from_secs(6)), None);
        handle.stall();
        assert_eq!(faults.stalled(now), Some(None));
        handle.clear();
        assert_eq!(faults.stalled(now), None);
    }
}
