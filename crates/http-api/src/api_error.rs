//! [`ApiError`]: the one error answer of every HTTP route, built by the handlers and turned into
//! the JSON error response ([`crate::error_response`]) in one place.

use lambda_http::Body;
use lambda_http::http::header::{ALLOW, CACHE_CONTROL, HeaderValue};
use lambda_http::http::{Response, StatusCode};

/// Errors are never cached: a 503 must not outlive the outage, a 400 must not hide a fix.
pub const NO_STORE: &str = "no-store";

/// An error answer: status, machine-readable code, and `<field>: <rule>` message.
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

    /// `400 invalid_parameter` with `<parameter>: <rule>`.
    pub fn bad_parameter(parameter: &str, rule: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            format!("{parameter}: {rule}"),
        )
    }

    /// `405 method_not_allowed` naming the route's methods, also in the `Allow` header.
    pub fn method_not_allowed(method: &str, path: &str, allow: &'static str) -> Self {
        Self {
            allow: Some(allow),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("method: {method} is not allowed on {path} (allowed: {allow})"),
            )
        }
    }

    /// A failed store call, details left to the caller's log: `503 store_unavailable` when
    /// retrying can help (throttling, timeouts), `500 internal` otherwise.
    pub fn store_failure(store: &str, action: &str, retryable: bool) -> Self {
        if retryable {
            Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                format!("{store}: temporarily unavailable, retry shortly"),
            )
        } else {
            Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("{store}: {action} failed"),
            )
        }
    }

    /// The JSON error response, `Cache-Control: no-store`, and `Allow` for a 405.
    pub fn into_response(self) -> Response<Body> {
        let mut response = crate::error_response(self.status, self.code, &self.message);
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
        if let Some(allow) = self.allow {
            headers.insert(ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_405_names_the_methods_in_body_and_header_and_is_not_cached() {
        let response = ApiError::method_not_allowed("PUT", "/x", "GET, OPTIONS").into_response();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[ALLOW], "GET, OPTIONS");
        assert_eq!(response.headers()[CACHE_CONTROL], NO_STORE);
        let Body::Text(text) = response.body() else {
            panic!("not a text body");
        };
        assert_eq!(
            text,
            r#"{"error":{"code":"method_not_allowed","message":"method: PUT is not allowed on /x (allowed: GET, OPTIONS)"}}"#
        );
    }

    #[test]
    fn a_bad_parameter_is_a_400_naming_parameter_and_rule() {
        let error = ApiError::bad_parameter("limit", "must be 1 to 1440");
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(error.code, "invalid_parameter");
        assert_eq!(error.message, "limit: must be 1 to 1440");
        assert_eq!(error.into_response().headers().get(ALLOW), None);
    }

    #[test]
    fn a_store_failure_is_503_when_retrying_helps_and_500_otherwise() {
        let busy = ApiError::store_failure("market store", "read", true);
        assert_eq!(
            (busy.status, busy.code, busy.message.as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "market store: temporarily unavailable, retry shortly"
            )
        );
        let broken = ApiError::store_failure("market store", "read", false);
        assert_eq!(
            (broken.status, broken.code, broken.message.as_str()),
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "market store: read failed"
            )
        );
    }
}
