//! What the handler test files share: fixture events from `events/get-ticker/`, market codes
//! and exact decimals from text.
#![allow(dead_code, clippy::unwrap_used)]

use std::str::FromStr;

use coinking_core::market::MarketCode;
use rust_decimal::Decimal;

/// The API Gateway event `events/get-ticker/<name>.json`, parsed by `lambda_http` itself.
macro_rules! event {
    ($name:literal) => {
        lambda_http::request::from_str(include_str!(concat!(
            "../../../events/get-ticker/",
            $name,
            ".json"
        )))
        .expect(concat!("events/get-ticker/", $name, ".json parses"))
    };
}
pub(crate) use event;

pub fn code(text: &str) -> MarketCode {
    MarketCode::parse(text).unwrap()
}

pub fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}
