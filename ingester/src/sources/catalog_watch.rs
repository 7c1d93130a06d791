//! The market catalog, kept current: [`CatalogWatcher`] refetches `/v1/market/all` every refresh
//! period ([`fetch_catalog`]) and publishes it on a `tokio::sync::watch` channel when it differs
//! from the one in use (markets, names or warning flags, or where it came from).
//!
//! Two consumers follow the channel, each with its own receiver:
//! - the source ([`super::UpbitSource::follow_catalog`]) subscribes to the configured codes the
//!   catalog lists ([`CatalogSnapshot::subscribable`]) and reconnects the connections whose codes
//!   changed;
//! - the stream stage ([`crate::stream::StreamProcessor::follow_catalog`]) writes the catalog
//!   items with its next flush after a change.
//!
//! A watch channel fits: consumers only ever need the newest catalog, a slow consumer skips
//! intermediate ones, and the watcher never waits on anybody.
//!
//! A failed refresh (Upbit unreachable, an error status, an unusable or empty body) keeps the
//! previous catalog, counts a failure and logs a warning once per failure streak (then at debug
//! level until a refresh succeeds again, which is logged at info level). The bundled catalog a
//! start without Upbit fell back to is replaced by Upbit's at the first successful refresh.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use coinking_core::catalog::Catalog;
use coinking_core::market::MarketCode;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::catalog::{CatalogOrigin, fetch_catalog, load_catalog};
use super::subscription::listed_codes;
use crate::metrics::metric_set::metric_set;

/// A catalog as published: the markets and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogSnapshot {
    pub catalog: Arc<Catalog>,
    pub origin: CatalogOrigin,
}

impl CatalogSnapshot {
    pub fn new(catalog: Catalog, origin: CatalogOrigin) -> Self {
        Self {
            catalog: Arc::new(catalog),
            origin,
        }
    }

    /// The bundled catalog (Upbit unreachable, replays, `catalog.fetch = false`).
    pub fn bundled() -> Self {
        Self::new(Catalog::bundled(), CatalogOrigin::Bundled)
    }

    /// The codes of `configured` to subscribe to, and those skipped: Upbit's catalog keeps the
    /// codes it lists; the bundled one (only the game markets, possibly out of date) keeps all.
    pub fn subscribable(&self, configured: &[MarketCode]) -> (Vec<MarketCode>, Vec<MarketCode>) {
        match self.origin {
            CatalogOrigin::Upbit => listed_codes(configured, &self.catalog),
            CatalogOrigin::Bundled => {
                let mut unique: Vec<MarketCode> = Vec::with_capacity(configured.len());
                for code in configured {
                    if !unique.contains(code) {
                        unique.push(code.clone());
                    }
                }
                (unique, Vec::new())
            }
        }
    }
}

metric_set! {
    /// The watcher's counters (the source counts resubscribes in [`super::SourceMetrics`]).
    #[derive(Debug, Default)]
    pub struct CatalogMetrics {
        /// Refresh attempts, failed ones included.
        pub refreshes: AtomicU64 = counter(
            "catalog_refreshes_total",
            "Market catalog refetches, failed ones included."
        ),
        /// Refreshes that failed; the previous catalog was kept.
        pub refresh_failures: AtomicU64 = counter(
            "catalog_refresh_failures_total",
            "Market catalog refetches that failed; the previous catalog was kept."
        ),
        /// Refreshes that published a different catalog.
        pub changes: AtomicU64 = counter(
            "catalog_changes_total",
            "Market catalog refetches that found a different catalog."
        ),
        /// Malformed entries left out of the last catalog fetched (the valid ones are used).
        pub entries_rejected: AtomicU64 = gauge(
            "catalog_entries_rejected",
            "Malformed entries left out of the last market catalog fetched."
        ),
    }
}

impl CatalogMetrics {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// What one refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogRefresh {
    /// Fetched; the same as the catalog in use: nothing published.
    Unchanged,
    /// Fetched and different: published.
    Changed,
    /// The fetch failed: the previous catalog stays.
    Failed,
}

/// See the module doc. `CatalogWatcher::load(url, timeout).await`, hand
/// [`CatalogWatcher::subscribe`] receivers to the consumers, then
/// `watcher.run(every, shutdown)`.
#[derive(Debug)]
pub struct CatalogWatcher {
    base_url: String,
    timeout: Duration,
    current: watch::Sender<CatalogSnapshot>,
    metrics: Arc<CatalogMetrics>,
    failures_in_a_row: u64,
}

impl CatalogWatcher {
    /// A watcher publishing `initial` until a refresh finds something else.
    pub fn new(initial: CatalogSnapshot, base_url: impl Into<String>, timeout: Duration) -> Self {
        Self {
            base_url: base_url.into(),
            timeout,
            current: watch::Sender::new(initial),
            metrics: Arc::new(CatalogMetrics::default()),
            failures_in_a_row: 0,
        }
    }

