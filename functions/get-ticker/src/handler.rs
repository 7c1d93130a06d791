//! The handler: routing, CORS, parameter validation and the routes (the AI hint routes are in
//! [`crate::hints`]).
//!
//! The function routes by itself (on the raw path, without any stage prefix) so that it answers
//! the same whether API Gateway sends it one route or all of them, and whatever the method:
//! wrong methods get a JSON 405 and `OPTIONS` the CORS preflight (on AWS, template.yaml's
//! `GET` routes and the HTTP API's CORS configuration stop both before the function).

use std::time::Duration;

use coinking_adapters::AdapterError;
use coinking_adapters::market_store::{
    CandleReader, CatalogReader, HintReader, HintWriter, TickerReader,
};
use coinking_core::catalog::Catalog;
use coinking_core::market::MarketCode;
use coinking_core::ticker::{NormalizedTicker, UpbitData};
use lambda_http::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, HeaderValue, ORIGIN,
};
use lambda_http::http::{Method, Response, StatusCode};
use lambda_http::{Body, Request, RequestExt};

use crate::catalog_cache::{CatalogCache, DEFAULT_CATALOG_TTL};
use crate::config::{TickerConfig, parse_market_list};
use crate::respond::{ApiError, add_cors, ok};
use crate::views::{CandleList, CandleView, MarketList, MarketView, TickerList, TickerView};

/// Methods every read route answers.
pub const ALLOWED_METHODS: &str = "GET, OPTIONS";
/// Methods `POST /set_deeplearning` answers.
pub const ALLOWED_WRITE_METHODS: &str = "POST, OPTIONS";
/// How long a browser may reuse a preflight answer.
pub const PREFLIGHT_MAX_AGE_SECS: u32 = 600;

/// Candles: the window when `from` is not given (the last hour before `to`).
pub const DEFAULT_CANDLE_WINDOW_MS: i64 = 60 * 60 * 1000;
/// Candles returned when `limit` is not given: one hour of minutes.
pub const DEFAULT_CANDLE_LIMIT: usize = 60;
/// Most candles one request returns: one day of minutes (about 200 KB of JSON, one or two
/// DynamoDB Query pages).
pub const MAX_CANDLE_LIMIT: usize = 1440;
/// Largest epoch ms accepted for `from` / `to` (13 digits: the candle key's width).
pub const MAX_EPOCH_MS: i64 = 9_999_999_999_999;

/// Query parameter cache-busters add (`?_=1732500000000`, jQuery's style); always ignored.
const CACHE_BUSTER: &str = "_";

/// Source of "now" in epoch ms; tests pin it.
pub type Clock = fn() -> i64;

/// The wall clock.
pub fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// What the handler needs, built once per process: the store (only its reader ports are
/// used), the configuration, the catalog cache and the clock.
#[derive(Debug)]
pub struct Deps<S> {
    pub store: S,
    pub config: TickerConfig,
    catalog: CatalogCache,
    pub(crate) clock: Clock,
}

impl<S> Deps<S> {
    pub fn new(store: S, config: TickerConfig) -> Self {
        Self {
            store,
            config,
            catalog: CatalogCache::new(DEFAULT_CATALOG_TTL),
            clock: system_clock,
        }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the catalog cache's lifetime (tests use zero to see store changes at once).
    pub fn with_catalog_ttl(mut self, ttl: Duration) -> Self {
        self.catalog = CatalogCache::new(ttl);
        self
    }
}

/// The routes of this function.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route<'a> {
    UpbitData,
    Markets,
    Tickers,
    Ticker(&'a str),
    Candles(&'a str),
    GetDeeplearning,
    SetDeeplearning,
}

impl Route<'_> {
    /// The route's method and the `Allow` list.
    fn methods(&self) -> (Method, &'static str) {
        match self {
            Route::SetDeeplearning => (Method::POST, ALLOWED_WRITE_METHODS),
            _ => (Method::GET, ALLOWED_METHODS),
        }
    }
}

fn route(path: &str) -> Option<Route<'_>> {
    match path {
        "/upbit_data" => return Some(Route::UpbitData),
        "/get_deeplearning" => return Some(Route::GetDeeplearning),
        "/set_deeplearning" => return Some(Route::SetDeeplearning),
        "/markets" => return Some(Route::Markets),
        "/tickers" => return Some(Route::Tickers),
        _ => {}
    }
    let rest = path.strip_prefix("/tickers/")?;
    match rest.split_once('/') {
        None if !rest.is_empty() => Some(Route::Ticker(rest)),
        Some((market, "candles")) if !market.is_empty() => Some(Route::Candles(market)),
        _ => None,
    }
}

