//! [`Normalizer`]: one raw frame in, zero or more keyed records out.
//!
//! Every message is counted: tickers and trades become records, `{"status":"UP"}` answers and
//! Upbit `{"error":…}` messages are counted and dropped (the source already acted on them), Upbit
//! types the platform does not ingest (`orderbook`, …) are counted as skipped by type, and a
//! malformed message is counted by reason ([`coinking_core::upbit::ParseError::kind`]), logged at
//! debug level and never forwarded. Nothing here can fail or block.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::{DecodeStats, NotIngested, Trade, UpbitMessage, decode_counted};

use super::trade::NormalizedTrade;
use super::{KeyedRecord, Topic};
use crate::metrics::metric_set::metric_set;

/// The parse-error reasons, as `ParseError::kind` names them (the metric's label values).
pub const PARSE_ERROR_KINDS: [&str; 5] =
    ["empty", "json", "not_an_object", "unknown_type", "field"];

metric_set! {
    /// Live counters of the transform, shared with the metrics endpoint.
    #[derive(Debug, Default)]
    pub struct TransformMetrics {
        pub frames: AtomicU64,
        counter("messages_in_total", "Upbit messages decoded, by type.", by "type") {
            pub tickers: AtomicU64 = "ticker",
            pub trades: AtomicU64 = "trade",
            pub statuses: AtomicU64 = "status",
            pub upbit_errors: AtomicU64 = "error",
        }
        counter(
            "messages_skipped_total",
            "Well-formed Upbit messages not ingested, by type (trades when not forwarded).",
            by "type"
        ) {
            /// Trades received while trades are not forwarded.
            pub trades_skipped: AtomicU64 = "trade",
            /// Messages of types the platform does not ingest, indexed like [`NotIngested::ALL`].
            pub not_ingested: [AtomicU64; 4] = NotIngested::ALL.map(NotIngested::as_str),
        }
        counter("parse_errors_total", "Malformed Upbit messages dropped, by reason.", by "kind") {
            /// Indexed like [`PARSE_ERROR_KINDS`].
            pub parse_errors: [AtomicU64; 5] = PARSE_ERROR_KINDS,
        }
    }
}

/// A copy of [`TransformMetrics`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransformMetricsSnapshot {
    pub frames: u64,
    pub tickers: u64,
    pub trades: u64,
    pub statuses: u64,
    pub upbit_errors: u64,
    pub trades_skipped: u64,
    pub not_ingested: [u64; 4],
    pub parse_errors: [u64; 5],
}

impl TransformMetricsSnapshot {
    pub fn parse_error_total(&self) -> u64 {
        self.parse_errors.iter().sum()
    }
}

impl TransformMetrics {
    pub fn snapshot(&self) -> TransformMetricsSnapshot {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        TransformMetricsSnapshot {
            frames: read(&self.frames),
            tickers: read(&self.tickers),
            trades: read(&self.trades),
            statuses: read(&self.statuses),
            upbit_errors: read(&self.upbit_errors),
            trades_skipped: read(&self.trades_skipped),
            not_ingested: std::array::from_fn(|index| read(&self.not_ingested[index])),
            parse_errors: std::array::from_fn(|index| read(&self.parse_errors[index])),
        }
    }
}

/// Turns frames into records. One per pipeline (it is not shared between tasks); its metrics are.
#[derive(Debug)]
pub struct Normalizer {
    forward_trades: bool,
    metrics: Arc<TransformMetrics>,
    stats: DecodeStats,
}

impl Normalizer {
    /// `forward_trades`: emit [`Topic::Trade`] records (otherwise trades are counted and skipped).
    pub fn new(forward_trades: bool) -> Self {
        Self {
            forward_trades,
            metrics: Arc::new(TransformMetrics::default()),
            stats: DecodeStats::default(),
        }
    }

    pub fn metrics(&self) -> Arc<TransformMetrics> {
        Arc::clone(&self.metrics)
    }

