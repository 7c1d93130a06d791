//! `GET /upbit_data`: the frontend's poll.

use coinking_adapters::market_store::{CatalogReader, TickerReader};
use coinking_core::catalog::Catalog;
use coinking_core::market::MarketCode;
use coinking_core::ticker::UpbitData;
use lambda_http::Body;
use lambda_http::http::Response;

use super::newest_age;
use crate::deps::{Deps, store_error};
use crate::respond::{ApiError, ok};

/// `GET /upbit_data`: the frontend's contract, one element per configured game market that
/// has a ticker, in the configured order. Query parameters are ignored (cache-busters).
pub(crate) async fn upbit_data<S>(deps: &Deps<S>) -> Result<Response<Body>, ApiError>
where
    S: TickerReader + CatalogReader,
{
    let markets = &deps.config.game_markets;
    let (tickers, catalog) =
        tokio::join!(deps.store.latest(markets), deps.catalog.get(&deps.store));
    let tickers = tickers.map_err(store_error)?;
    let mut data = Vec::with_capacity(tickers.len());
    for market in markets {
        let Some(ticker) = tickers.iter().find(|t| &t.market == market) else {
            continue;
        };
        data.push(UpbitData::from_normalized(
            ticker,
            &coin_name(&catalog, market),
        ));
    }
    let age = newest_age(deps, &tickers);
    Ok(ok(&data, age))
}

/// The Korean name; a market missing from every catalog shows its symbol rather than nothing.
pub(crate) fn coin_name(catalog: &Catalog, market: &MarketCode) -> String {
    match catalog.korean_name(market) {
        Some(name) => name.to_owned(),
        None => {
            tracing::warn!(market = %market, "market has no catalog entry, showing its symbol");
            market.base().to_owned()
        }
    }
}
