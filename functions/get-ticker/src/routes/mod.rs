//! The routes, one file each (the edge, routing and CORS are in [`crate::handler`]), and the
//! few helpers several of them share.

pub mod candles;
pub mod hints;
pub mod markets;
pub mod tickers;
pub mod upbit_data;

use coinking_core::catalog::Catalog;
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use lambda_http::http::StatusCode;

use crate::deps::Deps;
use crate::respond::ApiError;
use crate::views::TickerView;

pub(crate) fn ticker_view<'a>(
    ticker: &'a NormalizedTicker,
    catalog: &'a Catalog,
    now: i64,
) -> TickerView<'a> {
    let info = catalog.get(&ticker.market);
    TickerView {
        ticker,
        korean_name: info.map(|i| i.korean_name.as_str()),
        english_name: info.map(|i| i.english_name.as_str()),
        age_ms: (now - ticker.timestamp).max(0),
    }
}

pub(crate) fn newest_age<S>(deps: &Deps<S>, tickers: &[NormalizedTicker]) -> Option<i64> {
    let newest = tickers.iter().map(|t| t.timestamp).max()?;
    Some(((deps.clock)() - newest).max(0))
}

/// 404 for a market without data: unknown to the catalog, or listed but without a ticker yet.
pub(crate) fn missing_market(catalog: &Catalog, market: &MarketCode) -> ApiError {
    if catalog.get(market).is_some() {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "ticker_not_found",
            format!("market: {market} has no ticker yet"),
        )
    } else {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_market",
            format!("market: {market} is not a listed market"),
        )
    }
}

pub(crate) fn parse_market(parameter: &str, text: &str) -> Result<MarketCode, ApiError> {
    MarketCode::parse(text).map_err(|rule| ApiError::bad_parameter(parameter, rule))
}
