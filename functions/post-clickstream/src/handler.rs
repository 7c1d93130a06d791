//! `POST /set_click_stream` (one record, the frontend's call) and `POST /set_click_stream/batch`
//! (backfills): validate, wrap in an envelope, put on the clickstream, answer.
//!
//! | answer | when |
//! |---|---|
//! | 200 `{"message":"accepted","event_id":…}` | the record is on the stream (batch: `event_ids`, in order) |
//! | 400 `empty_body`, `malformed_json`, `invalid_record`, `invalid_batch`, `invalid_idempotency_key` | the message names every field and rule; `problems` lists them as `{path, rule}` |
//! | 405 `method_not_allowed` | anything but POST (OPTIONS is the CORS preflight: 204) |
//! | 413 `body_too_large` | over 64 KiB (batch: 5 MiB) |
//! | 415 `unsupported_media_type` | a `Content-Type` other than JSON (none at all is read as JSON) |
//! | 503 `stream_unavailable` | the stream still refused a record after the retries; nothing is claimed as accepted (batch: `accepted`/`failed` say exactly which) |
//!
//! Nothing reaches the sink unless the whole request is valid (a batch is all-or-nothing).
//!
//! **The nickname** (`userNickname`, an e-mail for prize delivery) never leaves this function in
//! clear: the envelope carries its keyed hash when a key is configured and nothing otherwise; it
//! is never logged nor echoed in an answer.
//!
//! **Idempotency-Key**: a UUID is used as the event id as is; any other key of 1–128 characters
//! from `A–Z a–z 0–9 - _ . : ~` becomes the UUID v5 of the key in [`IDEMPOTENCY_NAMESPACE`].
//! The same key always gives the same event id, so a client that retries after a timeout or a
//! 503 creates a duplicate that the analysis counts once. In a batch, record `i` gets the v5 of
//! `<key>#<i>`. Without the header every record gets a random (v4) event id.

use coinking_click_sink::{ClickRecord, ClickSink, MAX_BYTES_PER_PUT, MAX_RECORDS_PER_PUT};
use coinking_core::game::{
    ClickEnvelope, GameRecord, Problem, RecordError, RecordRules, duplicate_key_problems,
    parse_game_record,
};
use coinking_http::{CorsOrigins, json_response};
use http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use tracing::{info, warn};
use uuid::Uuid;

use crate::nickname::{NicknameKey, nickname_hash};

/// Namespace of event ids derived from idempotency keys (UUID v5). Fixed forever: changing it
/// would give a retried request a new event id.
pub const IDEMPOTENCY_NAMESPACE: Uuid = Uuid::from_u128(0x6c1d_8a7e_33b4_4f0a_9d2e_5b7c_c01c_0001);
/// Longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 128;
/// A batch holds at most this many records: one `PutRecords` call.
pub const MAX_BATCH_RECORDS: usize = MAX_RECORDS_PER_PUT;
/// A batch body is at most this large: one `PutRecords` call's payload limit.
pub const MAX_BATCH_BYTES: usize = MAX_BYTES_PER_PUT;

/// What the handler needs: where records go, the deployment's rules, CORS, the nickname hash
/// key, and (for tests) the clock and the event-id source.
#[derive(Debug)]
pub struct Service<S> {
    pub sink: S,
    pub rules: RecordRules,
    pub cors: CorsOrigins,
    /// `None`: nicknames are dropped rather than hashed.
    pub nickname_key: Option<NicknameKey>,
    pub now_ms: fn() -> i64,
    pub new_event_id: fn() -> Uuid,
}

impl<S: ClickSink> Service<S> {
    /// A service with the system clock and random event ids, which drops nicknames until
    /// given a key ([`Self::with_nickname_key`]).
    pub fn new(sink: S, rules: RecordRules, cors: CorsOrigins) -> Self {
        Self {
            sink,
            rules,
            cors,
            nickname_key: None,
            now_ms: coinking_http::system_clock,
            new_event_id: Uuid::new_v4,
        }
    }

    /// Hashes nicknames under `key` (`COINKING_NICKNAME_HASH_KEY`) instead of dropping them.
    pub fn with_nickname_key(mut self, key: Option<NicknameKey>) -> Self {
        self.nickname_key = key;
        self
    }

    /// The envelope for an accepted record: its nickname replaced by the keyed hash, or dropped.
    fn envelope(&self, record: GameRecord, event_id: Uuid, received_at_ms: i64) -> ClickEnvelope {
        let hash = nickname_hash(self.nickname_key.as_ref(), record.user_nickname.as_ref());
        ClickEnvelope::new(record, event_id, received_at_ms).with_nickname_hash(hash)
    }
}

/// An error answer: status, code, message and the problems behind it.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
    problems: Vec<Problem>,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            problems: Vec::new(),
        }
    }

    fn from_record_error(error: RecordError, prefix: &str) -> Self {
        let status = match error {
            RecordError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        let code = error.code();
        let problems: Vec<Problem> = match &error {
            RecordError::Invalid(problems) => problems
                .iter()
                .map(|problem| Problem {
                    path: prefixed(prefix, &problem.path),
                    rule: problem.rule.clone(),
                })
                .collect(),
            other => vec![Problem {
                path: if prefix.is_empty() {
                    "$".to_owned()
                } else {
                    prefix.to_owned()
                },
                rule: other.to_string(),
            }],
        };
        let message = problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            status,
            code,
            message,
            problems,
        }
    }
}

