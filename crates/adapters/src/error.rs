//! [`StoreError`]: what the store ports (market store, leaderboard) and the settings behind their
//! clients fail with, classified as retryable or permanent at the service boundary. The click
//! sink has its own (`coinking_click_sink::ClickSinkError`, crate `crates/click-sink`), the Kafka client the ingester's.

/// Everything a store call (DynamoDB, Redis) or a store client's settings can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An environment variable is present but unusable. Permanent: fix the deployment.
    #[error("invalid configuration {variable}: {reason}")]
    Config {
        /// The environment variable that was rejected.
        variable: &'static str,
        /// Which rule it broke.
        reason: String,
    },

    /// A DynamoDB call failed after the SDK's own retries; `retryable` was decided from the
    /// service's error code, the HTTP status or the kind of transport failure
    /// (see [`crate::dynamodb::classify`]).
    #[error("dynamodb {operation} on table {table}: {message}")]
    DynamoDb {
        /// The API operation (`PutItem`, `Query`, …).
        operation: &'static str,
        /// The table it was about.
        table: String,
        /// Throttling, 5xx, timeout or I/O (true) versus a request the service rejected (false).
        retryable: bool,
        /// The whole error chain, including the service's code and message.
        message: String,
    },

    /// `BatchWriteItem` kept returning `UnprocessedItems` until the attempts ran out.
    /// Retryable: the service accepted the requests but lacked capacity for them.
    #[error(
        "dynamodb BatchWriteItem on table {table}: {} item(s) still unprocessed after {attempts} attempt(s): {}",
        keys.len(),
        keys.join(", ")
    )]
    Unprocessed {
        /// The table written to.
        table: String,
        /// Attempts made, including the first.
        attempts: u32,
        /// `pk/sk` of every item that was not written.
        keys: Vec<String>,
    },

    /// A stored item cannot be mapped to its domain type. Permanent: the data or the code is wrong.
    #[error("dynamodb item {key}: attribute {attribute}: {reason}")]
    InvalidItem {
        /// `pk/sk` of the item.
        key: String,
        /// The attribute that was missing or malformed.
        attribute: String,
        /// Which rule it broke.
        reason: String,
    },

    /// A Redis call failed after the connection manager's own reconnects; `retryable` comes from
    /// the client's classification (see [`crate::redis_client::classify`]).
    #[error("redis {operation}: {message}")]
    Redis {
        /// The command or script (`HMGET`, `put_latest`, …).
        operation: &'static str,
        /// Connection lost, timeout, server loading or failing over (true) versus a command the
        /// server rejected (false).
        retryable: bool,
        message: String,
    },

    /// The caller asked for something the store cannot represent. Permanent.
    #[error("invalid market store request: {0}")]
    InvalidRequest(String),
}

impl StoreError {
    /// Whether trying the same operation again later can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Config { .. } => false,
            Self::DynamoDb { retryable, .. } | Self::Redis { retryable, .. } => *retryable,
            Self::Unprocessed { .. } => true,
            Self::InvalidItem { .. } | Self::InvalidRequest(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_are_permanent() {
        let error = StoreError::Config {
            variable: "COINKING_S3_ENDPOINT",
            reason: "must start with http:// or https://".to_owned(),
        };
        assert!(!error.is_retryable());
    }
}
