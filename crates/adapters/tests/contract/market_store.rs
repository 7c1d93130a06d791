//! The market-store contract: one behaviour per case, run against every implementation.
//!
//! Included twice, by path: from `src/market_store/mod.rs` for the in-memory store (a unit
//! test) and from `tests/market_store_dynamodb.rs` for DynamoDB on dynalite. Each includer
//! defines a harness `async fn(case: impl FnOnce(Store) -> Fut)` that hands a fresh, empty store
//! to the case and cleans up after it, then calls `market_store_contract_tests!(harness)`,
//! which expands to one `#[tokio::test]` per case. The includer must `use` this module as
//! `contract`.
//!
//! Stores used with paging must be configured with a small Query page size (3 or so) so that
//! `latest_returns_only_the_requested_markets_across_pages` crosses page boundaries.
#![allow(clippy::unwrap_used)]
#![allow(dead_code)] // the macro is the only user; some includers may skip cases

use std::str::FromStr;

use coinking_adapters::market_store::{HintReader, HintWriter, MarketStore, WriteReport};
use coinking_core::candle::Candle;
use coinking_core::catalog::{CautionFlags, MarketInfo};
use coinking_core::hints::{Flag, Hint, HintSet};
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::{AskBid, Change, StreamType};
use rust_decimal::Decimal;

/// Expands to one test per contract case, each run through `$harness`.
macro_rules! market_store_contract_tests {
    ($harness:ident) => {
        market_store_contract_tests!(@cases $harness,
            tickers_round_trip_with_exact_decimals,
            an_older_ticker_never_overwrites_a_newer_one_and_is_reported_stale,
            a_ticker_with_the_same_trade_timestamp_is_not_newer,
            a_newer_ticker_replaces_the_stored_one,
            within_one_batch_the_newest_ticker_per_market_wins,
            latest_returns_only_the_requested_markets_across_pages,
            latest_of_no_markets_is_empty,
            candles_come_back_in_range_oldest_first_up_to_the_limit,
            a_replayed_or_older_candle_is_ignored,
            a_catalog_of_60_markets_round_trips_sorted,
            a_catalog_refresh_replaces_the_stored_entry,
            no_hint_set_is_stored_before_the_first_write,
            a_hint_set_round_trips_in_its_market_order_with_exact_numbers,
            a_new_hint_set_replaces_the_old_one_and_drops_markets_it_no_longer_names,
            a_hint_set_of_200_markets_round_trips_across_batches_and_pages,
            a_hint_set_naming_a_market_twice_is_refused_and_nothing_is_written,
        );
    };
    (@cases $harness:ident, $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                $harness(contract::$case).await;
            }
        )+
    };
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn market(code: &str) -> MarketCode {
    MarketCode::parse(code).unwrap()
}

pub fn ticker(code: &str, trade_timestamp: i64, trade_price: &str) -> NormalizedTicker {
    NormalizedTicker {
        v: 1,
        market: market(code),
        trade_price: dec(trade_price),
        opening_price: dec("82000000"),
        high_price: dec("83000000"),
        low_price: dec("81000000.5"),
        prev_closing_price: dec("82000000"),
        change: Change::Rise,
        change_price: dec("635000"),
        change_rate: dec("0.0077439024390243902439024390"),
        signed_change_price: dec("635000"),
        signed_change_rate: dec("0.0077439024390243902439024390"),
        trade_volume: Some(dec("0.00012345")),
        acc_trade_volume_24h: Some(dec("1234.56789012")),
        acc_trade_price_24h: Some(dec("101234567890.12345678")),
        ask_bid: Some(AskBid::Ask),
        trade_timestamp,
        timestamp: trade_timestamp + 123,
        stream_type: Some(StreamType::Realtime),
        market_warning: Some("NONE".to_owned()),
    }
}

const MINUTE: i64 = 60_000;
pub const T0: i64 = 1_732_500_000_000;

pub fn candle(code: &str, minute: i64, close: &str, last_position: i64) -> Candle {
    let minute_start_ms = T0 + minute * MINUTE;
    Candle {
        market: market(code),
        minute_start_ms,
        open: dec("100.1"),
        high: dec("120.25"),
        low: dec("99.999"),
        close: dec(close),
        volume: dec("3.14159265"),
        trade_count: 7,
        open_key: (minute_start_ms + 10, last_position - 6),
        close_key: (minute_start_ms + 50_000, last_position),
        last_position,
    }
}

