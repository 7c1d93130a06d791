//! `GET /markets`: the market catalog.

use coinking_adapters::market_store::CatalogReader;
use lambda_http::Body;
use lambda_http::http::Response;

use crate::deps::Deps;
use crate::respond::{ApiError, ok};
use crate::views::{MarketList, MarketView};

pub(crate) async fn markets<S>(deps: &Deps<S>) -> Result<Response<Body>, ApiError>
where
    S: CatalogReader,
{
    let catalog = deps.catalog.get(&deps.store).await;
    let markets = catalog
        .iter()
        .map(|info| MarketView::new(info, deps.config.game_markets.contains(&info.market)))
        .collect();
    Ok(ok(&MarketList { markets }, None))
}
