//! The sources' errors: what stops a source from starting, and why the catalog could not be
//! fetched.

use std::path::PathBuf;

/// What stops a source from starting. Connection trouble at run time is not an error: it is
/// logged, counted and retried.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("source config {field}: {reason}")]
    Config { field: &'static str, reason: String },
    #[error("capture directory {path}: {source}")]
    CaptureDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("tls setup: {0}")]
    Tls(String),
}

/// Why the market catalog could not be fetched; the caller falls back to the bundled one.
#[derive(Debug, thiserror::Error)]
pub enum CatalogFetchError {
    #[error("catalog url {url}: {reason}")]
    Url { url: String, reason: String },
    #[error("catalog request timed out after {0:?}")]
    Timeout(std::time::Duration),
    #[error("catalog request failed: {0}")]
    Request(String),
    #[error("catalog request answered HTTP {0}")]
    Status(u16),
    /// No valid entry (an empty list, or every entry malformed): never taken for "Upbit
    /// lists no market".
    #[error("catalog request answered no valid market ({rejected} malformed entries)")]
    Empty { rejected: usize },
    #[error(transparent)]
    Parse(#[from] coinking_core::catalog::CatalogError),
    #[error("tls setup: {0}")]
    Tls(String),
}
