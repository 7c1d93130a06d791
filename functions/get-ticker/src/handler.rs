//! The HTTP edge: routing, methods and the CORS preflight; what the routes share ([`Deps`],
//! the store-error mapping) is in [`crate::deps`], each route's work is its own file under [`crate::routes`], its query rules in `query`.
//!
//! The function routes by itself (on the raw path, without any stage prefix) so that it answers
//! the same whether API Gateway sends it one route or all of them, and whatever the method:
//! wrong methods get a JSON 405 and `OPTIONS` the CORS preflight (on AWS, template.yaml's
//! `GET` routes and the HTTP API's CORS configuration stop both before the function).

use coinking_adapters::market_store::{
    CandleReader, CatalogReader, HintReader, HintWriter, TickerReader,
};
use lambda_http::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, HeaderValue, ORIGIN,
};
use lambda_http::http::{Method, Response, StatusCode};
use lambda_http::{Body, Request, RequestExt};

use crate::query::Query;
use crate::respond::{ApiError, add_cors};
use crate::routes;

/// Methods every read route answers.
pub const ALLOWED_METHODS: &str = "GET, OPTIONS";
/// Methods `POST /set_deeplearning` answers.
pub const ALLOWED_WRITE_METHODS: &str = "POST, OPTIONS";
/// How long a browser may reuse a preflight answer.
pub const PREFLIGHT_MAX_AGE_SECS: u32 = 600;

pub use crate::deps::{Clock, Deps, system_clock};

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

/// The Lambda runtime loop over [`handle`], for `main.rs` whichever store it built.
pub async fn serve<S>(deps: Deps<S>) -> Result<(), lambda_http::Error>
where
    S: TickerReader + CandleReader + CatalogReader + HintReader + HintWriter,
{
    lambda_http::run(lambda_http::service_fn(|request| async {
        Ok::<_, std::convert::Infallible>(handle(&deps, request).await)
    }))
    .await
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
        other => return Err(ApiError::method_not_allowed(other.as_str(), path, allowed)),
    }
    let query = Query::of(req);
    match route {
        Route::UpbitData => routes::upbit_data::upbit_data(deps).await,
        // Like /upbit_data, cache-busters and other parameters are ignored: the frontend's
        // screen must never fail on this call.
        Route::GetDeeplearning => Ok(routes::hints::get_deeplearning(deps).await),
        Route::SetDeeplearning => {
            query.only(&[])?;
            routes::hints::set_deeplearning(deps, req).await
        }
        Route::Markets => {
            query.only(&[])?;
            routes::markets::markets(deps).await
        }
        Route::Tickers => {
            query.only(&["markets"])?;
            routes::tickers::tickers(deps, &query).await
        }
        Route::Ticker(market) => {
            query.only(&[])?;
            routes::tickers::ticker(deps, &routes::parse_market("market", market)?).await
        }
        Route::Candles(market) => {
            query.only(&["from", "to", "limit"])?;
            routes::candles::candles(deps, &routes::parse_market("market", market)?, &query).await
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
