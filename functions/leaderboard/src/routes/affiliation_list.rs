//! `GET /get_affiliation_list`: every affiliation with at least one player, sorted (the rank
//! page's filter).

use coinking_adapters::leaderboard::AffiliationReader;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::deps::Deps;
use crate::edge::{ApiError, Query, ok, store_error};

#[derive(Serialize)]
struct Answer {
    message: &'static str,
    affiliation: Vec<String>,
}

pub async fn answer<L: AffiliationReader, C>(
    deps: &Deps<L, C>,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    Query::of(req).only(&[])?;
    let affiliation = deps
        .store
        .affiliations()
        .await
        .map_err(|error| store_error(&error, "affiliation list read"))?;
    Ok(ok(&Answer {
        message: "ok",
        affiliation,
    }))
}
