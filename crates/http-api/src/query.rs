//! The one rule every HTTP Lambda applies to a query string: a parameter the route does not
//! know is refused (a typo such as `limt` must not be silently ignored), except the
//! cache-buster `_` browsers and jQuery add (`?_=1732500000000`).

use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::{Request, RequestExt};

use crate::ApiError;

/// The cache-buster parameter, always ignored.
pub const CACHE_BUSTER: &str = "_";

/// The first unknown parameter (in name order) and the rule it breaks, or `None` when every
/// parameter is known.
pub fn unknown_parameter<'a>(
    params: Option<&'a QueryMap>,
    known: &[&str],
) -> Option<(&'a str, String)> {
    let mut unknown: Vec<&str> = params?
        .iter()
        .map(|(key, _)| key)
        .filter(|key| *key != CACHE_BUSTER && !known.contains(key))
        .collect();
    unknown.sort_unstable();
    let first = *unknown.first()?;
    let rule = if known.is_empty() {
        "unknown parameter (this route takes none)".to_owned()
    } else {
        format!("unknown parameter (expected one of {})", known.join(", "))
    };
    Some((first, rule))
}

/// A request's query string, as API Gateway passed it, read by the rules above.
#[derive(Debug)]
pub struct Query<'a> {
    params: Option<&'a QueryMap>,
}

impl<'a> Query<'a> {
    pub fn of(req: &'a Request) -> Self {
        Self {
            params: req.query_string_parameters_ref(),
        }
    }

    /// Refuses a parameter the route does not know ([`unknown_parameter`]).
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        match unknown_parameter(self.params, known) {
            None => Ok(()),
            Some((name, rule)) => Err(ApiError::bad_parameter(name, rule)),
        }
    }

    /// The parameter's value; a parameter given twice is refused, not resolved by a guess.
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn params(pairs: &[(&str, &str)]) -> QueryMap {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        QueryMap::from(map)
    }

    #[test]
    fn known_parameters_and_the_cache_buster_pass() {
        let query = params(&[("markets", "KRW-BTC"), ("_", "1732500000000")]);
        assert_eq!(unknown_parameter(Some(&query), &["markets"]), None);
        assert_eq!(unknown_parameter(None, &[]), None);
    }

    #[test]
    fn the_first_unknown_parameter_is_named_with_the_expected_ones() {
        let query = params(&[("zeta", "1"), ("limt", "5")]);
        assert_eq!(
            unknown_parameter(Some(&query), &["limit", "from"]),
            Some((
                "limt",
                "unknown parameter (expected one of limit, from)".to_owned()
            ))
        );
        assert_eq!(
            unknown_parameter(Some(&query), &[]),
            Some((
                "limt",
                "unknown parameter (this route takes none)".to_owned()
            ))
        );
    }
}
