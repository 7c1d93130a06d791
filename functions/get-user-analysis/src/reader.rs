//! The `AnalysisReader` port and its implementations: S3 (GetObject), a local directory, memory.
//!
//! A reader only fetches bytes by key (`analysis/_manifest.json`, `analysis/<name>.json`,
//! `analysis/users/<userName>.json`); a missing key is `Ok(None)`, never an error. Keys are
//! relative to the reader's root (an S3 bucket + prefix, or a directory).

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aws_sdk_s3::error::DisplayErrorContext;

/// Why a read failed. Every failure is retryable from the caller's point of view (the handler
/// answers 503); the S3 SDK has already retried transient errors with its standard policy.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("reading `{key}` from S3: {message}")]
    S3 { key: String, message: String },
    #[error("reading `{key}`: {source}")]
    Io {
        key: String,
        #[source]
        source: std::io::Error,
    },
}

/// Fetches one analysis document by key.
pub trait AnalysisReader: Send + Sync {
    fn read(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, ReadError>> + Send;
}

/// Reads from `s3://<bucket>/<prefix>/<key>`.
#[derive(Debug, Clone)]
pub struct S3Reader {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
}

impl S3Reader {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>, prefix: &str) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            prefix: prefix.trim_matches('/').to_owned(),
        }
    }

    fn full_key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }
}

impl AnalysisReader for S3Reader {
    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, ReadError> {
        let full_key = self.full_key(key);
        let response = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&full_key)
            .send()
            .await;
        let output = match response {
            Ok(output) => output,
            Err(error) => {
                if error
                    .as_service_error()
                    .is_some_and(|service| service.is_no_such_key())
                {
                    return Ok(None);
                }
                return Err(ReadError::S3 {
                    key: full_key,
                    message: DisplayErrorContext(&error).to_string(),
                });
            }
        };
        let bytes = output.body.collect().await.map_err(|error| ReadError::S3 {
            key: full_key.clone(),
            message: error.to_string(),
        })?;
        Ok(Some(bytes.to_vec()))
    }
}

/// Reads from `<root>/<key>` on the local disk (the local platform's output directory).
#[derive(Debug, Clone)]
pub struct DirReader {
    root: PathBuf,
}

impl DirReader {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

impl AnalysisReader for DirReader {
    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, ReadError> {
        match tokio::fs::read(self.root.join(key)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ReadError::Io {
                key: key.to_owned(),
                source,
            }),
        }
    }
}

/// In-memory documents, for handler tests; `fail` makes every read fail.
#[derive(Debug, Clone, Default)]
pub struct MemoryReader {
    documents: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    pub fail: bool,
}

impl MemoryReader {
    /// A reader whose every read fails (a store outage).
    pub fn failing() -> Self {
        Self {
            fail: true,
            ..Self::default()
        }
    }

    pub fn insert(&self, key: &str, value: &serde_json::Value) {
        let bytes = serde_json::to_vec(value).unwrap_or_default();
        if let Ok(mut documents) = self.documents.lock() {
            documents.insert(key.to_owned(), bytes);
        }
    }
}

impl AnalysisReader for MemoryReader {
    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, ReadError> {
        if self.fail {
            return Err(ReadError::Io {
                key: key.to_owned(),
                source: std::io::Error::other("injected failure"),
            });
        }
        Ok(self
            .documents
            .lock()
            .ok()
            .and_then(|documents| documents.get(key).cloned()))
    }
}
