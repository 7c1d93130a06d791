//! Parquet encoding of clickstream batches (zstd) and reading them back.

use arrow_array::RecordBatch;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

use parquet::schema::types::ColumnPath;

use crate::schema::{clickstream_schema, columns};

/// zstd level for archive files: level 1, zstd's fastest, keeps encoding cheap on the
/// archiver's one core; dictionary and RLE encodings already shrink these columns most.
pub const ZSTD_LEVEL: i32 = 1;

/// Encodes one batch as a complete Parquet file in memory (the archiver then uploads it in one
/// PUT, so an object is either absent or whole).
pub fn to_parquet(batch: &RecordBatch) -> Result<Vec<u8>, ParquetError> {
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?))
        // Event ids are unique: a dictionary would only cost time and then fall back to plain.
        .set_column_dictionary_enabled(ColumnPath::from(columns::EVENT_ID), false)
        .set_created_by(concat!("coinking-clickstream ", env!("CARGO_PKG_VERSION")).to_owned())
        .build();
    let mut file = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut file, clickstream_schema(), Some(properties))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(file)
}

/// Reads a whole Parquet file back into batches (tests, tools, the embedded analytics).
pub fn from_parquet(file: Bytes) -> Result<Vec<RecordBatch>, ParquetError> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    let mut batches = Vec::new();
    for batch in reader {
        batches.push(batch?);
    }
    Ok(batches)
}
