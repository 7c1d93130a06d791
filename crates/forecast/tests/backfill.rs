//! `coinking backfill` against the simulator's REST candles: paging in aligned blocks, resume
//! after an interruption (a 418 ban stops the run), 429 back-off. No test reaches the internet.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use coinking_core::time::parse_utc;
use coinking_forecast::ForecastError;
use coinking_forecast::backfill::{BackfillConfig, backfill};
use coinking_forecast::lake::{Lake, read_candles};
use coinking_upbit_sim::rest::{CANDLES_PATH, RestFaults, answer};
use coinking_upbit_sim::{SimConfig, UpbitSimulator};
use serde_json::Value;

fn config(base_url: String) -> BackfillConfig {
    BackfillConfig {
        base_url,
        max_per_sec: 200,
        backoff_base: Duration::from_millis(5),
        backoff_cap: Duration::from_millis(40),
        ..BackfillConfig::default()
    }
}

fn ms(text: &str) -> i64 {
    parse_utc(text).unwrap()
}

/// The minutes the simulator has in `[from, to)`, asked for directly in pages of 200.
fn expected_minutes(market: &str, from: i64, to: i64) -> Vec<i64> {
    let mut minutes = Vec::new();
    let mut cursor = to;
    while cursor > from {
        let at = coinking_core::time::UtcDateTime::from_epoch_ms(cursor);
        let target = format!(
            "{CANDLES_PATH}?market={market}&to={}T{}Z&count=200",
            at.dashed_date(),
            at.colon_time()
        );
        let list: Vec<Value> =
            serde_json::from_str(&answer(&target, &RestFaults::default(), 0).body).unwrap();
        for candle in &list {
            let minute = ms(candle["candle_date_time_utc"].as_str().unwrap());
            if minute >= from && minute < to {
                minutes.push(minute);
            }
        }
        cursor -= 200 * 60_000;
    }
    minutes.sort();
    minutes.dedup();
    minutes
}

const MARKETS: [&str; 2] = ["KRW-BTC", "KRW-ETH"];

fn markets() -> Vec<String> {
    MARKETS.iter().map(|m| (*m).to_owned()).collect()
}

#[tokio::test]
async fn pages_in_aligned_blocks_and_stores_every_candle_once_in_its_partition() {
    let sim = UpbitSimulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let (from, to) = (ms("2024-11-25T00:30:00Z"), ms("2024-11-25T10:00:00Z"));
    let report = backfill(&lake, &markets(), from, to, config(sim.rest_url()))
        .await
        .unwrap();
    // Blocks 00, 03, 06, 09 per market: one request each.
    assert_eq!(report.blocks_written, 8);
    assert_eq!(report.requests, 8);
    assert_eq!(sim.rest_faults().requests(), 8);
    for market in MARKETS {
        let rows = read_candles(&lake, market, from, to).await.unwrap();
        let minutes: Vec<i64> = rows.iter().map(|r| r.minute_start_ms).collect();
        let expected = expected_minutes(market, from, to);
        assert!(expected.len() > 500, "the simulator serves most minutes");
        assert_eq!(minutes, expected, "{market}");
    }
    let files = lake.list("market-data/candles_1m/").await.unwrap();
    assert_eq!(files.len(), 8);
    for file in &files {
        assert!(
            file.relative
                .starts_with("market-data/candles_1m/dt=2024-11-25/market=KRW-"),
            "{}",
            file.relative
        );
    }
}

#[tokio::test]
async fn resumes_after_a_ban_without_refetching_finished_blocks_and_reruns_are_no_ops() {
    let sim = UpbitSimulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let (from, to) = (ms("2024-11-26T00:00:00Z"), ms("2024-11-26T12:00:00Z"));
    sim.rest_faults().ban_after(3);
    let interrupted = backfill(&lake, &markets(), from, to, config(sim.rest_url())).await;
    assert!(
        matches!(interrupted, Err(ForecastError::Banned(_))),
        "{interrupted:?}"
    );
    // The ban stopped the run at once: three answered requests and the banned one.
    assert_eq!(sim.rest_faults().requests(), 4);
    assert_eq!(lake.list("market-data/").await.unwrap().len(), 3);

    sim.rest_faults().set_banned(false);
    let resumed = backfill(&lake, &markets(), from, to, config(sim.rest_url()))
        .await
        .unwrap();
    assert_eq!(resumed.blocks_skipped, 3);
    assert_eq!(resumed.blocks_written, 5);
    assert_eq!(resumed.requests, 5);

    let again = backfill(&lake, &markets(), from, to, config(sim.rest_url()))
        .await
        .unwrap();
    assert_eq!((again.requests, again.blocks_skipped), (0, 8));
    for market in MARKETS {
        let rows = read_candles(&lake, market, from, to).await.unwrap();
        assert_eq!(
            rows.iter().map(|r| r.minute_start_ms).collect::<Vec<_>>(),
            expected_minutes(market, from, to)
        );
    }
}

#[tokio::test]
async fn backs_off_on_429_and_retries_until_answered() {
    let sim = UpbitSimulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    sim.rest_faults().reject_next(3);
    let started = std::time::Instant::now();
    let report = backfill(
        &lake,
        &markets()[..1],
        ms("2024-11-27T00:00:00Z"),
        ms("2024-11-27T03:00:00Z"),
        config(sim.rest_url()),
    )
    .await
    .unwrap();
    assert_eq!(report.rate_limited, 3);
    assert_eq!(report.requests, 4);
    assert_eq!(report.blocks_written, 1);
    // Waits of at least 2.5 + 5 + 10 ms (half of 5, 10, 20 ms at the least jitter).
    assert!(started.elapsed() >= Duration::from_millis(17));
}

#[tokio::test]
async fn gives_up_after_the_retry_budget_of_429s() {
    let sim = UpbitSimulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    sim.rest_faults().reject_next(100);
    let result = backfill(
        &lake,
        &markets()[..1],
        ms("2024-11-27T00:00:00Z"),
        ms("2024-11-27T03:00:00Z"),
        BackfillConfig {
            max_retries: 2,
            ..config(sim.rest_url())
        },
    )
    .await;
    assert!(
        matches!(result, Err(ForecastError::Upstream(_))),
        "{result:?}"
    );
    assert_eq!(sim.rest_faults().requests(), 3);
    assert!(lake.list("market-data/").await.unwrap().is_empty());
}
