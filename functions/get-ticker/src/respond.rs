//! Building responses: JSON bodies with cache headers and this API's CORS headers. The error
//! answer ([`ApiError`]) and the origin rules are `coinking_http`'s.

use lambda_http::Body;
use lambda_http::http::header::{
    ACCESS_CONTROL_EXPOSE_HEADERS, CACHE_CONTROL, HeaderName, HeaderValue,
};
use lambda_http::http::{Response, StatusCode};
use serde::Serialize;

pub use coinking_http::ApiError;

/// How old the newest tick behind a response is, in ms (modern routes and `/upbit_data`).
pub const DATA_AGE_HEADER: &str = "x-data-age-ms";

/// The non-safelisted response headers scripts may read.
pub const EXPOSED_HEADERS: &str = "x-data-age-ms, x-coinking-hints-time, x-coinking-hints-model";

/// Successful answers may be cached for one second: the frontend polls every second, so a
/// CDN or browser cache can absorb duplicates without serving anything staler than a tick.
pub const CACHE_OK: &str = "max-age=1";
/// Errors are never cached (a 503 must not outlive the outage).
pub const CACHE_ERROR: &str = coinking_http::NO_STORE;

/// A JSON response ([`coinking_http::json_response`]) with `Cache-Control: cache`.
pub fn json_response(
    status: StatusCode,
    body: &impl Serialize,
    cache: &'static str,
) -> Response<Body> {
    let mut response = coinking_http::json_response(status, body);
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(cache));
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
    coinking_http::add_allow_origin(headers, allow_origin);
    // The browser only lets scripts read non-safelisted headers that are exposed.
    headers.insert(
        ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED_HEADERS),
    );
}