pub fn market_info(code: &str, warning: bool) -> MarketInfo {
    MarketInfo {
        market: market(code),
        korean_name: format!("코인 {code}"),
        english_name: format!("Coin {code}"),
        warning,
        caution: CautionFlags {
            price_fluctuations: warning,
            deposit_amount_soaring: true,
            ..CautionFlags::default()
        },
    }
}

fn report(written: usize, stale: usize) -> WriteReport {
    WriteReport { written, stale }
}

pub async fn tickers_round_trip_with_exact_decimals<S: MarketStore>(store: S) {
    let btc = ticker("KRW-BTC", T0, "82635000");
    let mut xrp = ticker("KRW-XRP", T0 + 1, "1712.50");
    xrp.change = Change::Fall;
    xrp.signed_change_rate = dec("-0.0000000000000000000000000001");
    xrp.trade_volume = None;
    xrp.ask_bid = None;
    xrp.stream_type = None;
    xrp.market_warning = None;
    let doge = ticker("KRW-DOGE", T0 + 2, "0.000001");

    let written = store
        .put_latest(&[xrp.clone(), btc.clone(), doge.clone()])
        .await
        .unwrap();

    assert_eq!(written, report(3, 0));
    assert_eq!(
        store.latest_one(&market("KRW-XRP")).await.unwrap(),
        Some(xrp.clone())
    );
    let all = store
        .latest(&[market("KRW-XRP"), market("KRW-BTC"), market("KRW-DOGE")])
        .await
        .unwrap();
    assert_eq!(all, vec![btc, doge, xrp]);
    assert_eq!(store.latest_one(&market("KRW-ETH")).await.unwrap(), None);
}

pub async fn an_older_ticker_never_overwrites_a_newer_one_and_is_reported_stale<S: MarketStore>(
    store: S,
) {
    let newer = ticker("KRW-BTC", T0 + 1_000, "83000000");
    store
        .put_latest(std::slice::from_ref(&newer))
        .await
        .unwrap();

    let older = ticker("KRW-BTC", T0, "80000000");
    let outcome = store.put_latest(&[older]).await.unwrap();

    assert_eq!(outcome, report(0, 1));
    assert_eq!(
        store.latest_one(&market("KRW-BTC")).await.unwrap(),
        Some(newer)
    );
}

pub async fn a_ticker_with_the_same_trade_timestamp_is_not_newer<S: MarketStore>(store: S) {
    let first = ticker("KRW-ETH", T0, "4712000");
    store
        .put_latest(std::slice::from_ref(&first))
        .await
        .unwrap();

    let same_time = ticker("KRW-ETH", T0, "4713000");
    let outcome = store.put_latest(&[same_time]).await.unwrap();

    assert_eq!(outcome, report(0, 1));
    assert_eq!(
        store.latest_one(&market("KRW-ETH")).await.unwrap(),
        Some(first)
    );
}

pub async fn a_newer_ticker_replaces_the_stored_one<S: MarketStore>(store: S) {
    store
        .put_latest(&[ticker("KRW-SOL", T0, "250000")])
        .await
        .unwrap();

    let newer = ticker("KRW-SOL", T0 + 1, "250100");
    let outcome = store
        .put_latest(std::slice::from_ref(&newer))
        .await
        .unwrap();

    assert_eq!(outcome, report(1, 0));
    assert_eq!(
        store.latest_one(&market("KRW-SOL")).await.unwrap(),
        Some(newer)
    );
}

pub async fn within_one_batch_the_newest_ticker_per_market_wins<S: MarketStore>(store: S) {
    let newest = ticker("KRW-SUI", T0 + 2, "5000");
    let batch = [
        ticker("KRW-SUI", T0 + 1, "4990"),
        newest.clone(),
        ticker("KRW-SUI", T0, "4980"),
    ];

    let outcome = store.put_latest(&batch).await.unwrap();

    assert_eq!(outcome, report(1, 2));
    assert_eq!(
        store.latest_one(&market("KRW-SUI")).await.unwrap(),
        Some(newest)
    );
}

