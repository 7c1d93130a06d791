//! The market catalog the handler names coins from: the store's `MARKET` items laid over the
//! bundled catalog, read at most once per [`DEFAULT_CATALOG_TTL`] per process (the catalog
//! changes a few times a year; reading it on every one-second poll would double the reads).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coinking_adapters::market_store::CatalogReader;
use coinking_core::catalog::Catalog;

/// How long a catalog read from the store is reused.
pub const DEFAULT_CATALOG_TTL: Duration = Duration::from_secs(300);
/// After a failed store read the bundled catalog is used, and the store is asked again only
/// after this long, so an outage does not add a failing call to every request.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct CatalogCache {
    ttl: Duration,
    bundled: Arc<Catalog>,
    cached: Mutex<Option<(Instant, Arc<Catalog>)>>,
}

impl CatalogCache {
    /// Parses the bundled catalog once (it is re-parsed on every `Catalog::bundled()` call).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            bundled: Arc::new(Catalog::bundled()),
            cached: Mutex::new(None),
        }
    }

    /// The merged catalog, refreshed from `store` when the cached one is older than the TTL.
    pub async fn get(&self, store: &impl CatalogReader) -> Arc<Catalog> {
        if let Some(fresh) = self.fresh() {
            return fresh;
        }
        let (catalog, valid_for) = match store.markets().await {
            Ok(stored) => {
                // Stored entries win over bundled ones for the same market.
                let merged = Catalog::new(self.bundled.iter().cloned().chain(stored));
                (Arc::new(merged), self.ttl)
            }
            Err(err) => {
                tracing::warn!(error = %err, "market catalog read failed, using the bundled catalog");
                (Arc::clone(&self.bundled), RETRY_AFTER_FAILURE.min(self.ttl))
            }
        };
        // Back-date the entry so that it expires after `valid_for` rather than the full TTL.
        let stamp = Instant::now()
            .checked_sub(self.ttl.saturating_sub(valid_for))
            .unwrap_or_else(Instant::now);
        *self.lock() = Some((stamp, Arc::clone(&catalog)));
        catalog
    }

    fn fresh(&self) -> Option<Arc<Catalog>> {
        let cached = self.lock();
        let (read_at, catalog) = cached.as_ref()?;
        (read_at.elapsed() < self.ttl).then(|| Arc::clone(catalog))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Arc<Catalog>)>> {
        // The guarded value is replaced whole, so a poisoned lock holds nothing half-written.
        self.cached
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
