//! The Redis connection the Redis adapters share, and its error classification.
//!
//! [`connect`] opens one multiplexed connection through redis-rs's `ConnectionManager`: commands
//! from every task are pipelined on it, and a dropped connection is re-established in the
//! background with exponential backoff (the command that saw the drop fails as retryable; the
//! caller's own retry, e.g. the stream stage's flush retry, sends it again). Every command has a
//! response timeout, so a hung server is an error, not a stalled stage.
//!
//! Keys are namespaced by a prefix in a hash tag (`{coinking}:tickers`): every key of one store
//! maps to one slot, so multi-key scripts also run on a cluster (ElastiCache Serverless).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, FromRedisValue, Pipeline, RedisError, RetryMethod, ScriptInvocation};

use crate::error::StoreError;

/// The environment variable naming the server (`redis://host:port/` or `rediss://` for TLS).
pub const REDIS_URL_VARIABLE: &str = "COINKING_REDIS_URL";
/// The key prefix when none is configured.
pub const DEFAULT_PREFIX: &str = "coinking";
/// How long one command may wait for its answer.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long opening a connection may take.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// `COINKING_REDIS_URL` when set and not blank: the processes that use the hot store only then.
pub fn url_from_env() -> Option<String> {
    std::env::var(REDIS_URL_VARIABLE)
        .ok()
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty())
}

/// Checks that `url` is a Redis URL (`redis://`, `rediss://`, `unix://`) without connecting.
pub fn check_url(url: &str) -> Result<(), StoreError> {
    client(url).map(drop)
}

fn client(url: &str) -> Result<redis::Client, StoreError> {
    redis::Client::open(url).map_err(|error| StoreError::Config {
        variable: REDIS_URL_VARIABLE,
        reason: error.to_string(),
    })
}

/// Connects to `url`; see the module doc. A URL that cannot be parsed is a configuration error;
/// a server that does not answer is a retryable one.
pub async fn connect(url: &str) -> Result<ConnectionManager, StoreError> {
    let client = client(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECTION_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        // Reconnect attempts per drop: 50 ms, 100 ms, … capped at 2 s, about 10 s in all.
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_secs(2))
        .set_number_of_retries(8);
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(|error| classify("CONNECT", &error))
}

/// The key `name` of the store under `prefix` (see the module doc).
pub fn key(prefix: &str, name: &str) -> String {
    format!("{{{prefix}}}:{name}")
}

/// One store's share of the connection: its keys under `{prefix}:`, and every call it makes,
/// each failure classified ([`classify`]). The Redis adapters hold one each.
#[derive(Clone)]
pub struct Namespace {
    connection: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Namespace")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Namespace {
    pub fn new(connection: ConnectionManager, prefix: &str) -> Self {
        Self {
            connection,
            prefix: prefix.to_owned(),
        }
    }

    /// The key `name` in this namespace.
    pub fn key(&self, name: &str) -> String {
        key(&self.prefix, name)
    }

    /// Runs one command; `operation` names it in the error.
    pub async fn query<T: FromRedisValue>(
        &self,
        operation: &'static str,
        command: &Cmd,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection.clone();
        command
            .query_async(&mut connection)
            .await
            .map_err(|error| classify(operation, &error))
    }

    /// Runs one pipeline (a transaction when it is atomic).
    pub async fn pipeline<T: FromRedisValue>(
        &self,
        operation: &'static str,
        pipeline: &Pipeline,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection.clone();
        pipeline
            .query_async(&mut connection)
            .await
            .map_err(|error| classify(operation, &error))
    }

    /// Runs one script by its SHA (loaded first when the server does not know it).
    pub async fn invoke<T: FromRedisValue>(
        &self,
        operation: &'static str,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection.clone();
        invocation
            .invoke_async(&mut connection)
            .await
            .map_err(|error| classify(operation, &error))
    }
}

/// An [`StoreError::Redis`]: retryable unless the client says retrying cannot help (a command
/// the server rejected, a script error, a type mismatch).
pub fn classify(operation: &'static str, error: &RedisError) -> StoreError {
    StoreError::Redis {
        operation,
        retryable: !matches!(error.retry_method(), RetryMethod::NoRetry),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_one_store_share_a_hash_tag() {
        assert_eq!(key("coinking", "tickers"), "{coinking}:tickers");
        assert_eq!(key("t-1", "candles:KRW-BTC"), "{t-1}:candles:KRW-BTC");
    }

    #[test]
    fn a_dropped_connection_is_retryable_and_a_rejected_command_is_not() {
        let dropped = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(classify("HMGET", &dropped).is_retryable());
        let rejected = RedisError::from((redis::ErrorKind::UnexpectedReturnType, "wrong type"));
        assert!(!classify("HMGET", &rejected).is_retryable());
    }

    #[test]
    fn tls_urls_are_accepted_as_elasticache_serverless_needs() {
        check_url("rediss://cache.example.amazonaws.com:6379/").unwrap();
        check_url("redis://127.0.0.1:6390/").unwrap();
        assert!(check_url("http://127.0.0.1:6390").is_err());
    }

    #[tokio::test]
    async fn an_unparsable_url_is_a_configuration_error() {
        let error = connect("http://127.0.0.1:6379").await.unwrap_err();
        assert!(matches!(error, StoreError::Config { .. }), "{error}");
        assert!(!error.is_retryable());
    }
}
