//! The normalised-tick table, `market-data/ticks`, one file per market and minute, and the
//! write of a closed minute: ticks and candle together, merged with what is already stored so
//! that a re-delivered or replayed minute lands once.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use bytes::Bytes;
use coinking_core::candle::{Candle, Tick, build_candles, minute_start};
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use rust_decimal::Decimal;

use super::encoding::{
    DECIMAL_PRECISION, DECIMAL_SCALE, decimal_at, decimal_builder, from_mantissa, mantissa,
    minute_key, read_parquet, write_parquet,
};
use super::location::Lake;
use super::{TICKS_PREFIX, candles};
use crate::error::ForecastError;

/// One normalised ticker as stored. Field order is the sort order (time first), and equality
/// is the de-duplication rule: a re-delivered message is the same row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TickRow {
    pub trade_timestamp_ms: i64,
    pub timestamp_ms: i64,
    pub market: String,
    pub trade_price: Decimal,
    pub trade_volume: Option<Decimal>,
    pub opening_price: Decimal,
    pub high_price: Decimal,
    pub low_price: Decimal,
    pub prev_closing_price: Decimal,
    pub change: String,
    pub signed_change_rate: Decimal,
    pub acc_trade_volume_24h: Option<Decimal>,
    pub acc_trade_price_24h: Option<Decimal>,
    pub ask_bid: Option<String>,
    pub stream_type: Option<String>,
}

/// Rounded to the table's scale, so that a row in memory equals the same row read back.
fn exact(value: Decimal) -> Result<Decimal, ForecastError> {
    Ok(from_mantissa(mantissa(value)?))
}

impl TickRow {
    /// The stored form of `ticker`; an error when a value does not fit the decimal columns.
    pub fn from_ticker(ticker: &NormalizedTicker) -> Result<Self, ForecastError> {
        let optional = |value: Option<Decimal>| value.map(exact).transpose();
        Ok(Self {
            trade_timestamp_ms: ticker.trade_timestamp,
            timestamp_ms: ticker.timestamp,
            market: ticker.market.to_string(),
            trade_price: exact(ticker.trade_price)?,
            trade_volume: optional(ticker.trade_volume)?,
            opening_price: exact(ticker.opening_price)?,
            high_price: exact(ticker.high_price)?,
            low_price: exact(ticker.low_price)?,
            prev_closing_price: exact(ticker.prev_closing_price)?,
            change: ticker.change.as_str().to_owned(),
            signed_change_rate: exact(ticker.signed_change_rate)?,
            acc_trade_volume_24h: optional(ticker.acc_trade_volume_24h)?,
            acc_trade_price_24h: optional(ticker.acc_trade_price_24h)?,
            ask_bid: ticker.ask_bid.map(|side| side.as_str().to_owned()),
            stream_type: ticker.stream_type.map(|kind| kind.as_str().to_owned()),
        })
    }
}

const DECIMAL_COLUMNS: [(&str, bool); 9] = [
    ("trade_price", false),
    ("trade_volume", true),
    ("opening_price", false),
    ("high_price", false),
    ("low_price", false),
    ("prev_closing_price", false),
    ("signed_change_rate", false),
    ("acc_trade_volume_24h", true),
    ("acc_trade_price_24h", true),
];

fn decimals(row: &TickRow) -> [Option<Decimal>; 9] {
    [
        Some(row.trade_price),
        row.trade_volume,
        Some(row.opening_price),
        Some(row.high_price),
        Some(row.low_price),
        Some(row.prev_closing_price),
        Some(row.signed_change_rate),
        row.acc_trade_volume_24h,
        row.acc_trade_price_24h,
    ]
}

