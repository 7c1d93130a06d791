//! The 1-minute candle table: Arrow schema, Parquet encoding (zstd), keys, and reading a
//! market's candles back as gap-filled [`Bar`]s.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, TimestampMillisecondBuilder, UInt64Builder};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use bytes::Bytes;
use coinking_core::candle::Candle;
use coinking_core::time::MS_PER_DAY;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::CANDLES_PREFIX;
use super::encoding::{
    self, DECIMAL_PRECISION, DECIMAL_SCALE, decimal_at, decimal_builder, from_mantissa, mantissa,
    read_parquet, write_parquet,
};
use super::location::{Expected, Lake};
use crate::error::ForecastError;
use crate::series::{Bar, fill_gaps};

/// Where a row came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// The ingester's lake sink (candles folded from the ticker stream).
    Stream,
    /// `coinking backfill` (Upbit's REST candles).
    Backfill,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Stream => "stream",
            Source::Backfill => "backfill",
        }
    }
}

impl FromStr for Source {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        match text {
            "stream" => Ok(Source::Stream),
            "backfill" => Ok(Source::Backfill),
            _ => Err(()),
        }
    }
}

/// One row of the table. Prices and volumes stay exact decimals from the wire to the file.
#[derive(Debug, Clone, PartialEq)]
pub struct CandleRow {
    pub market: String,
    pub minute_start_ms: i64,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    /// Base-currency volume (Upbit's `candle_acc_trade_volume`).
    pub volume: Decimal,
    /// KRW traded (Upbit's `candle_acc_trade_price`); the stream does not know it.
    pub quote_volume: Option<Decimal>,
    /// Executions folded in; Upbit's REST candles do not say.
    pub trade_count: Option<u64>,
    pub source: Source,
}

impl CandleRow {
    /// A closed candle of the stream stage's fold.
    pub fn from_stream(candle: &Candle) -> Self {
        Self {
            market: candle.market.to_string(),
            minute_start_ms: candle.minute_start_ms,
            open: candle.open,
            high: candle.high,
            low: candle.low,
            close: candle.close,
            volume: candle.volume,
            quote_volume: None,
            trade_count: Some(candle.trade_count),
            source: Source::Stream,
        }
    }

    pub fn to_bar(&self) -> Bar {
        let f = |d: Decimal| d.to_f64().unwrap_or(0.0);
        Bar {
            minute_start_ms: self.minute_start_ms,
            open: f(self.open),
            high: f(self.high),
            low: f(self.low),
            close: f(self.close),
            volume: f(self.volume),
        }
    }
}

/// The table's schema (no nickname or any personal field: market data only).
pub fn candle_schema() -> SchemaRef {
    let decimal = DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE);
    Arc::new(Schema::new(vec![
        Field::new("market", DataType::Utf8, false),
        Field::new(
            "minute_start",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        Field::new("open", decimal.clone(), false),
        Field::new("high", decimal.clone(), false),
        Field::new("low", decimal.clone(), false),
        Field::new("close", decimal.clone(), false),
        Field::new("volume", decimal.clone(), false),
        Field::new("quote_volume", decimal, true),
        Field::new("trade_count", DataType::UInt64, true),
        Field::new("source", DataType::Utf8, false),
    ]))
}

/// Encodes rows as one Parquet file (zstd level 1, in memory: uploaded in one PUT).
pub fn to_parquet(rows: &[CandleRow]) -> Result<Vec<u8>, ForecastError> {
    let decimal_builder = || decimal_builder(rows.len());
    let mut market = StringBuilder::new();
    let mut minute = TimestampMillisecondBuilder::with_capacity(rows.len()).with_timezone("UTC");
    let mut open = decimal_builder()?;
    let mut high = decimal_builder()?;
    let mut low = decimal_builder()?;
    let mut close = decimal_builder()?;
    let mut volume = decimal_builder()?;
    let mut quote_volume = decimal_builder()?;
    let mut trade_count = UInt64Builder::with_capacity(rows.len());
    let mut source = StringBuilder::new();
    for row in rows {
        market.append_value(&row.market);
        minute.append_value(row.minute_start_ms);
        open.append_value(mantissa(row.open)?);
        high.append_value(mantissa(row.high)?);
        low.append_value(mantissa(row.low)?);
        close.append_value(mantissa(row.close)?);
        volume.append_value(mantissa(row.volume)?);
        quote_volume.append_option(row.quote_volume.map(mantissa).transpose()?);
        trade_count.append_option(row.trade_count);
        source.append_value(row.source.as_str());
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(market.finish()),
        Arc::new(minute.finish()),
        Arc::new(open.finish()),
        Arc::new(high.finish()),
        Arc::new(low.finish()),
        Arc::new(close.finish()),
        Arc::new(volume.finish()),
        Arc::new(quote_volume.finish()),
        Arc::new(trade_count.finish()),
        Arc::new(source.finish()),
    ];
    let batch = RecordBatch::try_new(candle_schema(), columns)?;
    write_parquet(candle_schema(), &batch)
}

