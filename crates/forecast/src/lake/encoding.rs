//! What every lake table shares: exact decimals as Decimal128(38, 12), zstd Parquet written in
//! memory (one PUT per file), and the Hive-partitioned per-minute keys.

use arrow_array::RecordBatch;
use arrow_array::builder::Decimal128Builder;
use arrow_schema::SchemaRef;
use coinking_core::time::UtcDateTime;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use rust_decimal::Decimal;

use crate::error::ForecastError;

/// Decimal columns: 38 digits, 12 after the point (Upbit volumes carry 8, rates 10, prices fewer).
pub const DECIMAL_PRECISION: u8 = 38;
pub const DECIMAL_SCALE: i8 = 12;

/// `value` as a Decimal128 mantissa at [`DECIMAL_SCALE`]; more decimals than that are rounded,
/// a value too large for that scale is an error.
pub fn mantissa(value: Decimal) -> Result<i128, ForecastError> {
    let mut scaled = value;
    scaled.rescale(DECIMAL_SCALE as u32);
    if scaled.scale() != DECIMAL_SCALE as u32 {
        return Err(ForecastError::Config(format!(
            "decimal {value}: does not fit {DECIMAL_SCALE} decimal places"
        )));
    }
    Ok(scaled.mantissa())
}

pub fn from_mantissa(value: i128) -> Decimal {
    Decimal::from_i128_with_scale(value, DECIMAL_SCALE as u32).normalize()
}

/// A builder for one decimal column of `rows` rows.
pub fn decimal_builder(rows: usize) -> Result<Decimal128Builder, ForecastError> {
    Ok(Decimal128Builder::with_capacity(rows)
        .with_precision_and_scale(DECIMAL_PRECISION, DECIMAL_SCALE)?)
}

/// One batch as one zstd (level 1) Parquet file in memory.
pub fn write_parquet(schema: SchemaRef, batch: &RecordBatch) -> Result<Vec<u8>, ForecastError> {
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
        .set_created_by(concat!("coinking-forecast ", env!("CARGO_PKG_VERSION")).to_owned())
        .build();
    let mut file = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut file, schema, Some(properties))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(file)
}

/// `<table>/dt=YYYY-MM-DD/market=<market>`.
pub fn partition(table: &str, market: &str, epoch_ms: i64) -> String {
    let date = UtcDateTime::from_epoch_ms(epoch_ms).dashed_date();
    format!("{table}/dt={date}/market={market}")
}

/// One market's minute of `table`: `<partition>/HHMM.parquet`. Deterministic, so a retried or
/// re-delivered minute overwrites its file.
pub fn minute_key(table: &str, market: &str, minute_start_ms: i64) -> String {
    let at = UtcDateTime::from_epoch_ms(minute_start_ms);
    format!(
        "{}/{:02}{:02}.parquet",
        partition(table, market, minute_start_ms),
        at.hour,
        at.minute
    )
}
