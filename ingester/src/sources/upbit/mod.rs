//! The Upbit WebSocket source.
//!
//! The codes to subscribe to are the configured ones or, when the source follows the market
//! catalog ([`UpbitSource::follow_catalog`]), the configured ones the catalog lists
//! ([`CatalogSnapshot::subscribable`]: a code Upbit does not list is skipped with a warning; the
//! bundled fallback catalog keeps them all). They are split into groups ([`split_codes`]), the
//! subscription *plan*; each group gets its own connection task (a "slot") that loops: take a
//! connect token, connect, send the subscription for its group, then forward every binary and
//! text frame to the output channel until the connection ends — server close, TCP drop, no data
//! within the watchdog period, or an `{"error":…}` frame — then back off (full jitter) and connect
//! again. Frames are not parsed here, only classified enough to count them and to notice Upbit's
//! error answer; parsing is the transform's job.
//!
//! Resubscribing: the slots read the plan from a watch channel. When a new catalog changes the
//! set of codes, [`UpbitSource::run`] publishes a new plan; a slot whose group changed closes its
//! connection and connects again at once (no backoff, only the connect token every connect takes)
//! with the new group; a slot whose group is unchanged keeps its connection, so its codes lose
//! nothing; slots are started for new groups and retire when their group is gone. Reconnecting
//! rather than sending a second request on the open socket is correct whether Upbit replaces or
//! extends a connection's subscription, and reuses the path every other recovery takes; catalog
//! changes are minutes apart at least, so it costs one connect per changed group now and then.
//!
//! The output channel is bounded: when the consumer is slow, the slot stops reading the socket and
//! TCP pushes back on Upbit. Nothing is buffered without bound.

use std::collections::HashMap;
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
use tokio::task::{self, JoinSet};
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep, timeout};
use tokio_tungstenite::tungstenite::http::{HeaderMap, StatusCode, header};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{
    Connector, MaybeTlsStream, WebSocketStream, connect_async_tls_with_config,
};
use tracing::{debug, info, warn};

use super::capture::CaptureWriter;
use super::catalog_watch::CatalogSnapshot;
use super::config::SourceConfig;
use super::metrics::SourceMetrics;
use super::rate_limit::ConnectLimiter;
use super::subscription::{build_request, split_codes};
use super::{now_ms, tls};
use crate::error::SourceError;
use coinking_core::backoff::Backoff;

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

/// The subscription plan: one group of codes per slot, indexed by slot id.
type Plan = Arc<Vec<Vec<MarketCode>>>;

/// The Upbit source: `UpbitSource::new(config)?.run(out, shutdown).await`.
#[derive(Debug)]
pub struct UpbitSource {
    config: SourceConfig,
    metrics: Arc<SourceMetrics>,
    catalog: Option<watch::Receiver<CatalogSnapshot>>,
}

impl UpbitSource {
    /// Validates the config.
    pub fn new(config: SourceConfig) -> Result<Self, SourceError> {
        config.validate()?;
        Ok(Self {
            config,
            metrics: Arc::new(SourceMetrics::default()),
            catalog: None,
        })
    }

    /// Subscribes to the configured codes the catalog on `catalog` lists (all of them while it
    /// is the bundled one) and resubscribes whenever a new catalog changes that set; see the
    /// module doc. Without it the source subscribes to every configured code.
    pub fn follow_catalog(&mut self, catalog: watch::Receiver<CatalogSnapshot>) {
        self.catalog = Some(catalog);
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
        let UpbitSource {
            config,
            metrics,
            mut catalog,
        } = self;
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
                Arc::clone(&metrics),
            )?),
            None => None,
        };
        let mut subscription = Subscription::default();
        match &mut catalog {
            Some(updates) => {
                let snapshot = updates.borrow_and_update().clone();
                subscription.update(&config.codes, &snapshot);
            }
            None => subscription.codes = config.codes.clone(),
        }
        let (plan_out, plan) = watch::channel::<Plan>(Arc::new(split_codes(
            &subscription.codes,
            config.max_codes_per_connection,
        )));
        let (stop, stopped) = watch::channel(false);
        let mut slots = Slots {
            tasks: JoinSet::new(),
            slot_of: HashMap::new(),
            generations: HashMap::new(),
            shared: Arc::new(Shared {
                limiter: ConnectLimiter::new(config.connects_per_second),
                metrics: Arc::clone(&metrics),
                connector,
                config,
            }),
            out,
            capture: capture.as_ref().map(CaptureWriter::sender),
            plan,
            stopped,
        };
        let connections = slots.start_missing();
        let shared = Arc::clone(&slots.shared);
        info!(url = %shared.config.url, connections, codes = subscription.codes.len(), "upbit source started");

        let mut following = catalog.is_some();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            if slots.tasks.is_empty() && !following {
                break;
            }
            tokio::select! {
                () = &mut shutdown => break,
                // The slots notice it too, but with no slot running only this does.
                () = slots.out.closed() => {
                    info!("the output channel is closed; stopping");
                    break;
                }
                joined = slots.tasks.join_next_with_id(), if !slots.tasks.is_empty() => {
                    if slots.ended(joined) == Some(SlotEnd::OutputClosed) {
                        break;
                    }
                }
                update = next_catalog(&mut catalog), if following => {
                    let Some(snapshot) = update else {
                        // The watcher is gone: keep the current subscription.
                        following = false;
                        continue;
                    };
                    if !subscription.update(&shared.config.codes, &snapshot) {
                        continue;
                    }
                    SourceMetrics::bump(&metrics.resubscribes);
                    plan_out.send_replace(Arc::new(split_codes(
                        &subscription.codes,
                        shared.config.max_codes_per_connection,
                    )));
                    slots.start_missing();
                }
            }
        }
        stop.send_replace(true);
        let Slots {
            mut tasks,
            out,
            capture: capture_line_sender,
            ..
        } = slots;
        // The slots hold the only other senders now: the output and the capture close once they
        // end.
        drop(out);
        drop(capture_line_sender);
        let drain = async { while tasks.join_next().await.is_some() {} };
        if timeout(SHUTDOWN_GRACE, drain).await.is_err() {
            warn!(
                remaining = tasks.len(),
                "upbit connections did not close in time; aborting them"
            );
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        if let Some(capture) = capture {
            capture.finish().await;
        }
        info!("upbit source stopped");
        Ok(())
    }
}

