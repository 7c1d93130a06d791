//! Messages → Upbit wire JSON, in either key style. The synthetic capture generator and the
//! WebSocket simulator use it to produce frames exactly as Upbit would.

use std::fmt::Write;

use rust_decimal::Decimal;

use super::fields::{self, Key};
use super::{Ticker, Trade, UpbitMessage};

/// DEFAULT (long keys) or SIMPLE (short keys); `format` in the subscription request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyStyle {
    Default,
    Simple,
}

/// One message as a JSON object in the given key style.
pub fn encode_message(message: &UpbitMessage, style: KeyStyle) -> String {
    let mut object = ObjectWriter::new(style);
    match message {
        UpbitMessage::Ticker(ticker) => write_ticker(&mut object, ticker),
        UpbitMessage::Trade(trade) => write_trade(&mut object, trade),
        UpbitMessage::Status(status) => object.raw_key("status").string(status),
        UpbitMessage::NotIngested(kind) => object.key(fields::TYPE).string(kind.wire_type()),
        UpbitMessage::Error { name, message } => {
            let mut body = ObjectWriter::new(style);
            body.raw_key("name").string(name);
            body.raw_key("message").string(message);
            object.raw_key("error").json(&body.finish());
        }
    }
    object.finish()
}

/// Several messages as one JSON array: the JSON_LIST / SIMPLE_LIST frame form.
pub fn encode_list(messages: &[UpbitMessage], style: KeyStyle) -> String {
    let encoded: Vec<String> = messages.iter().map(|m| encode_message(m, style)).collect();
    format!("[{}]", encoded.join(","))
}

fn write_ticker(o: &mut ObjectWriter, t: &Ticker) {
    o.key(fields::TYPE).string("ticker");
    o.key(fields::CODE).string(t.code.as_str());
    o.key(fields::OPENING_PRICE).decimal(t.opening_price);
    o.key(fields::HIGH_PRICE).decimal(t.high_price);
    o.key(fields::LOW_PRICE).decimal(t.low_price);
    o.key(fields::TRADE_PRICE).decimal(t.trade_price);
    o.key(fields::PREV_CLOSING_PRICE)
        .decimal(t.prev_closing_price);
    o.key(fields::CHANGE).string(t.change.as_str());
    o.key(fields::CHANGE_PRICE).decimal(t.change_price);
    o.opt_decimal(fields::SIGNED_CHANGE_PRICE, t.signed_change_price);
    o.key(fields::CHANGE_RATE).decimal(t.change_rate);
    o.opt_decimal(fields::SIGNED_CHANGE_RATE, t.signed_change_rate);
    o.opt_decimal(fields::TRADE_VOLUME, t.trade_volume);
    o.opt_decimal(fields::ACC_TRADE_VOLUME, t.acc_trade_volume);
    o.opt_decimal(fields::ACC_TRADE_VOLUME_24H, t.acc_trade_volume_24h);
    o.opt_large_decimal(fields::ACC_TRADE_PRICE, t.acc_trade_price);
    o.opt_large_decimal(fields::ACC_TRADE_PRICE_24H, t.acc_trade_price_24h);
    o.opt_string(fields::TICKER_TRADE_DATE, t.trade_date.as_deref());
    o.opt_string(fields::TRADE_TIME, t.trade_time.as_deref());
    o.key(fields::TRADE_TIMESTAMP).integer(t.trade_timestamp);
    o.opt_string(fields::ASK_BID, t.ask_bid.map(|a| a.as_str()));
    o.opt_decimal(fields::ACC_ASK_VOLUME, t.acc_ask_volume);
    o.opt_decimal(fields::ACC_BID_VOLUME, t.acc_bid_volume);
    o.opt_decimal(fields::HIGHEST_52_WEEK_PRICE, t.highest_52_week_price);
    o.opt_string(
        fields::HIGHEST_52_WEEK_DATE,
        t.highest_52_week_date.as_deref(),
    );
    o.opt_decimal(fields::LOWEST_52_WEEK_PRICE, t.lowest_52_week_price);
    o.opt_string(
        fields::LOWEST_52_WEEK_DATE,
        t.lowest_52_week_date.as_deref(),
    );
    o.opt_string(fields::MARKET_STATE, t.market_state.as_deref());
    if let Some(suspended) = t.is_trading_suspended {
        o.key(fields::IS_TRADING_SUSPENDED).boolean(suspended);
    }
    // Upbit writes an explicit null here rather than leaving the key out.
    match &t.delisting_date {
        Some(date) => o.key(fields::DELISTING_DATE).string(date),
        None => o.key(fields::DELISTING_DATE).json("null"),
    }
    o.opt_string(fields::MARKET_WARNING, t.market_warning.as_deref());
    o.key(fields::TIMESTAMP).integer(t.timestamp);
    o.opt_string(fields::STREAM_TYPE, t.stream_type.map(|s| s.as_str()));
}

