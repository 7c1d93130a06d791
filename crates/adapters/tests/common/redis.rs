//! Redis test harness: every case under a fresh key prefix on the shared redis-server, its keys
//! removed afterwards, pass or fail.

use std::future::Future;

use coinking_adapters::redis_client::connect;
use redis::aio::ConnectionManager;

use super::{bounded, redis_url, require_service, with_cleanup};

/// A key prefix no other case uses.
pub fn fresh_prefix() -> String {
    format!("test-{}", uuid::Uuid::new_v4())
}

/// Runs `case` with a connection and a fresh prefix, then deletes every key under the prefix.
pub async fn with_prefix<F, Fut>(case: F)
where
    F: FnOnce(ConnectionManager, &str) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let url = redis_url();
    require_service("Redis (redis-server)", url.trim_start_matches("redis://"));
    let connection = bounded("connect", connect(&url)).await.unwrap();
    let prefix = fresh_prefix();
    let body = case(connection.clone(), &prefix);
    let cleanup = async move { remove_keys(connection, &prefix).await };
    with_cleanup(body, cleanup).await;
}

/// Deletes every key under `prefix`.
async fn remove_keys(mut connection: ConnectionManager, prefix: &str) {
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{{{prefix}}}:*"))
        .query_async(&mut connection)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: usize = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut connection)
            .await
            .unwrap();
    }
}
