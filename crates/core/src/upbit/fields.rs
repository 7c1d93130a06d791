//! DEFAULT ↔ SIMPLE key names. The parser accepts both spellings through serde aliases in
//! `raw.rs`; this table drives the encoder, and the round-trip tests keep the two in agreement.

/// A field's DEFAULT and SIMPLE keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub default: &'static str,
    pub simple: &'static str,
}

const fn key(default: &'static str, simple: &'static str) -> Key {
    Key { default, simple }
}

pub const TYPE: Key = key("type", "ty");
pub const CODE: Key = key("code", "cd");
pub const OPENING_PRICE: Key = key("opening_price", "op");
pub const HIGH_PRICE: Key = key("high_price", "hp");
pub const LOW_PRICE: Key = key("low_price", "lp");
pub const TRADE_PRICE: Key = key("trade_price", "tp");
pub const PREV_CLOSING_PRICE: Key = key("prev_closing_price", "pcp");
pub const CHANGE: Key = key("change", "c");
pub const CHANGE_PRICE: Key = key("change_price", "cp");
pub const SIGNED_CHANGE_PRICE: Key = key("signed_change_price", "scp");
pub const CHANGE_RATE: Key = key("change_rate", "cr");
pub const SIGNED_CHANGE_RATE: Key = key("signed_change_rate", "scr");
pub const TRADE_VOLUME: Key = key("trade_volume", "tv");
pub const ACC_TRADE_VOLUME: Key = key("acc_trade_volume", "atv");
pub const ACC_TRADE_VOLUME_24H: Key = key("acc_trade_volume_24h", "atv24h");
pub const ACC_TRADE_PRICE: Key = key("acc_trade_price", "atp");
pub const ACC_TRADE_PRICE_24H: Key = key("acc_trade_price_24h", "atp24h");
/// Ticker `trade_date` is `yyyyMMdd` under SIMPLE key `tdt`.
pub const TICKER_TRADE_DATE: Key = key("trade_date", "tdt");
/// Trade `trade_date` is `yyyy-MM-dd` under SIMPLE key `td`.
pub const TRADE_TRADE_DATE: Key = key("trade_date", "td");
pub const TRADE_TIME: Key = key("trade_time", "ttm");
pub const TRADE_TIMESTAMP: Key = key("trade_timestamp", "ttms");
pub const ASK_BID: Key = key("ask_bid", "ab");
pub const ACC_ASK_VOLUME: Key = key("acc_ask_volume", "aav");
pub const ACC_BID_VOLUME: Key = key("acc_bid_volume", "abv");
pub const HIGHEST_52_WEEK_PRICE: Key = key("highest_52_week_price", "h52wp");
pub const HIGHEST_52_WEEK_DATE: Key = key("highest_52_week_date", "h52wdt");
pub const LOWEST_52_WEEK_PRICE: Key = key("lowest_52_week_price", "l52wp");
pub const LOWEST_52_WEEK_DATE: Key = key("lowest_52_week_date", "l52wdt");
pub const MARKET_STATE: Key = key("market_state", "ms");
pub const IS_TRADING_SUSPENDED: Key = key("is_trading_suspended", "its");
pub const DELISTING_DATE: Key = key("delisting_date", "dd");
pub const MARKET_WARNING: Key = key("market_warning", "mw");
pub const TIMESTAMP: Key = key("timestamp", "tms");
pub const STREAM_TYPE: Key = key("stream_type", "st");
pub const SEQUENTIAL_ID: Key = key("sequential_id", "sid");
pub const BEST_ASK_PRICE: Key = key("best_ask_price", "bap");
pub const BEST_ASK_SIZE: Key = key("best_ask_size", "bas");
pub const BEST_BID_PRICE: Key = key("best_bid_price", "bbp");
pub const BEST_BID_SIZE: Key = key("best_bid_size", "bbs");
