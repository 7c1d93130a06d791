//! One pass over a message object: every known key (either spelling) borrowed as raw JSON text,
//! unknown keys skipped. Typed conversion happens afterwards, field by field, so an error can name
//! the field and the reason, and numbers are read from their exact text (never through f64).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::error::{FieldError, ParseError};
use crate::market::MarketCode;

/// A raw field: the value's JSON text, or `None` when absent. `null` (which Upbit sends for unset
/// optional fields) is kept as text and treated as absent by the typed readers below.
pub(crate) type Raw<'a> = Option<&'a str>;

/// Every known field of any Upbit message, as raw JSON text.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct RawMessage<'a> {
    pub ty: Raw<'a>,
    pub code: Raw<'a>,
    pub opening_price: Raw<'a>,
    pub high_price: Raw<'a>,
    pub low_price: Raw<'a>,
    pub trade_price: Raw<'a>,
    pub prev_closing_price: Raw<'a>,
    pub change: Raw<'a>,
    pub change_price: Raw<'a>,
    pub signed_change_price: Raw<'a>,
    pub change_rate: Raw<'a>,
    pub signed_change_rate: Raw<'a>,
    pub trade_volume: Raw<'a>,
    pub acc_trade_volume: Raw<'a>,
    pub acc_trade_volume_24h: Raw<'a>,
    pub acc_trade_price: Raw<'a>,
    pub acc_trade_price_24h: Raw<'a>,
    pub trade_date: Raw<'a>,
    pub trade_time: Raw<'a>,
    pub trade_timestamp: Raw<'a>,
    pub ask_bid: Raw<'a>,
    pub acc_ask_volume: Raw<'a>,
    pub acc_bid_volume: Raw<'a>,
    pub highest_52_week_price: Raw<'a>,
    pub highest_52_week_date: Raw<'a>,
    pub lowest_52_week_price: Raw<'a>,
    pub lowest_52_week_date: Raw<'a>,
    pub market_state: Raw<'a>,
    pub is_trading_suspended: Raw<'a>,
    pub delisting_date: Raw<'a>,
    pub market_warning: Raw<'a>,
    pub timestamp: Raw<'a>,
    pub stream_type: Raw<'a>,
    pub sequential_id: Raw<'a>,
    pub best_ask_price: Raw<'a>,
    pub best_ask_size: Raw<'a>,
    pub best_bid_price: Raw<'a>,
    pub best_bid_size: Raw<'a>,
    pub status: Raw<'a>,
    pub error: Raw<'a>,
}