fn prefixed(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path) {
        (true, _) => path.to_owned(),
        (false, "$") => prefix.to_owned(),
        (false, _) => format!("{prefix}.{path}"),
    }
}

/// Handles one request. Never fails: every outcome is an HTTP answer.
pub async fn handle<S: ClickSink>(service: &Service<S>, request: Request) -> Response<Body> {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let allow_origin = match origin.as_deref() {
        Some(origin) => service.cors.allow(origin),
        // `*` is sent without an `Origin` too (servers and curl see what a browser would).
        None => (service.cors == CorsOrigins::Any).then(|| "*".to_owned()),
    };
    let mut response = match route(service, request).await {
        Ok(response) => response,
        Err(refusal) => refusal_response(&refusal),
    };
    if let Some(allowed) = allow_origin {
        let headers = response.headers_mut();
        coinking_http::add_allow_origin(headers, &allowed);
        // Also with `*`: with the list configured the same URL answers per origin.
        coinking_http::add_vary_origin(headers);
    }
    response
}

async fn route<S: ClickSink>(
    service: &Service<S>,
    request: Request,
) -> Result<Response<Body>, Refusal> {
    if request.method() == Method::OPTIONS {
        return Ok(preflight());
    }
    if request.method() != Method::POST {
        return Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("method: must be POST (got {})", request.method()),
        ));
    }
    check_content_type(&request)?;
    let idempotency_key = idempotency_key(&request)?;
    let batch = request.uri().path().ends_with("/batch");
    // API Gateway's base64 bodies (isBase64Encoded) were decoded by lambda_http already.
    let body: &[u8] = request.body().as_ref();
    if batch {
        accept_batch(service, body, idempotency_key.as_deref()).await
    } else {
        accept_one(service, body, idempotency_key.as_deref()).await
    }
}

fn preflight() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    coinking_http::add_allow_methods_and_headers(
        headers,
        "POST, OPTIONS",
        "content-type, idempotency-key",
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// JSON, `application/*+json`, or no type at all (read as JSON); a charset must be UTF-8.
fn check_content_type(request: &Request) -> Result<(), Refusal> {
    let Some(value) = request.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("").to_ascii_lowercase();
    let mut parts = text.split(';').map(str::trim);
    let media_type = parts.next().unwrap_or("");
    let json = media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"));
    let utf8 = parts.all(|parameter| match parameter.split_once('=') {
        Some(("charset", charset)) => matches!(charset.trim_matches('"'), "utf-8" | "utf8"),
        _ => true,
    });
    if json && utf8 {
        Ok(())
    } else {
        Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "Content-Type: must be application/json in UTF-8 (got {:?})",
                value.to_str().unwrap_or("non-ASCII")
            ),
        ))
    }
}

fn idempotency_key(request: &Request) -> Result<Option<String>, Refusal> {
    let Some(value) = request.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let rule = format!(
        "Idempotency-Key: must be a UUID or 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters of A-Z a-z 0-9 - _ . : ~"
    );
    let key = value.to_str().map_err(|_| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            rule.clone(),
        )
    })?;
    let safe = !key.is_empty()
        && key.len() <= MAX_IDEMPOTENCY_KEY_CHARS
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'~'));
    if safe {
        Ok(Some(key.to_owned()))
    } else {
        Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            rule,
        ))
    }
}

/// The event id of record `index` of a request (see the module doc).
pub fn event_id_for(key: Option<&str>, index: Option<usize>, random: fn() -> Uuid) -> Uuid {
    match (key, index) {
        (None, _) => random(),
        (Some(key), None) => Uuid::try_parse(key)
            .unwrap_or_else(|_| Uuid::new_v5(&IDEMPOTENCY_NAMESPACE, key.as_bytes())),
        (Some(key), Some(index)) => {
            Uuid::new_v5(&IDEMPOTENCY_NAMESPACE, format!("{key}#{index}").as_bytes())
        }
    }
}

fn envelope_record(envelope: &ClickEnvelope) -> Result<ClickRecord, Refusal> {
    let data = serde_json::to_vec(envelope).map_err(|error| {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("envelope: {error}"),
        )
    })?;
    Ok(ClickRecord {
        partition_key: envelope.event_id.to_string(),
        data,
    })
}

async fn accept_one<S: ClickSink>(
    service: &Service<S>,
    body: &[u8],
    key: Option<&str>,
) -> Result<Response<Body>, Refusal> {
    let record = parse_game_record(body, &service.rules).map_err(|error| {
        info!(
            code = error.code(),
            problems = error.problems().len(),
            "clickstream record rejected"
        );
        Refusal::from_record_error(error, "")
    })?;
    let event_id = event_id_for(key, None, service.new_event_id);
    let envelope = service.envelope(record, event_id, (service.now_ms)());
    let report = service.sink.put(&[envelope_record(&envelope)?]).await;
    if !report.all_accepted() {
        warn!(%event_id, attempts = report.attempts, outcome = ?report.outcomes, "clickstream record not accepted by the stream");
        return Err(unavailable());
    }
    info!(%event_id, attempts = report.attempts, "clickstream record accepted");
    Ok(json_response(
        StatusCode::OK,
        &json!({"message": "accepted", "event_id": event_id}),
    ))
}

