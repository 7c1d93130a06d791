//! The AI hint routes (docs/DESIGN.md "The frontend's contracts", items 4 and 7).
//!
//! `GET /get_deeplearning` always answers 200 with exactly one entry per game market, in the
//! `/upbit_data` order (the configured `COINKING_GAME_MARKETS`), ranks 1..N unique and each flag
//! on exactly one entry: the stored set (written by the ingester's hints stage or by
//! `POST /set_deeplearning`) fitted to the game markets ([`fit_to_markets`]); markets it lacks are
//! filled from a warm-up set computed here from the latest tickers (zero forecast, sell levels
//! around the current price), which is also the whole answer before any set is stored. Headers:
//! `x-coinking-hints-time` (epoch ms of the data) and `x-coinking-hints-model` (`baseline-v1`,
//! the external predictor's name, `warming-up`, or `unavailable` when the store could not be
//! read; the answer is then the zero-forecast set, because the coin-choice screen breaks on
//! anything but a 200 array).
//!
//! `POST /set_deeplearning` stores a hint set from an external predictor. Never public: on AWS
//! the route has IAM auth (API Gateway checks the SigV4 signature and puts the caller in the
//! event's `authorizer.iam`); anywhere else it takes `Authorization: Bearer <token>` with the
//! token of `COINKING_HINTS_TOKEN` (unset: 403; missing or wrong: 401). The body is the
//! `/get_deeplearning` array, validated by `coinking_core::hints::parse_submission` (400
//! `invalid_hints` listing every problem, nothing written). An optional
//! `x-coinking-hints-model` request header names the model (default `external`).

use coinking_adapters::market_store::{HintReader, HintWriter, TickerReader};
use coinking_core::hints::{
    BaselineForecaster, HintSet, MarketInput, compute_hints, fit_to_markets, parse_submission,
};
use lambda_http::http::header::{AUTHORIZATION, HeaderName, HeaderValue, WWW_AUTHENTICATE};
use lambda_http::http::{Response, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::Serialize;

use crate::deps::{Deps, store_error};
use crate::respond::{ApiError, CACHE_ERROR, json_response, ok};

/// Epoch ms of the data behind the hints.
pub const HINTS_TIME_HEADER: &str = "x-coinking-hints-time";
/// The model that made the hints (also accepted on `POST /set_deeplearning`).
pub const HINTS_MODEL_HEADER: &str = "x-coinking-hints-model";
/// The model label when the store could not be read.
pub const UNAVAILABLE_MODEL: &str = "unavailable";
/// The model of a submitted set without an `x-coinking-hints-model` header.
pub const DEFAULT_EXTERNAL_MODEL: &str = "external";
/// Longest model name accepted.
pub const MAX_MODEL_LEN: usize = 64;

/// `GET /get_deeplearning` (see the module doc). Never an error.
pub async fn get_deeplearning<S>(deps: &Deps<S>) -> Response<Body>
where
    S: HintReader + TickerReader,
{
    let markets = &deps.config.game_markets;
    let now = (deps.clock)();
    let (stored, store_failed) = match deps.store.hints().await {
        Ok(stored) => (stored, false),
        Err(error) => {
            tracing::error!(%error, retryable = error.is_retryable(), "hint set read failed, serving zero forecasts");
            (None, true)
        }
    };
    let complete = stored.as_ref().is_some_and(|set| {
        markets
            .iter()
            .all(|market| set.entries.iter().any(|hint| &hint.code == market))
    });
    let warm_up = if complete {
        None
    } else {
        Some(warm_up_set(deps, now, store_failed).await)
    };
    let fallback = warm_up.as_ref().map_or(&[][..], |set| &set.entries[..]);
    let (entries, time, model) = match &stored {
        Some(set) => (
            fit_to_markets(&set.entries, markets, fallback),
            set.data_time_ms,
            set.model_label().to_owned(),
        ),
        None => {
            let model = if store_failed {
                UNAVAILABLE_MODEL.to_owned()
            } else {
                warm_up
                    .as_ref()
                    .map_or("warming-up", HintSet::model_label)
                    .to_owned()
            };
            let time = warm_up.as_ref().map_or(now, |set| set.data_time_ms);
            (fit_to_markets(&[], markets, fallback), time, model)
        }
    };
    let mut response = ok(&entries, None);
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static(HINTS_TIME_HEADER),
        HeaderValue::from(time),
    );
    if let Ok(value) = HeaderValue::from_str(&model) {
        headers.insert(HeaderName::from_static(HINTS_MODEL_HEADER), value);
    }
    response
}

