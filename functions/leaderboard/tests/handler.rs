#![allow(clippy::unwrap_used)]
//! Handler tests from the fixture events in `events/leaderboard/` (the frontend's exact bodies),
//! with the in-memory leaderboard and market store and a pinned clock.

use coinking_adapters::leaderboard::{
    AffiliationReader, InMemoryLeaderboard, RankingReader, RankingScope,
};
use coinking_adapters::market_store::{CandleWriter, InMemoryMarketStore};
use coinking_core::candle::Candle;
use coinking_core::market::MarketCode;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use leaderboard::{Config, Deps, handle};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// 2024-11-25T02:01:00Z, the fixtures' time.
const NOW: i64 = 1_732_500_060_000;
const PLAYER_EMAIL: &str = "player@example.com";

fn now() -> i64 {
    NOW
}

type TestDeps = Deps<InMemoryLeaderboard, InMemoryMarketStore>;

fn deps() -> TestDeps {
    Deps::new(
        InMemoryLeaderboard::new(),
        InMemoryMarketStore::new(),
        Config::default(),
    )
    .with_clock(now)
}

macro_rules! event {
    ($name:literal) => {
        include_str!(concat!("../../../events/leaderboard/", $name, ".json"))
    };
}

fn request(event: &str) -> Request {
    lambda_http::request::from_str(event).unwrap()
}

/// The frontend's body fixture with `balance` replaced.
fn with_balance(balance: f64) -> Request {
    let mut event: Value = serde_json::from_str(event!("set_user_data")).unwrap();
    let mut body: Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    body["balance"] = json!(balance);
    event["body"] = json!(body.to_string());
    request(&event.to_string())
}

fn text(response: &Response<Body>) -> String {
    match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8(bytes.clone()).unwrap(),
        _ => String::new(),
    }
}

fn json_of(response: &Response<Body>) -> Value {
    serde_json::from_str(&text(response)).unwrap()
}

fn candle(market: &str, minute_start_ms: i64, low: i64, high: i64) -> Candle {
    Candle {
        market: MarketCode::parse(market).unwrap(),
        minute_start_ms,
        open: Decimal::from(low),
        high: Decimal::from(high),
        low: Decimal::from(low),
        close: Decimal::from(high),
        volume: Decimal::ONE,
        trade_count: 2,
        open_key: (minute_start_ms, 1),
        close_key: (minute_start_ms + 1, 2),
        last_position: 2,
    }
}

/// Candles whose best sell/buy ratios are exactly 1.001 (BTC), 1.002 (ETH) and 1 (DOGE): the
/// bound is 1e9 × 2 + 5e8 × 3 + 1e8 × 1 = 3.6e9 KRW, 3.636e9 with the 1 % tolerance.
async fn known_candles(deps: &TestDeps) {
    let minute = |ago: i64| (NOW / 60_000 - ago) * 60_000;
    let candles = [
        // The high (100,100) comes after the low (100,000): ratio 1.001.
        candle("KRW-BTC", minute(20), 100_000, 100_050),
        candle("KRW-BTC", minute(10), 100_050, 100_100),
        // A high before the low does not count: 1,000 → 1,002 is the best later pair.
        candle("KRW-ETH", minute(25), 1_010, 1_010),
        candle("KRW-ETH", minute(15), 1_000, 1_002),
        candle("KRW-DOGE", minute(5), 500, 500),
    ];
    deps.candles.put_candles(&candles).await.unwrap();
}