fn write_trade(o: &mut ObjectWriter, t: &Trade) {
    o.key(fields::TYPE).string("trade");
    o.key(fields::CODE).string(t.code.as_str());
    o.key(fields::TRADE_PRICE).decimal(t.trade_price);
    o.key(fields::TRADE_VOLUME).decimal(t.trade_volume);
    o.key(fields::ASK_BID).string(t.ask_bid.as_str());
    o.opt_decimal(fields::PREV_CLOSING_PRICE, t.prev_closing_price);
    o.opt_string(fields::CHANGE, t.change.map(|c| c.as_str()));
    o.opt_decimal(fields::CHANGE_PRICE, t.change_price);
    o.opt_string(fields::TRADE_TRADE_DATE, t.trade_date.as_deref());
    o.opt_string(fields::TRADE_TIME, t.trade_time.as_deref());
    o.key(fields::TRADE_TIMESTAMP).integer(t.trade_timestamp);
    o.key(fields::TIMESTAMP).integer(t.timestamp);
    o.key(fields::SEQUENTIAL_ID).integer(t.sequential_id);
    o.opt_decimal(fields::BEST_ASK_PRICE, t.best_ask_price);
    o.opt_decimal(fields::BEST_ASK_SIZE, t.best_ask_size);
    o.opt_decimal(fields::BEST_BID_PRICE, t.best_bid_price);
    o.opt_decimal(fields::BEST_BID_SIZE, t.best_bid_size);
    o.opt_string(fields::STREAM_TYPE, t.stream_type.map(|s| s.as_str()));
}

/// Writes one flat JSON object; numbers come from the decimal's exact text.
struct ObjectWriter {
    out: String,
    style: KeyStyle,
}

impl ObjectWriter {
    fn new(style: KeyStyle) -> Self {
        Self {
            out: String::from("{"),
            style,
        }
    }

    fn key(&mut self, key: Key) -> &mut Self {
        let name = match self.style {
            KeyStyle::Default => key.default,
            KeyStyle::Simple => key.simple,
        };
        self.raw_key(name)
    }

    fn raw_key(&mut self, name: &str) -> &mut Self {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        self.string(name);
        self.out.push(':');
        self
    }

    fn string(&mut self, value: &str) {
        // Serializing a &str to JSON cannot fail.
        self.out
            .push_str(&serde_json::to_string(value).unwrap_or_default());
    }

    /// Upbit serialises doubles the Java way: an integral value still carries `.0`.
    fn decimal(&mut self, value: Decimal) {
        let _ = write!(self.out, "{value}");
        if value.scale() == 0 {
            self.out.push_str(".0");
        }
    }

    /// Large accumulated amounts arrive in Java's scientific form (`6.60015175004295E10`);
    /// the digits are kept exactly, so the parser's scientific path is exercised without loss.
    fn large_decimal(&mut self, value: Decimal) {
        if value.abs() < Decimal::from(10_000_000) {
            return self.decimal(value);
        }
        self.out.push_str(&java_scientific(value));
    }

    fn opt_large_decimal(&mut self, key: Key, value: Option<Decimal>) {
        if let Some(value) = value {
            self.key(key).large_decimal(value);
        }
    }

    fn integer(&mut self, value: i64) {
        let _ = write!(self.out, "{value}");
    }

    fn boolean(&mut self, value: bool) {
        self.out.push_str(if value { "true" } else { "false" });
    }

    fn json(&mut self, raw: &str) {
        self.out.push_str(raw);
    }

    fn opt_decimal(&mut self, key: Key, value: Option<Decimal>) {
        if let Some(value) = value {
            self.key(key).decimal(value);
        }
    }

    fn opt_string(&mut self, key: Key, value: Option<&str>) {
        if let Some(value) = value {
            self.key(key).string(value);
        }
    }

    fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// `12345.6` → `1.23456E4`, digit for digit.
fn java_scientific(value: Decimal) -> String {
    let text = value.abs().normalize().to_string();
    let (integral, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits: String = integral.chars().chain(fraction.chars()).collect();
    let leading_zeros = digits.len() - digits.trim_start_matches('0').len();
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    if significant.is_empty() {
        return "0.0".to_owned();
    }
    let exponent = integral.len() as i64 - 1 - leading_zeros as i64;
    let (first, rest) = significant.split_at(1);
    let rest = if rest.is_empty() { "0" } else { rest };
    let sign = if value.is_sign_negative() { "-" } else { "" };
    format!("{sign}{first}.{rest}E{exponent}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn java_scientific_keeps_every_digit() {
        let cases = [
            ("66001517500.4295", "6.60015175004295E10"),
            ("100000000", "1.0E8"),
            ("12345678.9", "1.23456789E7"),
        ];
        for (plain, scientific) in cases {
            let value = Decimal::from_str(plain).unwrap();
            assert_eq!(java_scientific(value), scientific);
            assert_eq!(Decimal::from_scientific(scientific).unwrap(), value);
        }
    }
}
