//! Sources: where data enters the ingester. Each runs until its shutdown future resolves and
//! hands what it receives to a bounded channel.
//!
//! - [`upbit_ws`]: [`UpbitSource`], the Upbit WebSocket client (connect, subscribe, ping,
//!   watchdog, reconnect with backoff, capture, metrics).
//! - [`config`]: [`SourceConfig`] and its defaults.
//! - [`subscription`]: the request JSON and the split of codes over connections (pure).
//! - [`backoff`]: capped exponential backoff with full jitter (pure).
//! - [`rate_limit`]: the connect token bucket.
//! - [`catalog`]: the market catalog from `/v1/market/all`, with the bundled fallback.
//! - [`metrics`]: [`SourceMetrics`], the counters.
//! - `capture`: the optional raw capture writer (rotating NDJSON files).
//! - `tls`: the rustls client config (ring, OS roots).

pub mod backoff;
mod capture;
pub mod catalog;
pub mod config;
pub mod metrics;
pub mod rate_limit;
pub mod subscription;
mod tls;
pub mod upbit_ws;

pub use catalog::{CatalogOrigin, fetch_catalog, load_catalog};
pub use config::{DataType, SourceConfig, WireFormat};
pub use metrics::{SourceMetrics, SourceMetricsSnapshot};
pub use upbit_ws::{ConnectionId, SourceEvent, UpbitSource};

/// Now, as epoch milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
