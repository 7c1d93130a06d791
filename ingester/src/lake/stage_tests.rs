//! The lake stage over a local-directory lake (the same object_store code path as S3; the S3
//! and Kafka run is `tests/lake_sink.rs`).
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicI64, Ordering};

use coinking_forecast::lake::candles::{from_parquet as candles_from_parquet, minute_key};
use coinking_forecast::lake::ticks::{from_parquet as ticks_from_parquet, minute_key_of};
use rust_decimal::Decimal;

use super::*;
use crate::test_support::{record, ticker};

/// 2024-11-25T00:00:00Z, a minute boundary.
const T0: i64 = 1_732_492_800_000;
const MINUTE: i64 = 60_000;

fn stage(dir: &tempfile::TempDir, clock: Clock) -> LakeStage {
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    LakeStage::new(lake, Arc::new(LakeMetrics::default())).with_clock(clock)
}

/// A clock stopped just after minute 1 started: minute 0 is not closed by the wall clock.
fn early() -> i64 {
    T0 + MINUTE + 1
}

/// A clock far past everything: every minute is closed.
fn late() -> i64 {
    T0 + 3_600_000
}

async fn stored_ticks(dir: &tempfile::TempDir, market: &str, minute: i64) -> Vec<TickRow> {
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    ticks_from_parquet(lake.get(&minute_key_of(market, minute)).await.unwrap()).unwrap()
}

async fn stored_candle(
    dir: &tempfile::TempDir,
    market: &str,
    minute: i64,
) -> coinking_forecast::lake::CandleRow {
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let rows = candles_from_parquet(lake.get(&minute_key(market, minute)).await.unwrap()).unwrap();
    assert_eq!(rows.len(), 1, "one candle row per minute file");
    rows.into_iter().next().unwrap()
}

#[tokio::test]
async fn a_minute_is_written_when_the_next_one_starts_and_only_its_offsets_commit() {
    let dir = tempfile::tempdir().unwrap();
    let mut lake = stage(&dir, early);
    for (offset, (at, price)) in [(T0 + 1_000, 100), (T0 + 20_000, 130), (T0 + 40_000, 90)]
        .into_iter()
        .enumerate()
    {
        lake.ingest(record(&ticker("KRW-BTC", at, price), offset as i64));
    }
    assert!(!lake.has_pending(), "minute 0 is still open");
    lake.ingest(record(&ticker("KRW-BTC", T0 + MINUTE + 500, 95), 3));
    assert!(lake.has_pending());

    let commit = lake.flush().await.unwrap();
    assert_eq!(commit, vec![(0, 3)], "minute 1 (offset 3) is still open");
    assert_eq!(lake.open_minutes(), 1);
    assert_eq!(stored_ticks(&dir, "KRW-BTC", T0).await.len(), 3);
    let candle = stored_candle(&dir, "KRW-BTC", T0).await;
    assert_eq!(
        (candle.open, candle.high, candle.low, candle.close),
        (
            Decimal::from(100),
            Decimal::from(130),
            Decimal::from(90),
            Decimal::from(90)
        )
    );
    assert_eq!(candle.trade_count, Some(3));
    assert_eq!(candle.volume, Decimal::from(3));
    assert_eq!(lake.metrics().minutes_written.load(Ordering::Relaxed), 1);
    assert!(!lake.has_pending(), "nothing new to write or commit");
}

#[tokio::test]
async fn a_quiet_market_closes_by_the_clock_after_the_grace() {
    static NOW: AtomicI64 = AtomicI64::new(0);
    fn now() -> i64 {
        NOW.load(Ordering::Relaxed)
    }
    let dir = tempfile::tempdir().unwrap();
    let mut lake = stage(&dir, now).with_close_grace(Duration::from_secs(10));
    lake.ingest(record(&ticker("KRW-ETH", T0 + 5_000, 7), 0));
    NOW.store(T0 + MINUTE + 9_999, Ordering::Relaxed);
    assert!(!lake.has_pending(), "inside the grace");
    NOW.store(T0 + MINUTE + 10_000, Ordering::Relaxed);
    assert!(lake.has_pending());
    assert_eq!(lake.flush().await.unwrap(), vec![(0, 1)]);
    assert_eq!(stored_ticks(&dir, "KRW-ETH", T0).await.len(), 1);
}

