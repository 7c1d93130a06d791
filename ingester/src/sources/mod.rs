//! Sources: where data enters the ingester. Each runs until its shutdown future resolves and
//! hands what it receives to a bounded channel.
//!
//! - [`upbit`]: [`UpbitSource`], the Upbit WebSocket client (connect, subscribe, ping,
//!   watchdog, reconnect with backoff, resubscribe on a catalog change, capture, metrics).
//! - [`config`]: [`SourceConfig`] and its defaults.
//! - [`subscription`]: the request JSON and the split of codes over connections (pure).
//! - [`rate_limit`]: the connect token bucket.
//! - [`catalog`]: the market catalog from `/v1/market/all`, with the bundled fallback.
//! - [`catalog_watch`]: [`CatalogWatcher`], the catalog refetched periodically and published on a
//!   watch channel that the source and the stream stage follow.
//! - [`metrics`]: [`SourceMetrics`], the counters.
//! - [`error`]: [`SourceError`] (a source cannot start) and [`CatalogFetchError`].
//! - `capture`: the optional raw capture writer (rotating NDJSON files).
//! - `tls`: the rustls client config (ring, OS roots).

mod capture;
pub mod catalog;
pub mod catalog_watch;
pub mod config;
pub mod error;
pub mod metrics;
pub mod rate_limit;
pub mod subscription;
mod tls;
pub mod upbit;

pub use catalog::{CatalogOrigin, FetchedCatalog, fetch_catalog, load_catalog};
pub use catalog_watch::{CatalogMetrics, CatalogRefresh, CatalogSnapshot, CatalogWatcher};
pub use config::{DataType, SourceConfig, WireFormat};
pub use error::{CatalogFetchError, SourceError};
pub use metrics::{SourceMetrics, SourceMetricsSnapshot};
pub use upbit::{ConnectionId, SourceEvent, UpbitSource};

/// Now, as epoch milliseconds: the platform's one wall clock.
pub(crate) use coinking_core::time::now_epoch_ms as now_ms;
