//! The clickstream archive: the Parquet contract shared by the archiver and the analytics
//! engines, and the archiver itself over any `object_store` (S3 in AWS, a directory locally).
//! No AWS dependency: the S3 store is built by the archiver Lambda.
//!
//! Module map, in the order a record flows through it:
//! - [`schema`]: the fixed Arrow schema of `clickstream/` files (docs/DESIGN.md "S3 layout").
//! - [`encode`]: [`ClickEnvelope`](coinking_core::game::ClickEnvelope)s → one typed
//!   [`RecordBatch`](arrow_array::RecordBatch) (lists and structs, not JSON strings).
//! - [`decode`]: a batch back to envelopes (round trips, tools).
//! - [`parquet_io`]: batches → a zstd Parquet file in memory, and back.
//! - `data_object`: one partition's object, its rows encoded a chunk at a time as they decode.
//! - [`partition`]: `dt=…/hour=…` partitions (UTC) and deterministic object keys.
//! - [`archive`]: a shard's batch of stream records → one object per partition, undecodable
//!   records to `clickstream-bad/` with their reason; per-object failures for partial retries.
//! - [`testing`]: deterministic valid records for tests and benches.

pub mod archive;
mod data_object;
pub mod decode;
pub mod encode;
pub mod parquet_io;
pub mod partition;
pub mod schema;
pub mod testing;

pub use archive::{ArchiveReport, Archiver, BadRecordLine, ObjectKind, StreamRecord};
pub use decode::{DecodeError, decode_batch};
pub use encode::encode_batch;
pub use parquet_io::{ParquetFileWriter, from_parquet, to_parquet};
pub use partition::Partition;
pub use schema::clickstream_schema;
