//! [`ClickSinkError`]: what one `PutRecords` call of the click sink can fail with, classified as
//! retryable or permanent so [`super::put_with_retry`] knows whether to try again.

/// A whole `PutRecords` call failed (records refused one by one are not errors: they are
/// [`super::EntryResult::Err`]).
#[derive(Debug, thiserror::Error)]
pub enum ClickSinkError {
    /// A Kinesis call failed after the SDK's own retries (see [`super::kinesis::classify`]).
    #[error("kinesis {operation} on stream {stream}: {message}")]
    Kinesis {
        /// The API operation (`PutRecords`, …).
        operation: &'static str,
        /// The stream it was about.
        stream: String,
        /// Throttling, 5xx, timeout or I/O (true) versus a request the service rejected (false).
        retryable: bool,
        /// The whole error chain.
        message: String,
    },
}

impl ClickSinkError {
    /// Whether the same call can succeed later.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Kinesis { retryable, .. } => *retryable,
        }
    }
}
