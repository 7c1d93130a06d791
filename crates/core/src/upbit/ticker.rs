//! The ticker message (`"type":"ticker"`): the market's current price and 24-hour figures.

use rust_decimal::Decimal;

use super::error::ParseError;
use super::raw::{self, RawMessage};
use super::{AskBid, Change, StreamType};
use crate::market::MarketCode;

/// A ticker as Upbit sends it. Fields the platform relies on are required; the rest are optional
/// so a message without them (older feeds, snapshots) still parses.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticker {
    pub code: MarketCode,
    pub opening_price: Decimal,
    pub high_price: Decimal,
    pub low_price: Decimal,
    pub trade_price: Decimal,
    pub prev_closing_price: Decimal,
    pub change: Change,
    /// Absolute change against the previous close (never negative).
    pub change_price: Decimal,
    pub signed_change_price: Option<Decimal>,
    /// Absolute change rate against the previous close (never negative; 0.0123 = 1.23 %).
    pub change_rate: Decimal,
    pub signed_change_rate: Option<Decimal>,
    pub trade_volume: Option<Decimal>,
    pub acc_trade_volume: Option<Decimal>,
    pub acc_trade_volume_24h: Option<Decimal>,
    pub acc_trade_price: Option<Decimal>,
    pub acc_trade_price_24h: Option<Decimal>,
    /// `yyyyMMdd`, UTC.
    pub trade_date: Option<String>,
    /// `HHmmss`, UTC.
    pub trade_time: Option<String>,
    /// Epoch ms of the last trade.
    pub trade_timestamp: i64,
    pub ask_bid: Option<AskBid>,
    pub acc_ask_volume: Option<Decimal>,
    pub acc_bid_volume: Option<Decimal>,
    pub highest_52_week_price: Option<Decimal>,
    pub highest_52_week_date: Option<String>,
    pub lowest_52_week_price: Option<Decimal>,
    pub lowest_52_week_date: Option<String>,
    pub market_state: Option<String>,
    pub is_trading_suspended: Option<bool>,
    pub delisting_date: Option<String>,
    pub market_warning: Option<String>,
    /// Epoch ms at which Upbit produced the message.
    pub timestamp: i64,
    pub stream_type: Option<StreamType>,
}

impl Ticker {
    pub(crate) fn from_raw(raw: &RawMessage<'_>) -> Result<Self, ParseError> {
        Ok(Ticker {
            code: raw::market_code(raw.code, "code")?,
            opening_price: raw::price(raw.opening_price, "opening_price")?,
            high_price: raw::price(raw.high_price, "high_price")?,
            low_price: raw::price(raw.low_price, "low_price")?,
            trade_price: raw::price(raw.trade_price, "trade_price")?,
            prev_closing_price: raw::price(raw.prev_closing_price, "prev_closing_price")?,
            change: raw::enumerated(raw.change, "change", Change::from_wire)?,
            change_price: raw::non_negative(raw.change_price, "change_price")?,
            signed_change_price: raw::opt_decimal(raw.signed_change_price, "signed_change_price")?,
            change_rate: raw::non_negative(raw.change_rate, "change_rate")?,
            signed_change_rate: raw::opt_decimal(raw.signed_change_rate, "signed_change_rate")?,
            trade_volume: raw::opt_non_negative(raw.trade_volume, "trade_volume")?,
            acc_trade_volume: raw::opt_non_negative(raw.acc_trade_volume, "acc_trade_volume")?,
            acc_trade_volume_24h: raw::opt_non_negative(
                raw.acc_trade_volume_24h,
                "acc_trade_volume_24h",
            )?,
            acc_trade_price: raw::opt_non_negative(raw.acc_trade_price, "acc_trade_price")?,
            acc_trade_price_24h: raw::opt_non_negative(
                raw.acc_trade_price_24h,
                "acc_trade_price_24h",
            )?,
            trade_date: raw::opt_string(raw.trade_date, "trade_date")?,
            trade_time: raw::opt_string(raw.trade_time, "trade_time")?,
            trade_timestamp: raw::non_negative_integer(raw.trade_timestamp, "trade_timestamp")?,
            ask_bid: raw::opt_enumerated(raw.ask_bid, "ask_bid", AskBid::from_wire)?,
            acc_ask_volume: raw::opt_non_negative(raw.acc_ask_volume, "acc_ask_volume")?,
            acc_bid_volume: raw::opt_non_negative(raw.acc_bid_volume, "acc_bid_volume")?,
            highest_52_week_price: raw::opt_decimal(
                raw.highest_52_week_price,
                "highest_52_week_price",
            )?,
            highest_52_week_date: raw::opt_string(
                raw.highest_52_week_date,
                "highest_52_week_date",
            )?,
            lowest_52_week_price: raw::opt_decimal(
                raw.lowest_52_week_price,
                "lowest_52_week_price",
            )?,
            lowest_52_week_date: raw::opt_string(raw.lowest_52_week_date, "lowest_52_week_date")?,
            market_state: raw::opt_string(raw.market_state, "market_state")?,
            is_trading_suspended: raw::opt_bool(raw.is_trading_suspended, "is_trading_suspended")?,
            delisting_date: raw::opt_string(raw.delisting_date, "delisting_date")?,
            market_warning: raw::opt_string(raw.market_warning, "market_warning")?,
            timestamp: raw::non_negative_integer(raw.timestamp, "timestamp")?,
            stream_type: raw::opt_enumerated(
                raw.stream_type,
                "stream_type",
                StreamType::from_wire,
            )?,
        })
    }
}
