//! A tiny HTTP/1.1 server for the operational endpoints: one request per connection, GET only.
//!
//! - `GET /healthz` → 200 `{"status":"ok"}` while the process runs.
//! - `GET /readyz` → 200 `{"status":"ready"}`, or 503 `{"error":{"code":"not_ready","message":…}}`.
//! - `GET /metrics` → 200, Prometheus text format 0.0.4.
//! - anything else → 404 / 405 with a JSON error naming the rule.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::Registry;

/// Largest request head read.
const MAX_REQUEST_BYTES: usize = 8 * 1024;
/// A client gets this long to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Binds `listen` (returns the bound address, useful with port 0) and serves until `shutdown`.
pub async fn serve(
    listen: SocketAddr,
    registry: Arc<Registry>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(listen).await?;
    let bound = listener.local_addr()?;
    tracing::info!(address = %bound, "ops http listening");
    let task = tokio::spawn(async move {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let registry = Arc::clone(&registry);
                        tokio::spawn(async move {
                            let _ = tokio::time::timeout(READ_TIMEOUT, handle(stream, &registry)).await;
                        });
                    }
                    Err(error) => tracing::warn!(%error, "ops http accept failed"),
                },
            }
        }
    });
    Ok((bound, task))
}

async fn handle(mut stream: TcpStream, registry: &Registry) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buffer = [0_u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
        if head.len() > MAX_REQUEST_BYTES {
            return respond(
                &mut stream,
                431,
                "application/json",
                &error_body("request_too_large", "request: head larger than 8 KiB"),
            )
            .await;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut parts = text.lines().next().unwrap_or_default().split_whitespace();
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default();
    let (status, content_type, body) = route(method, path, registry);
    respond(&mut stream, status, content_type, &body).await
}

/// The response to `method path`: status, content type, body.
pub fn route(method: &str, path: &str, registry: &Registry) -> (u16, &'static str, String) {
    const JSON: &str = "application/json";
    if !matches!(path, "/healthz" | "/readyz" | "/metrics") {
        return (
            404,
            JSON,
            error_body(
                "not_found",
                &format!("path: `{path}` is not one of /healthz, /readyz, /metrics"),
            ),
        );
    }
    if method != "GET" {
        return (
            405,
            JSON,
            error_body("method_not_allowed", "method: must be GET"),
        );
    }
    match path {
        "/healthz" => (200, JSON, r#"{"status":"ok"}"#.to_owned()),
        "/readyz" => match registry.readiness() {
            Ok(()) => (200, JSON, r#"{"status":"ready"}"#.to_owned()),
            Err(problems) => (503, JSON, error_body("not_ready", &problems.join("; "))),
        },
        _ => (
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            registry.render(),
        ),
    }
}

fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({"error": {"code": code, "message": message}}).to_string()
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_answer_with_precise_json_errors() {
        let registry = Registry::new();
        assert_eq!(route("GET", "/healthz", &registry).0, 200);
        let (status, _, body) = route("GET", "/readyz", &registry);
        assert_eq!(status, 503);
        assert!(body.contains(r#""code":"not_ready""#), "{body}");
        let (status, _, body) = route("POST", "/metrics", &registry);
        assert_eq!(status, 405);
        assert!(body.contains("method: must be GET"), "{body}");
        let (status, _, body) = route("GET", "/nope", &registry);
        assert_eq!(status, 404);
        assert!(body.contains("path: `/nope`"), "{body}");
        let (status, content_type, _) = route("GET", "/metrics", &registry);
        assert_eq!(
            (status, content_type),
            (200, "text/plain; version=0.0.4; charset=utf-8")
        );
    }
}
