//! The handler: routing, CORS and the shared edge around the four routes; what the routes
//! share with it ([`Deps`]) is in [`crate::deps`].
//!
//! The function routes by itself on the raw path, so it answers the same behind one route per
//! path (template.yaml) or an `ANY` route, and under `cargo lambda watch`: a wrong method is a
//! JSON 405, `OPTIONS` the CORS preflight, an unknown path a JSON 404, all with the API's one
//! CORS policy (`coinking_http::apply_policy` / `apply_preflight`, as template.yaml's
//! `CorsConfiguration`).

use coinking_adapters::leaderboard::{AffiliationReader, RankingReader, ScoreWriter};
use coinking_adapters::market_store::CandleReader;
use lambda_http::http::header::ORIGIN;
use lambda_http::http::{Method, Response, StatusCode};
use lambda_http::{Body, Request, RequestExt};

use crate::edge::{ApiError, preflight};
use crate::routes;

pub use crate::deps::{Clock, Deps, system_clock};

/// The routes of this function, with their one method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    SetUserData,
    GetUserData,
    AffiliationList,
    BestUser,
}

impl Route {
    fn of(path: &str) -> Option<Self> {
        match path {
            "/set_user_data" => Some(Self::SetUserData),
            "/get_user_data" => Some(Self::GetUserData),
            "/get_affiliation_list" => Some(Self::AffiliationList),
            "/get_the_best_user_data" => Some(Self::BestUser),
            _ => None,
        }
    }

    fn method(self) -> Method {
        match self {
            Self::SetUserData => Method::POST,
            _ => Method::GET,
        }
    }

    fn allow(self) -> &'static str {
        match self {
            Self::SetUserData => "POST, OPTIONS",
            _ => "GET, OPTIONS",
        }
    }
}

/// The Lambda runtime loop over [`handle`], for `main.rs` whichever stores it built.
pub async fn serve<L, C>(deps: Deps<L, C>) -> Result<(), lambda_http::Error>
where
    L: ScoreWriter + RankingReader + AffiliationReader,
    C: CandleReader,
{
    lambda_http::run(lambda_http::service_fn(|request| async {
        Ok::<_, std::convert::Infallible>(handle(&deps, request).await)
    }))
    .await
}

/// Answers one API Gateway HTTP API request. Never fails: every problem is a JSON error
/// response (4xx for the caller's, 5xx for the store's).
pub async fn handle<L, C>(deps: &Deps<L, C>, req: Request) -> Response<Body>
where
    L: ScoreWriter + RankingReader + AffiliationReader,
    C: CandleReader,
{
    let origin = req
        .headers()
        .get(ORIGIN)
        .and_then(|value| value.to_str().ok());
    let mut response = match dispatch(deps, &req).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    let origins = &deps.config.cors_origins;
    if req.method() == Method::OPTIONS && response.status() == StatusCode::NO_CONTENT {
        coinking_http::apply_preflight(origins, origin, response.headers_mut());
    } else {
        coinking_http::apply_policy(origins, origin, response.headers_mut());
    }
    response
}

async fn dispatch<L, C>(deps: &Deps<L, C>, req: &Request) -> Result<Response<Body>, ApiError>
where
    L: ScoreWriter + RankingReader + AffiliationReader,
    C: CandleReader,
{
    // The raw path excludes a stage prefix; requests built without an event have only the URI.
    let path = match req.raw_http_path() {
        "" => req.uri().path(),
        raw => raw,
    };
    let Some(route) = Route::of(path) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("path: no route for {path}"),
        ));
    };
    if req.method() == Method::OPTIONS {
        return Ok(preflight(route.allow()));
    }
    if req.method() != route.method() {
        return Err(ApiError::method_not_allowed(
            req.method().as_str(),
            path,
            route.allow(),
        ));
    }
    match route {
        Route::SetUserData => routes::set_user_data::answer(deps, req).await,
        Route::GetUserData => routes::get_user_data::answer(deps, req).await,
        Route::AffiliationList => routes::affiliation_list::answer(deps, req).await,
        Route::BestUser => routes::best_user::answer(deps, req).await,
    }
}
