//! `GET /get_the_best_user_data`: the global best player's row. An empty leaderboard answers
//! 200 with `"data": null` (nobody has played yet is not an error, and not a 404 the frontend
//! would treat as a broken route).

use coinking_adapters::leaderboard::{RankingReader, RankingScope};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use super::RowView;
use crate::deps::Deps;
use crate::edge::{ApiError, Query, ok, store_error};

#[derive(Serialize)]
struct Answer<'a> {
    message: &'static str,
    data: Option<RowView<'a>>,
}

pub async fn answer<L: RankingReader, C>(
    deps: &Deps<L, C>,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    Query::of(req).only(&[])?;
    let best = deps
        .store
        .ranking(&RankingScope::All, 1)
        .await
        .map_err(|error| store_error(&error, "ranking read"))?;
    Ok(ok(&Answer {
        message: if best.is_empty() {
            "no players yet"
        } else {
            "ok"
        },
        data: best.first().map(RowView::from),
    }))
}
