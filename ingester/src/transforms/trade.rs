//! The normalised trade: the `"v":1` value of topic `upbit.trade`. Prices stay exact decimals
//! (serialised as strings), like the normalised ticker.

use coinking_core::market::MarketCode;
use coinking_core::upbit::{AskBid, StreamType, Trade};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Current version of [`NormalizedTrade`]'s JSON.
pub const NORMALIZED_TRADE_VERSION: u8 = 1;

/// One execution, key-style independent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedTrade {
    pub v: u8,
    pub market: MarketCode,
    pub trade_price: Decimal,
    pub trade_volume: Decimal,
    pub ask_bid: AskBid,
    pub trade_timestamp: i64,
    pub timestamp: i64,
    /// Upbit's unique trade id: the dedup key downstream.
    pub sequential_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_type: Option<StreamType>,
}

impl NormalizedTrade {
    pub fn from_trade(trade: &Trade) -> Self {
        NormalizedTrade {
            v: NORMALIZED_TRADE_VERSION,
            market: trade.code.clone(),
            trade_price: trade.trade_price.normalize(),
            trade_volume: trade.trade_volume.normalize(),
            ask_bid: trade.ask_bid,
            trade_timestamp: trade.trade_timestamp,
            timestamp: trade.timestamp,
            sequential_id: trade.sequential_id,
            stream_type: trade.stream_type,
        }
    }

    /// The Kafka value.
    pub fn to_json(&self) -> Vec<u8> {
        // Strings, integers and decimals-as-strings always serialise.
        serde_json::to_vec(self).unwrap_or_default()
    }
}