    /// Starts from Upbit's catalog, or the bundled one when Upbit cannot be reached
    /// ([`load_catalog`]).
    pub async fn load(base_url: impl Into<String>, timeout: Duration) -> Self {
        let base_url = base_url.into();
        let (catalog, origin) = load_catalog(&base_url, timeout).await;
        Self::new(CatalogSnapshot::new(catalog, origin), base_url, timeout)
    }

    /// A receiver of the catalog in use and of every change.
    pub fn subscribe(&self) -> watch::Receiver<CatalogSnapshot> {
        self.current.subscribe()
    }

    /// The catalog in use.
    pub fn current(&self) -> CatalogSnapshot {
        self.current.borrow().clone()
    }

    pub fn metrics(&self) -> Arc<CatalogMetrics> {
        Arc::clone(&self.metrics)
    }

    /// Fetches once and publishes the result if it differs from the catalog in use.
    pub async fn refresh(&mut self) -> CatalogRefresh {
        CatalogMetrics::bump(&self.metrics.refreshes);
        let catalog = match fetch_catalog(&self.base_url, self.timeout).await {
            Ok(fetched) => {
                self.metrics
                    .entries_rejected
                    .store(fetched.rejected as u64, Ordering::Relaxed);
                fetched.catalog
            }
            Err(error) => {
                CatalogMetrics::bump(&self.metrics.refresh_failures);
                self.failures_in_a_row += 1;
                if self.failures_in_a_row == 1 {
                    warn!(%error, base_url = %self.base_url, "market catalog refresh failed; keeping the previous catalog");
                } else {
                    debug!(%error, failures_in_a_row = self.failures_in_a_row, "market catalog refresh failed again");
                }
                return CatalogRefresh::Failed;
            }
        };
        if self.failures_in_a_row > 0 {
            info!(
                failures = self.failures_in_a_row,
                "market catalog refresh succeeded again"
            );
            self.failures_in_a_row = 0;
        }
        let next = CatalogSnapshot::new(catalog, CatalogOrigin::Upbit);
        let mut previous = None;
        self.current.send_if_modified(|current| {
            if *current == next {
                return false;
            }
            previous = Some(std::mem::replace(current, next.clone()));
            true
        });
        let Some(previous) = previous else {
            return CatalogRefresh::Unchanged;
        };
        CatalogMetrics::bump(&self.metrics.changes);
        let before: BTreeSet<&MarketCode> = previous.catalog.iter().map(|m| &m.market).collect();
        let after: BTreeSet<&MarketCode> = next.catalog.iter().map(|m| &m.market).collect();
        info!(
            markets = next.catalog.len(),
            listed = after.difference(&before).count(),
            delisted = before.difference(&after).count(),
            was = ?previous.origin,
            "market catalog changed"
        );
        CatalogRefresh::Changed
    }

    /// Refreshes every `every` (the first one `every` after the call) until `shutdown` resolves,
    /// which also cuts a fetch in progress short.
    pub async fn run(mut self, every: Duration, shutdown: impl Future<Output = ()>) {
        info!(
            every_secs = every.as_secs_f64(),
            base_url = %self.base_url,
            "market catalog refresh started"
        );
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(every) => {}
            }
            tokio::select! {
                () = &mut shutdown => break,
                _ = self.refresh() => {}
            }
        }
        info!("market catalog refresh stopped");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use coinking_core::catalog::MarketInfo;

    use super::super::subscription::tests::codes;
    use super::*;

    fn catalog(codes: &[&str]) -> Catalog {
        Catalog::new(codes.iter().map(|code| MarketInfo {
            market: MarketCode::parse(code).unwrap(),
            korean_name: (*code).to_owned(),
            english_name: (*code).to_owned(),
            warning: false,
            caution: Default::default(),
        }))
    }

    #[test]
    fn upbit_s_catalog_keeps_the_configured_codes_it_lists() {
        let snapshot = CatalogSnapshot::new(
            catalog(&["KRW-BTC", "KRW-ETH", "KRW-SOL"]),
            CatalogOrigin::Upbit,
        );
        let (subscribed, skipped) =
            snapshot.subscribable(&codes(&["KRW-BTC", "KRW-ETH", "KRW-XRP"]));
        assert_eq!(subscribed, codes(&["KRW-BTC", "KRW-ETH"]));
        assert_eq!(skipped, codes(&["KRW-XRP"]));
    }

    #[test]
    fn the_bundled_catalog_keeps_every_configured_code() {
        let snapshot = CatalogSnapshot::new(catalog(&["KRW-BTC"]), CatalogOrigin::Bundled);
        let (subscribed, skipped) =
            snapshot.subscribable(&codes(&["KRW-BTC", "KRW-NOSUCH", "KRW-BTC"]));
        assert_eq!(subscribed, codes(&["KRW-BTC", "KRW-NOSUCH"]));
        assert!(skipped.is_empty());
    }
}
