//! One connection's life once it is open: send the subscription for the slot's group, then
//! forward every frame (to the capture, then the output channel, waiting for room) until the
//! connection ends: the server closes or drops it, no data arrives within the watchdog period,
//! Upbit answers with an error, the plan gives the slot other codes, or shutdown. A `PING` goes
//! out every `ping_interval` meanwhile.

use std::sync::Arc;

use bytes::Bytes;
use coinking_core::capture::FrameKind;
use coinking_core::market::MarketCode;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tracing::{info, warn};

use super::connection::{CLOSE_GRACE, Socket, close};
use super::frames::{FrameClass, classify, log_upbit_error};
use super::slot::{Slot, stop_requested, until_shutdown};
use super::{ConnectionId, Plan, SourceEvent};
use crate::sources::metrics::SourceMetrics;
use crate::sources::now_ms;
use crate::sources::subscription::build_request;

/// Why a connection ended.
#[derive(Debug)]
pub(super) enum SessionEnd {
    Shutdown,
    OutputClosed,
    /// The plan gave this slot other codes.
    Resubscribe,
    ServerClosed,
    Dropped,
    Watchdog,
    /// Upbit refused the request; `permanent` when resending it cannot help.
    UpbitError {
        permanent: bool,
    },
}

impl Slot {
    /// Subscribes, then forwards frames until the connection ends.
    pub(super) async fn session(
        &mut self,
        mut socket: Socket,
        connection: ConnectionId,
    ) -> SessionEnd {
        let shared = Arc::clone(&self.shared);
        let config = &shared.config;
        let metrics = &shared.metrics;
        let ticket = uuid::Uuid::new_v4().to_string();
        let request = build_request(&ticket, &config.types, &self.codes, config.format);
        if let Err(err) = socket.send(Message::text(request)).await {
            SourceMetrics::bump(&metrics.connection_drops);
            warn!(slot = self.id, error = %err, "sending the subscription failed");
            return SessionEnd::Dropped;
        }
        info!(
            slot = self.id,
            generation = connection.generation,
            codes = self.codes.len(),
            %ticket,
            "subscribed to upbit"
        );
        let mut ping = interval_at(Instant::now() + config.ping_interval, config.ping_interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let watchdog = sleep(config.no_data_watchdog);
        let mut watchdog = std::pin::pin!(watchdog);
        let mut shutdown = self.shutdown.clone();
        let mut plan = self.plan.clone();

        loop {
            let frame = tokio::select! {
                biased;
                () = stop_requested(&mut shutdown) => {
                    close(&mut socket, CloseCode::Normal, "client shutting down").await;
                    return SessionEnd::Shutdown;
                }
                () = group_changed(&mut plan, self.id, &self.codes) => {
                    info!(
                        slot = self.id,
                        generation = connection.generation,
                        "the subscription changed; reconnecting with the new codes"
                    );
                    close(&mut socket, CloseCode::Normal, "resubscribing").await;
                    return SessionEnd::Resubscribe;
                }
                frame = socket.next() => frame,
                _ = ping.tick() => {
                    if let Err(err) = socket.send(Message::text("PING")).await {
                        SourceMetrics::bump(&metrics.connection_drops);
                        warn!(slot = self.id, error = %err, "sending PING failed");
                        return SessionEnd::Dropped;
                    }
                    SourceMetrics::bump(&metrics.pings_sent);
                    continue;
                }
                () = &mut watchdog => {
                    SourceMetrics::bump(&metrics.watchdog_fires);
                    warn!(
                        slot = self.id,
                        generation = connection.generation,
                        silent_ms = config.no_data_watchdog.as_millis(),
                        "no data from upbit within the watchdog period; reconnecting"
                    );
                    close(&mut socket, CloseCode::Normal, "no data").await;
                    return SessionEnd::Watchdog;
                }
            };
            let (kind, payload) = match frame {
                None => {
                    SourceMetrics::bump(&metrics.connection_drops);
                    warn!(
                        slot = self.id,
                        "upbit connection ended without a close frame"
                    );
                    return SessionEnd::Dropped;
                }
                Some(Err(err)) => {
                    SourceMetrics::bump(&metrics.connection_drops);
                    warn!(slot = self.id, error = %err, "upbit connection failed");
                    return SessionEnd::Dropped;
                }
                Some(Ok(Message::Close(frame))) => {
                    SourceMetrics::bump(&metrics.server_closes);
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or_default();
                    info!(slot = self.id, code, %reason, "upbit closed the connection");
                    // Lets tungstenite send its answer to the close frame.
                    let _ = timeout(CLOSE_GRACE, socket.close(None)).await;
                    return SessionEnd::ServerClosed;
                }
                Some(Ok(Message::Binary(bytes))) => (FrameKind::Binary, bytes),
                Some(Ok(Message::Text(text))) => (FrameKind::Text, Bytes::from(text)),
                // tungstenite answers pings itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            };
            let class = classify(&payload);
            let event = SourceEvent {
                connection,
                received_at_ms: now_ms(),
                kind,
                frame: payload,
            };
            self.count(&event, class);
            if let Some(end) = self.forward(event.clone(), &mut shutdown).await {
                if matches!(end, SessionEnd::Shutdown) {
                    close(&mut socket, CloseCode::Normal, "client shutting down").await;
                }
                return end;
            }
            match class {
                FrameClass::Data => {
                    watchdog
                        .as_mut()
                        .reset(Instant::now() + config.no_data_watchdog);
                }
                FrameClass::Status => {}
                FrameClass::Error => {
                    let permanent = log_upbit_error(self.id, &event.frame);
                    close(&mut socket, CloseCode::Normal, "request refused").await;
                    return SessionEnd::UpbitError { permanent };
                }
            }
        }
    }

    fn count(&self, event: &SourceEvent, class: FrameClass) {
        let metrics = &self.shared.metrics;
        match event.kind {
            FrameKind::Binary => SourceMetrics::bump(&metrics.binary_frames),
            FrameKind::Text => SourceMetrics::bump(&metrics.text_frames),
        }
        SourceMetrics::add(
            &metrics.bytes_in,
            u64::try_from(event.frame.len()).unwrap_or(u64::MAX),
        );
        match class {
            FrameClass::Data => {}
            FrameClass::Status => SourceMetrics::bump(&metrics.status_frames),
            FrameClass::Error => SourceMetrics::bump(&metrics.error_frames),
        }
    }

    /// Hands the frame to the capture and the output, waiting for room (backpressure) but not
    /// past shutdown. `Some` when the session must end.
    async fn forward(
        &mut self,
        event: SourceEvent,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Option<SessionEnd> {
        if let Some(capture) = &self.capture {
            let line = event.to_capture_line();
            match until_shutdown(shutdown, capture.send(line)).await {
                None => return Some(SessionEnd::Shutdown),
                Some(Ok(())) => SourceMetrics::bump(&self.shared.metrics.capture_lines),
                Some(Err(_)) => {
                    SourceMetrics::bump(&self.shared.metrics.capture_errors);
                    warn!(
                        slot = self.id,
                        "the capture writer is gone; capture stopped"
                    );
                    self.capture = None;
                }
            }
        }
        match until_shutdown(shutdown, self.out.send(event)).await {
            None => Some(SessionEnd::Shutdown),
            Some(Ok(())) => None,
            Some(Err(_)) => {
                info!(slot = self.id, "the output channel is closed; stopping");
                Some(SessionEnd::OutputClosed)
            }
        }
    }
}

/// Resolves once the plan gives slot `id` a group other than `codes` (or none); never if the
/// source is gone (it cannot outlive its slots).
async fn group_changed(plan: &mut watch::Receiver<Plan>, id: u32, codes: &[MarketCode]) {
    let index = usize::try_from(id).unwrap_or(usize::MAX);
    loop {
        if plan.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
        let unchanged = plan
            .borrow_and_update()
            .get(index)
            .is_some_and(|group| group.as_slice() == codes);
        if !unchanged {
            return;
        }
    }
}