impl<'a> RawMessage<'a> {
    /// The slot for a key in either spelling (DEFAULT or SIMPLE); `None` for unknown keys.
    /// Byte-string patterns: these compile to a decision on length and bytes, where `&str`
    /// patterns were tried one after another (8 % of the trade path).
    pub(crate) fn slot(&mut self, key: &[u8]) -> Option<&mut Raw<'a>> {
        Some(match key {
            b"type" | b"ty" => &mut self.ty,
            b"code" | b"cd" => &mut self.code,
            b"opening_price" | b"op" => &mut self.opening_price,
            b"high_price" | b"hp" => &mut self.high_price,
            b"low_price" | b"lp" => &mut self.low_price,
            b"trade_price" | b"tp" => &mut self.trade_price,
            b"prev_closing_price" | b"pcp" => &mut self.prev_closing_price,
            b"change" | b"c" => &mut self.change,
            b"change_price" | b"cp" => &mut self.change_price,
            b"signed_change_price" | b"scp" => &mut self.signed_change_price,
            b"change_rate" | b"cr" => &mut self.change_rate,
            b"signed_change_rate" | b"scr" => &mut self.signed_change_rate,
            b"trade_volume" | b"tv" => &mut self.trade_volume,
            b"acc_trade_volume" | b"atv" => &mut self.acc_trade_volume,
            b"acc_trade_volume_24h" | b"atv24h" => &mut self.acc_trade_volume_24h,
            b"acc_trade_price" | b"atp" => &mut self.acc_trade_price,
            b"acc_trade_price_24h" | b"atp24h" => &mut self.acc_trade_price_24h,
            b"trade_date" | b"tdt" | b"td" => &mut self.trade_date,
            b"trade_time" | b"ttm" => &mut self.trade_time,
            b"trade_timestamp" | b"ttms" => &mut self.trade_timestamp,
            b"ask_bid" | b"ab" => &mut self.ask_bid,
            b"acc_ask_volume" | b"aav" => &mut self.acc_ask_volume,
            b"acc_bid_volume" | b"abv" => &mut self.acc_bid_volume,
            b"highest_52_week_price" | b"h52wp" => &mut self.highest_52_week_price,
            b"highest_52_week_date" | b"h52wdt" => &mut self.highest_52_week_date,
            b"lowest_52_week_price" | b"l52wp" => &mut self.lowest_52_week_price,
            b"lowest_52_week_date" | b"l52wdt" => &mut self.lowest_52_week_date,
            b"market_state" | b"ms" => &mut self.market_state,
            b"is_trading_suspended" | b"its" => &mut self.is_trading_suspended,
            b"delisting_date" | b"dd" => &mut self.delisting_date,
            b"market_warning" | b"mw" => &mut self.market_warning,
            b"timestamp" | b"tms" => &mut self.timestamp,
            b"stream_type" | b"st" => &mut self.stream_type,
            b"sequential_id" | b"sid" => &mut self.sequential_id,
            b"best_ask_price" | b"bap" => &mut self.best_ask_price,
            b"best_ask_size" | b"bas" => &mut self.best_ask_size,
            b"best_bid_price" | b"bbp" => &mut self.best_bid_price,
            b"best_bid_size" | b"bbs" => &mut self.best_bid_size,
            b"status" => &mut self.status,
            b"error" => &mut self.error,
            _ => return None,
        })
    }
}

/// The general path (escapes, nesting, odd whitespace, errors): serde_json does the parsing and
/// reports malformed JSON precisely; the scanner in `scan.rs` handles the common flat case.
impl<'de> Deserialize<'de> for RawMessage<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MessageVisitor;

        impl<'de> Visitor<'de> for MessageVisitor {
            type Value = RawMessage<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut message = RawMessage::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match message.slot(key.as_bytes()) {
                        Some(slot) if slot.is_some() => {
                            return Err(de::Error::custom(format!("duplicate field `{key}`")));
                        }
                        Some(slot) => {
                            let value: &'de RawValue = map.next_value()?;
                            *slot = Some(value.get());
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(message)
            }
        }

        deserializer.deserialize_map(MessageVisitor)
    }
}

/// The value's text unless it is absent or `null`.
fn present(raw: Raw<'_>) -> Option<&str> {
    raw.filter(|text| *text != "null")
}

fn missing(field: &'static str) -> ParseError {
    ParseError::field(field, FieldError::Missing)
}

fn is_json_number(text: &str) -> bool {
    matches!(text.as_bytes().first(), Some(b'-' | b'0'..=b'9'))
}

/// An exact decimal from the number's wire text. Jackson (Upbit's serializer) writes small values
/// in scientific notation (`1.0E-4`), so both forms are accepted.
pub(crate) fn opt_decimal(
    raw: Raw<'_>,
    field: &'static str,
) -> Result<Option<Decimal>, ParseError> {
    let Some(text) = present(raw) else {
        return Ok(None);
    };
    if !is_json_number(text) {
        return Err(ParseError::field(field, FieldError::NotANumber));
    }
    if let Some(value) = fast_decimal(text) {
        return Ok(Some(value));
    }
    let parsed = if text.bytes().any(|b| b == b'e' || b == b'E') {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str_exact(text)
    };
    parsed
        .map(Some)
        .map_err(|_| ParseError::field(field, FieldError::OutOfRange))
}

