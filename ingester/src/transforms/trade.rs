//! The normalised trade: the `"v":1` value of topic `upbit.trade`. Prices stay exact decimals
//! (serialised as strings), like the normalised ticker.
//!
//! The JSON is written directly (no serde pass, one allocation): it is the ingester's per-trade
//! output, and the bytes are exactly serde_json's for the derived `Serialize` (tested below).

use coinking_core::market::MarketCode;
use coinking_core::upbit::{AskBid, StreamType, Trade};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Current version of [`NormalizedTrade`]'s JSON.
pub const NORMALIZED_TRADE_VERSION: u8 = 1;

/// Room for a typical value (about 200 bytes); a longer one just grows the buffer.
const JSON_CAPACITY: usize = 256;

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
        let fields = Fields::of_trade(trade);
        NormalizedTrade {
            v: fields.v,
            market: fields.market.clone(),
            trade_price: fields.trade_price,
            trade_volume: fields.trade_volume,
            ask_bid: fields.ask_bid,
            trade_timestamp: fields.trade_timestamp,
            timestamp: fields.timestamp,
            sequential_id: fields.sequential_id,
            stream_type: fields.stream_type,
        }
    }

    /// The Kafka value.
    pub fn to_json(&self) -> Vec<u8> {
        Fields {
            v: self.v,
            market: &self.market,
            trade_price: self.trade_price,
            trade_volume: self.trade_volume,
            ask_bid: self.ask_bid,
            trade_timestamp: self.trade_timestamp,
            timestamp: self.timestamp,
            sequential_id: self.sequential_id,
            stream_type: self.stream_type,
        }
        .to_json()
    }

    /// `NormalizedTrade::from_trade(trade).to_json()` without the intermediate record (the
    /// ingester's hot path: no copy of the market code).
    pub fn json_of(trade: &Trade) -> Vec<u8> {
        Fields::of_trade(trade).to_json()
    }
}

/// A [`NormalizedTrade`]'s fields with the market code borrowed.
struct Fields<'a> {
    v: u8,
    market: &'a MarketCode,
    trade_price: Decimal,
    trade_volume: Decimal,
    ask_bid: AskBid,
    trade_timestamp: i64,
    timestamp: i64,
    sequential_id: i64,
    stream_type: Option<StreamType>,
}

impl<'a> Fields<'a> {
    /// The one rule from an Upbit trade to its normalised form: this version, exact decimals
    /// without trailing zeros, the rest as Upbit sent it.
    fn of_trade(trade: &'a Trade) -> Self {
        Fields {
            v: NORMALIZED_TRADE_VERSION,
            market: &trade.code,
            trade_price: trade.trade_price.normalize(),
            trade_volume: trade.trade_volume.normalize(),
            ask_bid: trade.ask_bid,
            trade_timestamp: trade.trade_timestamp,
            timestamp: trade.timestamp,
            sequential_id: trade.sequential_id,
            stream_type: trade.stream_type,
        }
    }

    /// The derived `Serialize`'s output: fields in declaration order, `stream_type` left out
    /// when `None`.
    fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(JSON_CAPACITY);
        out.extend_from_slice(b"{\"v\":");
        push_integer(&mut out, i64::from(self.v));
        out.extend_from_slice(b",\"market\":");
        push_string(&mut out, self.market.as_str());
        out.extend_from_slice(b",\"trade_price\":\"");
        push_decimal(&mut out, self.trade_price);
        out.extend_from_slice(b"\",\"trade_volume\":\"");
        push_decimal(&mut out, self.trade_volume);
        out.extend_from_slice(b"\",\"ask_bid\":\"");
        out.extend_from_slice(self.ask_bid.as_str().as_bytes());
        out.extend_from_slice(b"\",\"trade_timestamp\":");
        push_integer(&mut out, self.trade_timestamp);
        out.extend_from_slice(b",\"timestamp\":");
        push_integer(&mut out, self.timestamp);
        out.extend_from_slice(b",\"sequential_id\":");
        push_integer(&mut out, self.sequential_id);
        if let Some(stream_type) = self.stream_type {
            out.extend_from_slice(b",\"stream_type\":\"");
            out.extend_from_slice(stream_type.as_str().as_bytes());
            out.push(b'"');
        }
        out.push(b'}');
        out
    }
}

/// A JSON string. Market codes never need escaping (canonical `QUOTE-BASE`); anything that
/// would is left to serde_json.
fn push_string(out: &mut Vec<u8>, value: &str) {
    if value.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        // Serializing a &str to JSON cannot fail.
        out.extend_from_slice(&serde_json::to_vec(value).unwrap_or_default());
        return;
    }
    out.push(b'"');
    out.extend_from_slice(value.as_bytes());
    out.push(b'"');
}

/// rust_decimal's own text (its `Serialize`): the mantissa's digits, zero-padded to the scale,
/// the point before the last `scale` of them, `0` before a leading point, `-` when the sign is
/// negative (so `-0` stays `-0`, as serde writes it).
fn push_decimal(out: &mut Vec<u8>, value: Decimal) {
    if value.is_sign_negative() {
        out.push(b'-');
    }
    let scale = value.scale() as usize;
    let mantissa = value.mantissa().unsigned_abs();
    // Most mantissas fit in 64 bits, where division is cheap; a 96-bit one has up to 29 digits.
    let mut small = [0; 20];
    let mut large = [0; 29];
    let digits: &[u8] = match u64::try_from(mantissa) {
        Ok(0) => &[],
        Ok(mantissa) => u64_digits(mantissa, &mut small),
        Err(_) => u128_digits(mantissa, &mut large),
    };
    match digits.len().checked_sub(scale) {
        Some(0) | None => {
            out.extend_from_slice(b"0");
            if scale > 0 {
                out.push(b'.');
                out.resize(out.len() + scale - digits.len(), b'0');
                out.extend_from_slice(digits);
            }
        }
        Some(whole) => {
            out.extend_from_slice(&digits[..whole]);
            if scale > 0 {
                out.push(b'.');
                out.extend_from_slice(&digits[whole..]);
            }
        }
    }
}

