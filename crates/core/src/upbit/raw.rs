//! One pass over a message object: every known key (either spelling) borrowed as raw JSON text,
//! unknown keys skipped. Typed conversion happens afterwards, field by field, so an error can name
//! the field and the reason, and numbers are read from their exact text (never through f64).

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::{FieldError, ParseError};
use crate::market::MarketCode;

/// A raw field: `None` when absent or `null` (Upbit sends `null` for unset optional fields).
type Raw<'a> = Option<&'a RawValue>;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawMessage<'a> {
    #[serde(borrow, rename = "type", alias = "ty")]
    pub ty: Raw<'a>,
    #[serde(borrow, rename = "code", alias = "cd")]
    pub code: Raw<'a>,
    #[serde(borrow, rename = "opening_price", alias = "op")]
    pub opening_price: Raw<'a>,
    #[serde(borrow, rename = "high_price", alias = "hp")]
    pub high_price: Raw<'a>,
    #[serde(borrow, rename = "low_price", alias = "lp")]
    pub low_price: Raw<'a>,
    #[serde(borrow, rename = "trade_price", alias = "tp")]
    pub trade_price: Raw<'a>,
    #[serde(borrow, rename = "prev_closing_price", alias = "pcp")]
    pub prev_closing_price: Raw<'a>,
    #[serde(borrow, rename = "change", alias = "c")]
    pub change: Raw<'a>,
    #[serde(borrow, rename = "change_price", alias = "cp")]
    pub change_price: Raw<'a>,
    #[serde(borrow, rename = "signed_change_price", alias = "scp")]
    pub signed_change_price: Raw<'a>,
    #[serde(borrow, rename = "change_rate", alias = "cr")]
    pub change_rate: Raw<'a>,
    #[serde(borrow, rename = "signed_change_rate", alias = "scr")]
    pub signed_change_rate: Raw<'a>,
    #[serde(borrow, rename = "trade_volume", alias = "tv")]
    pub trade_volume: Raw<'a>,
    #[serde(borrow, rename = "acc_trade_volume", alias = "atv")]
    pub acc_trade_volume: Raw<'a>,
    #[serde(borrow, rename = "acc_trade_volume_24h", alias = "atv24h")]
    pub acc_trade_volume_24h: Raw<'a>,
    #[serde(borrow, rename = "acc_trade_price", alias = "atp")]
    pub acc_trade_price: Raw<'a>,
    #[serde(borrow, rename = "acc_trade_price_24h", alias = "atp24h")]
    pub acc_trade_price_24h: Raw<'a>,
    // Ticker (`tdt`, yyyyMMdd) and trade (`td`, yyyy-MM-dd) share the DEFAULT key.
    #[serde(borrow, rename = "trade_date", alias = "tdt", alias = "td")]
    pub trade_date: Raw<'a>,
    #[serde(borrow, rename = "trade_time", alias = "ttm")]
    pub trade_time: Raw<'a>,
    #[serde(borrow, rename = "trade_timestamp", alias = "ttms")]
    pub trade_timestamp: Raw<'a>,
    #[serde(borrow, rename = "ask_bid", alias = "ab")]
    pub ask_bid: Raw<'a>,
    #[serde(borrow, rename = "acc_ask_volume", alias = "aav")]
    pub acc_ask_volume: Raw<'a>,
    #[serde(borrow, rename = "acc_bid_volume", alias = "abv")]
    pub acc_bid_volume: Raw<'a>,
    #[serde(borrow, rename = "highest_52_week_price", alias = "h52wp")]
    pub highest_52_week_price: Raw<'a>,
    #[serde(borrow, rename = "highest_52_week_date", alias = "h52wdt")]
    pub highest_52_week_date: Raw<'a>,
    #[serde(borrow, rename = "lowest_52_week_price", alias = "l52wp")]
    pub lowest_52_week_price: Raw<'a>,
    #[serde(borrow, rename = "lowest_52_week_date", alias = "l52wdt")]
    pub lowest_52_week_date: Raw<'a>,
    #[serde(borrow, rename = "market_state", alias = "ms")]
    pub market_state: Raw<'a>,
    #[serde(borrow, rename = "is_trading_suspended", alias = "its")]
    pub is_trading_suspended: Raw<'a>,
    #[serde(borrow, rename = "delisting_date", alias = "dd")]
    pub delisting_date: Raw<'a>,
    #[serde(borrow, rename = "market_warning", alias = "mw")]
    pub market_warning: Raw<'a>,
    #[serde(borrow, rename = "timestamp", alias = "tms")]
    pub timestamp: Raw<'a>,
    #[serde(borrow, rename = "stream_type", alias = "st")]
    pub stream_type: Raw<'a>,
    #[serde(borrow, rename = "sequential_id", alias = "sid")]
    pub sequential_id: Raw<'a>,
    #[serde(borrow, rename = "best_ask_price", alias = "bap")]
    pub best_ask_price: Raw<'a>,
    #[serde(borrow, rename = "best_ask_size", alias = "bas")]
    pub best_ask_size: Raw<'a>,
    #[serde(borrow, rename = "best_bid_price", alias = "bbp")]
    pub best_bid_price: Raw<'a>,
    #[serde(borrow, rename = "best_bid_size", alias = "bbs")]
    pub best_bid_size: Raw<'a>,
    #[serde(borrow)]
    pub status: Raw<'a>,
    #[serde(borrow)]
    pub error: Raw<'a>,
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
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.get();
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
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.get();
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
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.get();
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
    match raw.map(RawValue::get) {
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
