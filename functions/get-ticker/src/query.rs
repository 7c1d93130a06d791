//! The query string of a request, and the one rule every route applies to it: unknown
//! parameters are refused (400), the cache-buster `_` is always ignored.

use lambda_http::{Request, RequestExt};

use crate::respond::ApiError;

/// Largest epoch ms accepted for `from` / `to` (13 digits: the candle key's width).
pub const MAX_EPOCH_MS: i64 = 9_999_999_999_999;

/// Query parameter cache-busters add (`?_=1732500000000`, jQuery's style); always ignored.
const CACHE_BUSTER: &str = "_";

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
        let Some(params) = self.params else {
            return Ok(());
        };
        let mut unknown: Vec<&str> = params
            .iter()
            .map(|(key, _)| key)
            .filter(|key| *key != CACHE_BUSTER && !known.contains(key))
            .collect();
        unknown.sort_unstable();
        match unknown.first() {
            None => Ok(()),
            Some(first) if known.is_empty() => Err(ApiError::bad_parameter(
                first,
                "unknown parameter (this route takes none)",
            )),
            Some(first) => Err(ApiError::bad_parameter(
                first,
                format!("unknown parameter (expected one of {})", known.join(", ")),
            )),
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
