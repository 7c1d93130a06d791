//! [`JsonErrors`]: the connection wrapper that makes hyper's own answers look like the API's.
//!
//! hyper answers a request it cannot parse before any handler runs: 400 (a request line or
//! header that is not HTTP/1.1, e.g. a path with bytes that are not ASCII, so not UTF-8 either),
//! 414 (a URI over 64 KiB), 431 (headers over the read buffer or more than 100 of them), each
//! with an empty body and no CORS headers, which a browser's `fetch` reports as an opaque
//! network error. This wrapper recognises such an answer on its way out (an error status,
//! `content-length: 0` and no `content-type`: the API's own errors always carry a JSON body)
//! and writes in its place the API's JSON error body with the CORS policy for the request's
//! `Origin` (the last one read on the connection), closing the connection as hyper intended.
//!
//! Cost: one pass over the bytes read, looking for line ends, and one prefix check per write.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use get_ticker::CorsOrigins;
use hyper::header::HeaderMap;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The longest header line kept while looking for `Origin` (longer lines are not an origin).
const MAX_LINE: usize = 2048;

/// See the module doc.
pub struct JsonErrors<T> {
    inner: T,
    cors: Arc<CorsOrigins>,
    lines: OriginScanner,
    replacement: Option<Replacement>,
}

/// The API's answer being written in place of hyper's `replaces` bytes.
struct Replacement {
    bytes: Vec<u8>,
    written: usize,
    replaces: usize,
}

impl<T> JsonErrors<T> {
    pub fn new(inner: T, cors: Arc<CorsOrigins>) -> Self {
        Self {
            inner,
            cors,
            lines: OriginScanner::default(),
            replacement: None,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonErrors<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        this.lines.feed(&buf.filled()[before..]);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for JsonErrors<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacement.is_none() {
            let Some(status) = bare_error_status(buf) else {
                return Pin::new(&mut this.inner).poll_write(cx, buf);
            };
            tracing::info!(
                status,
                "request refused before routing (not valid or too large)"
            );
            this.replacement = Some(Replacement {
                bytes: render(status, &this.cors, this.lines.origin.as_deref()),
                written: 0,
                replaces: buf.len(),
            });
        }
        let Some(replacement) = this.replacement.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        while replacement.written < replacement.bytes.len() {
            let written = ready!(
                Pin::new(&mut this.inner).poll_write(cx, &replacement.bytes[replacement.written..])
            )?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            replacement.written += written;
        }
        let replaced = replacement.replaces;
        this.replacement = None;
        Poll::Ready(Ok(replaced))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    /// Never vectored: hyper then writes each answer's head as one buffer, which is what
    /// [`bare_error_status`] inspects.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

/// Follows the header lines read, keeping the last `Origin` value (reset by each request line).
#[derive(Default)]
struct OriginScanner {
    line: Vec<u8>,
    overflow: bool,
    origin: Option<String>,
}

impl OriginScanner {
    fn feed(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|byte| *byte == b'\n') {
            self.push(&rest[..end]);
            self.end_line();
            rest = &rest[end + 1..];
        }
        self.push(rest);
    }

    fn push(&mut self, bytes: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.line.len());
        self.overflow |= bytes.len() > room;
        self.line.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn end_line(&mut self) {
        let line = self.line.strip_suffix(b"\r").unwrap_or(&self.line);
        if !self.overflow {
            if line.ends_with(b" HTTP/1.1") || line.ends_with(b" HTTP/1.0") {
                self.origin = None;
            } else if line.len() > 7 && line[..7].eq_ignore_ascii_case(b"origin:") {
                self.origin = std::str::from_utf8(&line[7..])
                    .ok()
                    .map(|origin| origin.trim().to_owned());
            }
        }
        self.line.clear();
        self.overflow = false;
    }
}

/// The status of an answer hyper wrote by itself: a whole head (nothing after it), an error
/// status, `content-length: 0` and no `content-type`.
fn bare_error_status(buf: &[u8]) -> Option<u16> {
    let rest = buf.strip_prefix(b"HTTP/1.1 ")?;
    let status: u16 = std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok()?;
    if status < 400 || !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    let head = String::from_utf8_lossy(buf).to_ascii_lowercase();
    let bare = head.matches("\r\n\r\n").count() == 1
        && head.contains("\r\ncontent-length: 0\r\n")
        && !head.contains("\r\ncontent-type:");
    bare.then_some(status)
}

/// The API's error answer for hyper's `status`, closing the connection.
fn render(status: u16, cors: &CorsOrigins, origin: Option<&str>) -> Vec<u8> {
    let (code, message) = match status {
        414 => (
            "uri_too_long",
            "uri: longer than the server accepts (64 KiB)",
        ),
        431 => (
            "headers_too_large",
            "headers: larger or more numerous than the server accepts",
        ),
        505 => (
            "http_version_not_supported",
            "request: only HTTP/1.1 and HTTP/1.0 are served",
        ),
        _ => (
            "bad_request",
            "request: not valid HTTP/1.1 (a request line or header that cannot be parsed, e.g. a path that is not UTF-8)",
        ),
    };
    let body = coinking_http::error_body(code, message).to_string();
    let mut headers = HeaderMap::new();
    coinking_http::apply_policy(cors, origin, &mut headers);
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("Error");
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncache-control: no-store\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in &headers {
        if let Ok(value) = value.to_str() {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn hyper_s_bare_answers_are_recognised_and_the_api_s_are_not() {
        let hyper_400 = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\ndate: Fri, 04 Dec 2026 03:33:58 GMT\r\n\r\n";
        assert_eq!(bare_error_status(hyper_400), Some(400));
        let hyper_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_error_status(hyper_431), Some(431));
        let api_404 = b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_error_status(api_404), None);
        let preflight = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_error_status(preflight), None);
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(bare_error_status(with_body), None);
    }

    #[test]
    fn the_origin_is_the_last_one_of_the_current_request_whatever_the_chunking() {
        let mut scanner = OriginScanner::default();
        let request = b"GET /a HTTP/1.1\r\nHost: x\r\nOrIgIn:  http://localhost:5173 \r\n\r\n";
        for chunk in request.chunks(3) {
            scanner.feed(chunk);
        }
        assert_eq!(scanner.origin.as_deref(), Some("http://localhost:5173"));
        scanner.feed(b"GET /b HTTP/1.1\r\nHost: x\r\n");
        assert_eq!(
            scanner.origin, None,
            "a new request forgets the last origin"
        );
        let long = format!("Origin: {}\r\n", "a".repeat(MAX_LINE));
        scanner.feed(long.as_bytes());
        assert_eq!(scanner.origin, None, "an over-long line is not an origin");
    }

    #[test]
    fn the_replacement_is_json_with_the_cors_policy_and_closes() {
        let cors = CorsOrigins::parse("http://localhost:5173").unwrap();
        let answer = String::from_utf8(render(414, &cors, Some("http://localhost:5173"))).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{head}");
        assert!(
            head.contains("\r\ncontent-type: application/json\r\n"),
            "{head}"
        );
        assert!(head.contains("\r\nconnection: close\r\n"), "{head}");
        assert!(
            head.contains("\r\naccess-control-allow-origin: http://localhost:5173\r\n"),
            "{head}"
        );
        assert!(head.contains(&format!("\r\ncontent-length: {}\r\n", body.len())));
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"]["code"], "uri_too_long");
    }
}
