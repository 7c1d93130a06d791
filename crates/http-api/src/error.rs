//! JSON responses and the error shape every HTTP function answers with:
//! `{"error":{"code":"invalid_parameter","message":"limit: must be 1 to 1440"}}`, the code
//! machine-readable, the message naming the field and the rule.

use lambda_http::Body;
use lambda_http::http::header::{CONTENT_TYPE, HeaderValue};
use lambda_http::http::{Response, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};

const JSON: &str = "application/json";

/// `{"error":{"code","message"}}`; a function may add fields (post-clickstream's `problems`).
pub fn error_body(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

/// A JSON response with `Content-Type: application/json`. The functions' bodies are strings,
/// numbers, booleans and maps with string keys, so serialising cannot fail; if it ever did, the
/// answer is a 500 `internal`, not a panic.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response<Body> {
    let (status, text) = match serde_json::to_string(body) {
        Ok(text) => (status, text),
        Err(err) => {
            tracing::error!(error = %err, "response did not serialise");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                error_body("internal", "response: could not be encoded").to_string(),
            )
        }
    };
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

/// An error answer: `status` with the body of [`error_body`].
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    json_response(status, &error_body(code, message))
}
