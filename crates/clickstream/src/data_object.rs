//! One partition's Parquet object, encoded while its rows are still being decoded.
//!
//! Rows are encoded and written [`CHUNK_ROWS`] at a time, then dropped: each chunk's envelopes,
//! Arrow arrays and Parquet levels are freed and their memory reused by the next. Encoding a
//! whole bulk batch as one `RecordBatch` instead faulted in fresh pages for every array (a third
//! of a 100,000-row run went to the kernel zeroing pages). A Kinesis batch (≤ 500 records,
//! template.yaml `BatchSize`) is one chunk, so its object is the same as one batch would give.

use coinking_core::game::ClickEnvelope;

use crate::encode::encode_batch;
use crate::parquet_io::ParquetFileWriter;

/// Rows per Arrow batch: large enough that per-batch costs vanish, small enough that a chunk's
/// buffers stay in memory the allocator already holds.
pub(crate) const CHUNK_ROWS: usize = 4096;

/// The Parquet object of one partition of one batch, as it is being built.
pub(crate) struct DataObject<'a> {
    /// The sequence number of the partition's first record: records are pushed in sequence
    /// order, so it is the lowest (the object's name is made from it).
    first: &'a str,
    records: usize,
    pending: Vec<ClickEnvelope>,
    /// Once encoding fails (a schema mismatch, which would be a bug), the reason; later rows are
    /// only counted, since the object will not be written.
    file: Result<ParquetFileWriter, String>,
}

/// A finished [`DataObject`].
pub(crate) struct FinishedObject<'a> {
    /// The lowest sequence number of its records.
    pub first: &'a str,
    pub records: usize,
    pub body: Result<Vec<u8>, String>,
}

impl<'a> DataObject<'a> {
    pub fn new(first: &'a str) -> Self {
        Self {
            first,
            records: 0,
            pending: Vec::with_capacity(CHUNK_ROWS),
            file: ParquetFileWriter::new().map_err(|error| error.to_string()),
        }
    }

    pub fn push(&mut self, envelope: ClickEnvelope) {
        self.records += 1;
        if self.file.is_err() {
            return;
        }
        self.pending.push(envelope);
        if self.pending.len() == CHUNK_ROWS {
            self.write_pending();
        }
    }

    pub fn finish(mut self) -> FinishedObject<'a> {
        self.write_pending();
        FinishedObject {
            first: self.first,
            records: self.records,
            body: self
                .file
                .and_then(|file| file.finish().map_err(|error| error.to_string())),
        }
    }

    fn write_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        if let Ok(file) = &mut self.file {
            let rows: Vec<&ClickEnvelope> = self.pending.iter().collect();
            let written = encode_batch(&rows)
                .map_err(|error| error.to_string())
                .and_then(|batch| file.write(&batch).map_err(|error| error.to_string()));
            if let Err(reason) = written {
                self.file = Err(reason);
            }
        }
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::decode::decode_batch;
    use crate::parquet_io::{from_parquet, to_parquet};
    use crate::testing::synthetic_envelope;

    #[test]
    fn rows_across_several_chunks_come_back_whole_and_in_order() {
        let rows = 2 * CHUNK_ROWS + 3;
        let envelopes: Vec<ClickEnvelope> = (0..rows as u64)
            .map(|i| synthetic_envelope(i, 1_732_500_000_000 + i as i64))
            .collect();
        let first = format!("{:056}", 0);
        let mut object = DataObject::new(&first);
        for envelope in &envelopes {
            object.push(envelope.clone());
        }
        let finished = object.finish();
        assert_eq!(finished.records, rows);
        assert_eq!(finished.first, first);
        let body = finished.body.unwrap();

        let mut read = Vec::new();
        for batch in from_parquet(Bytes::from(body.clone())).unwrap() {
            read.extend(decode_batch(&batch).unwrap());
        }
        assert_eq!(read, envelopes);
        // One row group, as one batch of all the rows would have written.
        let reader = parquet::file::reader::SerializedFileReader::new(Bytes::from(body)).unwrap();
        assert_eq!(
            parquet::file::reader::FileReader::metadata(&reader).num_row_groups(),
            1
        );
    }

    #[test]
    fn one_chunk_gives_the_same_file_as_one_batch() {
        let envelopes: Vec<ClickEnvelope> =
            (0..500).map(|i| synthetic_envelope(i, i as i64)).collect();
        let first = format!("{:056}", 0);
        let mut object = DataObject::new(&first);
        for envelope in &envelopes {
            object.push(envelope.clone());
        }
        let refs: Vec<&ClickEnvelope> = envelopes.iter().collect();
        let whole = to_parquet(&encode_batch(&refs).unwrap()).unwrap();
        assert_eq!(object.finish().body.unwrap(), whole);
    }
}