    /// Decodes `frame` and appends its records to `out`.
    pub fn apply(&mut self, frame: &[u8], out: &mut Vec<KeyedRecord>) {
        let metrics = &self.metrics;
        let forward_trades = self.forward_trades;
        metrics.frames.fetch_add(1, Ordering::Relaxed);
        decode_counted(frame, &mut self.stats, |result| match result {
            Ok(UpbitMessage::Ticker(ticker)) => {
                metrics.tickers.fetch_add(1, Ordering::Relaxed);
                let normalized = NormalizedTicker::from_ticker(&ticker);
                out.push(KeyedRecord {
                    topic: Topic::Ticker,
                    key: normalized.market.clone(),
                    value: normalized.to_json(),
                });
            }
            Ok(UpbitMessage::Trade(trade)) => {
                metrics.trades.fetch_add(1, Ordering::Relaxed);
                if forward_trades {
                    let value = NormalizedTrade::json_of(&trade);
                    let Trade { code, .. } = *trade;
                    out.push(KeyedRecord {
                        topic: Topic::Trade,
                        key: code,
                        value,
                    });
                } else {
                    metrics.trades_skipped.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(UpbitMessage::Status(_)) => {
                metrics.statuses.fetch_add(1, Ordering::Relaxed);
            }
            Ok(UpbitMessage::Error { .. }) => {
                metrics.upbit_errors.fetch_add(1, Ordering::Relaxed);
            }
            Ok(UpbitMessage::NotIngested(kind)) => {
                let index = NotIngested::ALL
                    .iter()
                    .position(|known| *known == kind)
                    .unwrap_or(0);
                metrics.not_ingested[index].fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                let kind = error.kind();
                let index = PARSE_ERROR_KINDS
                    .iter()
                    .position(|known| *known == kind)
                    .unwrap_or(PARSE_ERROR_KINDS.len() - 1);
                metrics.parse_errors[index].fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%error, kind, "upbit message dropped");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const TICKER: &str = r#"{"ty":"ticker","cd":"KRW-BTC","op":1.0,"hp":2.0,"lp":0.5,"tp":1.50,"pcp":1.0,"c":"RISE","cp":0.5,"cr":0.5,"tv":0.01,"tdt":"20241125","ttm":"000000","ttms":1732492800000,"tms":1732492800010,"st":"REALTIME"}"#;
    const TRADE: &str = r#"{"ty":"trade","cd":"KRW-ETH","tp":1.0,"tv":2.0,"ab":"BID","td":"2024-11-25","ttm":"00:00:00","ttms":1732492801500,"tms":1732492801500,"sid":10,"st":"REALTIME"}"#;

    #[test]
    fn a_ticker_frame_becomes_a_keyed_normalised_record() {
        let mut normalizer = Normalizer::new(false);
        let mut out = Vec::new();
        normalizer.apply(TICKER.as_bytes(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].topic, Topic::Ticker);
        assert_eq!(out[0].key.as_str(), "KRW-BTC");
        let ticker = NormalizedTicker::from_json(&out[0].value).unwrap();
        assert_eq!(ticker.trade_price.to_string(), "1.5");
        assert_eq!(ticker.trade_timestamp, 1_732_492_800_000);
    }

    #[test]
    fn trades_are_forwarded_only_when_asked() {
        let mut out = Vec::new();
        let mut skipping = Normalizer::new(false);
        skipping.apply(TRADE.as_bytes(), &mut out);
        assert!(out.is_empty());
        assert_eq!(skipping.metrics().snapshot().trades_skipped, 1);

        let mut forwarding = Normalizer::new(true);
        forwarding.apply(TRADE.as_bytes(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].topic, Topic::Trade);
        let trade: NormalizedTrade = serde_json::from_slice(&out[0].value).unwrap();
        assert_eq!(trade.sequential_id, 10);
        assert_eq!(trade.market.as_str(), "KRW-ETH");
    }

    #[test]
    fn malformed_messages_are_counted_by_reason_and_never_forwarded() {
        let mut normalizer = Normalizer::new(true);
        let mut out = Vec::new();
        normalizer.apply(b"not json", &mut out);
        normalizer.apply(b"", &mut out);
        normalizer.apply(br#"{"ty":"ticker","cd":"KRW-BTC"}"#, &mut out);
        normalizer.apply(br#"{"status":"UP"}"#, &mut out);
        normalizer.apply(br#"{"ty":"orderbook","cd":"KRW-BTC","obu":[]}"#, &mut out);
        normalizer.apply(br#"{"type":"candle.1s","code":"KRW-BTC"}"#, &mut out);
        assert!(out.is_empty());
        let snapshot = normalizer.metrics().snapshot();
        assert_eq!(snapshot.frames, 6);
        assert_eq!(
            snapshot.not_ingested,
            [1, 1, 0, 0],
            "skipped by type, not errors"
        );
        assert_eq!(snapshot.parse_errors, [1, 1, 0, 0, 1]);
        assert_eq!(snapshot.statuses, 1);
        assert_eq!(snapshot.parse_error_total(), 3);
    }

    #[test]
    fn a_list_frame_yields_one_record_per_message() {
        let frame = format!("[{TICKER},{TICKER}]");
        let mut normalizer = Normalizer::new(false);
        let mut out = Vec::new();
        normalizer.apply(frame.as_bytes(), &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(normalizer.metrics().snapshot().tickers, 2);
    }
}
