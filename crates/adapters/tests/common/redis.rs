//! Redis test harness: every case under a fresh key prefix on the shared redis-server, its keys
//! removed afterwards, pass or fail.

use std::future::Future;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// A redis-server of this test's own on a free port, so the test can stop and restart it.
pub struct OwnServer {
    child: Child,
    pub port: u16,
}

impl OwnServer {
    /// On a port the OS picks now.
    pub fn start_on_free_port() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start(port)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH (scripts/services.sh up installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port }
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.stop();
    }
}
