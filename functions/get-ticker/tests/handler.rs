//! Handler tests: API Gateway HTTP API events from `events/get-ticker/` (the same files
//! `cargo lambda invoke --data-file` takes) against the in-memory market store: `/upbit_data`,
//! `/markets`, `/tickers` and `/tickers/{market}`. Candles, parameters and CORS, and store
//! failures are in the `handler_*` binaries beside this one; the helpers in `handler_support`.
#![allow(clippy::unwrap_used)]

use coinking_adapters::market_store::{CatalogWriter, InMemoryMarketStore, TickerWriter};
use coinking_core::catalog::{CautionFlags, MarketInfo};
use coinking_core::market::DEFAULT_GAME_MARKETS;
use get_ticker::{TickerConfig, handle};
use lambda_http::Body;
use lambda_http::http::StatusCode;
use serde_json::Value;

mod common;
mod handler_support;
use common::{code, event};
use handler_support::{NOW_MS, assert_error, call, deps_with, full_store, header, ticker};

#[tokio::test]
async fn upbit_data_lists_every_game_market_with_exactly_the_contract_fields_and_types() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, response) = call(&deps, event!("upbit_data")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert_eq!(header(&response, "cache-control"), Some("max-age=1"));
    assert_eq!(header(&response, "x-data-age-ms"), Some("1000"));
    let items = body.as_array().unwrap();
    let codes: Vec<&str> = items.iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert_eq!(codes, DEFAULT_GAME_MARKETS, "configured order");
    for item in items {
        let fields = item.as_object().unwrap();
        let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "change",
                "change_price",
                "change_rate",
                "code",
                "coin_name",
                "high_price",
                "low_price",
                "timestamp",
                "trade_price",
                "trade_timestamp"
            ]
        );
        for number in [
            "trade_price",
            "high_price",
            "low_price",
            "change_price",
            "change_rate",
        ] {
            assert!(
                fields[number].is_f64(),
                "{number} must be a JSON float: {item}"
            );
        }
        for integer in ["timestamp", "trade_timestamp"] {
            assert!(
                fields[integer].is_i64(),
                "{integer} must be a JSON integer: {item}"
            );
        }
        assert!(fields["change"].is_string());
        assert!(!fields["coin_name"].as_str().unwrap().is_empty());
    }
    let btc = &items[0];
    assert_eq!(btc["coin_name"], "비트코인");
    assert_eq!(btc["trade_price"].as_f64(), Some(82_635_000.0));
    assert_eq!(btc["change"], "RISE");
    assert_eq!(btc["change_rate"].as_f64(), Some(0.0123));
    assert_eq!(btc["timestamp"], NOW_MS - 1_000);
    assert_eq!(btc["trade_timestamp"], NOW_MS - 1_100);
}

#[tokio::test]
async fn upbit_data_renders_trade_price_as_a_float_even_for_whole_numbers() {
    // The original served Python floats (`82635000.0`); some chart code checks the type.
    let deps = deps_with(full_store().await, TickerConfig::default());

    let response = handle(&deps, event!("upbit_data")).await;

    let Body::Text(text) = response.body() else {
        panic!("text body expected")
    };
    assert!(text.contains(r#""trade_price":82635000.0"#), "{text}");
}

#[tokio::test]
async fn upbit_data_leaves_out_game_markets_without_a_ticker_and_ignores_cache_busters() {
    let store = InMemoryMarketStore::new();
    store
        .put_latest(&[ticker("KRW-ETH", "4800000", NOW_MS - 300)])
        .await
        .unwrap();
    let deps = deps_with(store, TickerConfig::default());

    let (status, body, _) = call(&deps, event!("upbit_data_cache_buster")).await;

    assert_eq!(status, StatusCode::OK);
    let items = body.as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["code"], "KRW-ETH");
    assert_eq!(items[0]["coin_name"], "이더리움");
}

#[tokio::test]
async fn upbit_data_is_an_empty_array_before_any_ticker_arrives() {
    let deps = deps_with(InMemoryMarketStore::new(), TickerConfig::default());

    let (status, body, response) = call(&deps, event!("upbit_data")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Value::Array(Vec::new()));
    assert_eq!(header(&response, "x-data-age-ms"), None);
}

#[tokio::test]
async fn upbit_data_follows_the_configured_game_markets() {
    let config = TickerConfig {
        game_markets: vec![code("KRW-SOL"), code("KRW-BTC")],
        ..TickerConfig::default()
    };
    let deps = deps_with(full_store().await, config);

    let (_, body, _) = call(&deps, event!("upbit_data")).await;

    let codes: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["KRW-SOL", "KRW-BTC"]);
}

