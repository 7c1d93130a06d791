//! The HTTP edge all four routes share: the error type, JSON answers, the preflight answer and
//! the query string. CORS is the API's one policy (`coinking_http::apply_policy`), applied by
//! the handler to every answer, errors and 404 included.

use lambda_http::http::header::{CACHE_CONTROL, HeaderName, HeaderValue};
use lambda_http::http::{Response, StatusCode};
use lambda_http::{Body, Request, RequestExt};
use serde::Serialize;

/// Rankings change with every game and a player expects their row at once: never cached.
pub const NO_STORE: &str = "no-store";

/// An error answer: status, machine-readable code, `<field>: <rule>` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// `Allow` header of a 405.
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

    pub fn method_not_allowed(method: &str, path: &str, allow: &'static str) -> Self {
        let mut error = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("method: {method} is not allowed on {path} (allowed: {allow})"),
        );
        error.allow = Some(allow);
        error
    }

    /// A store failure: 503 when retrying can help, 500 otherwise; details only in the log.
    pub fn store(error: &coinking_adapters::AdapterError, action: &str) -> Self {
        tracing::error!(error = %error, retryable = error.is_retryable(), "leaderboard store {action} failed");
        if error.is_retryable() {
            Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "leaderboard store: temporarily unavailable, retry shortly",
            )
        } else {
            Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("leaderboard store: {action} failed"),
            )
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let mut response = coinking_http::error_response(self.status, self.code, &self.message);
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
        if let Some(allow) = self.allow {
            headers.insert(
                HeaderName::from_static("allow"),
                HeaderValue::from_static(allow),
            );
        }
        response
    }
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

/// The query string, as API Gateway passed it.
#[derive(Debug)]
pub struct Query<'a> {
    params: Option<&'a lambda_http::aws_lambda_events::query_map::QueryMap>,
}

impl<'a> Query<'a> {
    pub fn of(req: &'a Request) -> Self {
        Self {
            params: req.query_string_parameters_ref(),
        }
    }

    /// Rejects parameters the route does not know (a typo should not be ignored).
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        match coinking_http::unknown_parameter(self.params, known) {
            None => Ok(()),
            Some((name, rule)) => Err(ApiError::bad_parameter(name, rule)),
        }
    }

    pub fn single(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        let Some(values) = self.params.and_then(|p| p.all(name)) else {
            return Ok(None);
        };
        match values.as_slice() {
            [value] => Ok(Some(*value)),
            _ => Err(ApiError::bad_parameter(name, "must be given at most once")),
        }
    }
}
