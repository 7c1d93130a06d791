//! Handler tests: API Gateway HTTP API events from `events/get-ticker/` (the same files
//! `cargo lambda invoke --data-file` takes) against the in-memory market store.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use coinking_adapters::market_store::{
    CandleWriter, CatalogWriter, InMemoryMarketStore, TickerWriter,
};
use coinking_core::candle::{Candle, Tick};
use coinking_core::catalog::{CautionFlags, MarketInfo};
use coinking_core::market::{DEFAULT_GAME_MARKETS, MarketCode};
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::Change;
use get_ticker::{CorsOrigins, Deps, TickerConfig, handle};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

/// The pinned "now" of every test: 2024-11-25T02:01:00Z, as in the fixtures.
const NOW_MS: i64 = 1_732_500_060_000;

mod common;
use common::{code, dec, event};

fn ticker(market: &str, price: &str, timestamp: i64) -> NormalizedTicker {
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

fn deps_with(store: InMemoryMarketStore, config: TickerConfig) -> Deps<InMemoryMarketStore> {
    Deps::new(store, config)
        .with_clock(|| NOW_MS)
        .with_catalog_ttl(Duration::ZERO)
}

/// A store with a ticker for every default game market (BTC 1 s old, the others older).
async fn full_store() -> InMemoryMarketStore {
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

async fn call(
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

fn header<'a>(response: &'a Response<Body>, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, code: &str, message: &str) {
    assert_eq!(status, expected, "{body}");
    let error = body["error"].as_object().unwrap();
    assert_eq!(error.len(), 2, "{body}");
    assert_eq!(error["code"], code, "{body}");
    assert_eq!(error["message"], message, "{body}");
}

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

#[tokio::test]
async fn every_bad_parameter_is_a_400_naming_the_parameter_and_rule() {
    let deps = deps_with(full_store().await, TickerConfig::default());
    let cases: [(Request, &str); 6] = [
        (
            event!("error_candles_bad_limit"),
            "limit: must be an integer from 1 to 1440",
        ),
        (
            event!("error_candles_bad_from"),
            "from: must be an integer epoch ms from 0 to 9999999999999",
        ),
        (
            event!("error_candles_from_after_to"),
            "from: must not be after to",
        ),
        (
            event!("error_candles_repeated_limit"),
            "limit: must be given at most once",
        ),
        (
            event!("error_tickers_bad_markets"),
            "markets: [1] is not of the form QUOTE-BASE (e.g. KRW-BTC) or BASE/QUOTE (e.g. BTC/KRW)",
        ),
        (
            event!("error_unknown_parameter"),
            "market: unknown parameter (expected one of markets)",
        ),
    ];
    for (request, message) in cases {
        let (status, body, _) = call(&deps, request).await;
        assert_error(
            status,
            &body,
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            message,
        );
    }
}

#[tokio::test]
async fn an_unknown_route_is_404() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, _) = call(&deps, event!("error_unknown_route")).await;

    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "not_found",
        "path: no route for /upbit_data/extra",
    );
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, response) = call(&deps, event!("error_wrong_method")).await;

    assert_error(
        status,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method: POST is not allowed on /upbit_data (allowed: GET, OPTIONS)",
    );
    assert_eq!(header(&response, "allow"), Some("GET, OPTIONS"));
}

#[tokio::test]
async fn the_cors_preflight_allows_get_from_any_origin_by_default() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, response) = call(&deps, event!("preflight")).await;

    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(body, Value::Null);
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    assert_eq!(
        header(&response, "access-control-allow-methods"),
        Some("GET, OPTIONS")
    );
    assert_eq!(
        header(&response, "access-control-allow-headers"),
        Some("content-type")
    );
    assert_eq!(header(&response, "access-control-max-age"), Some("600"));
}

#[tokio::test]
async fn a_preflight_for_another_method_is_405() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, body, _) = call(&deps, event!("preflight_wrong_method")).await;

    assert_error(
        status,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Access-Control-Request-Method: must be GET, got DELETE",
    );
}

fn restricted(origin: &str) -> TickerConfig {
    TickerConfig {
        cors_origins: CorsOrigins::List(vec![origin.to_owned()]),
        ..TickerConfig::default()
    }
}