fn push_integer(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    let mut buffer = [0; 20];
    out.extend_from_slice(u64_digits(value.unsigned_abs(), &mut buffer));
}

/// "00", "01", …, "99".
const DIGIT_PAIRS: [u8; 200] = {
    let mut pairs = [0; 200];
    let mut index = 0;
    while index < 100 {
        pairs[2 * index] = b'0' + (index / 10) as u8;
        pairs[2 * index + 1] = b'0' + (index % 10) as u8;
        index += 1;
    }
    pairs
};

/// `value`'s decimal digits, written at the end of `buffer` (`0` for zero).
fn u64_digits(mut value: u64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut start = buffer.len();
    // Two digits per division (a pair is taken only while two digits remain, so it never
    // leaves a leading zero).
    while value >= 10 {
        let pair = (value % 100) as usize * 2;
        value /= 100;
        start -= 2;
        buffer[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if value != 0 || start == buffer.len() {
        start -= 1;
        buffer[start] = b'0' + value as u8;
    }
    &buffer[start..]
}

/// A mantissa above 64 bits (at most 96, so at most 29 digits).
fn u128_digits(mut value: u128, buffer: &mut [u8; 29]) -> &[u8] {
    let mut start = buffer.len();
    while value != 0 && start > 0 {
        start -= 1;
        buffer[start] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    &buffer[start..]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::str::FromStr;

    fn trade(price: Decimal, volume: Decimal, stream_type: Option<StreamType>) -> NormalizedTrade {
        NormalizedTrade {
            v: NORMALIZED_TRADE_VERSION,
            market: MarketCode::parse("KRW-BTC").unwrap(),
            trade_price: price,
            trade_volume: volume,
            ask_bid: AskBid::Bid,
            trade_timestamp: 1_732_492_801_500,
            timestamp: 1_732_492_801_501,
            sequential_id: 17_324_928_015_000_001,
            stream_type,
        }
    }

    #[test]
    fn the_written_json_is_serde_s_byte_for_byte() {
        for (price, volume) in [
            ("551.3", "6293.64008406"),
            ("0.00000001", "0"),
            ("-0", "-0.00"),
            ("100", "1.0"),
            (
                "79228162514264337593543950335",
                "-0.0000000000000000000000000001",
            ),
            ("1844674407370955161.6", "18446744073709551616"),
        ] {
            for stream_type in [None, Some(StreamType::Snapshot), Some(StreamType::Realtime)] {
                let mut record = trade(
                    Decimal::from_str(price).unwrap(),
                    Decimal::from_str(volume).unwrap(),
                    stream_type,
                );
                assert_eq!(
                    String::from_utf8(record.to_json()).unwrap(),
                    serde_json::to_string(&record).unwrap()
                );
                record.ask_bid = AskBid::Ask;
                record.trade_timestamp = i64::MIN;
                record.timestamp = 0;
                record.sequential_id = i64::MAX;
                assert_eq!(record.to_json(), serde_json::to_vec(&record).unwrap());
            }
        }
    }

    #[test]
    fn json_of_a_trade_is_the_normalised_record_s_json() {
        let frame = r#"{"ty":"trade","cd":"KRW-ETH","tp":1.500,"tv":2.0,"ab":"BID","td":"2024-11-25","ttm":"00:00:00","ttms":1732492801500,"tms":1732492801500,"sid":10,"st":"REALTIME"}"#;
        let coinking_core::upbit::UpbitMessage::Trade(parsed) =
            coinking_core::upbit::parse_message(frame.as_bytes()).unwrap()
        else {
            panic!("not a trade");
        };
        let json = NormalizedTrade::json_of(&parsed);
        assert_eq!(json, NormalizedTrade::from_trade(&parsed).to_json());
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"v":1,"market":"KRW-ETH","trade_price":"1.5","trade_volume":"2","ask_bid":"BID","trade_timestamp":1732492801500,"timestamp":1732492801500,"sequential_id":10,"stream_type":"REALTIME"}"#
        );
    }

    /// Random decimals of every scale and size, normalised or not, and random integers.
    #[test]
    fn decimals_and_integers_are_written_as_serde_writes_them() {
        let mut rng = fastrand::Rng::with_seed(18);
        for _ in 0..20_000 {
            // Short (zero included), 64-bit and 96-bit mantissas.
            let (low, mid, high) = match rng.u8(0..3) {
                0 => (rng.u32(0..1000), 0, 0),
                1 => (rng.u32(..), rng.u32(..), 0),
                _ => (rng.u32(..), rng.u32(..), rng.u32(..)),
            };
            let mut value = Decimal::from_parts(low, mid, high, rng.bool(), rng.u32(0..=28));
            if rng.bool() {
                value = value.normalize();
            }
            let mut record = trade(value, value, Some(StreamType::Realtime));
            record.sequential_id = rng.i64(..);
            assert_eq!(
                record.to_json(),
                serde_json::to_vec(&record).unwrap(),
                "{value}"
            );
        }
    }
}
