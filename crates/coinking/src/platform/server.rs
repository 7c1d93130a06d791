//! The local HTTP API: hyper 1 on a loopback port, turning each request into the API Gateway
//! HTTP API (payload 2.0) event the Lambda would receive, parsed by `lambda_http` itself
//! (`lambda_http::request::from_str`), so handlers see exactly the `Request` they see on AWS:
//! raw path, query parameters, path parameters, request context, `$default` stage.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::Body;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use get_ticker::CorsOrigins;

use super::json_errors::JsonErrors;
use super::routes::{Matched, Route, find};

/// API Gateway's payload limit for HTTP APIs is 10 MB; Lambda's synchronous invoke takes 6 MB.
pub const MAX_BODY_BYTES: usize = 6 * 1024 * 1024;
/// API Gateway HTTP APIs refuse a request whose request line and header values together exceed
/// 10,240 bytes; the same limit here, checked on every request (hyper's own, far larger buffer
/// limit depends on how the bytes arrived, so it alone would not answer the same every time).
pub const MAX_HEAD_BYTES: usize = 10_240;
/// Time an idle or slow client gets to send its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `routes` on `listener` until `shutdown` resolves; then stops accepting and gives
/// in-flight requests a moment to finish.
pub async fn serve(
    listener: TcpListener,
    routes: Vec<Route>,
    cors: CorsOrigins,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let routes: Arc<[Route]> = routes.into();
    let cors = Arc::new(cors);
    let counter = Arc::new(AtomicU64::new(0));
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors and the like: wait rather than spin.
                tracing::warn!(error = %err, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let routes = Arc::clone(&routes);
        let counter = Arc::clone(&counter);
        let cors = Arc::clone(&cors);
        let connection_cors = Arc::clone(&cors);
        connections.spawn(async move {
            let service = service_fn(move |request| {
                let routes = Arc::clone(&routes);
                let cors = Arc::clone(&cors);
                let request_id = counter.fetch_add(1, Ordering::Relaxed);
                async move {
                    Ok::<_, Infallible>(dispatch(&routes, &cors, request, peer, request_id).await)
                }
            });
            let mut builder = http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT);
            if let Err(err) = builder
                .serve_connection(
                    TokioIo::new(JsonErrors::new(stream, connection_cors)),
                    service,
                )
                .await
            {
                tracing::debug!(error = %err, %peer, "connection ended with an error");
            }
        });
    }
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(2), drain)
        .await
        .is_err()
    {
        connections.abort_all();
    }
    Ok(())
}

/// Answers one request and applies the API's one CORS policy to whatever the answer is (a
/// handler's, a 404, a 413), as API Gateway's `CorsConfiguration` does on AWS. Requests hyper
/// refuses before this runs (400, 414, 431) get the same from [`JsonErrors`].
async fn dispatch(
    routes: &[Route],
    cors: &CorsOrigins,
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
    request_id: u64,
) -> hyper::Response<Full<Bytes>> {
    let origin = request
        .headers()
        .get(hyper::header::ORIGIN)
        .and_then(|origin| origin.to_str().ok())
        .map(str::to_owned);
    let is_preflight = request.method() == hyper::Method::OPTIONS;
    let mut response = route_request(routes, request, peer, request_id).await;
    if is_preflight && response.status() == hyper::StatusCode::NO_CONTENT {
        coinking_http::apply_preflight(cors, origin.as_deref(), response.headers_mut());
    } else {
        coinking_http::apply_policy(cors, origin.as_deref(), response.headers_mut());
    }
    response
}

async fn route_request(
    routes: &[Route],
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
    request_id: u64,
) -> hyper::Response<Full<Bytes>> {
    let started = std::time::Instant::now();
    if let Some(refusal) = head_too_large(&request) {
        return refusal;
    }
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let Some((route, matched)) = find(routes, &method, &path) else {
        // API Gateway answers an unrouted request itself: the CORS preflight from the HTTP
        // API's configuration (its headers are added by `dispatch`), else (here) one of our
        // JSON errors, 405 when the path exists for another method.
        let allowed = allowed_methods(routes, &path);
        let path_exists = !allowed.is_empty();
        return if path_exists && method == "OPTIONS" {
            preflight()
        } else if path_exists {
            // RFC 9110 §15.5.6: a 405 lists the methods the resource supports.
            let mut response = platform_error(
                405,
                "method_not_allowed",
                &format!("method: {method} is not allowed on {path}"),
            );
            if let Ok(value) = hyper::header::HeaderValue::from_str(&allowed.join(", ")) {
                response.headers_mut().insert(hyper::header::ALLOW, value);
            }
            response
        } else {
            platform_error(404, "not_found", &format!("path: no route for {path}"))
        };
    };
    let (parts, body) = request.into_parts();
    // The code post-clickstream answers for its own, smaller limit. A declared length over the
    // limit is refused before reading a byte of the body.
    let too_large = |detail: &str| {
        platform_error(
            413,
            "body_too_large",
            &format!("body: must be at most {MAX_BODY_BYTES} bytes ({detail})"),
        )
    };
    let declared = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if let Some(declared) = declared.filter(|length| *length > MAX_BODY_BYTES as u64) {
        return too_large(&format!("content-length is {declared}"));
    }
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => return too_large(&err.to_string()),
    };
    let event = api_gateway_event(&parts, &body, &matched, peer, request_id);
    let lambda_request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(request) => request,
        Err(err) => {
            tracing::error!(error = %err, "could not build the lambda request");
            return platform_error(500, "internal", "request: could not be converted");
        }
    };
    let response = (route.handler)(lambda_request).await;
    tracing::info!(
        function = route.function,
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    to_hyper(response)
}

