//! The get-user-analysis Lambda: serves the analysis the analytics job wrote (`analysis/*.json`).
//!
//! - `GET /get_user_analysis` → one object with exactly the 13 compat keys (docs/DESIGN.md), each in
//!   its fixed shape; `?include=all` → all 20 results. Read from the one document holding all
//!   results of a run (`analysis/_results.json`), never from the 20 per-result files, which a
//!   running analysis replaces one at a time.
//! - `GET /users/{userName}/analysis` → that player's summary.
//! - `OPTIONS` on either → CORS preflight.
//!
//! Module map: [`reader`] (the `AnalysisReader` port: S3, local directory, memory), [`config`]
//! (typed env config), this file (routing, validation, responses). `main.rs` wires them.
//!
//! Errors are JSON `{"error":{"code","message"}}`: 400 for a bad query or userName (the message
//! names the field and the rule), 404 for an unknown route, a player without games, or no
//! analysis yet, 405 for other methods, 503 when the store cannot be read (retryable) and 500
//! when a stored document is not what the job writes.
//!
//! `Cache-Control: public, max-age=N`: N is the time left until the next scheduled run
//! (`generated_at_ms` of the run served + the run interval − now), at least 1 s, so browsers and
//! CloudFront never serve a result older than the next run.

pub mod config;
pub mod reader;

use coinking_core::player::{PlayerField, check_player_text};
use coinking_http::{ApiError, json_response};
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Map, Value};

pub use coinking_http::CorsOrigins;
pub use config::Config;
pub use reader::{AnalysisReader, DirReader, MemoryReader, ReadError, S3Reader};

/// Where the manifest is, relative to the reader's root.
pub const MANIFEST_KEY: &str = "analysis/_manifest.json";

/// The 20 results of one run in one document (`{"run_id", "generated_at_ms", "results": {name:
/// value}}`), written by both analytics engines before the manifest.
pub const RESULTS_KEY: &str = "analysis/_results.json";

/// Is a result an array or an object (the frontend depends on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Array,
    Object,
}

/// The 13 keys of the original contract, with their shapes.
pub const COMPAT_RESULTS: [(&str, Shape); 13] = [
    ("coin_ratio", Shape::Array),
    ("coin_avg_sell_time", Shape::Array),
    ("leverage_ratio", Shape::Array),
    ("ai_recommend_1_ratio", Shape::Array),
    ("ai_recommend_2_ratio", Shape::Array),
    ("ai_recommend_1_avg_balance", Shape::Array),
    ("ai_recommend_2_avg_balance", Shape::Array),
    ("leverage_avg_balance", Shape::Array),
    ("top_10_percent_coin_ratio", Shape::Array),
    ("avg_balance", Shape::Object),
    ("page_time_avg", Shape::Object),
    ("sell_time_avg", Shape::Object),
    ("top_10_percent_avg_sell_time_by_category", Shape::Object),
];

/// The 7 top-10 % extras served with `?include=all`.
pub const EXTRA_RESULTS: [(&str, Shape); 7] = [
    ("top_10_percent_leverage_ratio", Shape::Array),
    ("top_10_percent_leverage_avg_balance", Shape::Array),
    ("top_10_percent_ai_recommend_1_ratio", Shape::Array),
    ("top_10_percent_ai_recommend_2_ratio", Shape::Array),
    ("top_10_percent_ai_recommend_1_avg_balance", Shape::Array),
    ("top_10_percent_ai_recommend_2_avg_balance", Shape::Array),
    ("top_10_percent_coin_avg_sell_time", Shape::Array),
];

/// Everything the handler needs.
#[derive(Debug, Clone)]
pub struct Deps<R> {
    pub reader: R,
    pub config: Config,
}

/// Checks a decoded userName by the one player rule (`coinking_core::player`), the rule the game
/// record was accepted by, so it is always exactly one key segment. Stored names are trimmed, so
/// a name with surrounding whitespace cannot have been stored.
pub fn validate_user_name(name: &str) -> Result<(), ApiError> {
    let bad = |rule: String| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_user_name",
            format!("userName: {rule}"),
        )
    };
    match check_player_text(PlayerField::Name, name) {
        Ok(trimmed) if trimmed == name => Ok(()),
        Ok(_) => Err(bad(
            "must not start or end with whitespace (names are stored trimmed)".to_owned(),
        )),
        Err(rules) => Err(bad(rules.join("; "))),
    }
}

enum Route {
    Analysis,
    User(String),
}

/// Routes on the raw path (API Gateway's `rawPath`, still percent-encoded: the normalised URI
/// would already have resolved `..` segments). A stage prefix is tolerated.
fn route(raw_path: &str) -> Result<Route, ApiError> {
    let segments: Vec<&str> = raw_path.trim_end_matches('/').split('/').collect();
    match segments.as_slice() {
        [.., "get_user_analysis"] => Ok(Route::Analysis),
        [.., "users", encoded, "analysis"] => {
            let decoded = percent_encoding::percent_decode_str(encoded)
                .decode_utf8()
                .map_err(|_| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_user_name",
                        "userName: must be UTF-8 after URL decoding",
                    )
                })?;
            validate_user_name(&decoded)?;
            Ok(Route::User(decoded.into_owned()))
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "route_not_found",
            format!("path: no route for `{raw_path}`"),
        )),
    }
}

fn include_all(request: &Request) -> Result<bool, ApiError> {
    let query = request.query_string_parameters();
    let values = query.all("include").unwrap_or_default();
    match values.as_slice() {
        [] => Ok(false),
        ["all"] => Ok(true),
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "include: must be `all` (once) or absent",
        )),
    }
}

