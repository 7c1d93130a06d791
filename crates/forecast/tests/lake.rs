//! The lake's candle table over a local directory: N candles → N rows in the right
//! partitions; a re-delivered minute overwrites its file (no duplicates); the backfill's row
//! wins over the stream's for the same minute.
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use coinking_core::candle::Candle;
use coinking_core::market::MarketCode;
use coinking_forecast::lake::{CandleRow, Lake, Source, read_candles, to_parquet, write_minute};
use rust_decimal::Decimal;

const START: i64 = 1_732_579_140_000; // 2024-11-25T23:59:00Z

fn candle(market: &str, minute: i64, close: &str) -> Candle {
    let start = START + minute * 60_000;
    let price = Decimal::from_str(close).unwrap();
    Candle {
        market: MarketCode::parse(market).unwrap(),
        minute_start_ms: start,
        open: price,
        high: price,
        low: price,
        close: price,
        volume: Decimal::from_str("0.12345678").unwrap(),
        trade_count: 3,
        open_key: (start, 1),
        close_key: (start, 2),
        last_position: 2,
    }
}

#[tokio::test]
async fn n_candles_give_exactly_n_rows_in_their_partitions_and_redelivery_adds_none() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    let candles: Vec<Candle> = (0..3)
        .flat_map(|m| {
            [
                candle("KRW-BTC", m, "132450000"),
                candle("KRW-DOGE", m, "551.3"),
            ]
        })
        .collect();
    for c in &candles {
        write_minute(&lake, c).await.unwrap();
    }
    // Re-delivery of the same minutes (a retried batch, a consumer restart).
    for c in &candles {
        write_minute(&lake, c).await.unwrap();
    }
    let keys: Vec<String> = lake
        .list("market-data/")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.relative)
        .collect();
    assert_eq!(
        keys,
        vec![
            "market-data/candles_1m/dt=2024-11-25/market=KRW-BTC/2359.parquet",
            "market-data/candles_1m/dt=2024-11-25/market=KRW-DOGE/2359.parquet",
            "market-data/candles_1m/dt=2024-11-26/market=KRW-BTC/0000.parquet",
            "market-data/candles_1m/dt=2024-11-26/market=KRW-BTC/0001.parquet",
            "market-data/candles_1m/dt=2024-11-26/market=KRW-DOGE/0000.parquet",
            "market-data/candles_1m/dt=2024-11-26/market=KRW-DOGE/0001.parquet",
        ]
    );
    let rows = read_candles(&lake, "KRW-DOGE", START, START + 3 * 60_000)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].close.to_string(), "551.3");
    assert_eq!(rows[0].volume.to_string(), "0.12345678");
    assert_eq!(rows[0].trade_count, Some(3));
    assert_eq!(rows[0].source, Source::Stream);
}

#[tokio::test]
async fn the_backfills_row_wins_over_the_streams_for_the_same_minute() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    write_minute(&lake, &candle("KRW-BTC", 1, "100"))
        .await
        .unwrap();
    let mut row = CandleRow::from_stream(&candle("KRW-BTC", 1, "101"));
    row.source = Source::Backfill;
    let key = "market-data/candles_1m/dt=2024-11-26/market=KRW-BTC/backfill-00.parquet";
    lake.put(key, to_parquet(&[row]).unwrap()).await.unwrap();
    let rows = read_candles(&lake, "KRW-BTC", START, START + 10 * 60_000)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].close.to_string(), "101");
}
