//! A slot: one code group's connection, reconnected for as long as the source runs and the
//! plan has a group for it. Each turn of [`Slot::serve`] takes a connect token, connects and
//! runs a session; how the session or the connect ended decides the wait before the next turn:
//! none after a resubscribe, the whole backoff ceiling after a permanent refusal, at least
//! `Retry-After` when rate limited, otherwise the jittered backoff (reset after a healthy
//! connection). Every wait gives way to shutdown.

use std::future::Future;
use std::sync::Arc;

use coinking_core::backoff::Backoff;
use coinking_core::capture::CaptureLine;
use coinking_core::market::MarketCode;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep};
use tokio_tungstenite::Connector;
use tracing::{info, warn};

use super::connection::{ConnectFailure, connect};
use super::session::SessionEnd;
use super::{ConnectionId, Plan, SourceEvent};
use crate::sources::config::SourceConfig;
use crate::sources::metrics::SourceMetrics;
use crate::sources::rate_limit::ConnectLimiter;

/// What every slot shares.
pub(super) struct Shared {
    pub(super) config: SourceConfig,
    pub(super) metrics: Arc<SourceMetrics>,
    pub(super) limiter: ConnectLimiter,
    pub(super) connector: Option<Connector>,
}

/// Why a slot stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SlotEnd {
    Shutdown,
    OutputClosed,
    /// The plan has no group for it any more.
    Retired,
}

/// A slot's last word: which slot, how many connects it made, why it stopped.
#[derive(Debug)]
pub(super) struct SlotExit {
    pub(super) id: u32,
    pub(super) generation: u64,
    pub(super) end: SlotEnd,
}

/// One code group's connection, reconnected for as long as the source runs and the plan has a
/// group for it.
pub(super) struct Slot {
    pub(super) id: u32,
    /// Connects made so far (the last connection's generation).
    pub(super) generation: u64,
    /// The group of the current (or last) connection.
    pub(super) codes: Vec<MarketCode>,
    pub(super) plan: watch::Receiver<Plan>,
    pub(super) shared: Arc<Shared>,
    pub(super) out: mpsc::Sender<SourceEvent>,
    pub(super) capture: Option<mpsc::Sender<CaptureLine>>,
    pub(super) shutdown: watch::Receiver<bool>,
    pub(super) backoff: Backoff,
    pub(super) rng: fastrand::Rng,
}

impl Slot {
    pub(super) async fn run(mut self) -> SlotExit {
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
            let attempt = connect(&self.shared);
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
}

/// Runs `work` unless shutdown is requested first (`None`).
pub(super) async fn until_shutdown<T>(
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
pub(super) async fn stop_requested(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}
