//! The Upbit WebSocket source.
//!
//! The configured codes are split into groups ([`split_codes`]); each group gets its own
//! connection task (a "slot") that loops: take a connect token, connect, send the subscription,
//! then forward every binary and text frame to the output channel until the connection ends —
//! server close, TCP drop, no data within the watchdog period, or an `{"error":…}` frame — then
//! back off (full jitter) and connect again. Frames are not parsed here, only classified enough to
//! count them and to notice Upbit's error answer; parsing is the transform's job.
//!
//! The output channel is bounded: when the consumer is slow, the slot stops reading the socket and
//! TCP pushes back on Upbit. Nothing is buffered without bound.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use coinking_core::capture::{CaptureLine, FrameKind};
use coinking_core::market::MarketCode;
use coinking_core::upbit::{UpbitMessage, parse_message};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep, timeout};
use tokio_tungstenite::tungstenite::http::{HeaderMap, StatusCode, header};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{
    Connector, MaybeTlsStream, WebSocketStream, connect_async_tls_with_config,
};
use tracing::{debug, info, warn};

use super::backoff::Backoff;
use super::capture::CaptureWriter;
use super::config::SourceConfig;
use super::metrics::SourceMetrics;
use super::rate_limit::ConnectLimiter;
use super::subscription::{build_request, split_codes};
use super::{now_ms, tls};
use crate::error::SourceError;

/// How long shutdown waits for the connections to close before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// How long to wait for the server's answer to our close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Largest frame accepted; Upbit's are about 1 KB (a JSON_LIST frame a few KB).
const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// Which connection a frame came from: `slot` is the code group (stable across reconnects),
/// `generation` counts that slot's connects from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId {
    pub slot: u32,
    pub generation: u64,
}

/// One frame as received, for the transform stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEvent {
    pub connection: ConnectionId,
    /// Epoch ms at which the frame was read off the socket.
    pub received_at_ms: i64,
    /// Binary (Upbit's data) or text.
    pub kind: FrameKind,
    /// The frame payload, byte for byte.
    pub frame: Bytes,
}

impl SourceEvent {
    /// The frame as a capture line (the format `coinking_core::capture` reads back).
    pub fn to_capture_line(&self) -> CaptureLine {
        CaptureLine {
            received_at_ms: self.received_at_ms,
            kind: self.kind,
            frame: self.frame.to_vec(),
        }
    }
}

/// The Upbit source: `UpbitSource::new(config)?.run(out, shutdown).await`.
#[derive(Debug)]
pub struct UpbitSource {
    config: SourceConfig,
    metrics: Arc<SourceMetrics>,
}

impl UpbitSource {
    /// Validates the config.
    pub fn new(config: SourceConfig) -> Result<Self, SourceError> {
        config.validate()?;
        Ok(Self {
            config,
            metrics: Arc::new(SourceMetrics::default()),
        })
    }

    /// The live counters (keep a clone to read them while the source runs).
    pub fn metrics(&self) -> Arc<SourceMetrics> {
        Arc::clone(&self.metrics)
    }

    /// Runs until `shutdown` resolves (or the output channel is closed): then sends every
    /// connection a close frame, flushes the capture and returns. Errors only at start (TLS set-up,
    /// capture directory); connection failures are retried forever.
    pub async fn run(
        self,
        out: mpsc::Sender<SourceEvent>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), SourceError> {
        let config = self.config;
        let connector = if config.url.starts_with("wss://") {
            let tls = tls::client_config().map_err(SourceError::Tls)?;
            Some(Connector::Rustls(Arc::new(tls)))
        } else {
            None
        };
        let capture = match &config.capture_dir {
            Some(dir) => Some(CaptureWriter::start(
                dir,
                config.capture_max_file_bytes,
                Arc::clone(&self.metrics),
            )?),
            None => None,
        };
        let groups = split_codes(&config.codes, config.max_codes_per_connection);
        let connections = groups.len();
        let shared = Arc::new(Shared {
            limiter: ConnectLimiter::new(config.connects_per_second),
            metrics: Arc::clone(&self.metrics),
            connector,
            config,
        });
        let (stop, stopped) = watch::channel(false);
        let mut slots = JoinSet::new();
        for (index, codes) in groups.into_iter().enumerate() {
            let slot = Slot {
                id: u32::try_from(index).unwrap_or(u32::MAX),
                backoff: Backoff::new(shared.config.backoff_base, shared.config.backoff_cap),
                codes,
                shared: Arc::clone(&shared),
                out: out.clone(),
                capture: capture.as_ref().map(CaptureWriter::sender),
                shutdown: stopped.clone(),
                rng: fastrand::Rng::new(),
            };
            slots.spawn(slot.run());
        }
        // Only the slots hold the output now, so a closed consumer is noticed by all of them.
        drop(out);
        info!(url = %shared.config.url, connections, codes = shared.config.codes.len(), "upbit source started");

        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                joined = slots.join_next() => match joined {
                    None => break,
                    Some(Err(err)) => warn!(error = %err, "an upbit connection task failed"),
                    Some(Ok(())) => {}
                },
            }
        }
        stop.send_replace(true);
        let drain = async { while slots.join_next().await.is_some() {} };
        if timeout(SHUTDOWN_GRACE, drain).await.is_err() {
            warn!(
                remaining = slots.len(),
                "upbit connections did not close in time; aborting them"
            );
            slots.abort_all();
            while slots.join_next().await.is_some() {}
        }
        if let Some(capture) = capture {
            capture.finish().await;
        }
        info!("upbit source stopped");
        Ok(())
    }
}