fn unavailable() -> Refusal {
    Refusal::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "stream_unavailable",
        "clickstream: the stream did not accept the record after retries; nothing was stored, retry later",
    )
}

async fn accept_batch<S: ClickSink>(
    service: &Service<S>,
    body: &[u8],
    key: Option<&str>,
) -> Result<Response<Body>, Refusal> {
    if body.len() > MAX_BATCH_BYTES {
        return Err(Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "$: body is {} bytes, more than the limit of {MAX_BATCH_BYTES}",
                body.len()
            ),
        ));
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) if body.iter().all(u8::is_ascii_whitespace) => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "empty_body",
                "$: body is empty",
            ));
        }
        Err(error) => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("$: body is not valid JSON: {error}"),
            ));
        }
    };
    let invalid = |rule: String| Refusal {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_batch",
        message: rule.clone(),
        problems: vec![Problem {
            path: rule.split(':').next().unwrap_or("$").to_owned(),
            rule: rule
                .split_once(": ")
                .map(|(_, r)| r.to_owned())
                .unwrap_or_default(),
        }],
    };
    // The tree below keeps only the last of two equal keys: ask the bytes first.
    let duplicates = duplicate_key_problems(body);
    if !duplicates.is_empty() {
        let message = duplicates
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        info!(problems = duplicates.len(), "clickstream batch rejected");
        return Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_record",
            message,
            problems: duplicates,
        });
    }
    let Some(items) = value.get("records").and_then(Value::as_array) else {
        return Err(invalid(
            "records: must be an array of game records".to_owned(),
        ));
    };
    if items.is_empty() || items.len() > MAX_BATCH_RECORDS {
        return Err(invalid(format!(
            "records: must have 1 to {MAX_BATCH_RECORDS} entries (got {})",
            items.len()
        )));
    }
    let mut records: Vec<GameRecord> = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (index, item) in items.iter().enumerate() {
        // Re-encoding a parsed value cannot fail; each record then meets the single-record rules,
        // its size limit included.
        let bytes = serde_json::to_vec(item).unwrap_or_default();
        match parse_game_record(&bytes, &service.rules) {
            Ok(record) => records.push(record),
            Err(error) => problems
                .extend(Refusal::from_record_error(error, &format!("records[{index}]")).problems),
        }
    }
    if !problems.is_empty() {
        let message = problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        info!(problems = problems.len(), "clickstream batch rejected");
        return Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_record",
            message,
            problems,
        });
    }
    let now = (service.now_ms)();
    let mut envelopes = Vec::with_capacity(records.len());
    for (index, record) in records.into_iter().enumerate() {
        let event_id = event_id_for(key, Some(index), service.new_event_id);
        envelopes.push(service.envelope(record, event_id, now));
    }
    let mut stream_records = Vec::with_capacity(envelopes.len());
    for envelope in &envelopes {
        stream_records.push(envelope_record(envelope)?);
    }
    let report = service.sink.put(&stream_records).await;
    let event_ids: Vec<String> = envelopes.iter().map(|e| e.event_id.to_string()).collect();
    if report.all_accepted() {
        info!(
            records = event_ids.len(),
            attempts = report.attempts,
            "clickstream batch accepted"
        );
        return Ok(json_response(
            StatusCode::OK,
            &json!({"message": "accepted", "event_ids": event_ids}),
        ));
    }
    let failed = report.failed();
    let listed = |indexes: &mut dyn Iterator<Item = usize>| -> Vec<Value> {
        indexes
            .map(|index| json!({"index": index, "event_id": event_ids[index]}))
            .collect()
    };
    let accepted = listed(&mut (0..event_ids.len()).filter(|i| !failed.contains(i)));
    let refused = listed(&mut failed.iter().copied());
    warn!(
        accepted = accepted.len(),
        failed = refused.len(),
        "clickstream batch partly refused by the stream"
    );
    let mut body = error_body(&unavailable());
    body["accepted"] = Value::from(accepted);
    body["failed"] = Value::from(refused);
    let mut response = json_response(StatusCode::SERVICE_UNAVAILABLE, &body);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    Ok(response)
}

/// The shared `{"error":{"code","message"}}` with this function's `problems` list.
fn error_body(refusal: &Refusal) -> Value {
    let mut body = coinking_http::error_body(refusal.code, &refusal.message);
    if !refusal.problems.is_empty() {
        body["error"]["problems"] = serde_json::to_value(&refusal.problems).unwrap_or_default();
    }
    body
}

fn refusal_response(refusal: &Refusal) -> Response<Body> {
    let mut response = json_response(refusal.status, &error_body(refusal));
    if refusal.status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    if refusal.status == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST, OPTIONS"));
    }
    response
}