/// Answers one API Gateway HTTP API request. Never fails: every problem is a JSON error
/// response (4xx for the caller's, 5xx for the store's).
pub async fn handle<S>(deps: &Deps<S>, req: Request) -> Response<Body>
where
    S: TickerReader + CandleReader + CatalogReader + HintReader + HintWriter,
{
    let origin = req
        .headers()
        .get(ORIGIN)
        .and_then(|value| value.to_str().ok());
    let allow_origin = origin.and_then(|o| deps.config.cors_origins.allow(o));
    let mut response = match dispatch(deps, &req, origin, allow_origin.as_deref()).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    if let Some(allow_origin) = &allow_origin {
        add_cors(&mut response, allow_origin);
    }
    response
}

async fn dispatch<S>(
    deps: &Deps<S>,
    req: &Request,
    origin: Option<&str>,
    allow_origin: Option<&str>,
) -> Result<Response<Body>, ApiError>
where
    S: TickerReader + CandleReader + CatalogReader + HintReader + HintWriter,
{
    // The raw path excludes a stage prefix; requests built without an event have only the URI.
    let path = match req.raw_http_path() {
        "" => req.uri().path(),
        raw => raw,
    };
    let Some(route) = route(path) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("path: no route for {path}"),
        ));
    };
    let (method, allowed) = route.methods();
    match req.method() {
        m if *m == method => {}
        &Method::OPTIONS => return preflight(req, origin, allow_origin, &method, allowed),
        other => {
            let mut error = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("method: {other} is not allowed on {path} (allowed: {allowed})"),
            );
            error.allow = Some(allowed);
            return Err(error);
        }
    }
    let query = Query::of(req);
    match route {
        Route::UpbitData => upbit_data(deps).await,
        // Like /upbit_data, cache-busters and other parameters are ignored: the frontend's
        // screen must never fail on this call.
        Route::GetDeeplearning => Ok(crate::hints::get_deeplearning(deps).await),
        Route::SetDeeplearning => {
            query.only(&[])?;
            crate::hints::set_deeplearning(deps, req).await
        }
        Route::Markets => {
            query.only(&[])?;
            markets(deps).await
        }
        Route::Tickers => {
            query.only(&["markets"])?;
            tickers(deps, &query).await
        }
        Route::Ticker(market) => {
            query.only(&[])?;
            ticker(deps, &parse_market("market", market)?).await
        }
        Route::Candles(market) => {
            query.only(&["from", "to", "limit"])?;
            candles(deps, &parse_market("market", market)?, &query).await
        }
    }
}

/// The CORS preflight (or a plain `OPTIONS`, which just lists the methods).
fn preflight(
    req: &Request,
    origin: Option<&str>,
    allow_origin: Option<&str>,
    method: &Method,
    allowed: &'static str,
) -> Result<Response<Body>, ApiError> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert("allow", HeaderValue::from_static(allowed));
    let Some(origin) = origin else {
        return Ok(response);
    };
    if allow_origin.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "cors_origin_not_allowed",
            format!("Origin: {origin} is not an allowed origin"),
        ));
    }
    if let Some(requested) = req.headers().get(ACCESS_CONTROL_REQUEST_METHOD) {
        if requested.as_bytes() != method.as_str().as_bytes() {
            let mut error = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!(
                    "Access-Control-Request-Method: must be {method}, got {}",
                    String::from_utf8_lossy(requested.as_bytes())
                ),
            );
            error.allow = Some(allowed);
            return Err(error);
        }
    }
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(allowed),
    );
    if let Some(requested) = req.headers().get(ACCESS_CONTROL_REQUEST_HEADERS) {
        // Reading market data needs no special header; whatever the page's fetch wrapper adds
        // is harmless on a GET, so it is allowed rather than breaking the page.
        headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
    }
    headers.insert(
        ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(PREFLIGHT_MAX_AGE_SECS),
    );
    Ok(response)
}