/// The common case — plain notation, at most 19 significant digits — without rust_decimal's
/// general parser (this alone is a third of the ingest cost). `None` sends the text to the
/// general parser, which handles exponents, long mantissas and every error.
fn fast_decimal(text: &str) -> Option<Decimal> {
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        bytes => (false, bytes),
    };
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut point: Option<usize> = None;
    if digits.len() <= 19 {
        // At most 19 digits: the mantissa cannot overflow, no checks per digit.
        for (index, &byte) in digits.iter().enumerate() {
            let digit = byte.wrapping_sub(b'0');
            if digit < 10 {
                mantissa = mantissa * 10 + u64::from(digit);
            } else if byte == b'.' && point.is_none() {
                point = Some(index);
            } else {
                return None;
            }
        }
    } else {
        for (index, &byte) in digits.iter().enumerate() {
            match byte {
                b'0'..=b'9' => {
                    mantissa = mantissa
                        .checked_mul(10)?
                        .checked_add(u64::from(byte - b'0'))?;
                }
                b'.' if point.is_none() => point = Some(index),
                _ => return None,
            }
        }
    }
    // At most 19 digits after the point: within a Decimal's 28 (`from_parts` also drops the
    // sign of a zero, as the general parser does).
    let scale = point.map_or(0, |point| digits.len() - point - 1) as u32;
    let (low, mid) = (mantissa as u32, (mantissa >> 32) as u32);
    Some(Decimal::from_parts(low, mid, 0, negative, scale))
}

/// An integer's text that only [`i64::from_str`] needs to read: anything but 1 to 18 plain
/// digits (which always fit) goes to it, so its results and errors stay the rule.
fn fast_integer(text: &str) -> Option<i64> {
    let digits = text.as_bytes();
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut value: i64 = 0;
    for &byte in digits {
        let digit = byte.wrapping_sub(b'0');
        if digit >= 10 {
            return None;
        }
        value = value * 10 + i64::from(digit);
    }
    Some(value)
}

pub(crate) fn decimal(raw: Raw<'_>, field: &'static str) -> Result<Decimal, ParseError> {
    opt_decimal(raw, field)?.ok_or_else(|| missing(field))
}

/// A required price: present, numeric and greater than zero.
pub(crate) fn price(raw: Raw<'_>, field: &'static str) -> Result<Decimal, ParseError> {
    let value = decimal(raw, field)?;
    if value <= Decimal::ZERO {
        return Err(ParseError::field(field, FieldError::NotPositive));
    }
    Ok(value)
}

/// An optional quantity that cannot be negative (volumes, accumulated prices, sizes).
pub(crate) fn opt_non_negative(
    raw: Raw<'_>,
    field: &'static str,
) -> Result<Option<Decimal>, ParseError> {
    let value = opt_decimal(raw, field)?;
    if value.is_some_and(|v| v.is_sign_negative() && !v.is_zero()) {
        return Err(ParseError::field(field, FieldError::Negative));
    }
    Ok(value)
}

pub(crate) fn non_negative(raw: Raw<'_>, field: &'static str) -> Result<Decimal, ParseError> {
    opt_non_negative(raw, field)?.ok_or_else(|| missing(field))
}

pub(crate) fn opt_integer(raw: Raw<'_>, field: &'static str) -> Result<Option<i64>, ParseError> {
    let Some(text) = present(raw) else {
        return Ok(None);
    };
    if !is_json_number(text) {
        return Err(ParseError::field(field, FieldError::NotANumber));
    }
    if let Some(value) = fast_integer(text) {
        return Ok(Some(value));
    }
    i64::from_str(text)
        .map(Some)
        .map_err(|_| ParseError::field(field, FieldError::NotAnInteger))
}

pub(crate) fn integer(raw: Raw<'_>, field: &'static str) -> Result<i64, ParseError> {
    opt_integer(raw, field)?.ok_or_else(|| missing(field))
}

/// A non-negative integer (timestamps, sequence ids).
pub(crate) fn non_negative_integer(raw: Raw<'_>, field: &'static str) -> Result<i64, ParseError> {
    let value = integer(raw, field)?;
    if value < 0 {
        return Err(ParseError::field(field, FieldError::Negative));
    }
    Ok(value)
}