/// What every slot shares.
struct Shared {
    config: SourceConfig,
    metrics: Arc<SourceMetrics>,
    limiter: ConnectLimiter,
    connector: Option<Connector>,
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why a connection ended.
#[derive(Debug)]
enum SessionEnd {
    Shutdown,
    OutputClosed,
    ServerClosed,
    Dropped,
    Watchdog,
    /// Upbit refused the request; `permanent` when resending it cannot help.
    UpbitError {
        permanent: bool,
    },
}

/// Why a connect failed.
enum ConnectFailure {
    /// HTTP 429 or 418, with the server's `Retry-After` if it sent one.
    RateLimited {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    Other(String),
}

/// One code group's connection, reconnected for as long as the source runs.
struct Slot {
    id: u32,
    codes: Vec<MarketCode>,
    shared: Arc<Shared>,
    out: mpsc::Sender<SourceEvent>,
    capture: Option<mpsc::Sender<CaptureLine>>,
    shutdown: watch::Receiver<bool>,
    backoff: Backoff,
    rng: fastrand::Rng,
}

impl Slot {
    async fn run(mut self) {
        let mut generation: u64 = 0;
        loop {
            let limiter = &self.shared.limiter;
            if until_shutdown(&mut self.shutdown, limiter.acquire())
                .await
                .is_none()
            {
                return;
            }
            generation += 1;
            let connection = ConnectionId {
                slot: self.id,
                generation,
            };
            let attempt = self.connect();
            let Some(result) = until_shutdown(&mut self.shutdown.clone(), attempt).await else {
                return;
            };
            let delay = match result {
                Ok(socket) => {
                    SourceMetrics::bump(&self.shared.metrics.connects);
                    let started = Instant::now();
                    let end = self.session(socket, connection).await;
                    info!(slot = self.id, generation, reason = ?end, "upbit connection ended");
                    match end {
                        SessionEnd::Shutdown | SessionEnd::OutputClosed => return,
                        SessionEnd::UpbitError { permanent: true } => {
                            SourceMetrics::bump(&self.shared.metrics.reconnects);
                            // Resending the same request gets the same answer: wait the whole
                            // ceiling (growing with each refusal) rather than a jittered share.
                            let ceiling = self.backoff.ceiling();
                            self.backoff.next_delay(&mut self.rng);
                            ceiling
                        }
                        SessionEnd::ServerClosed
                        | SessionEnd::Dropped
                        | SessionEnd::Watchdog
                        | SessionEnd::UpbitError { permanent: false } => {
                            SourceMetrics::bump(&self.shared.metrics.reconnects);
                            if started.elapsed() >= self.shared.config.healthy_after {
                                self.backoff.reset();
                            }
                            self.backoff.next_delay(&mut self.rng)
                        }
                    }
                }
                Err(ConnectFailure::RateLimited {
                    status,
                    retry_after,
                }) => {
                    SourceMetrics::bump(&self.shared.metrics.connect_failures);
                    SourceMetrics::bump(&self.shared.metrics.rate_limited);
                    let jittered = self.backoff.next_delay(&mut self.rng);
                    let delay = retry_after
                        .unwrap_or(self.shared.config.rate_limited_backoff)
                        .max(jittered);
                    warn!(
                        slot = self.id,
                        status = status.as_u16(),
                        retry_after_ms = retry_after.map(|d| d.as_millis()),
                        delay_ms = delay.as_millis(),
                        "upbit refused the connection (rate limited); backing off"
                    );
                    delay
                }
                Err(ConnectFailure::Other(reason)) => {
                    SourceMetrics::bump(&self.shared.metrics.connect_failures);
                    let delay = self.backoff.next_delay(&mut self.rng);
                    warn!(
                        slot = self.id,
                        error = %reason,
                        attempt = self.backoff.attempt(),
                        delay_ms = delay.as_millis(),
                        "upbit connect failed; retrying"
                    );
                    delay
                }
            };
            if until_shutdown(&mut self.shutdown, sleep(delay))
                .await
                .is_none()
            {
                return;
            }
        }
    }

