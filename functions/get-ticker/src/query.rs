//! Query parameters of this API beyond the platform's rules (`coinking_http::Query`): epoch-ms
//! bounds.

pub(crate) use coinking_http::Query;

use crate::respond::ApiError;

/// Largest epoch ms accepted for `from` / `to` (13 digits: the candle key's width).
pub const MAX_EPOCH_MS: i64 = 9_999_999_999_999;

/// Parameter `name` as an epoch ms from 0 to [`MAX_EPOCH_MS`], if given.
pub(crate) fn epoch_ms(query: &Query<'_>, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(text) = query.single(name)? else {
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
