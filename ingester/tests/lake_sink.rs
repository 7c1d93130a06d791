//! The lake stage against real servers: tickers produced to the tansu broker, consumed by the
//! lake stage's own consumer group, written to the S3 stand-in (moto). N market-minutes
//! produced → exactly N candle rows in the right partitions and every tick once; the whole
//! topic re-delivered to a new group plus every message produced twice → still N rows, every
//! tick once, the same candles. Writers of one minute at once, and a late PUT of an older
//! file, lose no tick. A stand-in that is not running fails the test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use coinking_core::upbit::{Change, StreamType};
use coinking_forecast::lake::ticks::{
    from_parquet as ticks_from_parquet, minute_key_of, to_parquet as ticks_to_parquet,
};
use coinking_forecast::lake::{CandleRow, Expected, Lake, TickRow, write_closed_minute};
use coinking_ingester::consumer::{ConsumerConfig, run_consumer};
use coinking_ingester::kafka::{KafkaAdmin, producer_config};
use coinking_ingester::lake::{LakeMetrics, LakeStage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rust_decimal::Decimal;
use tokio::sync::oneshot;

use common::eventually;
use common::lake::{candle_rows, keys, tick_count};
use common::services::{require, shared_kafka, unique};

/// 2024-11-25T23:58:00Z: the minutes cross midnight, so two `dt=` partitions.
const T0: i64 = 1_732_579_080_000;
const MARKETS: [&str; 3] = ["KRW-BTC", "KRW-ETH", "KRW-DOGE"];
const MINUTES: i64 = 4;
const TICKS_PER_MINUTE: i64 = 3;

fn s3_host() -> String {
    let endpoint = std::env::var("COINKING_S3_ENDPOINT").unwrap_or_else(|_| {
        let port = std::env::var("COINKING_S3_PORT").unwrap_or_else(|_| "5055".into());
        format!("http://127.0.0.1:{port}")
    });
    require("s3", &endpoint);
    endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

/// A path-style `PUT /<bucket>` (object_store cannot create buckets; moto checks no signature).
fn create_bucket(host: &str, bucket: &str) {
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "create bucket: {answer}"
    );
}

fn ticker(market: &str, minute: i64, tick: i64) -> NormalizedTicker {
    let price = Decimal::from(1_000 + minute * 10 + tick);
    let at = T0 + minute * 60_000 + tick * 15_000 + 1;
    NormalizedTicker {
        v: 1,
        market: MarketCode::parse(market).unwrap(),
        trade_price: price,
        opening_price: price,
        high_price: price,
        low_price: price,
        prev_closing_price: price,
        change: Change::Rise,
        change_price: Decimal::ONE,
        change_rate: Decimal::new(1, 3),
        signed_change_price: Decimal::ONE,
        signed_change_rate: Decimal::new(1, 3),
        trade_volume: Some(Decimal::new(12_345_678, 8)),
        acc_trade_volume_24h: Some(Decimal::from(10)),
        acc_trade_price_24h: Some(Decimal::from(10_000)),
        ask_bid: None,
        trade_timestamp: at,
        timestamp: at + 3,
        stream_type: Some(StreamType::Realtime),
        market_warning: None,
    }
}

fn all_tickers() -> Vec<NormalizedTicker> {
    let mut tickers = Vec::new();
    for minute in 0..MINUTES {
        for tick in 0..TICKS_PER_MINUTE {
            for market in MARKETS {
                tickers.push(ticker(market, minute, tick));
            }
        }
    }
    tickers
}

async fn produce(producer: &FutureProducer, topic: &str, tickers: &[NormalizedTicker]) {
    for ticker in tickers {
        let payload = ticker.to_json();
        producer
            .send(
                FutureRecord::to(topic)
                    .key(ticker.market.as_str())
                    .payload(&payload),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }
}

/// Runs the lake stage in a new consumer group until it has read `records`, then drains.
async fn run_lake(topic: &str, lake: &Lake, records: u64) -> Arc<LakeMetrics> {
    let settings = shared_kafka();
    let metrics = Arc::new(LakeMetrics::default());
    let config = ConsumerConfig {
        topic: topic.to_owned(),
        group_id: unique("lake"),
        window: Duration::from_millis(100),
        ..ConsumerConfig::default()
    };
    let stage = LakeStage::new(lake.clone(), Arc::clone(&metrics));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        run_consumer(&settings, &config, stage, async {
            let _ = stopped.await;
        })
        .await
    });
    let read = eventually(Duration::from_secs(60), || async {
        metrics.records_in.load(Ordering::Relaxed) >= records
    })
    .await;
    assert!(
        read,
        "lake stage read {} of {records} records",
        metrics.records_in.load(Ordering::Relaxed)
    );
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    metrics
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n_minutes_give_n_candle_rows_and_redelivery_adds_no_duplicates() {
    let settings = shared_kafka();
    let lake = s3_lake().await;
    let topic = unique("ticker");
    KafkaAdmin::new(&settings)
        .unwrap()
        .ensure_topic(&topic, 3)
        .await
        .unwrap();
    let producer: FutureProducer = producer_config(&settings).create().unwrap();
    let tickers = all_tickers();
    produce(&producer, &topic, &tickers).await;

    let first = run_lake(&topic, &lake, tickers.len() as u64).await;
    let n = MARKETS.len() * MINUTES as usize;
    let candle_keys = keys(&lake, "market-data/candles_1m/").await;
    assert_eq!(candle_keys.len(), n, "{candle_keys:#?}");
    for market in MARKETS {
        for key in [
            format!("market-data/candles_1m/dt=2024-11-25/market={market}/2358.parquet"),
            format!("market-data/candles_1m/dt=2024-11-25/market={market}/2359.parquet"),
            format!("market-data/candles_1m/dt=2024-11-26/market={market}/0000.parquet"),
            format!("market-data/candles_1m/dt=2024-11-26/market={market}/0001.parquet"),
        ] {
            assert!(candle_keys.contains(&key), "{key} in {candle_keys:#?}");
        }
    }
    let candles = candle_rows(&lake).await;
    assert_eq!(candles.len(), n, "exactly one row per market-minute");
    for row in &candles {
        assert_eq!(row.trade_count, Some(TICKS_PER_MINUTE as u64));
        let minute = (row.minute_start_ms - T0) / 60_000;
        assert_eq!(row.open, Decimal::from(1_000 + minute * 10));
        assert_eq!(row.close, Decimal::from(1_000 + minute * 10 + 2));
        assert_eq!(row.volume, Decimal::new(3 * 12_345_678, 8));
    }
    assert_eq!(tick_count(&lake).await, tickers.len());
    assert_eq!(
        first.ticks_written.load(Ordering::Relaxed),
        tickers.len() as u64
    );
    assert_eq!(first.records_rejected.load(Ordering::Relaxed), 0);

    // Re-delivery: every message produced a second time (a producer retry), and the whole
    // topic read again by a new group (a consumer that lost its offsets).
    produce(&producer, &topic, &tickers).await;
    let second = run_lake(&topic, &lake, 2 * tickers.len() as u64).await;
    assert_eq!(keys(&lake, "market-data/candles_1m/").await.len(), n);
    let mut again = candle_rows(&lake).await;
    let mut before = candles;
    let order = |a: &CandleRow, b: &CandleRow| {
        (&a.market, a.minute_start_ms).cmp(&(&b.market, b.minute_start_ms))
    };
    again.sort_by(order);
    before.sort_by(order);
    assert_eq!(again, before, "the same candles");
    assert_eq!(tick_count(&lake).await, tickers.len(), "every tick once");
    assert_eq!(second.ticks_written.load(Ordering::Relaxed), 0);
}

/// The rows of one KRW-BTC minute at T0: tick `i` one second after tick `i - 1`.
fn minute_rows(ticks: std::ops::Range<i64>) -> std::collections::BTreeSet<TickRow> {
    ticks
        .map(|i| {
            let mut ticker = ticker("KRW-BTC", 0, 0);
            ticker.trade_timestamp = T0 + i * 1_000 + 1;
            ticker.timestamp = ticker.trade_timestamp + 3;
            ticker.trade_price = Decimal::from(1_000 + i);
            TickRow::from_ticker(&ticker).unwrap()
        })
        .collect()
}

async fn s3_lake() -> Lake {
    let bucket = unique("lake");
    create_bucket(&s3_host(), &bucket);
    Lake::open(&format!("s3://{bucket}/lake")).unwrap()
}

/// Writers of the same minute at once (a rebalance hands a partition over while the old
/// owner still flushes): each write expects the file it read, so none replaces another's
/// ticks; with last-writer-wins PUTs most rows were lost here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_of_one_minute_keep_every_tick() {
    let lake = s3_lake().await;
    let market = MarketCode::parse("KRW-BTC").unwrap();
    const WRITERS: i64 = 6;
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let (lake, market) = (lake.clone(), market.clone());
        // Each writer's own tick plus tick 0, which all of them carry (a re-delivery).
        let mut rows = minute_rows(writer + 1..writer + 2);
        rows.extend(minute_rows(0..1));
        tasks.push(tokio::spawn(async move {
            // As the lake stage does: a retryable error is tried again.
            loop {
                match write_closed_minute(&lake, &market, T0, &rows).await {
                    Ok(written) => return written,
                    Err(error) if error.is_retryable() => continue,
                    Err(error) => panic!("{error}"),
                }
            }
        }));
    }
    let mut added = 0;
    for task in tasks {
        added += task.await.unwrap().added;
    }
    let every = minute_rows(0..WRITERS + 1);
    let stored =
        ticks_from_parquet(lake.get(&minute_key_of("KRW-BTC", T0)).await.unwrap()).unwrap();
    assert_eq!(
        stored,
        every.iter().cloned().collect::<Vec<_>>(),
        "every tick once"
    );
    // A call retried after a retryable error may find its own ticks already stored, so the
    // sum can fall short; it can never count a tick twice.
    assert!(
        (1..=every.len()).contains(&added),
        "{added} ticks counted as added"
    );
    let candles = candle_rows(&lake).await;
    assert_eq!(candles.len(), 1);
    assert_eq!(candles[0].trade_count, Some(every.len() as u64));
    assert_eq!(candles[0].open, Decimal::from(1_000));
    assert_eq!(candles[0].close, Decimal::from(1_000 + WRITERS));
}

