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
//!
//! Files, one role each: this one holds the source as a whole (the plan, [`UpbitSource::run`],
//! the running slots); `slot.rs` the per-connection reconnect loop and its backoff;
//! `connection.rs` the connect and the closing handshake; `session.rs` one connection's life
//! (subscribe, `PING`, watchdog, forwarding); `frames.rs` the look at a frame (`classify`) and
//! Upbit's error answer.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use coinking_core::backoff::Backoff;
use coinking_core::capture::{CaptureLine, FrameKind};
use coinking_core::market::MarketCode;
use tokio::sync::{mpsc, watch};
use tokio::task::{self, JoinSet};
use tokio::time::timeout;
use tokio_tungstenite::Connector;
use tracing::{info, warn};

use super::capture::CaptureWriter;
use super::catalog_watch::CatalogSnapshot;
use super::config::SourceConfig;
use super::metrics::SourceMetrics;
use super::rate_limit::ConnectLimiter;
use super::subscription::split_codes;
use super::tls;
use crate::sources::error::SourceError;
use slot::{Shared, Slot, SlotEnd, SlotExit};

mod connection;
mod frames;
mod session;
mod slot;

/// How long shutdown waits for the connections to close before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

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
