//! Parquet encoding of clickstream batches (zstd) and reading them back.

use arrow_array::RecordBatch;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use parquet::schema::types::ColumnPath;

use crate::schema::{clickstream_schema, columns};

/// zstd level for archive files: level 1, zstd's fastest, keeps encoding cheap on the
/// archiver's one core.
pub const ZSTD_LEVEL: i32 = 1;

/// One Parquet file built in memory, batch by batch (the archiver then uploads it in one PUT, so
/// an object is either absent or whole). Writing a partition's rows as several small batches
/// rather than one large one lets each batch's buffers be freed and reused by the next: one
/// 100,000-row batch faulted in fresh pages for every array, about a third of a bulk run.
///
/// The settings are the result of measuring (the `parquet_settings` bench; README figures),
/// for the archiver's batches of up to 500 records (template.yaml `BatchSize`):
/// - **no dictionaries.** At 500 rows, building them cost more than it saved even for the
///   nine market codes (and only paid off from about 10,000 rows); under zstd the files were
///   also smaller without them (18 KB against 28 KB for 500 synthetic rows).
/// - **statistics only for `received_at`, per column chunk.** Min/max per page of every column,
///   the default, cost about a third of the writer's time; nothing reads them (files are found
///   by their `dt=`/`hour=` path), while `received_at`'s chunk range stays for readers that
///   prune finer than the hour.
pub struct ParquetFileWriter {
    writer: ArrowWriter<Vec<u8>>,
}

impl std::fmt::Debug for ParquetFileWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetFileWriter")
            .field("in_progress_rows", &self.writer.in_progress_rows())
            .finish_non_exhaustive()
    }
}

impl ParquetFileWriter {
    pub fn new() -> Result<Self, ParquetError> {
        let properties = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?))
            .set_dictionary_enabled(false)
            .set_statistics_enabled(EnabledStatistics::None)
            .set_column_statistics_enabled(
                ColumnPath::from(columns::RECEIVED_AT),
                EnabledStatistics::Chunk,
            )
            .set_created_by(concat!("coinking-clickstream ", env!("CARGO_PKG_VERSION")).to_owned())
            .build();
        let writer = ArrowWriter::try_new(Vec::new(), clickstream_schema(), Some(properties))?;
        Ok(Self { writer })
    }

    /// Appends a batch of the contract schema; rows stay in one row group up to the writer's
    /// row-group size.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), ParquetError> {
        self.writer.write(batch)
    }

    /// The complete file, footer included.
    pub fn finish(self) -> Result<Vec<u8>, ParquetError> {
        self.writer.into_inner()
    }
}

/// Encodes one batch as a complete Parquet file in memory.
pub fn to_parquet(batch: &RecordBatch) -> Result<Vec<u8>, ParquetError> {
    let mut file = ParquetFileWriter::new()?;
    file.write(batch)?;
    file.finish()
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

#[cfg(test)]
mod tests {
    use parquet::basic::Encoding;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    use super::*;
    use crate::encode_batch;
    use crate::testing::synthetic_envelope;

    #[test]
    fn writes_no_dictionaries_and_statistics_for_received_at_only() {
        let envelopes: Vec<_> = (0..20).map(|i| synthetic_envelope(i, i as i64)).collect();
        let refs: Vec<_> = envelopes.iter().collect();
        let file = to_parquet(&encode_batch(&refs).unwrap()).unwrap();
        let reader = SerializedFileReader::new(Bytes::from(file)).unwrap();
        let row_group = reader.metadata().row_group(0);
        // Leaf columns: 36, plus each hint's sell_up and sell_down.
        assert_eq!(row_group.columns().len(), 38);
        for chunk in row_group.columns() {
            let path = chunk.column_path().string();
            assert!(
                chunk.dictionary_page_offset().is_none(),
                "dictionary in {path}"
            );
            assert!(
                chunk.encodings().all(|e| e != Encoding::RLE_DICTIONARY),
                "dictionary encoding in {path}"
            );
            assert_eq!(
                chunk.statistics().is_some(),
                path == columns::RECEIVED_AT,
                "statistics of {path}"
            );
        }
    }
}
