//! The query string of a request: unknown parameters refused by the platform's one rule
//! (`coinking_http::unknown_parameter`), single values and epoch-ms parameters read.

use lambda_http::{Request, RequestExt};

use crate::respond::ApiError;

/// Largest epoch ms accepted for `from` / `to` (13 digits: the candle key's width).
pub const MAX_EPOCH_MS: i64 = 9_999_999_999_999;

/// The query string, as API Gateway passed it.
pub(crate) struct Query<'a> {
    params: Option<&'a lambda_http::aws_lambda_events::query_map::QueryMap>,
}

impl<'a> Query<'a> {
    pub(crate) fn of(req: &'a Request) -> Self {
        Self {
            params: req.query_string_parameters_ref(),
        }
    }

    /// Rejects parameters the route does not know (a typo such as `limt` should not be ignored).
    pub(crate) fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        match coinking_http::unknown_parameter(self.params, known) {
            None => Ok(()),
            Some((name, rule)) => Err(ApiError::bad_parameter(name, rule)),
        }
    }

    pub(crate) fn single(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        let Some(values) = self.params.and_then(|p| p.all(name)) else {
            return Ok(None);
        };
        match values.as_slice() {
            [value] => Ok(Some(*value)),
            _ => Err(ApiError::bad_parameter(name, "must be given at most once")),
        }
    }

    pub(crate) fn epoch_ms(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let Some(text) = self.single(name)? else {
            return Ok(None);
        };
        text.parse::<i64>()
            .ok()
            .filter(|ms| (0..=MAX_EPOCH_MS).contains(ms))
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_parameter(
                    name,
                    format!("must be an integer epoch ms from 0 to {MAX_EPOCH_MS}"),
                )
            })
    }
}
