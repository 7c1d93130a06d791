//! One hints-stage run (read 10 minutes of candles per market + the latest tickers, compute,
//! write the set) for 9 and for 200 markets, against the in-memory store and, when
//! `COINKING_DYNAMODB_ENDPOINT` is set (`eval "$(bash scripts/services.sh env)"`), against
//! DynamoDB (dynalite on 127.0.0.1). Run: `cargo bench -p coinking-ingester --bench hints_stage`.

use std::time::{Duration, Instant};

use coinking_adapters::market_store::{
    CandleReader, CandleWriter, DynamoDbMarketStore, DynamoDbStoreConfig, HintWriter,
    InMemoryMarketStore, TickerReader, ensure_table,
};
use coinking_adapters::{AwsSettings, aws};
use coinking_core::candle::{CANDLE_INTERVAL_MS, Candle, minute_start};
use coinking_core::market::MarketCode;
use coinking_ingester::hints::{HintsSettings, HintsStage};
use rust_decimal::Decimal;

const RUNS: usize = 20;

fn markets(count: usize) -> Vec<MarketCode> {
    (0..count)
        .filter_map(|i| MarketCode::parse(&format!("KRW-C{i:03}")).ok())
        .collect()
}

fn candles(markets: &[MarketCode], now: i64) -> Vec<Candle> {
    let current = minute_start(now);
    let mut all = Vec::new();
    for (index, market) in markets.iter().enumerate() {
        for minute in 1..=10_i64 {
            let start = current - minute * CANDLE_INTERVAL_MS;
            let close = Decimal::new(10_000 + (minute * 37 + index as i64) % 11, 0);
            all.push(Candle {
                market: market.clone(),
                minute_start_ms: start,
                open: close,
                high: close,
                low: close,
                close,
                volume: Decimal::new(1 + minute % 5, 0),
                trade_count: 1,
                open_key: (start, minute),
                close_key: (start + 1, minute),
                last_position: minute,
            });
        }
    }
    all
}

async fn measure<S>(name: &str, store: S, count: usize)
where
    S: CandleReader + TickerReader + HintWriter + CandleWriter + Clone,
{
    let now = 1_732_500_062_000;
    let markets = markets(count);
    store
        .put_candles(&candles(&markets, now))
        .await
        .expect("candles written");
    let stage = HintsStage::new(store, markets, &HintsSettings::default());
    stage.run_once(now).await.expect("warm run");
    let mut samples: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        stage.run_once(now).await.expect("hints run");
        samples.push(started.elapsed());
    }
    samples.sort_unstable();
    println!(
        "{name}, {count} markets: median {:?}  max {:?}  ({RUNS} runs)",
        samples[RUNS / 2],
        samples[RUNS - 1]
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        for count in [9, 200] {
            measure("in-memory store", InMemoryMarketStore::new(), count).await;
        }
        let Ok(settings) = AwsSettings::from_env() else {
            return;
        };
        if settings.endpoints.dynamodb.is_none() {
            println!("COINKING_DYNAMODB_ENDPOINT unset: DynamoDB case skipped");
            return;
        }
        let sdk = aws::sdk_config(&settings).await;
        let client = aws::dynamodb_client(&sdk, &settings);
        for count in [9, 200] {
            let table = format!("coinking-hints-bench-{}", uuid::Uuid::new_v4());
            ensure_table(&client, &table).await.expect("bench table");
            let store = DynamoDbMarketStore::new(
                client.clone(),
                DynamoDbStoreConfig {
                    table: table.clone(),
                    ..DynamoDbStoreConfig::default()
                },
            );
            measure("DynamoDB (dynalite)", store, count).await;
            let _ = client.delete_table().table_name(&table).send().await;
        }
    });
}
