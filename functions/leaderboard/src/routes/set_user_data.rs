//! `POST /set_user_data`: a player's best game of the session, sent when leaving the result
//! screen. In order, and nothing is written unless every step passes:
//! 1. the body's rules ([`parse_submission`]): 400 `invalid_body`, message `field: rule; …`,
//!    and `problems: [{field, rule}]` listing every one;
//! 2. the score bound from the stored candles ([`crate::score`]): 422 `score_out_of_bounds`;
//! 3. the best-wins write ([`ScoreWriter::submit`]), idempotent per request id: the
//!    `Idempotency-Key` header when the client sends one, else a fresh id per request.
//!
//! The nickname (an e-mail) is validated and dropped: never stored, logged or answered.

use coinking_adapters::leaderboard::{ScoreWriter, SubmitOutcome};
use coinking_adapters::market_store::CandleReader;
use coinking_core::leaderboard::{Problem, parse_submission};
use lambda_http::http::StatusCode;
use lambda_http::http::header::{CACHE_CONTROL, HeaderValue};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::json;

use crate::deps::Deps;
use crate::edge::{ApiError, NO_STORE, ok, store_error};
use crate::metrics::Metric;
use crate::score::score_bound;

/// The client's retry key, as post-clickstream takes it.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;

#[derive(Serialize)]
struct Answer {
    message: &'static str,
}

pub async fn answer<L, C>(deps: &Deps<L, C>, req: &Request) -> Result<Response<Body>, ApiError>
where
    L: ScoreWriter,
    C: CandleReader,
{
    let request_id = request_id(req)?;
    let body: &[u8] = match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        // `Body` is non-exhaustive; an empty or unknown body has no JSON.
        _ => b"",
    };
    let entry = match parse_submission(body, &deps.config.game_markets) {
        Ok(entry) => entry,
        Err(problems) => {
            deps.metrics.add(Metric::Invalid);
            tracing::info!(problems = problems.len(), first = %problems[0], metric = Metric::Invalid.name(), "submission refused");
            return Ok(invalid_body(&problems));
        }
    };
    let now = deps.now();
    let bound = score_bound(&deps.candles, &deps.rule, &entry.coins, now, &deps.metrics).await;
    if let Err(refused) = bound.check(entry.balance) {
        deps.metrics.add(Metric::OutOfBounds);
        tracing::warn!(
            name = %entry.name,
            affiliation = %entry.affiliation,
            balance = entry.balance,
            allowed = bound.allowed_krw,
            metric = Metric::OutOfBounds.name(),
            "submission above the score bound refused"
        );
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "score_out_of_bounds",
            refused.to_string(),
        ));
    }
    let outcome = match deps.store.submit(&entry, now, &request_id).await {
        Ok(outcome) => outcome,
        Err(error) => {
            deps.metrics.add(Metric::StoreError);
            return Err(store_error(&error, "write"));
        }
    };
    deps.metrics.add(Metric::Accepted);
    tracing::info!(balance = entry.balance_krw(), outcome = ?outcome, "submission stored");
    let message = match outcome {
        SubmitOutcome::NewBest { .. } => "saved: a new best score",
        SubmitOutcome::Kept { .. } => "saved: the higher best score is kept",
        SubmitOutcome::Duplicate => "saved: this request was already applied",
    };
    Ok(ok(&Answer { message }))
}

/// The client's `Idempotency-Key` (1–128 visible ASCII characters), or a fresh id.
fn request_id(req: &Request) -> Result<String, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(uuid::Uuid::new_v4().to_string());
    };
    let valid = value
        .to_str()
        .ok()
        .filter(|key| (1..=MAX_IDEMPOTENCY_KEY_LEN).contains(&key.len()))
        .filter(|key| key.bytes().all(|b| b.is_ascii_graphic()));
    match valid {
        Some(key) => Ok(key.to_owned()),
        None => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_header",
            format!(
                "Idempotency-Key: must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"
            ),
        )),
    }
}

/// 400 listing every problem; the message joins them as `field: rule; field: rule`.
fn invalid_body(problems: &[Problem]) -> Response<Body> {
    let message = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    let listed: Vec<_> = problems
        .iter()
        .map(|p| json!({"field": p.field, "rule": p.rule}))
        .collect();
    let body = json!({"error": {"code": "invalid_body", "message": message, "problems": listed}});
    let mut response = coinking_http::json_response(StatusCode::BAD_REQUEST, &body);
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    response
}
