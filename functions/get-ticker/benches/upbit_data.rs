//! `/upbit_data` handler latency in process: warm, nine game markets, one request at a time.
//! Each call is timed on its own so the percentiles are real ones. First with the store in
//! memory; then, side by side in the same run, through each store over loopback when the local
//! stand-ins are up (`eval "$(bash scripts/services.sh env)"`): Redis (`COINKING_REDIS_URL`, the
//! hot store) and DynamoDB (dynalite, `COINKING_DYNAMODB_ENDPOINT`).
//! Run: `cargo bench -p get-ticker --bench upbit_data` (figures go to the README).

use std::time::{Duration, Instant};

use coinking_adapters::market_store::{
    CandleReader, CatalogReader, DynamoDbMarketStore, DynamoDbStoreConfig, HintReader, HintWriter,
    InMemoryMarketStore, RedisMarketStore, TickerReader, TickerWriter, ensure_table,
};
use coinking_adapters::{AwsSettings, aws};
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::Change;
use get_ticker::{Deps, TickerConfig, handle};
use rust_decimal::Decimal;

const WARMUP: usize = 2_000;
const SAMPLES: usize = 50_000;
/// Calls per store over loopback (each a network round trip or more).
const NETWORK_SAMPLES: usize = 5_000;
const EVENT: &str = include_str!("../../../events/get-ticker/upbit_data.json");

fn ticker(market: &MarketCode, index: i64) -> NormalizedTicker {
    let price = Decimal::new(82_635_000 + index * 1_000, 0);
    NormalizedTicker {
        v: 1,
        market: market.clone(),
        trade_price: price,
        opening_price: price,
        high_price: price,
        low_price: price,
        prev_closing_price: price,
        change: Change::Rise,
        change_price: Decimal::new(1_000, 0),
        change_rate: Decimal::new(123, 4),
        signed_change_price: Decimal::new(1_000, 0),
        signed_change_rate: Decimal::new(123, 4),
        trade_volume: Some(Decimal::new(5, 1)),
        acc_trade_volume_24h: None,
        acc_trade_price_24h: None,
        ask_bid: None,
        trade_timestamp: 1_732_500_000_000 + index,
        timestamp: 1_732_500_000_010 + index,
        stream_type: None,
        market_warning: None,
    }
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

/// Times `samples` calls of the handler on `store` (holding the nine tickers), after a warm-up.
fn time_store<S>(runtime: &tokio::runtime::Runtime, store: S, samples: usize) -> Vec<Duration>
where
    S: TickerWriter + TickerReader + CandleReader + CatalogReader + HintReader + HintWriter,
{
    let config = TickerConfig::default();
    let tickers: Vec<NormalizedTicker> = config
        .game_markets
        .iter()
        .zip(0..)
        .map(|(market, index)| ticker(market, index))
        .collect();
    runtime
        .block_on(store.put_latest(&tickers))
        .expect("the tickers written");
    let deps = Deps::new(store, config);
    let mut timings = Vec::with_capacity(samples);
    for round in 0..WARMUP.min(samples) + samples {
        let request = lambda_http::request::from_str(EVENT).expect("the fixture parses");
        let started = Instant::now();
        let response = runtime.block_on(handle(&deps, request));
        let elapsed = started.elapsed();
        assert_eq!(response.status(), 200);
        if round >= WARMUP.min(samples) {
            timings.push(elapsed);
        }
    }
    timings
}

/// The same handler through Redis and dynalite, when they are up.
fn compare_stores(runtime: &tokio::runtime::Runtime) {
    let prefix = format!("bench-{}", uuid::Uuid::new_v4());
    match std::env::var("COINKING_REDIS_URL") {
        Ok(url) => {
            let connection = runtime
                .block_on(coinking_adapters::redis_client::connect(&url))
                .expect("Redis at COINKING_REDIS_URL");
            let store = RedisMarketStore::new(connection.clone(), &prefix);
            report(
                "/upbit_data handler, Redis on loopback",
                time_store(runtime, store, NETWORK_SAMPLES),
            );
            let mut connection = connection;
            let _: Result<usize, _> = runtime.block_on(
                redis::cmd("DEL")
                    .arg(format!("{{{prefix}}}:tickers"))
                    .arg(format!("{{{prefix}}}:ticker_ts"))
                    .query_async(&mut connection),
            );
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
        ensure_table(&client, &table)
            .await
            .expect("the bench table");
        client
    });
    let store = DynamoDbMarketStore::new(
        client.clone(),
        DynamoDbStoreConfig {
            table: table.clone(),
            ..DynamoDbStoreConfig::default()
        },
    );
    report(
        "/upbit_data handler, DynamoDB (dynalite) on loopback",
        time_store(runtime, store, NETWORK_SAMPLES),
    );
    let _ = runtime.block_on(client.delete_table().table_name(&table).send());
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let store = InMemoryMarketStore::new();
    let config = TickerConfig::default();
    let tickers: Vec<NormalizedTicker> = config
        .game_markets
        .iter()
        .zip(0..)
        .map(|(market, index)| ticker(market, index))
        .collect();
    runtime
        .block_on(store.put_latest(&tickers))
        .expect("in-memory write");
    let deps = Deps::new(store, config);

    let mut handler = Vec::with_capacity(SAMPLES);
    let mut with_event_parse = Vec::with_capacity(SAMPLES);
    for round in 0..WARMUP + SAMPLES {
        let parse_started = Instant::now();
        let request = lambda_http::request::from_str(EVENT).expect("the fixture parses");
        let handler_started = Instant::now();
        let response = runtime.block_on(handle(&deps, request));
        let done = Instant::now();
        assert_eq!(response.status(), 200);
        if round >= WARMUP {
            handler.push(done - handler_started);
            with_event_parse.push(done - parse_started);
        }
    }
    report("/upbit_data handler", handler);
    report(
        "/upbit_data event JSON -> Request + handler",
        with_event_parse,
    );
    report(
        "/upbit_data handler, in memory (same calls as the stores below)",
        time_store(&runtime, InMemoryMarketStore::new(), NETWORK_SAMPLES),
    );
    compare_stores(&runtime);
}
