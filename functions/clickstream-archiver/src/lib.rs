//! The clickstream-archiver Lambda: Kinesis batches of click envelopes → typed Parquet.
//!
//! Module map:
//! - [`config`]: where the archive goes (`COINKING_ARCHIVE_BUCKET` on S3 or
//!   `COINKING_ARCHIVE_DIR` locally) and the `object_store` for it.
//! - [`handler`]: `KinesisEvent` → [`coinking_clickstream::Archiver`] per shard →
//!   `KinesisEventResponse` (partial batch failures).
//! - [`local`]: the local platform's loop that drains the in-process click queue through the
//!   same archiver.
//!
//! The encoding and the file layout are `coinking-clickstream`'s; this crate only adapts events.

pub mod config;
pub mod handler;
pub mod local;

pub use config::ArchiveTarget;
pub use handler::handle;
pub use local::{LocalBatching, run_local_archiver};
