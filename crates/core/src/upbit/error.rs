//! Why a frame could not be turned into messages.

use crate::market::MarketCodeError;

/// A frame or message that is not a valid Upbit message. Fields are named by their DEFAULT key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    #[error("frame is empty")]
    Empty,
    #[error("frame is not valid JSON: {0}")]
    Json(String),
    #[error("frame is not a JSON object or array of objects")]
    NotAnObject,
    #[error("unknown message type `{0}`")]
    UnknownType(String),
    #[error("field `{field}` {reason}")]
    Field {
        field: &'static str,
        reason: FieldError,
    },
}

impl ParseError {
    pub(crate) fn field(field: &'static str, reason: FieldError) -> Self {
        ParseError::Field { field, reason }
    }

    /// A short, stable label for metrics (`parse_errors_total{kind=…}`).
    pub fn kind(&self) -> &'static str {
        match self {
            ParseError::Empty => "empty",
            ParseError::Json(_) => "json",
            ParseError::NotAnObject => "not_an_object",
            ParseError::UnknownType(_) => "unknown_type",
            ParseError::Field { .. } => "field",
        }
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FieldError {
    #[error("is required")]
    Missing,
    #[error("must be a number")]
    NotANumber,
    #[error("must be an integer")]
    NotAnInteger,
    #[error("must be a string")]
    NotAString,
    #[error("must be a boolean")]
    NotABoolean,
    #[error("must be an object")]
    NotAnObject,
    #[error("is out of range for an exact decimal")]
    OutOfRange,
    #[error("must be greater than zero")]
    NotPositive,
    #[error("must not be negative")]
    Negative,
    #[error("has unknown value `{0}`")]
    UnknownValue(String),
    #[error("is not a market code: {0}")]
    MarketCode(MarketCodeError),
}
