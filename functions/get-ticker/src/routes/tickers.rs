//! `GET /tickers` and `GET /tickers/{market}`: the latest tickers with exact decimals.

use coinking_adapters::market_store::{CatalogReader, TickerReader};
use coinking_core::market::MarketCode;
use lambda_http::Body;
use lambda_http::http::Response;

use super::{missing_market, newest_age, ticker_view};
use crate::config::parse_market_list;
use crate::deps::{Deps, store_error};
use crate::query::Query;
use crate::respond::{ApiError, ok};
use crate::views::TickerList;

pub(crate) async fn tickers<S>(
    deps: &Deps<S>,
    query: &Query<'_>,
) -> Result<Response<Body>, ApiError>
where
    S: TickerReader + CatalogReader,
{
    let requested = match query.single("markets")? {
        Some(text) => {
            parse_market_list(text).map_err(|rule| ApiError::bad_parameter("markets", rule))?
        }
        None => deps.config.game_markets.clone(),
    };
    let (tickers, catalog) =
        tokio::join!(deps.store.latest(&requested), deps.catalog.get(&deps.store));
    let tickers = tickers.map_err(store_error)?;
    let now = (deps.clock)();
    let mut views = Vec::with_capacity(tickers.len());
    for market in &requested {
        if let Some(ticker) = tickers.iter().find(|t| &t.market == market) {
            views.push(ticker_view(ticker, &catalog, now));
        }
    }
    let age = newest_age(deps, &tickers);
    Ok(ok(
        &TickerList {
            tickers: views,
            age_ms: age,
        },
        age,
    ))
}

pub(crate) async fn ticker<S>(
    deps: &Deps<S>,
    market: &MarketCode,
) -> Result<Response<Body>, ApiError>
where
    S: TickerReader + CatalogReader,
{
    let (stored, catalog) =
        tokio::join!(deps.store.latest_one(market), deps.catalog.get(&deps.store));
    // A ticker is served even when the catalog does not list the market yet (a new listing).
    let Some(ticker) = stored.map_err(store_error)? else {
        return Err(missing_market(&catalog, market));
    };
    let view = ticker_view(&ticker, &catalog, (deps.clock)());
    let age = view.age_ms;
    Ok(ok(&view, Some(age)))
}
