//! Why a body is not a game record: each [`Problem`] (where, which rule) and the
//! [`RecordError`] an HTTP layer turns into 413 or 400. Shared by both parsing paths.

use std::fmt;

use serde::Serialize;

/// One thing wrong with a record: where, and which rule it breaks.
///
/// `path` is `$` for the whole body, otherwise the field as the client wrote it:
/// `userName`, `coins[1]`, `userBuyCoinMoney_2.money`, `deeplearningData[0].rank`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    pub rule: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.rule)
    }
}

/// Why a body is not a game record.
///
/// Every variant is the client's fault and permanent: retrying the same body cannot succeed.
/// An HTTP layer answers [`RecordError::TooLarge`] with 413 and everything else with 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Refused on size alone, before any parsing.
    #[error("body is {size} bytes, more than the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    /// Nothing but JSON whitespace, if anything at all.
    #[error("body is empty")]
    Empty,
    /// Not JSON: serde_json's reason, with line and column.
    #[error("body is not valid JSON: {0}")]
    Malformed(String),
    /// JSON, but not a valid record: every problem found, in schema order.
    #[error("{}", ProblemList(.0))]
    Invalid(Vec<Problem>),
}

impl RecordError {
    /// Every problem found, for a response that lists them; empty unless the body was JSON.
    pub fn problems(&self) -> &[Problem] {
        match self {
            RecordError::Invalid(problems) => problems,
            RecordError::TooLarge { .. } | RecordError::Empty | RecordError::Malformed(_) => &[],
        }
    }

    /// A stable machine-readable code for the error response (`{"error":{"code":…}}`).
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::TooLarge { .. } => "body_too_large",
            RecordError::Empty => "empty_body",
            RecordError::Malformed(_) => "malformed_json",
            RecordError::Invalid(_) => "invalid_record",
        }
    }
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}
