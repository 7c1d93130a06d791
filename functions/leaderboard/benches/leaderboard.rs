//! Leaderboard handler latency in process: warm, in-memory stores, one request at a time, each
//! call timed on its own so the percentiles are real ones.
//! - `/get_user_data?affiliation=all` over 1,000 players (the answer is ~150 KB of JSON);
//! - `/set_user_data` (the frontend's body: validation, the score bound over 3 × 61 candles,
//!   the best-wins write).
//!
//! Run: `CARGO_PROFILE_BENCH_LTO=off CARGO_PROFILE_BENCH_CODEGEN_UNITS=16 cargo bench -p
//! leaderboard --bench leaderboard` (figures go to README "Benchmarks").

use std::time::{Duration, Instant};

use coinking_adapters::leaderboard::{InMemoryLeaderboard, LeaderboardImport};
use coinking_adapters::market_store::{CandleWriter, InMemoryMarketStore};
use coinking_core::candle::Candle;
use coinking_core::leaderboard::{PlayerRecord, PlayerRow};
use coinking_core::market::MarketCode;
use leaderboard::{Config, Deps, handle};
use rust_decimal::Decimal;

const WARMUP: usize = 500;
const SAMPLES: usize = 10_000;
const PLAYERS: u64 = 1_000;
const NOW: i64 = 1_732_500_060_000;
const GET_EVENT: &str = include_str!("../../../events/leaderboard/get_user_data_all.json");
const SET_EVENT: &str = include_str!("../../../events/leaderboard/set_user_data.json");

fn now() -> i64 {
    NOW
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    println!(
        "{name}: p50 {:?}  p90 {:?}  p99 {:?}  max {:?}  ({} samples)",
        percentile(&samples, 0.50),
        percentile(&samples, 0.90),
        percentile(&samples, 0.99),
        samples[samples.len() - 1],
        samples.len()
    );
}

fn market(code: &str) -> MarketCode {
    MarketCode::parse(code).expect("a market code")
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let store = InMemoryLeaderboard::new();
    let players: Vec<PlayerRecord> = (0..PLAYERS)
        .map(|i| PlayerRecord {
            row: PlayerRow {
                name: format!("플레이어{i:04}"),
                affiliation: format!("대학교{}", i % 20),
                coins: [market("KRW-BTC"), market("KRW-ETH"), market("KRW-DOGE")],
                balance: 1_600_000_000 + (i * 7_919) % 1_000_000_000,
            },
            games_played: 1,
            first_seen_ms: NOW,
            best_at_ms: NOW,
            last_seen_ms: NOW,
        })
        .collect();
    runtime
        .block_on(store.import(&players))
        .expect("in-memory import");
    let candles = InMemoryMarketStore::new();
    let mut series = Vec::new();
    for code in ["KRW-BTC", "KRW-ETH", "KRW-DOGE"] {
        for minute in 0..61 {
            let start = (NOW / 60_000 - minute) * 60_000;
            let price = Decimal::from(100_000 + minute);
            series.push(Candle {
                market: market(code),
                minute_start_ms: start,
                open: price,
                high: price + Decimal::from(100),
                low: price,
                close: price,
                volume: Decimal::ONE,
                trade_count: 1,
                open_key: (start, 1),
                close_key: (start, 1),
                last_position: 1,
            });
        }
    }
    runtime
        .block_on(candles.put_candles(&series))
        .expect("in-memory candles");
    let deps = Deps::new(store, candles, Config::default()).with_clock(now);

    for (name, event) in [
        ("/get_user_data?affiliation=all (1,000 rows)", GET_EVENT),
        ("/set_user_data (frontend body)", SET_EVENT),
    ] {
        let mut samples = Vec::with_capacity(SAMPLES);
        for round in 0..WARMUP + SAMPLES {
            let request = lambda_http::request::from_str(event).expect("the fixture parses");
            let started = Instant::now();
            let response = runtime.block_on(handle(&deps, request));
            let took = started.elapsed();
            assert_eq!(response.status(), 200);
            if round >= WARMUP {
                samples.push(took);
            }
        }
        report(name, samples);
    }
}
