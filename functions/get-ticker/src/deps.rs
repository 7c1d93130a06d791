//! What every route needs: [`Deps`], built once per process, and the store-error mapping.
//! Its own module so that the edge ([`crate::handler`]) and the routes ([`crate::routes`]) both
//! use it without importing each other.

use std::time::Duration;

use coinking_adapters::StoreError;

use crate::catalog_cache::{CatalogCache, DEFAULT_CATALOG_TTL};
use crate::config::TickerConfig;
use crate::respond::ApiError;

pub use coinking_http::{Clock, system_clock};

/// What the handler needs, built once per process: the store (only its reader ports are
/// used), the configuration, the catalog cache and the clock.
#[derive(Debug)]
pub struct Deps<S> {
    pub store: S,
    pub config: TickerConfig,
    pub(crate) catalog: CatalogCache,
    pub(crate) clock: Clock,
}

impl<S> Deps<S> {
    pub fn new(store: S, config: TickerConfig) -> Self {
        Self {
            store,
            config,
            catalog: CatalogCache::new(DEFAULT_CATALOG_TTL),
            clock: system_clock,
        }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the catalog cache's lifetime (tests use zero to see store changes at once).
    pub fn with_catalog_ttl(mut self, ttl: Duration) -> Self {
        self.catalog = CatalogCache::new(ttl);
        self
    }
}

/// A store failure: 503 when retrying can help (throttling, timeouts), 500 otherwise. The
/// caller sees no internals; the log has the details.
pub(crate) fn store_error(error: StoreError) -> ApiError {
    tracing::error!(error = %error, retryable = error.is_retryable(), "market store read failed");
    ApiError::store_failure("market store", "read", error.is_retryable())
}
