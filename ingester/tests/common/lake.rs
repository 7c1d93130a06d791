//! The market-data lake as the tests read it: its candle and tick tables, and the capture's
//! minutes to compare them with.

use coinking_core::market::MarketCode;
use coinking_forecast::lake::candles::from_parquet as candles_from_parquet;
use coinking_forecast::lake::ticks::from_parquet as ticks_from_parquet;
use coinking_forecast::lake::{CandleRow, Lake, read_candles};

use super::CandleValues;

/// `[first minute, end of the last minute)` of the capture's candles, in epoch ms.
pub fn capture_minutes(candles: &[CandleValues]) -> (i64, i64) {
    let minutes = candles.iter().map(|c| c.minute_start_ms);
    (
        minutes.clone().min().unwrap_or(0),
        minutes.max().unwrap_or(0) + 60_000,
    )
}

/// Every market-minute in the lake's candle table, with its high and low.
pub async fn lake_minutes(
    lake: &Lake,
    markets: &[MarketCode],
    (from_ms, to_ms): (i64, i64),
) -> Vec<(String, i64, String, String)> {
    let mut minutes = Vec::new();
    for market in markets {
        for row in read_candles(lake, market.as_str(), from_ms, to_ms)
            .await
            .unwrap_or_default()
        {
            minutes.push((
                row.market,
                row.minute_start_ms,
                row.high.normalize().to_string(),
                row.low.normalize().to_string(),
            ));
        }
    }
    minutes.sort();
    minutes
}

/// The capture's market-minutes with their high and low, as [`lake_minutes`] lists them.
pub fn expected_minutes(candles: &[CandleValues]) -> Vec<(String, i64, String, String)> {
    let mut minutes: Vec<_> = candles
        .iter()
        .map(|c| {
            (
                c.market.clone(),
                c.minute_start_ms,
                c.ohlc[1].clone(),
                c.ohlc[2].clone(),
            )
        })
        .collect();
    minutes.sort();
    minutes
}

/// Every object key under `prefix`, sorted.
pub async fn keys(lake: &Lake, prefix: &str) -> Vec<String> {
    let mut keys: Vec<String> = lake
        .list(prefix)
        .await
        .unwrap()
        .into_iter()
        .map(|object| object.relative)
        .collect();
    keys.sort();
    keys
}

/// Every row of the candle table.
pub async fn candle_rows(lake: &Lake) -> Vec<CandleRow> {
    let mut rows = Vec::new();
    for key in keys(lake, "market-data/candles_1m/").await {
        rows.extend(candles_from_parquet(lake.get(&key).await.unwrap()).unwrap());
    }
    rows
}

/// How many rows the tick table holds.
pub async fn tick_count(lake: &Lake) -> usize {
    let mut count = 0;
    for key in keys(lake, "market-data/ticks/").await {
        count += ticks_from_parquet(lake.get(&key).await.unwrap())
            .unwrap()
            .len();
    }
    count
}
