//! Shared by the integration tests: endpoints from the same `COINKING_*` variables as the
//! services (defaulting to the stand-ins on 127.0.0.1, never to real AWS), a loud failure
//! when a stand-in is not running, and bounded waits.
#![allow(dead_code)] // each test binary uses its own subset

#[cfg(feature = "redis")]
pub mod redis;

use std::future::Future;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use coinking_adapters::AwsSettings;

/// Upper bound for any single wait in these tests.
pub const WAIT: Duration = Duration::from_secs(30);

const HOW_TO_START: &str = "start the local stand-ins with `scripts/services.sh up` \
     (or run everything with `bash scripts/test.sh`)";

fn local_url(port_variable: &str, default_port: u16) -> String {
    let port = std::env::var(port_variable).unwrap_or_else(|_| default_port.to_string());
    format!("http://127.0.0.1:{port}")
}

/// AWS settings from the environment; an endpoint that is not overridden points at the local
/// stand-in (the port `scripts/services.sh` uses), so these tests never reach real AWS.
pub fn aws_settings() -> AwsSettings {
    let mut settings = AwsSettings::from_env().unwrap();
    let endpoints = &mut settings.endpoints;
    endpoints
        .dynamodb
        .get_or_insert_with(|| local_url("COINKING_DYNAMODB_PORT", 4567));
    endpoints
        .kinesis
        .get_or_insert_with(|| local_url("COINKING_KINESIS_PORT", 4569));
    endpoints
        .s3
        .get_or_insert_with(|| local_url("COINKING_S3_PORT", 5055));
    settings
}

/// The Redis server: `COINKING_REDIS_URL`, else the stand-in's port (`COINKING_REDIS_PORT`,
/// default 6390, as `scripts/services.sh` starts it).
pub fn redis_url() -> String {
    std::env::var("COINKING_REDIS_URL").unwrap_or_else(|_| {
        let port = std::env::var("COINKING_REDIS_PORT").unwrap_or_else(|_| "6390".to_owned());
        format!("redis://127.0.0.1:{port}/")
    })
}

/// Fails the test, naming the service and how to start it, unless something accepts TCP
/// connections at `address` (`host:port`, or an `http://host:port` URL).
pub fn require_service(service: &str, address: &str) {
    let host_port = address
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap_or_default();
    let resolved: Vec<SocketAddr> = match host_port.to_socket_addrs() {
        Ok(addresses) => addresses.collect(),
        Err(error) => panic!("{service}: cannot resolve {address:?}: {error}; {HOW_TO_START}"),
    };
    let mut last_error = None;
    for socket in &resolved {
        match TcpStream::connect_timeout(socket, Duration::from_secs(2)) {
            Ok(_) => return,
            Err(error) => last_error = Some(error),
        }
    }
    panic!(
        "{service} is not running at {address} ({}); {HOW_TO_START}",
        last_error.map_or_else(|| "no address".to_owned(), |error| error.to_string())
    );
}

/// Awaits `future` for at most [`WAIT`].
pub async fn bounded<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(WAIT, future).await {
        Ok(output) => output,
        Err(_) => {
            panic!("{what}: no answer within {WAIT:?}; is the stand-in ready? {HOW_TO_START}")
        }
    }
}

/// Unwraps an SDK result, printing the whole error chain (the service's code and message).
pub fn must<T, E: std::error::Error>(what: &str, result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!(
            "{what}: {}; if the stand-in is unreachable, {HOW_TO_START}",
            DisplayErrorContext(&error)
        ),
    }
}

/// Runs `body`, then `cleanup` whether or not `body` panicked, then re-raises the panic:
/// randomly named resources are removed even when an assertion fails.
pub async fn with_cleanup<B, C>(body: B, cleanup: C)
where
    B: Future<Output = ()> + Send + 'static,
    C: Future<Output = ()>,
{
    let outcome = tokio::spawn(body).await;
    cleanup.await;
    if let Err(error) = outcome {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
        panic!("test body did not finish: {error}");
    }
}