async fn nothing_written(deps: &TestDeps) {
    assert!(
        deps.store
            .ranking(&RankingScope::All, usize::MAX)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(deps.store.affiliations().await.unwrap().is_empty());
}

#[tokio::test]
async fn stores_the_frontends_body_and_ranks_it_with_an_integer_balance() {
    let deps = deps();
    known_candles(&deps).await;

    let saved = handle(&deps, request(event!("set_user_data"))).await;
    assert_eq!(saved.status(), StatusCode::OK, "{}", text(&saved));
    assert!(json_of(&saved)["message"].is_string());
    assert_eq!(saved.headers()["access-control-allow-origin"], "*");

    let ranked = handle(&deps, request(event!("get_user_data_all"))).await;
    assert_eq!(ranked.status(), StatusCode::OK);
    let body = text(&ranked);
    assert!(body.contains(r#""balance":1734500000}"#), "{body}");
    assert_eq!(
        json_of(&ranked)["data"],
        json!([{"name":"김철수","affiliation":"코인대학교","nickname":"","coin_1":"KRW-BTC","coin_2":"KRW-ETH","coin_3":"KRW-DOGE","balance":1734500000}])
    );
    let own = handle(&deps, request(event!("get_user_data_affiliation"))).await;
    assert_eq!(json_of(&own)["data"][0]["name"], "김철수");
}

#[tokio::test]
async fn accepts_a_nickname_but_never_stores_or_returns_it() {
    let deps = deps();
    known_candles(&deps).await;

    let saved = handle(&deps, request(event!("set_user_data_with_nickname"))).await;
    assert_eq!(saved.status(), StatusCode::OK, "{}", text(&saved));

    for event in [
        event!("get_user_data_all"),
        event!("get_user_data_affiliation"),
        event!("get_the_best_user_data"),
        event!("get_affiliation_list"),
    ] {
        let answer = text(&handle(&deps, request(event)).await);
        assert!(!answer.contains(PLAYER_EMAIL), "{answer}");
    }
    let best = json_of(&handle(&deps, request(event!("get_the_best_user_data"))).await);
    assert_eq!(best["data"]["nickname"], "");
    assert_eq!(best["data"]["balance"], 1_734_500_000);
}

#[tokio::test]
async fn each_bad_body_is_a_400_naming_the_field_and_nothing_is_written() {
    let cases = [
        (event!("error_blank_name"), "name: must not be blank"),
        (
            event!("error_bidi_affiliation"),
            "affiliation: must not contain zero-width",
        ),
        (
            event!("error_same_coin_twice"),
            "coin_2: must differ from coin_1",
        ),
        (
            event!("error_not_a_game_market"),
            "coin_3: KRW-ADA is not a game market",
        ),
        (
            event!("error_negative_balance"),
            "balance: must be at least 0",
        ),
        (event!("error_missing_balance"), "balance: is required"),
        (
            event!("error_duplicated_key"),
            "name: must not be given twice",
        ),
        (event!("error_not_json"), "body: must be a JSON object"),
        (
            event!("error_bad_idempotency_key"),
            "Idempotency-Key: must be",
        ),
    ];
    for (event, message) in cases {
        let deps = deps();
        let refused = handle(&deps, request(event)).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{message}");
        let error = &json_of(&refused)["error"];
        assert!(
            error["message"].as_str().unwrap().starts_with(message),
            "{message} vs {error}"
        );
        assert_eq!(refused.headers()["access-control-allow-origin"], "*");
        nothing_written(&deps).await;
        assert_eq!(deps.metrics.snapshot().accepted, 0);
    }
}

#[tokio::test]
async fn a_balance_just_below_the_hand_computed_bound_is_stored() {
    let deps = deps();
    known_candles(&deps).await;
    let saved = handle(&deps, with_balance(3_635_999_999.0)).await;
    assert_eq!(saved.status(), StatusCode::OK, "{}", text(&saved));
    let best = deps.store.ranking(&RankingScope::All, 1).await.unwrap();
    assert_eq!(best[0].balance, 3_635_999_999);
    assert_eq!(deps.metrics.snapshot().candles_missing, 0);
}

#[tokio::test]
async fn a_balance_just_above_the_bound_is_a_422_counted_and_not_written() {
    let deps = deps();
    known_candles(&deps).await;
    let refused = handle(&deps, with_balance(3_636_000_001.0)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error = &json_of(&refused)["error"];
    assert_eq!(error["code"], "score_out_of_bounds");
    let message = error["message"].as_str().unwrap();
    let allowed: f64 = message
        .strip_prefix("balance: 3636000001 is above ")
        .and_then(|rest| rest.split(',').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("{message}"));
    // 3.636e9 up to float rounding (the largest whole balance accepted is shown).
    assert!((allowed - 3_636_000_000.0).abs() <= 1.0, "{message}");
    nothing_written(&deps).await;
    assert_eq!(deps.metrics.snapshot().out_of_bounds, 1);
}

#[tokio::test]
async fn a_player_who_never_traded_keeps_the_start_balance_even_in_a_flat_market() {
    let deps = deps();
    let minute = (NOW / 60_000 - 3) * 60_000;
    let flat = ["KRW-BTC", "KRW-ETH", "KRW-DOGE"].map(|m| candle(m, minute, 100, 100));
    deps.candles.put_candles(&flat).await.unwrap();
    let saved = handle(&deps, with_balance(1_600_000_000.0)).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let refused = handle(&deps, with_balance(1_616_000_001.0)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn coins_without_candles_fall_back_to_the_static_cap_and_are_counted() {
    let deps = deps();
    // No candles at all: each coin bounded by a 10 % rise at leverage 1000 (101 × its money).
    let saved = handle(&deps, request(event!("set_user_data"))).await;
    assert_eq!(saved.status(), StatusCode::OK);
    assert_eq!(deps.metrics.snapshot().candles_missing, 3);
    let cap = 101.0 * 1.6e9 * 1.01;
    let refused = handle(&deps, with_balance(cap + 10.0)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn get_user_data_requires_the_affiliation_parameter() {
    for event in [
        event!("error_get_user_data_missing_affiliation"),
        event!("error_get_user_data_blank_affiliation"),
    ] {
        let refused = handle(&deps(), request(event)).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let message = json_of(&refused)["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.starts_with("affiliation: is required"), "{message}");
    }
}

#[tokio::test]
async fn an_unknown_affiliation_has_an_empty_list_and_an_empty_board_a_null_best() {
    let deps = deps();
    let ranked = handle(&deps, request(event!("get_user_data_affiliation"))).await;
    assert_eq!(ranked.status(), StatusCode::OK);
    assert_eq!(json_of(&ranked)["data"], json!([]));
    let best = handle(&deps, request(event!("get_the_best_user_data"))).await;
    assert_eq!(best.status(), StatusCode::OK);
    assert_eq!(json_of(&best)["data"], Value::Null);
    let list = handle(&deps, request(event!("get_affiliation_list"))).await;
    assert_eq!(json_of(&list), json!({"message": "ok", "affiliation": []}));
}

#[tokio::test]
async fn the_affiliation_list_and_the_best_player_follow_the_submissions() {
    let deps = deps();
    known_candles(&deps).await;
    handle(&deps, with_balance(2e9)).await;
    let list = json_of(&handle(&deps, request(event!("get_affiliation_list"))).await);
    assert_eq!(list["affiliation"], json!(["코인대학교"]));
    handle(&deps, with_balance(1.7e9)).await;
    let best = json_of(&handle(&deps, request(event!("get_the_best_user_data"))).await);
    assert_eq!(best["data"]["balance"], 2_000_000_000);
}

#[tokio::test]
async fn the_preflight_allows_post_with_a_json_body() {
    let answer = handle(&deps(), request(event!("preflight_set_user_data"))).await;
    assert_eq!(answer.status(), StatusCode::NO_CONTENT);
    let headers = answer.headers();
    assert_eq!(headers["allow"], "POST, OPTIONS");
    assert_eq!(headers["access-control-allow-methods"], "GET,POST,OPTIONS");
    assert!(
        headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("content-type")
    );
    assert_eq!(headers["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn a_wrong_method_is_a_405_with_cors_headers() {
    let answer = handle(&deps(), request(event!("error_wrong_method"))).await;
    assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers()["allow"], "POST, OPTIONS");
    assert_eq!(answer.headers()["access-control-allow-origin"], "*");
}

/// The market store's candle reader, counting its calls (each is one paged Query on DynamoDB).
#[derive(Debug, Default)]
struct CountingCandles {
    inner: InMemoryMarketStore,
    calls: std::sync::atomic::AtomicUsize,
}

impl coinking_adapters::market_store::CandleReader for CountingCandles {
    async fn candles(
        &self,
        market: &MarketCode,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Candle>, coinking_adapters::StoreError> {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        assert!(
            limit <= 61,
            "one Query page covers the window: limit {limit}"
        );
        self.inner.candles(market, from_ms, to_ms, limit).await
    }
}

#[tokio::test]
async fn a_submission_reads_the_candles_of_its_three_coins_once_each() {
    let deps = Deps::new(
        InMemoryLeaderboard::new(),
        CountingCandles::default(),
        Config::default(),
    )
    .with_clock(now);
    let saved = handle(&deps, request(event!("set_user_data"))).await;
    assert_eq!(saved.status(), StatusCode::OK);
    assert_eq!(
        deps.candles
            .calls
            .load(std::sync::atomic::Ordering::Relaxed),
        3
    );
    let refused = handle(&deps, request(event!("error_same_coin_twice"))).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        deps.candles
            .calls
            .load(std::sync::atomic::Ordering::Relaxed),
        3,
        "an invalid body reads nothing"
    );
}
