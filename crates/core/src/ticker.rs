//! The normalised ticker — the `"v":1` value on Kafka topic `upbit.ticker` and the shape the
//! stream stage stores — and [`UpbitData`], the `/upbit_data` element the game's frontend reads.
//!
//! Prices stay exact decimals (serialised as strings) from the wire to storage; they become JSON
//! numbers only in the compat view, because the frontend expects numbers.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::market::MarketCode;
use crate::upbit::{AskBid, Change, StreamType, Ticker};

/// Current version of [`NormalizedTicker`]'s JSON; readers reject other versions.
pub const NORMALIZED_TICKER_VERSION: u8 = 1;

/// The platform's own ticker: key-style independent, canonical decimals, versioned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedTicker {
    pub v: u8,
    pub market: MarketCode,
    pub trade_price: Decimal,
    pub opening_price: Decimal,
    pub high_price: Decimal,
    pub low_price: Decimal,
    pub prev_closing_price: Decimal,
    pub change: Change,
    pub change_price: Decimal,
    pub change_rate: Decimal,
    pub signed_change_price: Decimal,
    pub signed_change_rate: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_volume: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acc_trade_volume_24h: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acc_trade_price_24h: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask_bid: Option<AskBid>,
    /// Epoch ms of the last trade: the "newer wins" ordering key.
    pub trade_timestamp: i64,
    /// Epoch ms at which Upbit produced the message.
    pub timestamp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_type: Option<StreamType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_warning: Option<String>,
}

/// A Kafka value that is not a version-1 normalised ticker.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NormalizedTickerError {
    #[error("not a normalised ticker: {0}")]
    Json(String),
    #[error("unsupported normalised ticker version {0} (expected {NORMALIZED_TICKER_VERSION})")]
    Version(u8),
}

impl NormalizedTicker {
    /// Normalises an Upbit ticker: canonical decimals (no trailing zeros) and signed changes
    /// derived from `change` when Upbit left them out.
    pub fn from_ticker(ticker: &Ticker) -> Self {
        let sign = if ticker.change == Change::Fall {
            Decimal::NEGATIVE_ONE
        } else {
            Decimal::ONE
        };
        NormalizedTicker {
            v: NORMALIZED_TICKER_VERSION,
            market: ticker.code.clone(),
            trade_price: ticker.trade_price.normalize(),
            opening_price: ticker.opening_price.normalize(),
            high_price: ticker.high_price.normalize(),
            low_price: ticker.low_price.normalize(),
            prev_closing_price: ticker.prev_closing_price.normalize(),
            change: ticker.change,
            change_price: ticker.change_price.normalize(),
            change_rate: ticker.change_rate.normalize(),
            signed_change_price: ticker
                .signed_change_price
                .unwrap_or(ticker.change_price * sign)
                .normalize(),
            signed_change_rate: ticker
                .signed_change_rate
                .unwrap_or(ticker.change_rate * sign)
                .normalize(),
            trade_volume: ticker.trade_volume.map(|d| d.normalize()),
            acc_trade_volume_24h: ticker.acc_trade_volume_24h.map(|d| d.normalize()),
            acc_trade_price_24h: ticker.acc_trade_price_24h.map(|d| d.normalize()),
            ask_bid: ticker.ask_bid,
            trade_timestamp: ticker.trade_timestamp,
            timestamp: ticker.timestamp,
            stream_type: ticker.stream_type,
            market_warning: ticker.market_warning.clone(),
        }
    }

    /// The Kafka value.
    pub fn to_json(&self) -> Vec<u8> {
        // Every field serialises infallibly (strings, integers, decimals as strings).
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a Kafka value back, rejecting other versions.
    pub fn from_json(bytes: &[u8]) -> Result<Self, NormalizedTickerError> {
        let ticker: NormalizedTicker = serde_json::from_slice(bytes)
            .map_err(|err| NormalizedTickerError::Json(err.to_string()))?;
        if ticker.v != NORMALIZED_TICKER_VERSION {
            return Err(NormalizedTickerError::Version(ticker.v));
        }
        Ok(ticker)
    }

    /// True when `self` should replace `stored` (DynamoDB's newer-wins condition, in memory).
    pub fn is_newer_than(&self, stored: &NormalizedTicker) -> bool {
        self.trade_timestamp > stored.trade_timestamp
    }
}

/// One element of `GET /upbit_data`: exactly the fields and JSON types the frontend reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpbitData {
    pub code: String,
    pub coin_name: String,
    pub trade_price: f64,
    pub high_price: f64,
    pub low_price: f64,
    pub change: Change,
    pub change_price: f64,
    pub change_rate: f64,
    pub timestamp: i64,
    pub trade_timestamp: i64,
}

impl UpbitData {
    /// The compat view of a normalised ticker; `coin_name` is the catalog's Korean name.
    pub fn from_normalized(ticker: &NormalizedTicker, coin_name: &str) -> Self {
        UpbitData {
            code: ticker.market.to_string(),
            coin_name: coin_name.to_owned(),
            trade_price: to_f64(ticker.trade_price),
            high_price: to_f64(ticker.high_price),
            low_price: to_f64(ticker.low_price),
            change: ticker.change,
            change_price: to_f64(ticker.change_price),
            change_rate: to_f64(ticker.change_rate),
            timestamp: ticker.timestamp,
            trade_timestamp: ticker.trade_timestamp,
        }
    }
}

/// Every Decimal fits an f64 in range (at reduced precision), so this never falls back in practice.
fn to_f64(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(0.0)
}
