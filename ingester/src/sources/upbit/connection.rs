//! One WebSocket connection to Upbit at its two ends: the connect (upgrade with frame limits and
//! a timeout, a rate-limited refusal told apart with its `Retry-After`) and the closing
//! handshake.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::http::{HeaderMap, StatusCode, header};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_tls_with_config};
use tracing::debug;

use super::slot::Shared;

/// How long to wait for the server's answer to our close frame.
pub(super) const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Largest frame accepted; Upbit's are about 1 KB (a JSON_LIST frame a few KB).
const MAX_FRAME_BYTES: usize = 1024 * 1024;

pub(super) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why a connect failed.
pub(super) enum ConnectFailure {
    /// HTTP 429 or 418, with the server's `Retry-After` if it sent one.
    RateLimited {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    Other(String),
}

/// Opens a connection to the configured URL (TLS for `wss://`), within `connect_timeout`; an HTTP
/// 429 or 418 on the upgrade is told apart from other failures, with its `Retry-After`.
pub(super) async fn connect(shared: &Shared) -> Result<Socket, ConnectFailure> {
    let config = &shared.config;
    let websocket_config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let attempt = connect_async_tls_with_config(
        config.url.as_str(),
        Some(websocket_config),
        true,
        shared.connector.clone(),
    );
    match timeout(config.connect_timeout, attempt).await {
        Err(_) => Err(ConnectFailure::Other(format!(
            "timed out after {:?}",
            config.connect_timeout
        ))),
        Ok(Ok((socket, _response))) => Ok(socket),
        Ok(Err(WsError::Http(response)))
            if response.status() == StatusCode::TOO_MANY_REQUESTS
                || response.status() == StatusCode::IM_A_TEAPOT =>
        {
            let retry_after = retry_after(response.headers());
            Err(ConnectFailure::RateLimited {
                status: response.status(),
                retry_after,
            })
        }
        Ok(Err(WsError::Http(response))) => Err(ConnectFailure::Other(format!(
            "HTTP {} on upgrade",
            response.status()
        ))),
        Ok(Err(err)) => Err(ConnectFailure::Other(err.to_string())),
    }
}

/// `Retry-After` in its delta-seconds form (the form rate limiters send); an HTTP date is ignored
/// and the configured rate-limited backoff applies instead. Capped at an hour.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    const LONGEST: Duration = Duration::from_secs(3600);
    let seconds = headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(Duration::from_secs(seconds).min(LONGEST))
}

/// Sends a close frame and gives the server a moment to answer it.
pub(super) async fn close(socket: &mut Socket, code: CloseCode, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let closing = async {
        if socket.close(Some(frame)).await.is_err() {
            return;
        }
        while let Some(Ok(_)) = socket.next().await {}
    };
    if timeout(CLOSE_GRACE, closing).await.is_err() {
        debug!("the server did not answer the close frame in time");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::http::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_ignores_dates() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static(" 7 "));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("999999"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3600)));
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
