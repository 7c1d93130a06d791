//! The HTTP edge all four routes share: JSON answers (rankings change with every game and a
//! player expects their row at once: never cached), store errors and the preflight answer. The
//! error answer and the query string are `coinking_http`'s; CORS is the API's one policy
//! (`coinking_http::apply_policy`), applied by the handler to every answer, errors and 404
//! included.

use lambda_http::Body;
use lambda_http::http::header::{CACHE_CONTROL, HeaderName, HeaderValue};
use lambda_http::http::{Response, StatusCode};
use serde::Serialize;

pub use coinking_http::{ApiError, NO_STORE, Query};

/// A store failure: 503 when retrying can help, 500 otherwise; details only in the log.
pub fn store_error(error: &coinking_adapters::StoreError, action: &str) -> ApiError {
    tracing::error!(error = %error, retryable = error.is_retryable(), "leaderboard store {action} failed");
    ApiError::store_failure("leaderboard store", action, error.is_retryable())
}

/// `200` with a JSON body, never cached.
pub fn ok(body: &impl Serialize) -> Response<Body> {
    let mut response = coinking_http::json_response(StatusCode::OK, body);
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    response
}

/// A preflight (or plain `OPTIONS`) answer: 204 listing the route's methods; the CORS headers
/// are the API's one policy, added by the handler ([`coinking_http::apply_preflight`]).
pub fn preflight(allow: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response.headers_mut().insert(
        HeaderName::from_static("allow"),
        HeaderValue::from_static(allow),
    );
    response
}