pub async fn latest_returns_only_the_requested_markets_across_pages<S: MarketStore>(store: S) {
    let codes: Vec<String> = (0..12).map(|i| format!("KRW-COIN{i:02}")).collect();
    let tickers: Vec<NormalizedTicker> = codes
        .iter()
        .enumerate()
        .map(|(i, code)| ticker(code, T0 + i as i64, &format!("{i}.5")))
        .collect();
    store.put_latest(&tickers).await.unwrap();
    // A catalog entry lives next to the tickers in the same table but never in the answer.
    store
        .put_markets(&[market_info("KRW-COIN03", false)])
        .await
        .unwrap();

    // Unsorted, with a market that has no ticker and one asked twice.
    let wanted = [
        "KRW-COIN11",
        "KRW-COIN00",
        "KRW-COIN05",
        "KRW-NONE",
        "KRW-COIN07",
        "KRW-COIN05",
    ];
    let requested: Vec<MarketCode> = wanted.iter().map(|code| market(code)).collect();
    let found = store.latest(&requested).await.unwrap();

    let expected: Vec<NormalizedTicker> =
        [0, 5, 7, 11].iter().map(|&i| tickers[i].clone()).collect();
    assert_eq!(found, expected);
}

pub async fn latest_of_no_markets_is_empty<S: MarketStore>(store: S) {
    store
        .put_latest(&[ticker("KRW-BTC", T0, "1")])
        .await
        .unwrap();

    assert_eq!(store.latest(&[]).await.unwrap(), Vec::new());
}