/// 414 for a request line, 431 for headers, past [`MAX_HEAD_BYTES`] together.
fn head_too_large(request: &hyper::Request<Incoming>) -> Option<hyper::Response<Full<Bytes>>> {
    let line = request.method().as_str().len() + request.uri().to_string().len() + 10;
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if line + headers <= MAX_HEAD_BYTES {
        return None;
    }
    Some(if line > MAX_HEAD_BYTES / 2 {
        platform_error(
            414,
            "uri_too_long",
            &format!(
                "uri: the request line must be at most {} bytes",
                MAX_HEAD_BYTES / 2
            ),
        )
    } else {
        platform_error(
            431,
            "headers_too_large",
            &format!(
                "headers: the request line and headers must be at most {MAX_HEAD_BYTES} bytes together"
            ),
        )
    })
}

/// The methods routed at `path` (plus `OPTIONS`, the preflight), in the table's order; empty
/// when no route has this path.
fn allowed_methods(routes: &[Route], path: &str) -> Vec<&'static str> {
    let mut methods: Vec<&'static str> = Vec::new();
    for route in routes {
        if route.matches(route.method, path).is_some() && !methods.contains(&route.method) {
            methods.push(route.method);
        }
    }
    if !methods.is_empty() {
        methods.push("OPTIONS");
    }
    methods
}

/// The HTTP API payload 2.0 event for one request (the fields lambda_http reads, plus the
/// request context a function may log).
fn api_gateway_event(
    parts: &hyper::http::request::Parts,
    body: &Bytes,
    matched: &Matched,
    peer: SocketAddr,
    request_id: u64,
) -> Value {
    // API Gateway lower-cases header names and joins repeated headers with commas.
    let mut headers = Map::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match headers.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_owned(), Value::String(value));
            }
        }
    }
    let cookies: Vec<Value> = headers
        .remove("cookie")
        .and_then(|v| v.as_str().map(str::to_owned))
        .map(|c| {
            c.split(';')
                .map(|p| Value::String(p.trim().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let user_agent = headers
        .get("user-agent")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let raw_query = parts.uri.query().unwrap_or_default();
    let (body_value, is_base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) => (Value::String(text.to_owned()), false),
        Err(_) => (Value::String(base64(body)), true),
    };
    let now = coinking_core::time::now_epoch_ms();
    let mut event = json!({
        "version": "2.0",
        "routeKey": matched.route_key,
        "rawPath": parts.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "apiId": "coinking-local",
            "domainName": "127.0.0.1",
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": format!("{:?}", parts.version),
                "sourceIp": peer.ip().to_string(),
                "userAgent": user_agent,
            },
            "requestId": format!("local-{request_id}"),
            "routeKey": matched.route_key,
            "stage": "$default",
            "timeEpoch": u64::try_from(now).unwrap_or(u64::MAX),
        },
        "isBase64Encoded": is_base64,
    });
    if !matched.path_parameters.is_empty() {
        event["pathParameters"] = json!(matched.path_parameters);
    }
    if !cookies.is_empty() {
        event["cookies"] = Value::Array(cookies);
    }
    if !body_value.is_null() {
        event["body"] = body_value;
    }
    event
}

/// A preflight's answer: 204 without a body; `dispatch` adds the policy's headers for an allowed
/// origin (template.yaml's `CorsConfiguration`; a disallowed origin gets none, as on AWS).
fn preflight() -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::new()));
    *response.status_mut() = hyper::StatusCode::NO_CONTENT;
    response
}

fn to_hyper(response: lambda_http::Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        // `Body` is non-exhaustive; anything new is read through its byte view.
        other => Bytes::copy_from_slice(&other),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

fn platform_error(status: u16, code: &str, message: &str) -> hyper::Response<Full<Bytes>> {
    let body = json!({"error": {"code": code, "message": message}}).to_string();
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// Standard base64 for a binary request body (API Gateway's `isBase64Encoded`).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in vectors {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }
}
