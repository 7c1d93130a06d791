//! Handler tests of `/tickers/{market}/candles` from the events in `events/get-ticker/` against
//! the in-memory market store: the range, its defaults, no data, an unknown market.
#![allow(clippy::unwrap_used)]

use coinking_adapters::market_store::{CandleWriter, InMemoryMarketStore};
use coinking_core::candle::{Candle, Tick};
use get_ticker::TickerConfig;
use lambda_http::http::StatusCode;
use serde_json::Value;

mod common;
mod handler_support;
use common::{code, dec, event};
use handler_support::{NOW_MS, assert_error, call, deps_with, full_store, header};

fn candle_at(minute: i64, price: &str, position: i64) -> Candle {
    Candle::from_tick(&Tick {
        market: code("KRW-BTC"),
        trade_timestamp: 1_732_500_000_000 + minute * 60_000 + 5_000,
        price: dec(price),
        volume: dec("0.25"),
        position,
    })
}

#[tokio::test]
async fn candles_in_range_oldest_first_with_exact_decimals() {
    let store = full_store().await;
    let candles: Vec<Candle> = (0..5)
        .map(|m| candle_at(m, &format!("8263500{m}"), m))
        .collect();
    store.put_candles(&candles).await.unwrap();
    let deps = deps_with(store, TickerConfig::default());

    let (status, body, response) = call(&deps, event!("candles")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["market"], "KRW-BTC");
    assert_eq!(body["interval"], "1m");
    assert_eq!(body["from"], 1_732_500_000_000_i64);
    assert_eq!(body["to"], 1_732_500_120_000_i64);
    assert_eq!(body["limit"], 10);
    let returned = body["candles"].as_array().unwrap();
    let starts: Vec<i64> = returned
        .iter()
        .map(|c| c["minute_start_ms"].as_i64().unwrap())
        .collect();
    assert_eq!(
        starts,
        [1_732_500_000_000, 1_732_500_060_000, 1_732_500_120_000]
    );
    assert_eq!(returned[0]["open"], "82635000");
    assert_eq!(returned[0]["volume"], "0.25");
    assert_eq!(returned[0]["trade_count"], 1);
    // The newest returned trade (2 min 5 s after the first minute) is after the pinned "now"
    // (1 min after it): a clock skew, shown as age 0, never negative.
    assert_eq!(body["age_ms"], 0);
    assert!(header(&response, "x-data-age-ms").is_some());
}

#[tokio::test]
async fn candles_default_to_the_hour_before_now() {
    let store = full_store().await;
    store
        .put_candles(&[candle_at(-61, "1", 1), candle_at(0, "2", 2)])
        .await
        .unwrap();
    let deps = deps_with(store, TickerConfig::default());

    let (status, body, _) = call(&deps, event!("candles_defaults")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["to"], NOW_MS);
    assert_eq!(body["from"], NOW_MS - 3_600_000);
    assert_eq!(body["limit"], 60);
    let returned = body["candles"].as_array().unwrap();
    assert_eq!(
        returned.len(),
        1,
        "the candle 61 minutes back is outside the window"
    );
    assert_eq!(returned[0]["close"], "2");
}

#[tokio::test]
async fn candles_of_a_listed_market_without_data_are_an_empty_list() {
    let deps = deps_with(InMemoryMarketStore::new(), TickerConfig::default());

    let (status, body, response) = call(&deps, event!("candles_defaults")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["candles"], Value::Array(Vec::new()));
    assert_eq!(body["age_ms"], Value::Null);
    assert_eq!(header(&response, "x-data-age-ms"), None);
}

#[tokio::test]
async fn candles_of_an_unknown_market_are_404() {
    let deps = deps_with(InMemoryMarketStore::new(), TickerConfig::default());

    let (status, body, _) = call(&deps, event!("error_candles_unknown_market")).await;

    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "unknown_market",
        "market: KRW-NOPE is not a listed market",
    );
}
