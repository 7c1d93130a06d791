//! Building responses: JSON bodies, the error shape, caching and CORS headers.

use lambda_http::Body;
use lambda_http::http::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, CACHE_CONTROL, CONTENT_TYPE,
    HeaderName, HeaderValue, VARY,
};
use lambda_http::http::{Response, StatusCode};
use serde::Serialize;

/// How old the newest tick behind a response is, in ms (modern routes and `/upbit_data`).
pub const DATA_AGE_HEADER: &str = "x-data-age-ms";

/// Successful answers may be cached for one second: the frontend polls every second, so a
/// CDN or browser cache can absorb duplicates without serving anything staler than a tick.
pub const CACHE_OK: &str = "max-age=1";
/// Errors are never cached (a 503 must not outlive the outage).
pub const CACHE_ERROR: &str = "no-store";

const JSON: &str = "application/json";

/// An error answer: status, machine-readable code, and `<field>: <rule>` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// `Allow` header value for 405s.
    pub allow: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            allow: None,
        }
    }

    pub fn bad_parameter(parameter: &str, rule: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            format!("{parameter}: {rule}"),
        )
    }

    pub fn into_response(self) -> Response<Body> {
        #[derive(Serialize)]
        struct Inner<'a> {
            code: &'a str,
            message: &'a str,
        }
        #[derive(Serialize)]
        struct Outer<'a> {
            error: Inner<'a>,
        }
        let body = Outer {
            error: Inner {
                code: self.code,
                message: &self.message,
            },
        };
        let mut response = json_response(self.status, &body, CACHE_ERROR);
        if let Some(allow) = self.allow {
            response.headers_mut().insert(
                HeaderName::from_static("allow"),
                HeaderValue::from_static(allow),
            );
        }
        response
    }
}

/// A JSON response. Serialising the handler's own view types cannot fail (strings, numbers,
/// booleans, decimals as strings); if it ever did, the answer is a 500, not a panic.
pub fn json_response(
    status: StatusCode,
    body: &impl Serialize,
    cache: &'static str,
) -> Response<Body> {
    let (status, text) = match serde_json::to_string(body) {
        Ok(text) => (status, text),
        Err(err) => {
            tracing::error!(error = %err, "response did not serialise");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"error":{"code":"internal","message":"response: could not be encoded"}}"#
                    .to_owned(),
            )
        }
    };
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// `200` with the JSON body and the data-age header.
pub fn ok(body: &impl Serialize, age_ms: Option<i64>) -> Response<Body> {
    let mut response = json_response(StatusCode::OK, body, CACHE_OK);
    if let Some(age) = age_ms {
        response.headers_mut().insert(
            HeaderName::from_static(DATA_AGE_HEADER),
            HeaderValue::from(age),
        );
    }
    response
}

/// Adds the CORS headers of an actual (non-preflight) response for an allowed origin.
pub fn add_cors(response: &mut Response<Body>, allow_origin: &str) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(allow_origin) {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    // The browser only lets scripts read non-safelisted headers that are exposed.
    headers.insert(
        ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(DATA_AGE_HEADER),
    );
    if allow_origin != "*" {
        // The answer depends on the Origin header: caches must key on it.
        headers.append(VARY, HeaderValue::from_static("Origin"));
    }
}