#[tokio::test]
async fn a_replayed_stream_and_a_reproduced_message_land_once() {
    let dir = tempfile::tempdir().unwrap();
    let tickers: Vec<_> = (0..5)
        .map(|i| ticker("KRW-XRP", T0 + i * 10_000, 500 + i))
        .collect();
    let mut first = stage(&dir, late);
    for (offset, ticker) in tickers.iter().enumerate() {
        first.ingest(record(ticker, offset as i64));
    }
    first.flush().await.unwrap();
    let candle = stored_candle(&dir, "KRW-XRP", T0).await;

    // A restart replays everything, and the producer's retry put message 2 on the log twice.
    let mut second = stage(&dir, late);
    for (offset, ticker) in tickers.iter().enumerate() {
        second.ingest(record(ticker, offset as i64));
    }
    second.ingest(record(&tickers[2], 5));
    assert_eq!(second.flush().await.unwrap(), vec![(0, 6)]);

    assert_eq!(stored_ticks(&dir, "KRW-XRP", T0).await.len(), 5);
    assert_eq!(stored_candle(&dir, "KRW-XRP", T0).await, candle);
    assert_eq!(second.metrics().ticks_written.load(Ordering::Relaxed), 0);
    assert_eq!(second.metrics().ticks_duplicate.load(Ordering::Relaxed), 5);
}

#[tokio::test]
async fn a_late_tick_is_merged_into_its_written_minute() {
    let dir = tempfile::tempdir().unwrap();
    let mut lake = stage(&dir, early);
    lake.ingest(record(&ticker("KRW-SOL", T0 + 1_000, 10), 0));
    lake.ingest(record(&ticker("KRW-SOL", T0 + MINUTE + 1_000, 11), 1));
    lake.flush().await.unwrap();
    // A trade of minute 0 that reached us after minute 1 had started.
    lake.ingest(record(&ticker("KRW-SOL", T0 + 59_000, 12), 2));
    assert!(lake.has_pending());
    assert_eq!(
        lake.flush().await.unwrap(),
        vec![],
        "minute 1, still open, holds the commit at offset 1"
    );

    assert_eq!(stored_ticks(&dir, "KRW-SOL", T0).await.len(), 2);
    let candle = stored_candle(&dir, "KRW-SOL", T0).await;
    assert_eq!(candle.trade_count, Some(2));
    assert_eq!(candle.close, Decimal::from(12));
    assert_eq!(lake.metrics().ticks_late.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn a_bad_record_is_counted_and_its_offset_passes() {
    let dir = tempfile::tempdir().unwrap();
    let mut lake = stage(&dir, late);
    lake.ingest(Record {
        key: b"KRW-BTC".to_vec(),
        payload: b"{not json".to_vec(),
        partition: 2,
        offset: 41,
    });
    assert!(lake.has_pending(), "its offset is committable");
    assert_eq!(lake.flush().await.unwrap(), vec![(2, 42)]);
    assert_eq!(lake.metrics().records_rejected.load(Ordering::Relaxed), 1);
    assert_eq!(lake.open_minutes(), 0);
}

#[tokio::test]
async fn markets_and_partitions_commit_behind_their_own_open_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let mut lake = stage(&dir, early);
    let mut on = |partition: i32, offset: i64, code: &str, at: i64| {
        let mut r = record(&ticker(code, at, 1), offset);
        r.partition = partition;
        lake.ingest(r);
    };
    on(0, 10, "KRW-BTC", T0);
    on(1, 20, "KRW-ETH", T0);
    on(0, 11, "KRW-BTC", T0 + MINUTE);
    on(1, 21, "KRW-ETH", T0 + 1);
    let commit = lake.flush().await.unwrap();
    // Partition 0: BTC minute 0 written, minute 1 open from offset 11. Partition 1: ETH minute
    // 0 still open (the clock has not closed it and no later ETH minute came) from offset 20,
    // where it started: nothing to commit there.
    assert_eq!(commit, vec![(0, 11)]);
    assert_eq!(lake.open_minutes(), 2);
}

#[tokio::test]
async fn at_the_end_of_input_open_minutes_are_written_as_they_stand_and_merge_later() {
    let dir = tempfile::tempdir().unwrap();
    let mut lake = stage(&dir, early);
    lake.ingest(record(&ticker("KRW-BTC", T0 + MINUTE + 100, 50), 0));
    assert!(!lake.has_pending(), "minute 1 is open");
    lake.input_ended();
    assert!(lake.has_pending());
    assert_eq!(lake.flush().await.unwrap(), vec![(0, 1)]);
    assert_eq!(lake.open_minutes(), 0);
    assert_eq!(
        stored_candle(&dir, "KRW-BTC", T0 + MINUTE).await.high,
        Decimal::from(50)
    );

    // A restarted run reads the rest of that minute: merged into the stored one.
    let mut restarted = stage(&dir, late);
    restarted.ingest(record(&ticker("KRW-BTC", T0 + MINUTE + 30_000, 70), 0));
    restarted.flush().await.unwrap();
    assert_eq!(stored_ticks(&dir, "KRW-BTC", T0 + MINUTE).await.len(), 2);
    let candle = stored_candle(&dir, "KRW-BTC", T0 + MINUTE).await;
    assert_eq!(
        (candle.open, candle.high),
        (Decimal::from(50), Decimal::from(70))
    );
}