/// The table's schema (market data only: nothing about players).
pub fn tick_schema() -> SchemaRef {
    let timestamp = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let decimal = DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE);
    let mut fields = vec![
        Field::new("market", DataType::Utf8, false),
        Field::new("trade_time", timestamp.clone(), false),
        Field::new("time", timestamp, false),
    ];
    for (name, nullable) in DECIMAL_COLUMNS {
        fields.push(Field::new(name, decimal.clone(), nullable));
    }
    fields.push(Field::new("change", DataType::Utf8, false));
    fields.push(Field::new("ask_bid", DataType::Utf8, true));
    fields.push(Field::new("stream_type", DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

/// Encodes rows as one zstd Parquet file.
pub fn to_parquet<'a>(
    rows: impl ExactSizeIterator<Item = &'a TickRow> + Clone,
) -> Result<Vec<u8>, ForecastError> {
    let count = rows.len();
    let mut market = StringBuilder::new();
    let mut trade_time = TimestampMillisecondBuilder::with_capacity(count).with_timezone("UTC");
    let mut time = TimestampMillisecondBuilder::with_capacity(count).with_timezone("UTC");
    let mut decimal_columns = (0..DECIMAL_COLUMNS.len())
        .map(|_| decimal_builder(count))
        .collect::<Result<Vec<_>, _>>()?;
    let mut change = StringBuilder::new();
    let mut ask_bid = StringBuilder::new();
    let mut stream_type = StringBuilder::new();
    for row in rows {
        market.append_value(&row.market);
        trade_time.append_value(row.trade_timestamp_ms);
        time.append_value(row.timestamp_ms);
        for (builder, value) in decimal_columns.iter_mut().zip(decimals(row)) {
            builder.append_option(value.map(mantissa).transpose()?);
        }
        change.append_value(&row.change);
        ask_bid.append_option(row.ask_bid.as_deref());
        stream_type.append_option(row.stream_type.as_deref());
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(market.finish()),
        Arc::new(trade_time.finish()),
        Arc::new(time.finish()),
    ];
    for mut builder in decimal_columns {
        columns.push(Arc::new(builder.finish()));
    }
    columns.push(Arc::new(change.finish()));
    columns.push(Arc::new(ask_bid.finish()));
    columns.push(Arc::new(stream_type.finish()));
    let batch = RecordBatch::try_new(tick_schema(), columns)?;
    write_parquet(tick_schema(), &batch)
}

/// Decodes a file written by [`to_parquet`].
pub fn from_parquet(file: Bytes) -> Result<Vec<TickRow>, ForecastError> {
    let mut rows = Vec::new();
    read_parquet(file, "tick", |columns| {
        let market = columns.strings("market")?;
        let trade_time = columns.timestamps("trade_time")?;
        let time = columns.timestamps("time")?;
        let decimal_arrays = DECIMAL_COLUMNS
            .iter()
            .map(|(name, _)| columns.decimals(name))
            .collect::<Result<Vec<_>, _>>()?;
        let change = columns.strings("change")?;
        let ask_bid = columns.strings("ask_bid")?;
        let stream_type = columns.strings("stream_type")?;
        for index in 0..columns.rows() {
            let decimal = |column: usize| decimal_at(&decimal_arrays[column], index);
            let required = |column: usize| {
                decimal(column).ok_or_else(|| {
                    columns.invalid(format_args!("{} is null", DECIMAL_COLUMNS[column].0))
                })
            };
            let text = |array: &arrow_array::StringArray| {
                (!array.is_null(index)).then(|| array.value(index).to_owned())
            };
            rows.push(TickRow {
                trade_timestamp_ms: trade_time.value(index),
                timestamp_ms: time.value(index),
                market: market.value(index).to_owned(),
                trade_price: required(0)?,
                trade_volume: decimal(1),
                opening_price: required(2)?,
                high_price: required(3)?,
                low_price: required(4)?,
                prev_closing_price: required(5)?,
                signed_change_rate: required(6)?,
                acc_trade_volume_24h: decimal(7),
                acc_trade_price_24h: decimal(8),
                change: change.value(index).to_owned(),
                ask_bid: text(&ask_bid),
                stream_type: text(&stream_type),
            });
        }
        Ok(())
    })?;
    Ok(rows)
}

/// The tick file of one market's minute: `market-data/ticks/dt=…/market=…/HHMM.parquet`.
pub fn minute_key_of(market: &str, minute_start_ms: i64) -> String {
    minute_key(TICKS_PREFIX, market, minute_start_ms)
}

/// What [`write_closed_minute`] stored.
#[derive(Debug, Clone, PartialEq)]
pub struct MinuteWritten {
    /// Rows in the tick file (stored before + new, without duplicates).
    pub ticks: usize,
    /// Of those, rows this call added.
    pub added: usize,
    pub candle: Candle,
}

/// How many times [`write_closed_minute`] reads, merges and writes again when another write
/// changed the minute's files in between, before it gives up with a retryable error.
const MAX_MERGE_ATTEMPTS: usize = 5;

/// Writes one market's closed minute: the union of `rows` and the minute's stored ticks
/// (duplicates dropped: a replay or a re-delivery adds nothing), then the candle folded from
/// that union, both to their deterministic keys. `rows` must all belong to `market` and the
/// minute starting at `minute_start_ms`.
///
/// - **Order**: ticks first: if the candle's write fails, a retry merges the same ticks again
///   (adding nothing) and then writes the candle.
/// - **Concurrency**: each write expects the file it read (S3 `If-Match` / `If-None-Match`), and
///   the candle's version is read before the ticks it is folded from. So neither file is ever
///   replaced by one built from older ticks: not by a second writer of the minute (a consumer
///   rebalance), and not by an earlier attempt of a PUT that reaches the store late (a
///   client-side timeout and retry). When a file changed in between, the whole minute is read,
///   merged and written again, up to [`MAX_MERGE_ATTEMPTS`] times.
pub async fn write_closed_minute(
    lake: &Lake,
    market: &MarketCode,
    minute_start_ms: i64,
    rows: &BTreeSet<TickRow>,
) -> Result<MinuteWritten, ForecastError> {
    if let Some(stray) = rows.iter().find(|row| {
        row.market != market.as_str() || minute_start(row.trade_timestamp_ms) != minute_start_ms
    }) {
        return Err(ForecastError::Config(format!(
            "tick of {} at {} is not in {market}'s minute {minute_start_ms}",
            stray.market, stray.trade_timestamp_ms
        )));
    }
    // Rows this call added, over attempts: a pass whose ticks landed but whose candle met a
    // newer one finds its own rows stored on the next pass.
    let mut added = 0;
    for attempt in 1..=MAX_MERGE_ATTEMPTS {
        if let Some(written) =
            merge_and_write(lake, market, minute_start_ms, rows, &mut added).await?
        {
            return Ok(written);
        }
        tracing::debug!(%market, minute_start_ms, attempt, "lake: minute changed while written; merging again");
    }
    Err(ForecastError::Conflict(format!(
        "{market}'s minute {minute_start_ms} kept changing under {MAX_MERGE_ATTEMPTS} writes"
    )))
}

/// One read-merge-write of [`write_closed_minute`]; `None` when a file changed in between.
/// `added` grows by the rows this pass's tick write added.
async fn merge_and_write(
    lake: &Lake,
    market: &MarketCode,
    minute_start_ms: i64,
    rows: &BTreeSet<TickRow>,
    added: &mut usize,
) -> Result<Option<MinuteWritten>, ForecastError> {
    let candle_expected = lake
        .expected_at(&candles::minute_key(market.as_str(), minute_start_ms))
        .await?;
    let key = minute_key_of(market.as_str(), minute_start_ms);
    let (stored, ticks_expected) = lake.read_for_update(&key).await?;
    let mut all: BTreeSet<TickRow> = match stored {
        Some(file) => from_parquet(file)?.into_iter().collect(),
        None => BTreeSet::new(),
    };
    let before = all.len();
    all.extend(rows.iter().cloned());
    let new_rows = all.len() - before;
    if new_rows > 0 || before == 0 {
        if !lake
            .put_expecting(&key, to_parquet(all.iter())?, ticks_expected)
            .await?
        {
            return Ok(None);
        }
        *added += new_rows;
    }
    // Positions follow the table's order, so the fold is the same whatever order the rows
    // arrived in.
    let ticks: Vec<Tick> = all
        .iter()
        .zip(0_i64..)
        .map(|(row, position)| Tick {
            market: market.clone(),
            trade_timestamp: row.trade_timestamp_ms,
            price: row.trade_price,
            volume: row.trade_volume.unwrap_or(Decimal::ZERO),
            position,
        })
        .collect();
    let candle = build_candles(&ticks).into_iter().next().ok_or_else(|| {
        ForecastError::NotEnoughData(format!("{market} {minute_start_ms}: no ticks"))
    })?;
    if !candles::write_minute_expecting(lake, &candle, candle_expected).await? {
        return Ok(None);
    }
    Ok(Some(MinuteWritten {
        ticks: all.len(),
        added: *added,
        candle,
    }))
}