/// `GET /upbit_data`: the frontend's contract, one element per configured game market that
/// has a ticker, in the configured order. Query parameters are ignored (cache-busters).
async fn upbit_data<S>(deps: &Deps<S>) -> Result<Response<Body>, ApiError>
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
fn coin_name(catalog: &Catalog, market: &MarketCode) -> String {
    match catalog.korean_name(market) {
        Some(name) => name.to_owned(),
        None => {
            tracing::warn!(market = %market, "market has no catalog entry, showing its symbol");
            market.base().to_owned()
        }
    }
}

async fn markets<S>(deps: &Deps<S>) -> Result<Response<Body>, ApiError>
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

async fn tickers<S>(deps: &Deps<S>, query: &Query<'_>) -> Result<Response<Body>, ApiError>
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

async fn ticker<S>(deps: &Deps<S>, market: &MarketCode) -> Result<Response<Body>, ApiError>
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

async fn candles<S>(
    deps: &Deps<S>,
    market: &MarketCode,
    query: &Query<'_>,
) -> Result<Response<Body>, ApiError>
where
    S: CandleReader + CatalogReader,
{
    let now = (deps.clock)();
    let to = query.epoch_ms("to")?.unwrap_or(now.min(MAX_EPOCH_MS));
    let from = match query.epoch_ms("from")? {
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

fn ticker_view<'a>(ticker: &'a NormalizedTicker, catalog: &'a Catalog, now: i64) -> TickerView<'a> {
    let info = catalog.get(&ticker.market);
    TickerView {
        ticker,
        korean_name: info.map(|i| i.korean_name.as_str()),
        english_name: info.map(|i| i.english_name.as_str()),
        age_ms: (now - ticker.timestamp).max(0),
    }
}

fn newest_age<S>(deps: &Deps<S>, tickers: &[NormalizedTicker]) -> Option<i64> {
    let newest = tickers.iter().map(|t| t.timestamp).max()?;
    Some(((deps.clock)() - newest).max(0))
}

/// 404 for a market without data: unknown to the catalog, or listed but without a ticker yet.
fn missing_market(catalog: &Catalog, market: &MarketCode) -> ApiError {
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

fn parse_market(parameter: &str, text: &str) -> Result<MarketCode, ApiError> {
    MarketCode::parse(text).map_err(|rule| ApiError::bad_parameter(parameter, rule))
}

/// A store failure: 503 when retrying can help (throttling, timeouts), 500 otherwise. The
/// caller sees no internals; the log has the details.
pub(crate) fn store_error(error: AdapterError) -> ApiError {
    tracing::error!(error = %error, retryable = error.is_retryable(), "market store read failed");
    if error.is_retryable() {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "market store: temporarily unavailable, retry shortly",
        )
    } else {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "market store: read failed",
        )
    }
}

/// The query string, as API Gateway passed it.
struct Query<'a> {
    params: Option<&'a lambda_http::aws_lambda_events::query_map::QueryMap>,
}

impl<'a> Query<'a> {
    fn of(req: &'a Request) -> Self {
        Self {
            params: req.query_string_parameters_ref(),
        }
    }

    /// Rejects parameters the route does not know (a typo such as `limt` should not be ignored).
    fn only(&self, known: &[&str]) -> Result<(), ApiError> {
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

    fn single(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        let Some(values) = self.params.and_then(|p| p.all(name)) else {
            return Ok(None);
        };
        match values.as_slice() {
            [value] => Ok(Some(*value)),
            _ => Err(ApiError::bad_parameter(name, "must be given at most once")),
        }
    }

    fn epoch_ms(&self, name: &str) -> Result<Option<i64>, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_exact_paths() {
        assert_eq!(route("/upbit_data"), Some(Route::UpbitData));
        assert_eq!(route("/get_deeplearning"), Some(Route::GetDeeplearning));
        assert_eq!(route("/set_deeplearning"), Some(Route::SetDeeplearning));
        assert_eq!(route("/tickers/KRW-BTC"), Some(Route::Ticker("KRW-BTC")));
        assert_eq!(
            route("/tickers/KRW-BTC/candles"),
            Some(Route::Candles("KRW-BTC"))
        );
        for path in [
            "/",
            "/upbit_data/",
            "/tickers/",
            "/tickers//candles",
            "/tickers/KRW-BTC/trades",
            "/tickers/KRW-BTC/candles/x",
        ] {
            assert_eq!(route(path), None, "{path}");
        }
    }
}
