//! `GET /get_deeplearning` and `POST /set_deeplearning` from the fixture events in
//! `events/get-ticker/`, against the in-memory market store.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use coinking_adapters::market_store::{
    CandleWriter, HintReader, HintWriter, InMemoryMarketStore, TickerWriter,
};
use coinking_core::candle::{CANDLE_INTERVAL_MS, Candle};
use coinking_core::hints::{BaselineForecaster, Flag, MarketInput, compute_hints};
use coinking_core::market::{DEFAULT_GAME_MARKETS, MarketCode};
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::Change;
use get_ticker::{Deps, TickerConfig};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request};
use rust_decimal::Decimal;
use serde_json::Value;

/// The token of the `set_deeplearning*` fixtures.
const TOKEN: &str = "local-hints-token-0123456789";

mod common;
mod handler_support;
use common::{code, dec, event};
use handler_support::{NOW_MS, call, header};

fn ticker(market: &str, price: &str, timestamp: i64) -> NormalizedTicker {
    NormalizedTicker {
        v: 1,
        market: code(market),
        trade_price: dec(price),
        opening_price: dec(price),
        high_price: dec(price),
        low_price: dec(price),
        prev_closing_price: dec(price),
        change: Change::Even,
        change_price: Decimal::ZERO,
        change_rate: Decimal::ZERO,
        signed_change_price: Decimal::ZERO,
        signed_change_rate: Decimal::ZERO,
        trade_volume: None,
        acc_trade_volume_24h: None,
        acc_trade_price_24h: None,
        ask_bid: None,
        trade_timestamp: timestamp,
        timestamp,
        stream_type: None,
        market_warning: None,
    }
}

fn deps(store: InMemoryMarketStore, token: Option<&str>) -> Deps<InMemoryMarketStore> {
    let config = TickerConfig {
        hints_token: token.map(str::to_owned),
        ..TickerConfig::default()
    };
    Deps::new(store, config).with_clock(|| NOW_MS)
}

