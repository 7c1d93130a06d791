//! Fixtures the unit tests of several stages share: a plain normalised ticker and its record.
#![allow(clippy::unwrap_used)]

use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::{Change, StreamType};
use rust_decimal::Decimal;

use crate::consumer::Record;

pub fn market(code: &str) -> MarketCode {
    MarketCode::parse(code).unwrap()
}

/// A realtime ticker of `code` at `trade_timestamp`: every price `price`, volume 1.
pub fn ticker(code: &str, trade_timestamp: i64, price: i64) -> NormalizedTicker {
    let price = Decimal::from(price);
    NormalizedTicker {
        v: 1,
        market: market(code),
        trade_price: price,
        opening_price: price,
        high_price: price,
        low_price: price,
        prev_closing_price: price,
        change: Change::Even,
        change_price: Decimal::ZERO,
        change_rate: Decimal::ZERO,
        signed_change_price: Decimal::ZERO,
        signed_change_rate: Decimal::ZERO,
        trade_volume: Some(Decimal::ONE),
        acc_trade_volume_24h: None,
        acc_trade_price_24h: None,
        ask_bid: None,
        trade_timestamp,
        timestamp: trade_timestamp + 5,
        stream_type: Some(StreamType::Realtime),
        market_warning: None,
    }
}

/// `ticker` as the bus carries it: keyed by market, partition 0, at `offset`.
pub fn record(ticker: &NormalizedTicker, offset: i64) -> Record {
    Record {
        key: ticker.market.as_str().as_bytes().to_vec(),
        payload: ticker.to_json(),
        partition: 0,
        offset,
    }
}