/// The codes subscribed to, and the configured ones the catalog does not list.
#[derive(Debug, Default)]
struct Subscription {
    codes: Vec<MarketCode>,
    skipped: Vec<MarketCode>,
    /// Whether a catalog was applied before (the first one is not a change).
    followed: bool,
}

impl Subscription {
    /// Takes the codes `snapshot` allows; returns whether the subscribed set changed. Logs the
    /// skipped codes whenever they change, and what a change added and removed.
    fn update(&mut self, configured: &[MarketCode], snapshot: &CatalogSnapshot) -> bool {
        let (codes, skipped) = snapshot.subscribable(configured);
        if skipped != self.skipped && !skipped.is_empty() {
            let markets: Vec<&str> = skipped.iter().map(MarketCode::as_str).collect();
            warn!(
                ?markets,
                "configured markets the upbit catalog does not list are not subscribed"
            );
        }
        self.skipped = skipped;
        let first = !self.followed;
        self.followed = true;
        if codes == self.codes {
            return false;
        }
        if codes.is_empty() {
            warn!(
                "the upbit catalog lists none of the configured markets; nothing is subscribed until it does"
            );
        }
        if !first {
            let added: Vec<&str> = codes
                .iter()
                .filter(|code| !self.codes.contains(code))
                .map(MarketCode::as_str)
                .collect();
            let removed: Vec<&str> = self
                .codes
                .iter()
                .filter(|code| !codes.contains(code))
                .map(MarketCode::as_str)
                .collect();
            info!(
                ?added,
                ?removed,
                codes = codes.len(),
                "the market catalog changed the subscription; resubscribing"
            );
        }
        self.codes = codes;
        true
    }
}

/// Resolves with the next catalog, or `None` once the watcher is gone.
async fn next_catalog(
    catalog: &mut Option<watch::Receiver<CatalogSnapshot>>,
) -> Option<CatalogSnapshot> {
    let updates = catalog.as_mut()?;
    updates.changed().await.ok()?;
    let snapshot = updates.borrow_and_update().clone();
    Some(snapshot)
}

/// The running slots, and what a new one needs.
struct Slots {
    tasks: JoinSet<SlotExit>,
    /// Which slot each task runs.
    slot_of: HashMap<task::Id, u32>,
    /// Connects made by each slot id so far, so a restarted slot continues its generations.
    generations: HashMap<u32, u64>,
    shared: Arc<Shared>,
    out: mpsc::Sender<SourceEvent>,
    capture: Option<mpsc::Sender<CaptureLine>>,
    plan: watch::Receiver<Plan>,
    stopped: watch::Receiver<bool>,
}

impl Slots {
    /// Starts a slot for every group of the plan that has none; returns the number of groups.
    fn start_missing(&mut self) -> usize {
        let groups = self.plan.borrow().len();
        for index in 0..groups {
            let id = u32::try_from(index).unwrap_or(u32::MAX);
            if self.slot_of.values().any(|running| *running == id) {
                continue;
            }
            let slot = Slot {
                id,
                generation: self.generations.get(&id).copied().unwrap_or(0),
                codes: Vec::new(),
                plan: self.plan.clone(),
                backoff: Backoff::new(
                    self.shared.config.backoff_base,
                    self.shared.config.backoff_cap,
                ),
                shared: Arc::clone(&self.shared),
                out: self.out.clone(),
                capture: self.capture.clone(),
                shutdown: self.stopped.clone(),
                rng: fastrand::Rng::new(),
            };
            let handle = self.tasks.spawn(slot.run());
            self.slot_of.insert(handle.id(), id);
        }
        groups
    }

