//! The engine's error type.

/// What can go wrong in an analysis run. Every variant says where; none is retried internally:
/// a failed run writes no manifest, so readers keep serving the previous complete run, and the
/// next scheduled run starts over (the outputs are pure functions of the input).
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error("invalid location `{location}`: {reason}")]
    InvalidLocation { location: String, reason: String },
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("reading `{path}`: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("writing `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("unexpected result from the engine: {0}")]
    Unexpected(String),
}
