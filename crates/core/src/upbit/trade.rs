//! The trade message (`"type":"trade"`): one execution. `sequential_id` is unique per trade and is
//! the dedup key when a reconnect replays recent trades.

use rust_decimal::Decimal;

use super::error::ParseError;
use super::raw::{self, RawMessage};
use super::{AskBid, Change, StreamType};
use crate::market::MarketCode;

#[derive(Debug, Clone, PartialEq)]
pub struct Trade {
    pub code: MarketCode,
    pub trade_price: Decimal,
    pub trade_volume: Decimal,
    pub ask_bid: AskBid,
    pub prev_closing_price: Option<Decimal>,
    pub change: Option<Change>,
    pub change_price: Option<Decimal>,
    /// `yyyy-MM-dd`, UTC.
    pub trade_date: Option<String>,
    /// `HH:mm:ss`, UTC.
    pub trade_time: Option<String>,
    pub trade_timestamp: i64,
    pub timestamp: i64,
    pub sequential_id: i64,
    pub best_ask_price: Option<Decimal>,
    pub best_ask_size: Option<Decimal>,
    pub best_bid_price: Option<Decimal>,
    pub best_bid_size: Option<Decimal>,
    pub stream_type: Option<StreamType>,
}

impl Trade {
    pub(crate) fn from_raw(raw: &RawMessage<'_>) -> Result<Self, ParseError> {
        Ok(Trade {
            code: raw::market_code(raw.code, "code")?,
            trade_price: raw::price(raw.trade_price, "trade_price")?,
            trade_volume: raw::non_negative(raw.trade_volume, "trade_volume")?,
            ask_bid: raw::enumerated(raw.ask_bid, "ask_bid", AskBid::from_wire)?,
            prev_closing_price: raw::opt_decimal(raw.prev_closing_price, "prev_closing_price")?,
            change: raw::opt_enumerated(raw.change, "change", Change::from_wire)?,
            change_price: raw::opt_non_negative(raw.change_price, "change_price")?,
            trade_date: raw::opt_string(raw.trade_date, "trade_date")?,
            trade_time: raw::opt_string(raw.trade_time, "trade_time")?,
            trade_timestamp: raw::non_negative_integer(raw.trade_timestamp, "trade_timestamp")?,
            timestamp: raw::non_negative_integer(raw.timestamp, "timestamp")?,
            sequential_id: raw::non_negative_integer(raw.sequential_id, "sequential_id")?,
            best_ask_price: raw::opt_non_negative(raw.best_ask_price, "best_ask_price")?,
            best_ask_size: raw::opt_non_negative(raw.best_ask_size, "best_ask_size")?,
            best_bid_price: raw::opt_non_negative(raw.best_bid_price, "best_bid_price")?,
            best_bid_size: raw::opt_non_negative(raw.best_bid_size, "best_bid_size")?,
            stream_type: raw::opt_enumerated(
                raw.stream_type,
                "stream_type",
                StreamType::from_wire,
            )?,
        })
    }
}
