//! Leaderboard handler latency in process: warm, in-memory stores, one request at a time, each
//! call timed on its own so the percentiles are real ones.
//! - `/get_user_data?affiliation=all` over 1,000 players (the answer is ~150 KB of JSON);
//! - `/set_user_data` (the frontend's body: validation, the score bound over 3 × 61 candles,
//!   the best-wins write).
//!
//! - then `/get_user_data?affiliation=all` side by side through each players store over loopback
//!   when the stand-ins are up (`eval "$(bash scripts/services.sh env)"`): Redis sorted sets
//!   (`COINKING_REDIS_URL`) and DynamoDB (dynalite, `COINKING_DYNAMODB_ENDPOINT`).
//!
//! Run: `CARGO_PROFILE_BENCH_LTO=off CARGO_PROFILE_BENCH_CODEGEN_UNITS=16 cargo bench -p
//! leaderboard --bench leaderboard` (figures go to README "Benchmarks").

use std::time::{Duration, Instant};

use coinking_adapters::leaderboard::{
    AffiliationReader, DynamoDbLeaderboard, InMemoryLeaderboard, LeaderboardConfig,
    LeaderboardImport, RankingReader, RedisLeaderboard, ScoreWriter, ensure_leaderboard_table,
};
use coinking_adapters::market_store::{CandleWriter, InMemoryMarketStore};
use coinking_adapters::{AwsSettings, aws};
use coinking_core::candle::Candle;
use coinking_core::leaderboard::{PlayerRecord, PlayerRow};
use coinking_core::market::MarketCode;
use leaderboard::{Config, Deps, handle};
use rust_decimal::Decimal;

const WARMUP: usize = 500;
const SAMPLES: usize = 10_000;
/// Calls per players store over loopback (a 1,000-row page is many reads on DynamoDB).
const NETWORK_SAMPLES: usize = 300;
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

/// Times `/get_user_data?affiliation=all` on `store` holding `players`.
fn time_ranking<L>(
    runtime: &tokio::runtime::Runtime,
    store: L,
    players: &[PlayerRecord],
    samples: usize,
) -> Vec<Duration>
where
    L: ScoreWriter + RankingReader + AffiliationReader + LeaderboardImport,
{
    runtime
        .block_on(store.import(players))
        .expect("players imported");
    let deps = Deps::new(store, InMemoryMarketStore::new(), Config::default()).with_clock(now);
    let mut timings = Vec::with_capacity(samples);
    for round in 0..samples + samples / 10 {
        let request = lambda_http::request::from_str(GET_EVENT).expect("the fixture parses");
        let started = Instant::now();
        let response = runtime.block_on(handle(&deps, request));
        let took = started.elapsed();
        assert_eq!(response.status(), 200);
        if round >= samples / 10 {
            timings.push(took);
        }
    }
    timings
}

/// The same page through Redis and dynalite, when they are up.
fn compare_stores(runtime: &tokio::runtime::Runtime, players: &[PlayerRecord]) {
    report(
        "/get_user_data?affiliation=all, in memory (same calls as below)",
        time_ranking(
            runtime,
            InMemoryLeaderboard::new(),
            players,
            NETWORK_SAMPLES,
        ),
    );
    let prefix = format!("bench-{}", uuid::Uuid::new_v4());
    match std::env::var("COINKING_REDIS_URL") {
        Ok(url) => {
            let connection = runtime
                .block_on(coinking_adapters::redis_client::connect(&url))
                .expect("Redis at COINKING_REDIS_URL");
            let store = RedisLeaderboard::new(connection.clone(), &prefix);
            report(
                "/get_user_data?affiliation=all, Redis sorted sets on loopback",
                time_ranking(runtime, store, players, NETWORK_SAMPLES),
            );
            let mut connection = connection;
            let keys: Vec<String> = runtime
                .block_on(
                    redis::cmd("KEYS")
                        .arg(format!("{{{prefix}}}:*"))
                        .query_async(&mut connection),
                )
                .unwrap_or_default();
            for chunk in keys.chunks(500) {
                let _: Result<usize, _> =
                    runtime.block_on(redis::cmd("DEL").arg(chunk).query_async(&mut connection));
            }
        }
        Err(_) => println!("Redis: skipped (COINKING_REDIS_URL unset; scripts/services.sh up)"),
    }
    let settings = AwsSettings::from_env().expect("AWS settings");
    if settings.endpoints.dynamodb.is_none() {
        println!("DynamoDB: skipped (COINKING_DYNAMODB_ENDPOINT unset; scripts/services.sh up)");
        return;
    }
    let table = format!("coinking-bench-{}", uuid::Uuid::new_v4());
    let client = runtime.block_on(async {
        let sdk = aws::sdk_config(&settings).await;
        let client = aws::dynamodb_client(&sdk, &settings);
        ensure_leaderboard_table(&client, &table)
            .await
            .expect("the bench table");
        client
    });
    let store = DynamoDbLeaderboard::new(
        client.clone(),
        LeaderboardConfig {
            table: table.clone(),
            ..LeaderboardConfig::default()
        },
    );
    report(
        "/get_user_data?affiliation=all, DynamoDB (dynalite) on loopback",
        time_ranking(runtime, store, players, NETWORK_SAMPLES),
    );
    let _ = runtime.block_on(client.delete_table().table_name(&table).send());
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
    compare_stores(&runtime, &players);
}
