#![allow(clippy::unwrap_used)]
//! The handler from API Gateway v2 fixture events (events/post-clickstream/*.json) with an
//! in-memory sink: every documented answer, the bad-input suite, and partial stream failures.
//!
//! One test binary (`handler`): this file holds the fixtures and the helpers every topic module
//! beside it shares.

use base64::Engine as _;
use coinking_click_sink::memory::MemoryClickSink;
use coinking_core::game::{RecordRules, parse_envelope, parse_game_record};
use lambda_http::{Body, Request};
use post_clickstream::handler::{IDEMPOTENCY_NAMESPACE, event_id_for};
use post_clickstream::{CorsOrigins, NicknameKey, Service, handle};
use serde_json::{Value, json};
use uuid::Uuid;

mod accepted;
mod bad_inputs;
mod frontend_record;
mod stream_failures;

const VALID: &str = include_str!("../../../../events/post-clickstream/valid.json");
const INVALID: &str = include_str!("../../../../events/post-clickstream/invalid.json");
const BASE64: &str = include_str!("../../../../events/post-clickstream/base64.json");
const BATCH: &str = include_str!("../../../../events/post-clickstream/batch.json");
const FRONTEND: &str =
    include_str!("../../../../events/post-clickstream/frontend-game-record.json");
const FRONTEND_WITH_NICKNAME: &str =
    include_str!("../../../../events/post-clickstream/frontend-game-record-with-nickname.json");
const NICKNAME: &str = "player@example.com";
const NOW_MS: i64 = 1_732_500_000_123;
const FIXED_ID: Uuid = Uuid::from_u128(0x0b6f_3c8e_6a1d_4f0e_9c57_3f1f_2a9d_8e41);
const ORIGIN: &str = "http://localhost:5173";

fn service() -> Service<MemoryClickSink> {
    Service {
        sink: MemoryClickSink::new(3),
        rules: RecordRules::default(),
        cors: CorsOrigins::List(vec![ORIGIN.to_owned()]),
        nickname_key: None,
        now_ms: || NOW_MS,
        new_event_id: || FIXED_ID,
    }
}

fn fixture(event: &str) -> Value {
    serde_json::from_str(event).unwrap()
}

/// The valid record body, as JSON.
fn sample() -> Value {
    serde_json::from_str(fixture(VALID)["body"].as_str().unwrap()).unwrap()
}

fn request(event: &Value) -> Request {
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// The valid event with another body (and optionally other headers / method / path).
fn event_with_body(body: &str) -> Value {
    let mut event = fixture(VALID);
    event["body"] = Value::from(body);
    event
}

fn set_header(event: &mut Value, name: &str, value: &str) {
    event["headers"][name] = Value::from(value);
}

fn base64_event(bytes: &[u8]) -> Value {
    let mut event = fixture(VALID);
    event["body"] = Value::from(base64::engine::general_purpose::STANDARD.encode(bytes));
    event["isBase64Encoded"] = Value::from(true);
    event
}

fn batch_event(body: &Value) -> Value {
    let mut event = fixture(BATCH);
    event["body"] = Value::from(body.to_string());
    event
}

fn with(pointer: &str, value: Value) -> String {
    let mut body = sample();
    *body.pointer_mut(pointer).unwrap() = value;
    body.to_string()
}

/// The sample with one field of the `index`-th hint set (added if absent).
fn with_hint(index: usize, key: &str, value: Value) -> String {
    let mut body = sample();
    body["deeplearningData"][index][key] = value;
    body.to_string()
}

fn without(pointer: &str) -> String {
    let mut body = sample();
    let (parent, field) = pointer.rsplit_once('/').unwrap();
    let parent = if parent.is_empty() {
        &mut body
    } else {
        body.pointer_mut(parent).unwrap()
    };
    parent.as_object_mut().unwrap().remove(field);
    body.to_string()
}

async fn call(
    service: &Service<MemoryClickSink>,
    event: &Value,
) -> (u16, Value, lambda_http::Response<Body>) {
    let response = handle(service, request(event)).await;
    let status = response.status().as_u16();
    let body = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        Body::Empty => Value::Null,
        other => panic!("unexpected body {other:?}"),
    };
    (status, body, response)
}
