//! What every lake table shares: exact decimals as Decimal128(38, 12), zstd Parquet written in
//! memory (one PUT per file), and the Hive-partitioned per-minute keys.

use arrow_array::builder::Decimal128Builder;
use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, TimestampMillisecondType, UInt64Type};
use arrow_array::{
    Array, ArrayRef, Decimal128Array, RecordBatch, StringArray, TimestampMillisecondArray,
    UInt64Array,
};
use arrow_schema::SchemaRef;
use bytes::Bytes;
use coinking_core::time::UtcDateTime;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
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

/// The decimal at `index`, `None` where the column is null.
pub fn decimal_at(array: &Decimal128Array, index: usize) -> Option<Decimal> {
    (!array.is_null(index)).then(|| from_mantissa(array.value(index)))
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

/// Calls `each` with every batch of a file written by [`write_parquet`], its columns looked up
/// by name through [`Columns`], whose errors name the file's `table`.
pub fn read_parquet(
    file: Bytes,
    table: &'static str,
    mut each: impl FnMut(&Columns<'_>) -> Result<(), ForecastError>,
) -> Result<(), ForecastError> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    for batch in reader {
        let batch = batch?;
        each(&Columns {
            batch: &batch,
            table,
        })?;
    }
    Ok(())
}

/// Typed columns of one batch of a lake file; a missing column is an error naming it.
#[derive(Debug)]
pub struct Columns<'a> {
    batch: &'a RecordBatch,
    table: &'static str,
}

impl Columns<'_> {
    pub fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// An error about this file's contents.
    pub fn invalid(&self, reason: impl std::fmt::Display) -> ForecastError {
        ForecastError::Config(format!("{} file: {reason}", self.table))
    }

    fn column(&self, name: &str) -> Result<&ArrayRef, ForecastError> {
        self.batch
            .column_by_name(name)
            .ok_or_else(|| self.invalid(format_args!("column {name} is missing")))
    }

    pub fn strings(&self, name: &str) -> Result<StringArray, ForecastError> {
        Ok(self.column(name)?.as_string::<i32>().clone())
    }

    pub fn timestamps(&self, name: &str) -> Result<TimestampMillisecondArray, ForecastError> {
        Ok(self
            .column(name)?
            .as_primitive::<TimestampMillisecondType>()
            .clone())
    }

    pub fn decimals(&self, name: &str) -> Result<Decimal128Array, ForecastError> {
        Ok(self.column(name)?.as_primitive::<Decimal128Type>().clone())
    }

    pub fn counts(&self, name: &str) -> Result<UInt64Array, ForecastError> {
        Ok(self.column(name)?.as_primitive::<UInt64Type>().clone())
    }
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
