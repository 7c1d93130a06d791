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
    pub(crate) fn slot(&mut self, key: &str) -> Option<&mut Raw<'a>> {
        Some(match key {
            "type" | "ty" => &mut self.ty,
            "code" | "cd" => &mut self.code,
            "opening_price" | "op" => &mut self.opening_price,
            "high_price" | "hp" => &mut self.high_price,
            "low_price" | "lp" => &mut self.low_price,
            "trade_price" | "tp" => &mut self.trade_price,
            "prev_closing_price" | "pcp" => &mut self.prev_closing_price,
            "change" | "c" => &mut self.change,
            "change_price" | "cp" => &mut self.change_price,
            "signed_change_price" | "scp" => &mut self.signed_change_price,
            "change_rate" | "cr" => &mut self.change_rate,
            "signed_change_rate" | "scr" => &mut self.signed_change_rate,
            "trade_volume" | "tv" => &mut self.trade_volume,
            "acc_trade_volume" | "atv" => &mut self.acc_trade_volume,
            "acc_trade_volume_24h" | "atv24h" => &mut self.acc_trade_volume_24h,
            "acc_trade_price" | "atp" => &mut self.acc_trade_price,
            "acc_trade_price_24h" | "atp24h" => &mut self.acc_trade_price_24h,
            "trade_date" | "tdt" | "td" => &mut self.trade_date,
            "trade_time" | "ttm" => &mut self.trade_time,
            "trade_timestamp" | "ttms" => &mut self.trade_timestamp,
            "ask_bid" | "ab" => &mut self.ask_bid,
            "acc_ask_volume" | "aav" => &mut self.acc_ask_volume,
            "acc_bid_volume" | "abv" => &mut self.acc_bid_volume,
            "highest_52_week_price" | "h52wp" => &mut self.highest_52_week_price,
            "highest_52_week_date" | "h52wdt" => &mut self.highest_52_week_date,
            "lowest_52_week_price" | "l52wp" => &mut self.lowest_52_week_price,
            "lowest_52_week_date" | "l52wdt" => &mut self.lowest_52_week_date,
            "market_state" | "ms" => &mut self.market_state,
            "is_trading_suspended" | "its" => &mut self.is_trading_suspended,
            "delisting_date" | "dd" => &mut self.delisting_date,
            "market_warning" | "mw" => &mut self.market_warning,
            "timestamp" | "tms" => &mut self.timestamp,
            "stream_type" | "st" => &mut self.stream_type,
            "sequential_id" | "sid" => &mut self.sequential_id,
            "best_ask_price" | "bap" => &mut self.best_ask_price,
            "best_ask_size" | "bas" => &mut self.best_ask_size,
            "best_bid_price" | "bbp" => &mut self.best_bid_price,
            "best_bid_size" | "bbs" => &mut self.best_bid_size,
            "status" => &mut self.status,
            "error" => &mut self.error,
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
                    match message.slot(&key) {
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
    let mut scale: Option<u32> = None;
    for &byte in digits {
        match byte {
            b'0'..=b'9' => {
                mantissa = mantissa
                    .checked_mul(10)?
                    .checked_add(u64::from(byte - b'0'))?;
                if let Some(scale) = scale.as_mut() {
                    *scale += 1;
                }
            }
            b'.' if scale.is_none() => scale = Some(0),
            _ => return None,
        }
    }
    let signed = i128::from(mantissa) * if negative { -1 } else { 1 };
    Decimal::try_from_i128_with_scale(signed, scale.unwrap_or(0)).ok()
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

pub(crate) fn opt_string(raw: Raw<'_>, field: &'static str) -> Result<Option<String>, ParseError> {
    let Some(text) = present(raw) else {
        return Ok(None);
    };
    if !text.starts_with('"') {
        return Err(ParseError::field(field, FieldError::NotAString));
    }
    // Without escapes the content is the text between the quotes; otherwise let serde_json
    // unescape it (it also rejects lone surrogates).
    if !text.contains('\\') && text.len() >= 2 {
        return Ok(Some(text[1..text.len() - 1].to_owned()));
    }
    serde_json::from_str::<String>(text)
        .map(Some)
        .map_err(|_| ParseError::field(field, FieldError::NotAString))
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
    let text = string(raw, field)?;
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
    let Some(text) = opt_string(raw, field)? else {
        return Ok(None);
    };
    match from_wire(&text) {
        Some(value) => Ok(Some(value)),
        None => Err(ParseError::field(field, FieldError::UnknownValue(text))),
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