    async fn connect(&self) -> Result<Socket, ConnectFailure> {
        let config = &self.shared.config;
        let websocket_config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(MAX_FRAME_BYTES))
            .max_frame_size(Some(MAX_FRAME_BYTES));
        let attempt = connect_async_tls_with_config(
            config.url.as_str(),
            Some(websocket_config),
            true,
            self.shared.connector.clone(),
        );
        match timeout(config.connect_timeout, attempt).await {
            Err(_) => Err(ConnectFailure::Other(format!(
                "timed out after {:?}",
                config.connect_timeout
            ))),
            Ok(Ok((socket, _response))) => Ok(socket),
            Ok(Err(WsError::Http(response)))
                if response.status() == StatusCode::TOO_MANY_REQUESTS
                    || response.status() == StatusCode::IM_A_TEAPOT =>
            {
                let retry_after = retry_after(response.headers());
                Err(ConnectFailure::RateLimited {
                    status: response.status(),
                    retry_after,
                })
            }
            Ok(Err(WsError::Http(response))) => Err(ConnectFailure::Other(format!(
                "HTTP {} on upgrade",
                response.status()
            ))),
            Ok(Err(err)) => Err(ConnectFailure::Other(err.to_string())),
        }
    }

    /// Subscribes, then forwards frames until the connection ends.
    async fn session(&mut self, mut socket: Socket, connection: ConnectionId) -> SessionEnd {
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

        loop {
            let frame = tokio::select! {
                biased;
                () = stop_requested(&mut shutdown) => {
                    close(&mut socket, CloseCode::Normal, "client shutting down").await;
                    return SessionEnd::Shutdown;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameClass {
    Data,
    Status,
    Error,
}

/// Just enough of a look at the frame to count it and to notice Upbit's answers; parsing proper is
/// the transform's job.
fn classify(frame: &[u8]) -> FrameClass {
    let json = frame.trim_ascii_start();
    if json.starts_with(b"{\"status\"") {
        FrameClass::Status
    } else if json.starts_with(b"{\"error\"") {
        FrameClass::Error
    } else {
        FrameClass::Data
    }
}

/// Logs Upbit's error answer; returns whether it is permanent (a request error resending cannot
/// fix).
fn log_upbit_error(slot: u32, frame: &[u8]) -> bool {
    match parse_message(frame) {
        Ok(UpbitMessage::Error { name, message }) => {
            let permanent = matches!(
                name.as_str(),
                "WRONG_FORMAT" | "NO_TICKET" | "NO_TYPE" | "NO_CODES" | "INVALID_PARAM"
            );
            warn!(slot, error = %name, %message, permanent, "upbit refused the subscription");
            permanent
        }
        _ => {
            warn!(
                slot,
                frame = %String::from_utf8_lossy(frame),
                "upbit sent an unreadable error frame"
            );
            false
        }
    }
}

/// `Retry-After` in its delta-seconds form (the form rate limiters send); an HTTP date is ignored
/// and the configured rate-limited backoff applies instead. Capped at an hour.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    const LONGEST: Duration = Duration::from_secs(3600);
    let seconds = headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(Duration::from_secs(seconds).min(LONGEST))
}

/// Runs `work` unless shutdown is requested first (`None`).
async fn until_shutdown<T>(
    shutdown: &mut watch::Receiver<bool>,
    work: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        () = stop_requested(shutdown) => None,
        value = work => Some(value),
    }
}

/// Resolves once shutdown is requested (never, if the source is gone, which cannot outlive it).
async fn stop_requested(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Sends a close frame and gives the server a moment to answer it.
async fn close(socket: &mut Socket, code: CloseCode, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let closing = async {
        if socket.close(Some(frame)).await.is_err() {
            return;
        }
        while let Some(Ok(_)) = socket.next().await {}
    };
    if timeout(CLOSE_GRACE, closing).await.is_err() {
        debug!("the server did not answer the close frame in time");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::http::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_ignores_dates() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static(" 7 "));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("999999"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3600)));
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn classifies_status_and_error_answers_apart_from_data() {
        assert_eq!(classify(br#"{"status":"UP"}"#), FrameClass::Status);
        assert_eq!(
            classify(br#" {"error":{"name":"INVALID_PARAM","message":"x"}}"#),
            FrameClass::Error
        );
        assert_eq!(
            classify(br#"{"ty":"ticker","cd":"KRW-BTC"}"#),
            FrameClass::Data
        );
        assert_eq!(classify(b"not json"), FrameClass::Data);
    }
}
