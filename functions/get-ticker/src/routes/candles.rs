//! `GET /tickers/{market}/candles`: 1-minute OHLCV candles, oldest first.

use coinking_adapters::market_store::{CandleReader, CatalogReader};
use coinking_core::market::MarketCode;
use lambda_http::Body;
use lambda_http::http::Response;

use super::missing_market;
use crate::deps::{Deps, store_error};
use crate::query::{MAX_EPOCH_MS, Query, epoch_ms};
use crate::respond::{ApiError, ok};
use crate::views::{CandleList, CandleView};

/// Candles: the window when `from` is not given (the last hour before `to`).
pub const DEFAULT_CANDLE_WINDOW_MS: i64 = 60 * 60 * 1000;
/// Candles returned when `limit` is not given: one hour of minutes.
pub const DEFAULT_CANDLE_LIMIT: usize = 60;
/// Most candles one request returns: one day of minutes (about 200 KB of JSON, one or two
/// DynamoDB Query pages).
pub const MAX_CANDLE_LIMIT: usize = 1440;

pub(crate) async fn candles<S>(
    deps: &Deps<S>,
    market: &MarketCode,
    query: &Query<'_>,
) -> Result<Response<Body>, ApiError>
where
    S: CandleReader + CatalogReader,
{
    let now = (deps.clock)();
    let to = epoch_ms(query, "to")?.unwrap_or(now.min(MAX_EPOCH_MS));
    let from = match epoch_ms(query, "from")? {
        Some(from) => from,
        None => (to - DEFAULT_CANDLE_WINDOW_MS).max(0),
    };
    if from > to {
        return Err(ApiError::bad_parameter("from", "must not be after to"));
    }
    let limit = match query.single("limit")? {
        None => DEFAULT_CANDLE_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_CANDLE_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::bad_parameter(
                    "limit",
                    format!("must be an integer from 1 to {MAX_CANDLE_LIMIT}"),
                )
            })?,
    };
    let (found, catalog) = tokio::join!(
        deps.store.candles(market, from, to, limit),
        deps.catalog.get(&deps.store)
    );
    let found = found.map_err(store_error)?;
    if found.is_empty() && catalog.get(market).is_none() {
        return Err(missing_market(&catalog, market));
    }
    let age = found
        .iter()
        .map(|c| c.close_key.0)
        .max()
        .map(|newest| (now - newest).max(0));
    let body = CandleList {
        market,
        interval: "1m",
        from,
        to,
        limit,
        candles: found.iter().map(CandleView::from).collect(),
        age_ms: age,
    };
    Ok(ok(&body, age))
}