pub async fn candles_come_back_in_range_oldest_first_up_to_the_limit<S: MarketStore>(store: S) {
    let btc: Vec<Candle> = (0..10)
        .map(|minute| candle("KRW-BTC", minute, &format!("10{minute}.5"), 100 + minute))
        .collect();
    let mut batch: Vec<Candle> = btc.iter().rev().cloned().collect();
    batch.push(candle("KRW-ETH", 3, "7", 1));
    assert_eq!(store.put_candles(&batch).await.unwrap(), report(11, 0));

    let btc_market = market("KRW-BTC");
    let from = T0 + 2 * MINUTE;
    let to = T0 + 6 * MINUTE;
    assert_eq!(
        store.candles(&btc_market, from, to, 100).await.unwrap(),
        btc[2..=6].to_vec()
    );
    assert_eq!(
        store.candles(&btc_market, from, to, 3).await.unwrap(),
        btc[2..5].to_vec()
    );
    assert_eq!(
        store
            .candles(&btc_market, from + 1, to - 1, 100)
            .await
            .unwrap(),
        btc[3..6].to_vec(),
        "bounds are minute starts, inclusive"
    );
    assert!(
        store
            .candles(&btc_market, to, from, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .candles(&btc_market, from, to, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .candles(&btc_market, from, to, usize::MAX)
            .await
            .unwrap(),
        btc[2..=6].to_vec(),
        "no limit at all"
    );
    assert_eq!(
        store
            .candles(&market("KRW-ETH"), T0, T0 + 9 * MINUTE, 100)
            .await
            .unwrap(),
        vec![batch[10].clone()]
    );
}

pub async fn a_replayed_or_older_candle_is_ignored<S: MarketStore>(store: S) {
    let stored = candle("KRW-XRP", 0, "1712.5", 50);
    store
        .put_candles(std::slice::from_ref(&stored))
        .await
        .unwrap();

    let replayed = candle("KRW-XRP", 0, "1800", 50);
    let older = candle("KRW-XRP", 0, "1600", 49);
    let outcome = store.put_candles(&[replayed]).await.unwrap();
    let outcome_older = store.put_candles(&[older]).await.unwrap();

    assert_eq!(outcome, report(0, 1));
    assert_eq!(outcome_older, report(0, 1));
    let xrp = market("KRW-XRP");
    assert_eq!(store.candles(&xrp, T0, T0, 10).await.unwrap(), vec![stored]);

    let advanced = candle("KRW-XRP", 0, "1713", 51);
    assert_eq!(
        store
            .put_candles(std::slice::from_ref(&advanced))
            .await
            .unwrap(),
        report(1, 0)
    );
    assert_eq!(
        store.candles(&xrp, T0, T0, 10).await.unwrap(),
        vec![advanced]
    );
}

pub async fn a_catalog_of_60_markets_round_trips_sorted<S: MarketStore>(store: S) {
    // 60 entries: three batches of at most 25 on DynamoDB.
    let markets: Vec<MarketInfo> = (0..60)
        .rev()
        .map(|i| market_info(&format!("KRW-M{i:03}"), i % 7 == 0))
        .collect();

    assert_eq!(store.put_markets(&markets).await.unwrap(), report(60, 0));

    let mut expected = markets.clone();
    expected.sort_by(|a, b| a.market.cmp(&b.market));
    assert_eq!(store.markets().await.unwrap(), expected);
}

pub async fn a_catalog_refresh_replaces_the_stored_entry<S: MarketStore>(store: S) {
    store
        .put_markets(&[market_info("KRW-SXP", false)])
        .await
        .unwrap();

    let flagged = market_info("KRW-SXP", true);
    store
        .put_markets(std::slice::from_ref(&flagged))
        .await
        .unwrap();

    assert_eq!(store.markets().await.unwrap(), vec![flagged]);
}

fn hint(code: &str, rank: u32, percentage: f64, flags: &[Flag]) -> Hint {
    let mut hint = Hint::unknown(market(code));
    hint.rank = rank;
    hint.percentage = percentage;
    hint.sell_up = 142_076_759.8;
    hint.sell_down = 0.000_012_34;
    for flag in flags {
        hint.set_flag(*flag, true);
    }
    hint
}

fn hint_set(generated_at_ms: i64, model: &str, entries: Vec<Hint>) -> HintSet {
    HintSet {
        generated_at_ms,
        data_time_ms: generated_at_ms - 1_234,
        model: model.to_owned(),
        warming_up: false,
        entries,
    }
}

pub async fn no_hint_set_is_stored_before_the_first_write<S: HintReader>(store: S) {
    assert_eq!(store.hints().await.unwrap(), None);
}

pub async fn a_hint_set_round_trips_in_its_market_order_with_exact_numbers<
    S: HintReader + HintWriter,
>(
    store: S,
) {
    // Not in code order: the set's order is the game's display order.
    let set = hint_set(
        T0,
        "baseline-v1",
        vec![
            hint(
                "KRW-XRP",
                2,
                0.1 + 0.2,
                &[Flag::MostVolatile, Flag::LargestSpike],
            ),
            hint(
                "KRW-BTC",
                1,
                0.437,
                &[Flag::LargestRise, Flag::FastestGrowth],
            ),
            hint(
                "KRW-DOGE",
                3,
                -12.345_678_901_234_5,
                &[Flag::LeastVolatile, Flag::LargestDrop, Flag::FastestDecline],
            ),
        ],
    );

    let written = store.put_hints(&set).await.unwrap();

    assert_eq!(written, report(4, 0));
    assert_eq!(store.hints().await.unwrap(), Some(set));
}

pub async fn a_new_hint_set_replaces_the_old_one_and_drops_markets_it_no_longer_names<
    S: HintReader + HintWriter,
>(
    store: S,
) {
    let old = hint_set(
        T0,
        "baseline-v1",
        vec![
            hint("KRW-BTC", 1, 1.0, &Flag::ALL),
            hint("KRW-ETH", 2, 0.5, &[]),
            hint("KRW-SOL", 3, 0.0, &[]),
        ],
    );
    store.put_hints(&old).await.unwrap();
    let mut new = hint_set(
        T0 + MINUTE,
        "external",
        vec![
            hint("KRW-ETH", 2, -0.5, &[]),
            hint("KRW-BTC", 1, 0.25, &Flag::ALL),
        ],
    );
    new.warming_up = true;

    store.put_hints(&new).await.unwrap();

    let stored = store.hints().await.unwrap().unwrap();
    assert_eq!(stored, new);
    assert_eq!(stored.model_label(), "warming-up");
}

pub async fn a_hint_set_of_200_markets_round_trips_across_batches_and_pages<
    S: HintReader + HintWriter,
>(
    store: S,
) {
    let entries: Vec<Hint> = (0..200_u32)
        .map(|i| {
            let flags: &[Flag] = if i == 0 { &Flag::ALL } else { &[] };
            hint(
                &format!("KRW-C{:03}", 199 - i),
                i + 1,
                f64::from(i) / 7.0,
                flags,
            )
        })
        .collect();
    let set = hint_set(T0, "baseline-v1", entries);

    let written = store.put_hints(&set).await.unwrap();

    assert_eq!(written, report(201, 0));
    assert_eq!(store.hints().await.unwrap(), Some(set));
}

pub async fn a_hint_set_naming_a_market_twice_is_refused_and_nothing_is_written<
    S: HintReader + HintWriter,
>(
    store: S,
) {
    let set = hint_set(
        T0,
        "baseline-v1",
        vec![
            hint("KRW-BTC", 1, 1.0, &Flag::ALL),
            hint("KRW-BTC", 2, 0.0, &[]),
        ],
    );

    let error = store.put_hints(&set).await.unwrap_err();

    assert!(!error.is_retryable());
    assert!(
        error
            .to_string()
            .contains("entries[1].code: KRW-BTC appears twice"),
        "{error}"
    );
    assert_eq!(store.hints().await.unwrap(), None);
}