async fn read_json<R: AnalysisReader>(reader: &R, key: &str) -> Result<Option<Value>, ApiError> {
    let Some(bytes) = reader.read(key).await.map_err(|error| {
        tracing::warn!(%error, key, "analysis read failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            format!("{key}: could not be read, retry later"),
        )
    })?
    else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|error| {
        tracing::error!(%error, key, "stored analysis is not JSON");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "corrupt_analysis",
            format!("{key}: is not valid JSON"),
        )
    })
}

fn no_analysis_yet() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "analysis_not_found",
        "analysis: no analysis has been run yet",
    )
}

/// The manifest's `generated_at_ms`, or 404 when no analysis has completed yet.
async fn manifest_time<R: AnalysisReader>(reader: &R) -> Result<i64, ApiError> {
    let manifest = read_json(reader, MANIFEST_KEY)
        .await?
        .ok_or_else(no_analysis_yet)?;
    manifest["generated_at_ms"].as_i64().ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "corrupt_analysis",
            format!("{MANIFEST_KEY}: generated_at_ms: must be an integer"),
        )
    })
}

/// Seconds a response may be cached: until the next scheduled run, at least 1.
pub fn max_age_secs(generated_at_ms: i64, interval_secs: u64, now_ms: i64) -> u64 {
    let next_run_ms = generated_at_ms.saturating_add((interval_secs as i64).saturating_mul(1000));
    let remaining_secs = next_run_ms.saturating_sub(now_ms) / 1000;
    remaining_secs.max(1) as u64
}

/// The results of one run, from `analysis/_results.json` (all 20 in one document, so they never
/// mix two runs), and that run's `generated_at_ms`; 404 when no analysis has completed yet.
async fn analysis<R: AnalysisReader>(reader: &R, all: bool) -> Result<(Value, i64), ApiError> {
    let corrupt = |rule: String| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "corrupt_analysis",
            format!("{RESULTS_KEY}: {rule}"),
        )
    };
    let mut snapshot = read_json(reader, RESULTS_KEY)
        .await?
        .ok_or_else(no_analysis_yet)?;
    let generated_at_ms = snapshot["generated_at_ms"]
        .as_i64()
        .ok_or_else(|| corrupt("generated_at_ms: must be an integer".into()))?;
    let Some(stored) = snapshot.get_mut("results").and_then(Value::as_object_mut) else {
        return Err(corrupt("results: must be an object".into()));
    };
    let extras: &[(&str, Shape)] = if all { &EXTRA_RESULTS } else { &[] };
    let mut body = Map::new();
    for &(name, shape) in COMPAT_RESULTS.iter().chain(extras) {
        let value = stored
            .remove(name)
            .ok_or_else(|| corrupt(format!("results.{name}: missing")))?;
        let shape_ok = match shape {
            Shape::Array => value.is_array(),
            Shape::Object => value.is_object(),
        };
        if !shape_ok {
            return Err(corrupt(format!(
                "results.{name}: must be an {}",
                if shape == Shape::Array {
                    "array"
                } else {
                    "object"
                }
            )));
        }
        body.insert(name.to_owned(), value);
    }
    Ok((Value::Object(body), generated_at_ms))
}

async fn answer<R: AnalysisReader>(
    deps: &Deps<R>,
    request: &Request,
) -> Result<(Value, u64), ApiError> {
    let raw_path = request.raw_http_path().to_owned();
    let (body, generated_at_ms) = match route(&raw_path)? {
        Route::Analysis => analysis(&deps.reader, include_all(request)?).await?,
        Route::User(name) => {
            let generated_at_ms = manifest_time(&deps.reader).await?;
            let summary = read_json(&deps.reader, &format!("analysis/users/{name}.json"))
                .await?
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        "user_not_found",
                        "userName: no analysed games for this player",
                    )
                })?;
            (summary, generated_at_ms)
        }
    };
    let max_age = max_age_secs(
        generated_at_ms,
        deps.config.interval_secs,
        coinking_http::system_clock(),
    );
    Ok((body, max_age))
}

/// CORS on every answer by the API's one policy (`coinking_http::apply_policy`; preflights
/// `apply_preflight`), the same as every other route's.
fn cors(origins: &CorsOrigins, request: &Request, response: &mut Response<Body>) {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok());
    if request.method() == Method::OPTIONS {
        coinking_http::apply_preflight(origins, origin, response.headers_mut());
    } else {
        coinking_http::apply_policy(origins, origin, response.headers_mut());
    }
}

/// The Lambda handler. Never fails: every problem is an HTTP answer.
pub async fn handler<R: AnalysisReader>(deps: &Deps<R>, request: Request) -> Response<Body> {
    let mut response = if request.method() == Method::OPTIONS {
        let mut preflight = Response::new(Body::Empty);
        *preflight.status_mut() = StatusCode::NO_CONTENT;
        preflight
    } else if request.method() != Method::GET {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("method: {} is not allowed, use GET", request.method()),
        )
        .into_response()
    } else {
        match answer(deps, &request).await {
            Ok((body, max_age)) => {
                let mut ok = json_response(StatusCode::OK, &body);
                if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
                    ok.headers_mut().insert(header::CACHE_CONTROL, value);
                }
                ok
            }
            Err(error) => error.into_response(),
        }
    };
    cors(&deps.config.cors_origins, &request, &mut response);
    response
}