/// Decodes a file written by [`to_parquet`].
pub fn from_parquet(file: Bytes) -> Result<Vec<CandleRow>, ForecastError> {
    let mut rows = Vec::new();
    read_parquet(file, "candle", |columns| {
        let market = columns.strings("market")?;
        let minute = columns.timestamps("minute_start")?;
        let decimals = ["open", "high", "low", "close", "volume", "quote_volume"]
            .iter()
            .map(|name| columns.decimals(name))
            .collect::<Result<Vec<_>, _>>()?;
        let trade_count = columns.counts("trade_count")?;
        let source = columns.strings("source")?;
        for index in 0..columns.rows() {
            let Ok(row_source) = Source::from_str(source.value(index)) else {
                return Err(
                    columns.invalid(format_args!("unknown source {:?}", source.value(index)))
                );
            };
            rows.push(CandleRow {
                market: market.value(index).to_owned(),
                minute_start_ms: minute.value(index),
                open: from_mantissa(decimals[0].value(index)),
                high: from_mantissa(decimals[1].value(index)),
                low: from_mantissa(decimals[2].value(index)),
                close: from_mantissa(decimals[3].value(index)),
                volume: from_mantissa(decimals[4].value(index)),
                quote_volume: decimal_at(&decimals[5], index),
                trade_count: (!trade_count.is_null(index)).then(|| trade_count.value(index)),
                source: row_source,
            });
        }
        Ok(())
    })?;
    Ok(rows)
}

/// `market-data/candles_1m/dt=YYYY-MM-DD/market=<market>`.
pub fn partition(market: &str, epoch_ms: i64) -> String {
    encoding::partition(CANDLES_PREFIX, market, epoch_ms)
}

/// The stream sink's file of one market's minute: `…/HHMM.parquet`.
pub fn minute_key(market: &str, minute_start_ms: i64) -> String {
    encoding::minute_key(CANDLES_PREFIX, market, minute_start_ms)
}

/// Writes one market's closed minute (one row) to its deterministic key: a retry or a
/// re-delivery overwrites the same object, so the lake never holds a minute twice.
pub async fn write_minute(lake: &Lake, candle: &Candle) -> Result<String, ForecastError> {
    write_minute_expecting(lake, candle, Expected::Anything).await?;
    Ok(minute_key(candle.market.as_str(), candle.minute_start_ms))
}

/// Writes the minute's candle only if its file is still as `expected` (see
/// [`Lake::put_expecting`]); `Ok(false)` when it changed since.
pub async fn write_minute_expecting(
    lake: &Lake,
    candle: &Candle,
    expected: Expected,
) -> Result<bool, ForecastError> {
    let row = CandleRow::from_stream(candle);
    let key = minute_key(&row.market, row.minute_start_ms);
    let file = to_parquet(std::slice::from_ref(&row))?;
    lake.put_expecting(&key, file, expected).await
}

/// Every row of `market` with `from_ms <= minute_start < to_ms`, one per minute (the
/// backfill's row wins over the stream's), sorted by minute.
pub async fn read_candles(
    lake: &Lake,
    market: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<CandleRow>, ForecastError> {
    let mut by_minute: BTreeMap<i64, CandleRow> = BTreeMap::new();
    let mut day = from_ms.div_euclid(MS_PER_DAY) * MS_PER_DAY;
    while day < to_ms {
        let objects = lake.list(&format!("{}/", partition(market, day))).await?;
        for object in objects {
            if !object.relative.ends_with(".parquet") {
                continue;
            }
            let rows = from_parquet(lake.get(&object.relative).await?)?;
            for row in rows {
                if row.market != market
                    || row.minute_start_ms < from_ms
                    || row.minute_start_ms >= to_ms
                {
                    continue;
                }
                match by_minute.get(&row.minute_start_ms) {
                    Some(kept) if kept.source >= row.source => {}
                    _ => {
                        by_minute.insert(row.minute_start_ms, row);
                    }
                }
            }
        }
        day += MS_PER_DAY;
    }
    Ok(by_minute.into_values().collect())
}

/// A market's candles as gap-filled bars, plus how many minutes had a candle.
pub async fn read_market_bars(
    lake: &Lake,
    market: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<(Vec<Bar>, usize), ForecastError> {
    let rows = read_candles(lake, market, from_ms, to_ms).await?;
    let candles = rows.len();
    Ok((
        fill_gaps(rows.iter().map(CandleRow::to_bar).collect()),
        candles,
    ))
}