    /// Books a finished slot; returns how it ended (`None` when it failed).
    fn ended(
        &mut self,
        joined: Option<Result<(task::Id, SlotExit), task::JoinError>>,
    ) -> Option<SlotEnd> {
        match joined? {
            Ok((task_id, exit)) => {
                self.slot_of.remove(&task_id);
                self.generations.insert(exit.id, exit.generation);
                if exit.end == SlotEnd::Retired {
                    // The plan may have given this slot a group again while it was retiring.
                    self.start_missing();
                }
                Some(exit.end)
            }
            Err(err) => {
                let slot = self.slot_of.remove(&err.id());
                warn!(?slot, error = %err, "an upbit connection task failed");
                None
            }
        }
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

/// Why a connect failed.
enum ConnectFailure {
    /// HTTP 429 or 418, with the server's `Retry-After` if it sent one.
    RateLimited {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    Other(String),
}

/// Why a slot stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotEnd {
    Shutdown,
    OutputClosed,
    /// The plan has no group for it any more.
    Retired,
}

/// A slot's last word: which slot, how many connects it made, why it stopped.
#[derive(Debug)]
struct SlotExit {
    id: u32,
    generation: u64,
    end: SlotEnd,
}

/// One code group's connection, reconnected for as long as the source runs and the plan has a
/// group for it.
struct Slot {
    id: u32,
    /// Connects made so far (the last connection's generation).
    generation: u64,
    /// The group of the current (or last) connection.
    codes: Vec<MarketCode>,
    plan: watch::Receiver<Plan>,
    shared: Arc<Shared>,
    out: mpsc::Sender<SourceEvent>,
    capture: Option<mpsc::Sender<CaptureLine>>,
    shutdown: watch::Receiver<bool>,
    backoff: Backoff,
    rng: fastrand::Rng,
}

impl Slot {
    async fn run(mut self) -> SlotExit {
        let end = self.serve().await;
        SlotExit {
            id: self.id,
            generation: self.generation,
            end,
        }
    }

    /// This slot's group in the newest plan, marking the plan seen.
    fn group(&mut self) -> Option<Vec<MarketCode>> {
        let index = usize::try_from(self.id).ok()?;
        self.plan.borrow_and_update().get(index).cloned()
    }

    async fn serve(&mut self) -> SlotEnd {
        loop {
            let Some(codes) = self.group() else {
                info!(
                    slot = self.id,
                    "the subscription has no codes for this connection any more; retiring it"
                );
                return SlotEnd::Retired;
            };
            self.codes = codes;
            let limiter = &self.shared.limiter;
            if until_shutdown(&mut self.shutdown, limiter.acquire())
                .await
                .is_none()
            {
                return SlotEnd::Shutdown;
            }
            self.generation += 1;
            let generation = self.generation;
            let connection = ConnectionId {
                slot: self.id,
                generation,
            };
            let attempt = self.connect();
            let Some(result) = until_shutdown(&mut self.shutdown.clone(), attempt).await else {
                return SlotEnd::Shutdown;
            };
            let delay = match result {
                Ok(socket) => {
                    SourceMetrics::bump(&self.shared.metrics.connects);
                    let started = Instant::now();
                    let end = self.session(socket, connection).await;
                    info!(slot = self.id, generation, reason = ?end, "upbit connection ended");
                    match end {
                        SessionEnd::Shutdown => return SlotEnd::Shutdown,
                        SessionEnd::OutputClosed => return SlotEnd::OutputClosed,
                        SessionEnd::Resubscribe => {
                            // A deliberate switch, not a failure: no backoff, and the backoff
                            // state stays as it was.
                            SourceMetrics::bump(&self.shared.metrics.reconnects);
                            continue;
                        }
                        SessionEnd::UpbitError { permanent: true } => {
                            SourceMetrics::bump(&self.shared.metrics.reconnects);
                            // Resending the same request gets the same answer: wait the whole
                            // ceiling (growing with each refusal) rather than a jittered share.
                            let ceiling = self.backoff.ceiling();
                            self.backoff.next_delay(self.rng.f64());
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
                            self.backoff.next_delay(self.rng.f64())
                        }
                    }
                }
                Err(ConnectFailure::RateLimited {
                    status,
                    retry_after,
                }) => {
                    SourceMetrics::bump(&self.shared.metrics.connect_failures);
                    SourceMetrics::bump(&self.shared.metrics.rate_limited);
                    let jittered = self.backoff.next_delay(self.rng.f64());
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
                    let delay = self.backoff.next_delay(self.rng.f64());
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
                return SlotEnd::Shutdown;
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