#[tokio::test]
async fn configured_origins_are_echoed_with_vary() {
    // The fixtures come from http://localhost:5173.
    let deps = deps_with(full_store().await, restricted("http://localhost:5173"));

    let (status, _, response) = call(&deps, event!("upbit_data")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(header(&response, "vary"), Some("Origin"));
    assert_eq!(
        header(&response, "access-control-expose-headers"),
        Some("x-data-age-ms, x-coinking-hints-time, x-coinking-hints-model")
    );
}

#[tokio::test]
async fn other_origins_get_no_cors_headers_and_a_403_preflight() {
    let deps = deps_with(full_store().await, restricted("https://game.example.com"));

    let (status, _, response) = call(&deps, event!("upbit_data")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the browser, not the server, enforces CORS"
    );
    assert_eq!(header(&response, "access-control-allow-origin"), None);

    let (status, body, _) = call(&deps, event!("preflight")).await;
    assert_error(
        status,
        &body,
        StatusCode::FORBIDDEN,
        "cors_origin_not_allowed",
        "Origin: http://localhost:5173 is not an allowed origin",
    );
}

#[tokio::test]
async fn errors_carry_cors_headers_so_the_page_can_read_them() {
    let deps = deps_with(full_store().await, TickerConfig::default());

    let (status, _, response) = call(&deps, event!("error_unknown_market")).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
}

/// A store whose every read fails: only the handler's error mapping is under test here.
struct FailingStore {
    retryable: bool,
}

impl FailingStore {
    fn error(&self) -> coinking_adapters::StoreError {
        coinking_adapters::StoreError::DynamoDb {
            operation: "Query",
            table: "coinking-market".into(),
            retryable: self.retryable,
            message: "scripted failure".into(),
        }
    }
}

impl coinking_adapters::market_store::TickerReader for FailingStore {
    async fn latest(
        &self,
        _: &[MarketCode],
    ) -> Result<Vec<NormalizedTicker>, coinking_adapters::StoreError> {
        Err(self.error())
    }
    async fn latest_one(
        &self,
        _: &MarketCode,
    ) -> Result<Option<NormalizedTicker>, coinking_adapters::StoreError> {
        Err(self.error())
    }
}

impl coinking_adapters::market_store::CandleReader for FailingStore {
    async fn candles(
        &self,
        _: &MarketCode,
        _: i64,
        _: i64,
        _: usize,
    ) -> Result<Vec<Candle>, coinking_adapters::StoreError> {
        Err(self.error())
    }
}

impl coinking_adapters::market_store::CatalogReader for FailingStore {
    async fn markets(&self) -> Result<Vec<MarketInfo>, coinking_adapters::StoreError> {
        Err(self.error())
    }
}

impl coinking_adapters::market_store::HintReader for FailingStore {
    async fn hints(
        &self,
    ) -> Result<Option<coinking_core::hints::HintSet>, coinking_adapters::StoreError> {
        Err(self.error())
    }
}

impl coinking_adapters::market_store::HintWriter for FailingStore {
    async fn put_hints(
        &self,
        _: &coinking_core::hints::HintSet,
    ) -> Result<coinking_adapters::market_store::WriteReport, coinking_adapters::StoreError> {
        Err(self.error())
    }
}

#[tokio::test]
async fn get_deeplearning_still_answers_every_market_when_the_store_fails() {
    let deps = Deps::new(FailingStore { retryable: true }, TickerConfig::default());

    let response = handle(&deps, event!("get_deeplearning")).await;

    assert_eq!(response.status(), StatusCode::OK);
    let Body::Text(text) = response.body() else {
        panic!("text body expected")
    };
    let body: Value = serde_json::from_str(text).unwrap();
    let codes: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, DEFAULT_GAME_MARKETS);
    assert_eq!(
        header(&response, "x-coinking-hints-model"),
        Some("unavailable")
    );
}

#[tokio::test]
async fn a_retryable_store_failure_is_503_and_a_permanent_one_500() {
    for (retryable, expected, code, message) in [
        (
            true,
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "market store: temporarily unavailable, retry shortly",
        ),
        (
            false,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "market store: read failed",
        ),
    ] {
        let deps = Deps::new(FailingStore { retryable }, TickerConfig::default());
        let response = handle(&deps, event!("upbit_data")).await;
        let Body::Text(text) = response.body() else {
            panic!("text body expected")
        };
        let body: Value = serde_json::from_str(text).unwrap();
        assert_error(response.status(), &body, expected, code, message);
        assert_eq!(header(&response, "cache-control"), Some("no-store"));
    }
}

#[tokio::test]
async fn markets_fall_back_to_the_bundled_catalog_when_the_store_fails() {
    let deps = Deps::new(FailingStore { retryable: true }, TickerConfig::default());

    let response = handle(&deps, event!("markets")).await;

    assert_eq!(response.status(), StatusCode::OK);
}