/// A string's content, borrowed from the frame unless it has escapes (no allocation for the
/// type, the code and the enumerated fields, which are only compared or copied once).
pub(crate) fn opt_str<'a>(
    raw: Raw<'a>,
    field: &'static str,
) -> Result<Option<Cow<'a, str>>, ParseError> {
    let Some(text) = present(raw) else {
        return Ok(None);
    };
    if !text.starts_with('"') {
        return Err(ParseError::field(field, FieldError::NotAString));
    }
    // Without escapes the content is the text between the quotes; otherwise let serde_json
    // unescape it (it also rejects lone surrogates).
    if !text.as_bytes().contains(&b'\\') && text.len() >= 2 {
        return Ok(Some(Cow::Borrowed(&text[1..text.len() - 1])));
    }
    serde_json::from_str::<String>(text)
        .map(|unescaped| Some(Cow::Owned(unescaped)))
        .map_err(|_| ParseError::field(field, FieldError::NotAString))
}

pub(crate) fn opt_string(raw: Raw<'_>, field: &'static str) -> Result<Option<String>, ParseError> {
    Ok(opt_str(raw, field)?.map(Cow::into_owned))
}

pub(crate) fn string(raw: Raw<'_>, field: &'static str) -> Result<String, ParseError> {
    opt_string(raw, field)?.ok_or_else(|| missing(field))
}

pub(crate) fn opt_bool(raw: Raw<'_>, field: &'static str) -> Result<Option<bool>, ParseError> {
    match present(raw) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ParseError::field(field, FieldError::NotABoolean)),
    }
}

pub(crate) fn market_code(raw: Raw<'_>, field: &'static str) -> Result<MarketCode, ParseError> {
    let text = opt_str(raw, field)?.ok_or_else(|| missing(field))?;
    MarketCode::parse(&text).map_err(|err| ParseError::field(field, FieldError::MarketCode(err)))
}

/// A required enum-valued string, e.g. `change`.
pub(crate) fn enumerated<T>(
    raw: Raw<'_>,
    field: &'static str,
    from_wire: fn(&str) -> Option<T>,
) -> Result<T, ParseError> {
    opt_enumerated(raw, field, from_wire)?.ok_or_else(|| missing(field))
}

pub(crate) fn opt_enumerated<T>(
    raw: Raw<'_>,
    field: &'static str,
    from_wire: fn(&str) -> Option<T>,
) -> Result<Option<T>, ParseError> {
    let Some(text) = opt_str(raw, field)? else {
        return Ok(None);
    };
    match from_wire(&text) {
        Some(value) => Ok(Some(value)),
        None => Err(ParseError::field(
            field,
            FieldError::UnknownValue(text.into_owned()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_decimal_agrees_with_the_general_parser() {
        for text in [
            "0",
            "-0",
            "1",
            "32287000.0",
            "0.0126713295",
            "-404000.00000000",
            "78039261076.51241000",
            "18446744073709551615",
            "0.00000001",
        ] {
            assert_eq!(
                fast_decimal(text),
                Some(Decimal::from_str_exact(text).unwrap()),
                "{text}"
            );
        }
    }

    #[test]
    fn fast_decimal_keeps_the_scale_and_never_makes_a_negative_zero() {
        for text in [
            "-0",
            "-0.000",
            "0.0",
            "1.500",
            "-2.5",
            "1234567890.123456789",
        ] {
            let fast = fast_decimal(text).unwrap();
            let general = Decimal::from_str_exact(text).unwrap();
            assert_eq!(fast.scale(), general.scale(), "{text}");
            assert_eq!(fast.to_string(), general.to_string(), "{text}");
            assert_eq!(
                fast.is_sign_negative(),
                text.starts_with("-") && !fast.is_zero()
            );
        }
    }

    #[test]
    fn fast_integer_agrees_with_the_standard_parser() {
        for text in ["0", "7", "1732500000255", "999999999999999999", "000123"] {
            assert_eq!(
                fast_integer(text),
                Some(i64::from_str(text).unwrap()),
                "{text}"
            );
        }
        for text in ["", "-1", "+1", "1.0", "1e3", "9223372036854775807", "12a"] {
            assert_eq!(fast_integer(text), None, "{text}");
        }
    }

    #[test]
    fn fast_decimal_leaves_the_rest_to_the_general_parser() {
        for text in [
            "1.0E-4",
            "18446744073709551616",
            "123456789012345678901.5",
            "1e5",
            "",
        ] {
            assert_eq!(fast_decimal(text), None, "{text}");
        }
    }
}