/// A warm-up set from the latest tickers: every game market, zero forecasts, sell levels
/// around the current price where one is known.
async fn warm_up_set<S: TickerReader>(deps: &Deps<S>, now: i64, skip_store: bool) -> HintSet {
    let markets = &deps.config.game_markets;
    let tickers = if skip_store {
        Vec::new()
    } else {
        deps.store.latest(markets).await.unwrap_or_else(|error| {
            tracing::error!(%error, "ticker read for warm-up hints failed, serving zero forecasts");
            Vec::new()
        })
    };
    let inputs: Vec<MarketInput<'_>> = markets
        .iter()
        .map(|market| MarketInput {
            market,
            candles: &[],
            price: tickers
                .iter()
                .find(|t| &t.market == market)
                .map(|t| (t.trade_price, t.timestamp)),
        })
        .collect();
    compute_hints(&inputs, &BaselineForecaster::default(), now)
}

#[derive(Debug, Serialize)]
struct Accepted<'a> {
    message: &'static str,
    count: usize,
    model: &'a str,
}

/// `POST /set_deeplearning` (see the module doc).
pub async fn set_deeplearning<S>(deps: &Deps<S>, req: &Request) -> Result<Response<Body>, ApiError>
where
    S: HintWriter,
{
    if let Err(refused) = authorize(deps, req) {
        let challenge = refused.status == StatusCode::UNAUTHORIZED;
        let mut response = refused.into_response();
        if challenge {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        return Ok(response);
    }
    let model = match req.headers().get(HINTS_MODEL_HEADER) {
        None => DEFAULT_EXTERNAL_MODEL.to_owned(),
        Some(value) => value
            .to_str()
            .ok()
            .filter(|name| valid_model_name(name))
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_header",
                    format!(
                        "{HINTS_MODEL_HEADER}: must be 1 to {MAX_MODEL_LEN} characters of a-z, A-Z, 0-9, `.`, `_`, `-`"
                    ),
                )
            })?,
    };
    let body = match req.body() {
        Body::Empty => "",
        Body::Text(text) => text.as_str(),
        Body::Binary(bytes) => std::str::from_utf8(bytes).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_hints",
                "body: must be UTF-8 JSON",
            )
        })?,
        _ => "",
    };
    let markets = &deps.config.game_markets;
    let mut entries = parse_submission(body, markets).map_err(|problems| {
        let message = problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_hints", message)
    })?;
    // Stored in the game's order, as the hints stage writes it.
    entries.sort_by_key(|hint| markets.iter().position(|m| m == &hint.code));
    let now = (deps.clock)();
    let set = HintSet {
        generated_at_ms: now,
        data_time_ms: now,
        model,
        warming_up: false,
        entries,
    };
    deps.store.put_hints(&set).await.map_err(store_error)?;
    tracing::info!(entries = set.entries.len(), model = %set.model, "external hint set stored");
    Ok(json_response(
        StatusCode::OK,
        &Accepted {
            message: "accepted",
            count: set.entries.len(),
            model: &set.model,
        },
        CACHE_ERROR,
    ))
}

fn valid_model_name(name: &str) -> bool {
    (1..=MAX_MODEL_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// IAM-signed (on AWS) or the configured bearer token; otherwise the refusal to send.
fn authorize<S>(deps: &Deps<S>, req: &Request) -> Result<(), ApiError> {
    if signed_by_iam(req) {
        return Ok(());
    }
    let Some(expected) = deps.config.hints_token.as_deref() else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "hints_writes_disabled",
            "Authorization: POST /set_deeplearning is disabled here: it takes an IAM-signed request on AWS, or a bearer token once COINKING_HINTS_TOKEN is set",
        ));
    };
    let given = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let rule = match given {
        None => {
            "Authorization: a bearer token is required (Authorization: Bearer <COINKING_HINTS_TOKEN>)"
        }
        Some(token) if constant_time_eq(token.trim().as_bytes(), expected.as_bytes()) => {
            return Ok(());
        }
        Some(_) => "Authorization: the bearer token is not valid",
    };
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        rule,
    ))
}

/// API Gateway puts the verified IAM caller here only for routes with IAM auth.
fn signed_by_iam(req: &Request) -> bool {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .and_then(|authorizer| authorizer.iam.as_ref())
            .is_some_and(|iam| iam.user_arn.is_some() || iam.caller_id.is_some()),
        _ => false,
    }
}

/// Compares without an early exit, so the time taken says nothing about the token.
fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = given.len() ^ expected.len();
    for (index, byte) in expected.iter().enumerate() {
        difference |= usize::from(byte ^ given.get(index).copied().unwrap_or(0));
    }
    difference == 0
}