/// The contract's invariants: one entry per game market in `/upbit_data` order with exactly the
/// twelve fields, ranks a permutation of 1..N, each flag true on exactly one entry. Returns the
/// holder of each flag.
fn assert_contract(body: &Value) -> Vec<(Flag, String)> {
    let entries = body.as_array().expect("a bare JSON array");
    let codes: Vec<&str> = entries
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, DEFAULT_GAME_MARKETS, "{body}");
    let mut ranks = HashSet::new();
    for entry in entries {
        let fields: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(fields.len(), 12, "{entry}");
        assert!(
            entry["percentage"].is_f64()
                && entry["sell_up"].is_f64()
                && entry["sell_down"].is_f64(),
            "{entry}"
        );
        ranks.insert(entry["rank"].as_u64().unwrap());
    }
    assert_eq!(
        ranks,
        (1..=entries.len() as u64).collect::<HashSet<_>>(),
        "{body}"
    );
    Flag::ALL
        .iter()
        .map(|flag| {
            let holders: Vec<&str> = entries
                .iter()
                .filter(|e| e[flag.name()].as_bool().unwrap())
                .map(|e| e["code"].as_str().unwrap())
                .collect();
            assert_eq!(holders.len(), 1, "{}: {holders:?}", flag.name());
            (*flag, holders[0].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn from_the_first_second_every_game_market_gets_an_entry_in_upbit_data_order() {
    let deps = deps(InMemoryMarketStore::new(), None);

    let (status, body, response) = call(&deps, event!("get_deeplearning")).await;

    assert_eq!(status, StatusCode::OK);
    assert_contract(&body);
    assert_eq!(
        header(&response, "x-coinking-hints-model"),
        Some("warming-up")
    );
    assert_eq!(
        header(&response, "x-coinking-hints-time"),
        Some(NOW_MS.to_string().as_str())
    );
    assert!(
        body.as_array()
            .unwrap()
            .iter()
            .all(|e| e["percentage"] == 0.0)
    );
}

#[tokio::test]
async fn the_warm_up_answer_puts_sell_levels_around_the_latest_price() {
    let store = InMemoryMarketStore::new();
    store
        .put_latest(&[ticker("KRW-BTC", "82635000", NOW_MS - 500)])
        .await
        .unwrap();
    let deps = deps(store, None);

    let (status, body, response) = call(&deps, event!("get_deeplearning")).await;

    assert_eq!(status, StatusCode::OK);
    assert_contract(&body);
    assert_eq!(
        body[0]["sell_up"], 82_718_000.0,
        "0.1 % above, on a 1,000 KRW tick"
    );
    assert_eq!(body[0]["sell_down"], 82_552_000.0);
    assert_eq!(
        header(&response, "x-coinking-hints-time"),
        Some((NOW_MS - 500).to_string().as_str())
    );
}

/// Three closed minutes per market: flat at 100 except where a test moves one.
fn candles(moves: &[(&str, [&str; 3], [&str; 3])]) -> Vec<Candle> {
    let start = NOW_MS - 3 * CANDLE_INTERVAL_MS;
    let mut all = Vec::new();
    for market in DEFAULT_GAME_MARKETS {
        let (closes, volumes) = moves
            .iter()
            .find(|(m, _, _)| *m == market)
            .map_or((["100", "100", "100"], ["1", "1", "1"]), |(_, c, v)| {
                (*c, *v)
            });
        for minute in 0..3 {
            let minute_start_ms = start + minute as i64 * CANDLE_INTERVAL_MS;
            let close = dec(closes[minute]);
            all.push(Candle {
                market: code(market),
                minute_start_ms,
                open: close,
                high: close,
                low: close,
                close,
                volume: dec(volumes[minute]),
                trade_count: 1,
                open_key: (minute_start_ms + 1, minute as i64),
                close_key: (minute_start_ms + 2, minute as i64),
                last_position: minute as i64,
            });
        }
    }
    all
}

#[tokio::test]
async fn the_stored_set_is_served_with_flags_matching_a_hand_computed_window() {
    // By hand: SOL 100 → 103 → 106.09 (+3 %, +3 %): largest rise, fastest growth.
    // DOGE 100 → 110 → 99 (+10 %, −10 %): most volatile. SXP 100 → 98 → 96.04 (−2 %, −2 %):
    // largest drop, fastest decline. UXLINK's volume 1 → 9: largest spike. BTC, flat, first in
    // order among the zero-volatility markets: least volatile.
    let store = InMemoryMarketStore::new();
    let stored = candles(&[
        ("KRW-SOL", ["100", "103", "106.09"], ["1", "1", "1"]),
        ("KRW-DOGE", ["100", "110", "99"], ["1", "1", "1"]),
        ("KRW-SXP", ["100", "98", "96.04"], ["1", "1", "1"]),
        ("KRW-UXLINK", ["100", "100", "100"], ["1", "2", "9"]),
    ]);
    store.put_candles(&stored).await.unwrap();
    let markets = MarketCode::default_game_markets();
    let per_market: Vec<Vec<Candle>> = markets
        .iter()
        .map(|m| stored.iter().filter(|c| &c.market == m).cloned().collect())
        .collect();
    let inputs: Vec<MarketInput<'_>> = markets
        .iter()
        .zip(&per_market)
        .map(|(market, candles)| MarketInput {
            market,
            candles,
            price: None,
        })
        .collect();
    let set = compute_hints(&inputs, &BaselineForecaster::default(), NOW_MS + 2_000);
    store.put_hints(&set).await.unwrap();
    let deps = deps(store, None);

    let (status, body, response) = call(&deps, event!("get_deeplearning")).await;

    assert_eq!(status, StatusCode::OK);
    let holders = assert_contract(&body);
    let holder = |flag: Flag| holders.iter().find(|(f, _)| *f == flag).unwrap().1.as_str();
    assert_eq!(holder(Flag::LargestRise), "KRW-SOL");
    assert_eq!(holder(Flag::FastestGrowth), "KRW-SOL");
    assert_eq!(holder(Flag::MostVolatile), "KRW-DOGE");
    assert_eq!(holder(Flag::LargestDrop), "KRW-SXP");
    assert_eq!(holder(Flag::FastestDecline), "KRW-SXP");
    assert_eq!(holder(Flag::LargestSpike), "KRW-UXLINK");
    assert_eq!(holder(Flag::LeastVolatile), "KRW-BTC");
    // Forecasts (α = 0.3): DOGE 0.3×(−10) + 0.7×10 = +4, SOL +3, SXP −2, the others 0.
    let rank = |market: &str| {
        body.as_array()
            .unwrap()
            .iter()
            .find(|e| e["code"] == market)
            .unwrap()["rank"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        (rank("KRW-DOGE"), rank("KRW-SOL"), rank("KRW-SXP")),
        (1, 2, 9)
    );
    assert_eq!(
        header(&response, "x-coinking-hints-model"),
        Some("baseline-v1")
    );
    assert_eq!(
        header(&response, "x-coinking-hints-time"),
        Some(NOW_MS.to_string().as_str())
    );
}

#[tokio::test]
async fn a_stored_set_with_a_missing_and_an_extra_market_is_fitted_to_the_game_markets() {
    // Stored: KRW-ADA (not a game market) in place of KRW-BTC.
    let store = InMemoryMarketStore::new();
    let markets: Vec<MarketCode> = std::iter::once(code("KRW-ADA"))
        .chain(MarketCode::default_game_markets().into_iter().skip(1))
        .collect();
    let inputs: Vec<MarketInput<'_>> = markets
        .iter()
        .map(|market| MarketInput {
            market,
            candles: &[],
            price: None,
        })
        .collect();
    let mut set = compute_hints(&inputs, &BaselineForecaster::default(), NOW_MS);
    set.model = "lstm-v1".into();
    set.warming_up = false;
    assert!(
        set.entries[0].most_volatile,
        "without data the first market holds every flag"
    );
    store.put_hints(&set).await.unwrap();
    let deps = deps(store, None);

    let (status, body, response) = call(&deps, event!("get_deeplearning")).await;

    assert_eq!(status, StatusCode::OK);
    let holders = assert_contract(&body);
    // ADA's flags are orphaned by the fit and go to the first game market.
    assert!(
        holders.iter().all(|(_, market)| market == "KRW-BTC"),
        "{holders:?}"
    );
    assert_eq!(header(&response, "x-coinking-hints-model"), Some("lstm-v1"));
}

fn body_text(request: &Request) -> String {
    match request.body() {
        Body::Text(text) => text.clone(),
        other => panic!("text body expected, got {other:?}"),
    }
}

#[tokio::test]
async fn an_external_set_is_stored_and_served_as_sent() {
    let store = InMemoryMarketStore::new();
    let deps = deps(store.clone(), Some(TOKEN));

    let (status, body, _) = call(&deps, event!("set_deeplearning")).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "accepted");
    assert_eq!(body["count"], 9);
    let (status, served, response) = call(&deps, event!("get_deeplearning")).await;
    assert_eq!(status, StatusCode::OK);
    let holders = assert_contract(&served);
    let sent: Value = serde_json::from_str(&body_text(&event!("set_deeplearning"))).unwrap();
    assert_eq!(served, sent);
    assert!(holders.contains(&(Flag::MostVolatile, "KRW-DOGE".to_owned())));
    assert_eq!(header(&response, "x-coinking-hints-model"), Some("lstm-v1"));
    assert_eq!(store.hints().await.unwrap().unwrap().model, "lstm-v1");
}

#[tokio::test]
async fn an_iam_signed_set_is_accepted_without_a_token() {
    let store = InMemoryMarketStore::new();
    let deps = deps(store.clone(), None);

    let (status, body, _) = call(&deps, event!("set_deeplearning_iam")).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(store.hints().await.unwrap().unwrap().model, "external");
}

#[tokio::test]
async fn without_a_configured_token_writes_are_403_and_nothing_is_written() {
    let store = InMemoryMarketStore::new();
    let deps = deps(store.clone(), None);

    let (status, body, _) = call(&deps, event!("set_deeplearning")).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "hints_writes_disabled");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("COINKING_HINTS_TOKEN")
    );
    assert_eq!(store.hints().await.unwrap(), None);
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_401_and_nothing_is_written() {
    let store = InMemoryMarketStore::new();
    let deps = deps(store.clone(), Some(TOKEN));

    for (request, message) in [
        (
            event!("set_deeplearning_no_token"),
            "Authorization: a bearer token is required (Authorization: Bearer <COINKING_HINTS_TOKEN>)",
        ),
        (
            event!("set_deeplearning_wrong_token"),
            "Authorization: the bearer token is not valid",
        ),
    ] {
        let (status, body, response) = call(&deps, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "unauthorized");
        assert_eq!(body["error"]["message"], message);
        assert_eq!(header(&response, "www-authenticate"), Some("Bearer"));
    }
    assert_eq!(store.hints().await.unwrap(), None);
}

#[tokio::test]
async fn an_invalid_set_is_400_naming_every_field_and_nothing_is_written() {
    let store = InMemoryMarketStore::new();
    let deps = deps(store.clone(), Some(TOKEN));

    let (status, body, _) = call(&deps, event!("error_set_deeplearning_invalid")).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_hints");
    assert_eq!(
        body["error"]["message"],
        "[2].code: KRW-ADA is not a game market; \
         [3].percentage: must be a number from -100 to 100; \
         [4].sell_up: is required"
    );
    assert_eq!(store.hints().await.unwrap(), None);
}

#[tokio::test]
async fn set_rule_violations_are_400_naming_the_rule_and_nothing_is_written() {
    let store = InMemoryMarketStore::new();
    let deps = deps(store.clone(), Some(TOKEN));
    let mut request: Request = event!("set_deeplearning");
    let mut entries: Value = serde_json::from_str(&body_text(&request)).unwrap();
    // KRW-ETH takes KRW-BTC's rank (2); KRW-SOL takes KRW-UXLINK's spike too.
    entries[1]["rank"] = entries[0]["rank"].clone();
    entries[6]["largest_spike"] = Value::Bool(true);
    *request.body_mut() = Body::Text(entries.to_string());

    let (status, body, _) = call(&deps, request).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("[1].rank: 2 is already the rank of [0]"),
        "{message}"
    );
    assert!(
        message.contains("largest_spike: must be true on exactly one hint, is true on [5], [6]"),
        "{message}"
    );
    assert_eq!(store.hints().await.unwrap(), None);
}

#[tokio::test]
async fn the_write_route_takes_only_post_and_its_preflight() {
    let deps = deps(InMemoryMarketStore::new(), Some(TOKEN));
    let mut request: Request = event!("set_deeplearning");
    *request.method_mut() = lambda_http::http::Method::GET;

    let (status, body, response) = call(&deps, request).await;

    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(header(&response, "allow"), Some("POST, OPTIONS"));

    let mut preflight: Request = event!("set_deeplearning");
    *preflight.method_mut() = lambda_http::http::Method::OPTIONS;
    preflight
        .headers_mut()
        .insert("access-control-request-method", "POST".parse().unwrap());
    let (status, _, response) = call(&deps, preflight).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        header(&response, "access-control-allow-methods"),
        Some("POST, OPTIONS")
    );
}
