//! What the get-ticker handler test binaries (`handler`, `handler_candles`, `handler_http`,
//! `handler_store_failures`) share: the pinned clock, tickers, a full in-memory store, the call
//! and its answer, and the error-body check. Each binary declares `mod common;` beside it.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use coinking_adapters::market_store::{InMemoryMarketStore, TickerWriter};
use coinking_core::market::DEFAULT_GAME_MARKETS;
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::Change;
use get_ticker::{Deps, TickerConfig, handle};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

use crate::common::{code, dec};

/// The pinned "now" of every test: 2024-11-25T02:01:00Z, as in the fixtures.
pub const NOW_MS: i64 = 1_732_500_060_000;

pub fn ticker(market: &str, price: &str, timestamp: i64) -> NormalizedTicker {
    NormalizedTicker {
        v: 1,
        market: code(market),
        trade_price: dec(price),
        opening_price: dec(price),
        high_price: dec(price) * dec("1.01"),
        low_price: dec(price) * dec("0.99"),
        prev_closing_price: dec(price) - dec("1"),
        change: Change::Rise,
        change_price: dec("1"),
        change_rate: dec("0.0123"),
        signed_change_price: dec("1"),
        signed_change_rate: dec("0.0123"),
        trade_volume: Some(dec("0.5")),
        acc_trade_volume_24h: None,
        acc_trade_price_24h: None,
        ask_bid: None,
        trade_timestamp: timestamp - 100,
        timestamp,
        stream_type: None,
        market_warning: None,
    }
}

pub fn deps_with(store: InMemoryMarketStore, config: TickerConfig) -> Deps<InMemoryMarketStore> {
    Deps::new(store, config)
        .with_clock(|| NOW_MS)
        .with_catalog_ttl(Duration::ZERO)
}

/// A store with a ticker for every default game market (BTC 1 s old, the others older).
pub async fn full_store() -> InMemoryMarketStore {
    let store = InMemoryMarketStore::new();
    let mut tickers = Vec::new();
    for (index, market) in DEFAULT_GAME_MARKETS.iter().enumerate() {
        let age = 1_000 + i64::try_from(index).unwrap() * 500;
        tickers.push(ticker(market, "1000", NOW_MS - age));
    }
    tickers[0] = ticker("KRW-BTC", "82635000", NOW_MS - 1_000);
    store.put_latest(&tickers).await.unwrap();
    store
}

pub async fn call(
    deps: &Deps<InMemoryMarketStore>,
    request: Request,
) -> (StatusCode, Value, Response<Body>) {
    let response = handle(deps, request).await;
    let body = match response.body() {
        Body::Empty => Value::Null,
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap(),
        _ => panic!("unexpected body kind"),
    };
    (response.status(), body, response)
}

pub fn header<'a>(response: &'a Response<Body>, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

pub fn assert_error(
    status: StatusCode,
    body: &Value,
    expected: StatusCode,
    code: &str,
    message: &str,
) {
    assert_eq!(status, expected, "{body}");
    let error = body["error"].as_object().unwrap();
    assert_eq!(error.len(), 2, "{body}");
    assert_eq!(error["code"], code, "{body}");
    assert_eq!(error["message"], message, "{body}");
}
