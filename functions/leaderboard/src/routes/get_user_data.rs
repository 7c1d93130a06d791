//! `GET /get_user_data?affiliation=all|<affiliation>`: the ranking, best first, at most
//! `COINKING_LEADERBOARD_MAX_ROWS` rows. `all` is every player; any other value one
//! affiliation (trimmed; an affiliation nobody has gives an empty list). `affiliation` is
//! required: a missing or blank one is a 400 naming it.

use coinking_adapters::leaderboard::{RankingReader, RankingScope};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use super::RowView;
use crate::deps::Deps;
use crate::edge::{ApiError, Query, ok, store_error};

/// The value of `affiliation` that means every player.
pub const ALL: &str = "all";

#[derive(Serialize)]
struct Answer<'a> {
    message: &'static str,
    data: Vec<RowView<'a>>,
}

pub async fn answer<L: RankingReader, C>(
    deps: &Deps<L, C>,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let query = Query::of(req);
    query.only(&["affiliation"])?;
    let affiliation = query
        .single("affiliation")?
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            ApiError::bad_parameter("affiliation", "is required: `all` or an affiliation")
        })?;
    let scope = if affiliation == ALL {
        RankingScope::All
    } else {
        RankingScope::Affiliation(affiliation.to_owned())
    };
    let rows = deps
        .store
        .ranking(&scope, deps.config.max_rows)
        .await
        .map_err(|error| store_error(&error, "ranking read"))?;
    Ok(ok(&Answer {
        message: "ok",
        data: rows.iter().map(RowView::from).collect(),
    }))
}