/// An earlier attempt of a PUT that reaches the store late (the client timed out and moved
/// on) carries what it expected then, so the store refuses it instead of replacing the newer
/// file: on create (`If-None-Match: *`) and on update (`If-Match`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_put_of_an_older_file_is_refused() {
    let lake = s3_lake().await;
    let market = MarketCode::parse("KRW-BTC").unwrap();
    let key = minute_key_of("KRW-BTC", T0);
    let stale = ticks_to_parquet(minute_rows(0..1).iter()).unwrap();

    let (absent, expected_absent) = lake.read_for_update(&key).await.unwrap();
    assert!(absent.is_none());
    write_closed_minute(&lake, &market, T0, &minute_rows(0..2))
        .await
        .unwrap();
    assert!(
        !lake
            .put_expecting(&key, stale.clone(), expected_absent)
            .await
            .unwrap(),
        "a create over an existing file"
    );

    let (_, expected_two) = lake.read_for_update(&key).await.unwrap();
    assert!(matches!(expected_two, Expected::Version(_)));
    write_closed_minute(&lake, &market, T0, &minute_rows(2..3))
        .await
        .unwrap();
    assert!(
        !lake
            .put_expecting(&key, stale.clone(), expected_two)
            .await
            .unwrap(),
        "an update of a version that is gone"
    );
    let stored = ticks_from_parquet(lake.get(&key).await.unwrap()).unwrap();
    assert_eq!(stored.len(), 3, "the newest file stands");

    // What a write expects when it read the current file goes through.
    let (_, current) = lake.read_for_update(&key).await.unwrap();
    assert!(lake.put_expecting(&key, stale, current).await.unwrap());
    assert_eq!(
        ticks_from_parquet(lake.get(&key).await.unwrap())
            .unwrap()
            .len(),
        1
    );
}
