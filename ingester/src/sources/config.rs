//! The Upbit source's typed configuration, with defaults that work against the real Upbit.
//!
//! Durations are written in milliseconds (`ping_interval_ms = 30000`); unknown keys are an error.

use std::path::PathBuf;
use std::time::Duration;

use coinking_core::market::MarketCode;
use serde::{Deserialize, Deserializer};

use crate::sources::error::SourceError;

/// Upbit's public quotation WebSocket.
pub const DEFAULT_URL: &str = "wss://api.upbit.com/websocket/v1";

/// Upbit's REST API (the market catalog lives at `/v1/market/all`).
pub const DEFAULT_REST_BASE_URL: &str = "https://api.upbit.com";

/// Upbit allows 5 WebSocket connects per second.
pub const UPBIT_CONNECTS_PER_SECOND: u32 = 5;

/// The key style Upbit sends data in (the list formats are a transform concern and not offered).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WireFormat {
    /// Full key names (`trade_price`).
    #[default]
    Default,
    /// Short key names (`tp`): about half the bytes.
    Simple,
}

impl WireFormat {
    /// The `format` value of the request.
    pub fn as_str(self) -> &'static str {
        match self {
            WireFormat::Default => "DEFAULT",
            WireFormat::Simple => "SIMPLE",
        }
    }
}

/// The data types the source subscribes to.
pub use coinking_core::upbit::DataType;

/// How the source connects, subscribes and recovers. `SourceConfig::default()` is the production
/// setting for the nine game markets.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceConfig {
    /// WebSocket URL. Default [`DEFAULT_URL`]; `ws://` is accepted (the simulator).
    pub url: String,
    /// Key style of the data. Default `DEFAULT`.
    pub format: WireFormat,
    /// Market codes to subscribe to. Default: the nine game markets.
    pub codes: Vec<MarketCode>,
    /// Data types to subscribe to. Default `["ticker", "trade"]`.
    pub types: Vec<DataType>,
    /// Codes per connection; more codes are split over several connections. Default 100.
    pub max_codes_per_connection: usize,
    /// Interval between text `PING`s. Default 30 s, well inside Upbit's ~120 s idle close.
    #[serde(rename = "ping_interval_ms", deserialize_with = "millis")]
    pub ping_interval: Duration,
    /// Reconnect when no data frame arrives for this long. Default 10 s.
    #[serde(rename = "no_data_watchdog_ms", deserialize_with = "millis")]
    pub no_data_watchdog: Duration,
    /// Give up on a connect (TCP + TLS + upgrade) after this long. Default 10 s.
    #[serde(rename = "connect_timeout_ms", deserialize_with = "millis")]
    pub connect_timeout: Duration,
    /// First reconnect backoff ceiling. Default 500 ms.
    #[serde(rename = "backoff_base_ms", deserialize_with = "millis")]
    pub backoff_base: Duration,
    /// Largest reconnect backoff. Default 30 s.
    #[serde(rename = "backoff_cap_ms", deserialize_with = "millis")]
    pub backoff_cap: Duration,
    /// A connection that lived this long resets the backoff. Default 60 s.
    #[serde(rename = "healthy_after_ms", deserialize_with = "millis")]
    pub healthy_after: Duration,
    /// Least wait after HTTP 429/418 on connect, unless `Retry-After` says longer. Default 60 s.
    #[serde(rename = "rate_limited_backoff_ms", deserialize_with = "millis")]
    pub rate_limited_backoff: Duration,
    /// Client-side connect rate limit (token bucket, burst = rate). Default 5/s, as Upbit.
    pub connects_per_second: u32,
    /// When set, every frame is appended as a capture NDJSON line to rotating files here.
    pub capture_dir: Option<PathBuf>,
    /// Rotate a capture file once it reaches this many bytes. Default 64 MiB.
    pub capture_max_file_bytes: u64,
}

impl Default for SourceConfig {
    fn default() -> Self {
        Self {
            url: DEFAULT_URL.to_owned(),
            format: WireFormat::Default,
            codes: MarketCode::default_game_markets(),
            types: vec![DataType::Ticker, DataType::Trade],
            max_codes_per_connection: 100,
            ping_interval: Duration::from_secs(30),
            no_data_watchdog: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            healthy_after: Duration::from_secs(60),
            rate_limited_backoff: Duration::from_secs(60),
            connects_per_second: UPBIT_CONNECTS_PER_SECOND,
            capture_dir: None,
            capture_max_file_bytes: 64 * 1024 * 1024,
        }
    }
}

impl SourceConfig {
    /// Checks what serde cannot; called by `UpbitSource::new`.
    pub fn validate(&self) -> Result<(), SourceError> {
        let fail = |field: &'static str, reason: &str| {
            Err(SourceError::Config {
                field,
                reason: reason.to_owned(),
            })
        };
        if !(self.url.starts_with("wss://") || self.url.starts_with("ws://")) {
            return fail("url", "must start with wss:// or ws://");
        }
        if self.codes.is_empty() {
            return fail("codes", "must name at least one market");
        }
        if self.types.is_empty() {
            return fail("types", "must name at least one of ticker, trade");
        }
        if self.max_codes_per_connection == 0 {
            return fail("max_codes_per_connection", "must be greater than zero");
        }
        let positive = [
            ("ping_interval_ms", self.ping_interval),
            ("no_data_watchdog_ms", self.no_data_watchdog),
            ("connect_timeout_ms", self.connect_timeout),
            ("backoff_base_ms", self.backoff_base),
            ("backoff_cap_ms", self.backoff_cap),
        ];
        for (field, value) in positive {
            if value.is_zero() {
                return fail(field, "must be greater than zero");
            }
        }
        if self.backoff_cap < self.backoff_base {
            return fail("backoff_cap_ms", "must be at least backoff_base_ms");
        }
        if self.connects_per_second == 0 {
            return fail("connects_per_second", "must be greater than zero");
        }
        if self.capture_max_file_bytes == 0 {
            return fail("capture_max_file_bytes", "must be greater than zero");
        }
        Ok(())
    }
}

fn millis<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_millis)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_are_valid_and_target_upbit() {
        let config = SourceConfig::default();
        assert!(config.validate().is_ok());
        assert_eq!(config.url, DEFAULT_URL);
        assert_eq!(config.codes.len(), 9);
        assert!(config.ping_interval < Duration::from_secs(120));
    }

    #[test]
    fn reads_millisecond_durations_and_partial_configs() {
        let config: SourceConfig = serde_json::from_str(
            r#"{"url":"ws://127.0.0.1:9/websocket/v1","format":"SIMPLE","ping_interval_ms":1500}"#,
        )
        .unwrap();
        assert_eq!(config.format, WireFormat::Simple);
        assert_eq!(config.ping_interval, Duration::from_millis(1500));
        assert_eq!(config.no_data_watchdog, Duration::from_secs(10));
    }

    #[test]
    fn rejects_unknown_keys() {
        let err = serde_json::from_str::<SourceConfig>(r#"{"ping_interval":5}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn rejects_a_cap_below_the_base() {
        let config = SourceConfig {
            backoff_cap: Duration::from_millis(100),
            ..SourceConfig::default()
        };
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("backoff_cap_ms"), "{err}");
    }
}