#[tokio::test]
async fn coin_names_come_from_the_stored_catalog_before_the_bundled_one() {
    let store = full_store().await;
    store
        .put_markets(&[MarketInfo {
            market: code("KRW-BTC"),
            korean_name: "비트코인(저장)".into(),
            english_name: "Bitcoin".into(),
            warning: false,
            caution: CautionFlags::default(),
        }])
        .await
        .unwrap();
    let deps = deps_with(store, TickerConfig::default());

    let (_, body, _) = call(&deps, event!("upbit_data")).await;

    assert_eq!(body[0]["coin_name"], "비트코인(저장)");
    assert_eq!(body[1]["coin_name"], "이더리움", "bundled fallback");
}

#[tokio::test]
async fn markets_lists_the_catalog_and_flags_game_markets() {
    let deps = deps_with(InMemoryMarketStore::new(), TickerConfig::default());

    let (status, body, _) = call(&deps, event!("markets")).await;

    assert_eq!(status, StatusCode::OK);
    let markets = body["markets"].as_array().unwrap();
    assert!(markets.len() >= 9);
    let btc = markets.iter().find(|m| m["market"] == "KRW-BTC").unwrap();
    assert_eq!(btc["korean_name"], "비트코인");
    assert_eq!(btc["english_name"], "Bitcoin");
    assert_eq!(btc["game"], true);
    assert!(btc["warning"].is_boolean());
    assert!(btc["caution"]["price_fluctuations"].is_boolean());
}

#[tokio::test]
async fn tickers_default_to_the_game_markets_with_exact_decimals_and_ages() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, response) = call(&deps, event!("tickers")).await;

    assert_eq!(status, StatusCode::OK);
    let tickers = body["tickers"].as_array().unwrap();
    assert_eq!(tickers.len(), 9);
    assert_eq!(tickers[0]["market"], "KRW-BTC");
    assert_eq!(tickers[0]["trade_price"], "82635000", "exact decimal text");
    assert_eq!(tickers[0]["korean_name"], "비트코인");
    assert_eq!(tickers[0]["age_ms"], 1_000);
    assert_eq!(tickers[1]["age_ms"], 1_500);
    assert_eq!(body["age_ms"], 1_000);
    assert_eq!(header(&response, "x-data-age-ms"), Some("1000"));
    assert_eq!(header(&response, "cache-control"), Some("max-age=1"));
}

#[tokio::test]
async fn tickers_of_selected_markets_come_in_the_requested_order() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, _) = call(&deps, event!("tickers_selected")).await;

    assert_eq!(status, StatusCode::OK);
    let codes: Vec<&str> = body["tickers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["market"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["KRW-ETH", "KRW-BTC"]);
}

#[tokio::test]
async fn one_ticker_by_market() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, response) = call(&deps, event!("ticker")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["market"], "KRW-BTC");
    assert_eq!(body["v"], 1);
    assert_eq!(body["korean_name"], "비트코인");
    assert_eq!(body["change_rate"], "0.0123");
    assert_eq!(body["age_ms"], 1_000);
    assert_eq!(header(&response, "x-data-age-ms"), Some("1000"));
}

#[tokio::test]
async fn a_listed_market_without_a_ticker_is_404_ticker_not_found() {
    let deps = deps_with(InMemoryMarketStore::new(), TickerConfig::default());

    let (status, body, _) = call(&deps, event!("ticker")).await;

    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "ticker_not_found",
        "market: KRW-BTC has no ticker yet",
    );
}

#[tokio::test]
async fn an_unknown_market_is_404() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, response) = call(&deps, event!("error_unknown_market")).await;

    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "unknown_market",
        "market: KRW-NOPE is not a listed market",
    );
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
}

#[tokio::test]
async fn a_malformed_market_code_is_400_naming_the_rule() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, _) = call(&deps, event!("error_malformed_market")).await;

    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
        "market: is not in canonical form (upper-case QUOTE-BASE, e.g. KRW-BTC)",
    );
}
