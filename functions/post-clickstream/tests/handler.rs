#![allow(clippy::unwrap_used)]
//! The handler from API Gateway v2 fixture events (events/post-clickstream/*.json) with an
//! in-memory sink: every documented answer, the bad-input suite, and partial stream failures.

use base64::Engine as _;
use coinking_click_sink::memory::MemoryClickSink;
use coinking_core::game::{RecordRules, parse_envelope, parse_game_record};
use lambda_http::{Body, Request};
use post_clickstream::handler::{IDEMPOTENCY_NAMESPACE, event_id_for};
use post_clickstream::{CorsOrigins, NicknameKey, Service, handle};
use serde_json::{Value, json};
use uuid::Uuid;

const VALID: &str = include_str!("../../../events/post-clickstream/valid.json");
const INVALID: &str = include_str!("../../../events/post-clickstream/invalid.json");
const BASE64: &str = include_str!("../../../events/post-clickstream/base64.json");
const BATCH: &str = include_str!("../../../events/post-clickstream/batch.json");
const FRONTEND: &str = include_str!("../../../events/post-clickstream/frontend-game-record.json");
const FRONTEND_WITH_NICKNAME: &str =
    include_str!("../../../events/post-clickstream/frontend-game-record-with-nickname.json");
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

// ---- accepted ----

#[tokio::test]
async fn a_valid_record_is_put_once_with_its_envelope_and_answered_200() {
    let service = service();
    let (status, body, response) = call(&service, &fixture(VALID)).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"message": "accepted", "event_id": FIXED_ID.to_string()})
    );
    assert_eq!(response.headers()["access-control-allow-origin"], ORIGIN);
    assert_eq!(response.headers()["content-type"], "application/json");
    let accepted = service.sink.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].partition_key, FIXED_ID.to_string());
    let envelope = parse_envelope(&accepted[0].data).unwrap();
    assert_eq!(envelope.event_id, FIXED_ID);
    assert_eq!(envelope.received_at, NOW_MS);
    let mut expected =
        parse_game_record(sample().to_string().as_bytes(), &RecordRules::default()).unwrap();
    // The nickname never travels; without a hash key not even its hash.
    assert!(expected.user_nickname.is_some());
    expected.user_nickname = None;
    assert_eq!(envelope.record, expected);
    assert_eq!(envelope.user_nickname_hash, None);
    assert_eq!(envelope.record.coins[0].as_str(), "KRW-BTC");
}

#[tokio::test]
async fn a_base64_encoded_body_is_decoded_first() {
    let plain = service();
    let encoded = service();
    assert_eq!(call(&plain, &fixture(VALID)).await.0, 200);
    let (status, body, _) = call(&encoded, &fixture(BASE64)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(encoded.sink.accepted(), plain.sink.accepted());
}

#[tokio::test]
async fn the_invalid_fixture_lists_every_problem_with_path_and_rule() {
    let service = service();
    let (status, body, _) = call(&service, &fixture(INVALID)).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_record");
    let problems: Vec<(String, String)> = body["error"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap().to_owned(),
                p["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let paths: Vec<&str> = problems.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(paths, ["coins[1]", "aiRecommend_2", "leverage", "balance"]);
    assert_eq!(problems[2].1, "must be one of 1, 10, 100, 1000");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("aiRecommend_2: is required")
    );
    assert!(service.sink.calls().is_empty());
}

#[tokio::test]
async fn an_idempotency_key_becomes_the_event_id() {
    let service = service();
    let key = "3F2504E0-4F89-41D3-9A0C-0305E82C3301";
    let mut event = fixture(VALID);
    set_header(&mut event, "idempotency-key", key);
    let (_, body, _) = call(&service, &event).await;
    assert_eq!(body["event_id"], key.to_lowercase());

    set_header(&mut event, "idempotency-key", "game-42:retry~1");
    let (_, first, _) = call(&service, &event).await;
    let (_, second, _) = call(&service, &event).await;
    let derived = Uuid::new_v5(&IDEMPOTENCY_NAMESPACE, b"game-42:retry~1");
    assert_eq!(first["event_id"], derived.to_string());
    assert_eq!(
        second["event_id"], first["event_id"],
        "the same key, the same event id"
    );
}

#[tokio::test]
async fn a_missing_content_type_is_read_as_json_and_a_charset_is_allowed() {
    let service = service();
    let mut event = fixture(VALID);
    event["headers"]
        .as_object_mut()
        .unwrap()
        .remove("content-type");
    assert_eq!(call(&service, &event).await.0, 200);
    set_header(
        &mut event,
        "content-type",
        "application/json; charset=UTF-8",
    );
    assert_eq!(call(&service, &event).await.0, 200);
}

#[tokio::test]
async fn a_batch_is_accepted_whole_with_event_ids_derived_from_the_key() {
    let service = service();
    let (status, body, _) = call(&service, &fixture(BATCH)).await;
    assert_eq!(status, 200, "{body}");
    let expected: Vec<String> = (0..3)
        .map(|i| event_id_for(Some("backfill-2024-11-25"), Some(i), Uuid::new_v4).to_string())
        .collect();
    assert_eq!(body["event_ids"], json!(expected));
    let stored: Vec<String> = service
        .sink
        .accepted()
        .iter()
        .map(|r| r.partition_key.clone())
        .collect();
    assert_eq!(stored, expected);
    assert_eq!(
        service.sink.calls().len(),
        1,
        "one PutRecords call for the batch"
    );
}

#[tokio::test]
async fn the_preflight_is_answered_and_unknown_origins_get_no_cors_header() {
    let service = service();
    let mut event = fixture(VALID);
    event["requestContext"]["http"]["method"] = Value::from("OPTIONS");
    let (status, _, response) = call(&service, &event).await;
    assert_eq!(status, 204);
    assert_eq!(response.headers()["access-control-allow-origin"], ORIGIN);
    assert!(
        response.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("idempotency-key")
    );

    let mut event = fixture(VALID);
    set_header(&mut event, "origin", "https://elsewhere.example");
    let (status, _, response) = call(&service, &event).await;
    assert_eq!(status, 200);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

// ---- partial stream failures ----

#[tokio::test]
async fn a_record_refused_once_is_retried_alone_and_accepted() {
    let service = service();
    service.sink.refuse(FIXED_ID.to_string(), 1);
    let (status, body, _) = call(&service, &fixture(VALID)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(service.sink.calls().len(), 2);
    assert_eq!(service.sink.accepted().len(), 1);
}

#[tokio::test]
async fn a_record_refused_on_every_attempt_is_a_503_and_nothing_is_claimed() {
    let service = service();
    service.sink.refuse(FIXED_ID.to_string(), 100);
    let (status, body, response) = call(&service, &fixture(VALID)).await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], "stream_unavailable");
    assert!(body.get("event_id").is_none() && body.get("message").is_none());
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(service.sink.calls().len(), 3, "max_attempts of the sink");
    assert!(service.sink.accepted().is_empty());
}

#[tokio::test]
async fn a_batch_with_one_record_always_refused_reports_exactly_which_were_accepted() {
    let service = service();
    let ids: Vec<String> = (0..3)
        .map(|i| event_id_for(Some("backfill-2024-11-25"), Some(i), Uuid::new_v4).to_string())
        .collect();
    service.sink.refuse(ids[1].clone(), 100);
    let (status, body, _) = call(&service, &fixture(BATCH)).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["accepted"],
        json!([{"index": 0, "event_id": ids[0]}, {"index": 2, "event_id": ids[2]}])
    );
    assert_eq!(body["failed"], json!([{"index": 1, "event_id": ids[1]}]));
    // Only the refused record was sent again.
    assert_eq!(
        service.sink.calls(),
        [ids.clone(), vec![ids[1].clone()], vec![ids[1].clone()]]
    );
    let stored: Vec<String> = service
        .sink
        .accepted()
        .iter()
        .map(|r| r.partition_key.clone())
        .collect();
    assert_eq!(stored, [ids[0].clone(), ids[2].clone()]);
}

// ---- the bad-input suite ----

struct Case {
    name: &'static str,
    event: Value,
    status: u16,
    code: &'static str,
    /// Must appear in the message: the field and the rule.
    message: String,
}

fn case(
    name: &'static str,
    event: Value,
    status: u16,
    code: &'static str,
    message: impl Into<String>,
) -> Case {
    Case {
        name,
        event,
        status,
        code,
        message: message.into(),
    }
}

fn body_case(
    name: &'static str,
    body: &str,
    code: &'static str,
    message: impl Into<String>,
) -> Case {
    case(name, event_with_body(body), 400, code, message)
}

fn bad_inputs() -> Vec<Case> {
    let entry = sample()["deeplearningData"][0].clone();
    let mut cases = vec![
        // Malformed JSON.
        body_case(
            "unclosed_object",
            "{",
            "malformed_json",
            "$: body is not valid JSON",
        ),
        body_case(
            "trailing_garbage",
            &format!("{} x", sample()),
            "malformed_json",
            "trailing characters",
        ),
        body_case(
            "single_quotes",
            "{'userName': 'kim'}",
            "malformed_json",
            "$: body is not valid JSON",
        ),
        body_case(
            "nan_literal",
            &with("/balance", json!(0)).replace("\"balance\":0", "\"balance\":NaN"),
            "malformed_json",
            "$: body is not valid JSON",
        ),
        body_case(
            "number_beyond_f64",
            &with("/balance", json!(0)).replace("\"balance\":0", "\"balance\":1e400"),
            "malformed_json",
            "number out of range",
        ),
        body_case(
            "lone_surrogate",
            &with("/userNickname", json!("x"))
                .replace("\"userNickname\":\"x\"", "\"userNickname\":\"\\ud800\""),
            "malformed_json",
            "hex escape",
        ),
        body_case(
            "nested_200_deep",
            &format!("{}{}", "[".repeat(200), "]".repeat(200)),
            "malformed_json",
            "recursion limit",
        ),
        // Empty.
        body_case("empty_body", "", "empty_body", "$: body is empty"),
        body_case(
            "whitespace_body",
            " \n\t ",
            "empty_body",
            "$: body is empty",
        ),
        // Wrong root.
        body_case("array_root", "[]", "invalid_record", "$: must be an object"),
        body_case(
            "string_root",
            "\"game\"",
            "invalid_record",
            "$: must be an object",
        ),
        body_case(
            "null_root",
            "null",
            "invalid_record",
            "$: must be an object",
        ),
        // Wrong types.
        body_case(
            "user_name_number",
            &with("/userName", json!(7)),
            "invalid_record",
            "userName: must be a string",
        ),
        body_case(
            "remaining_time_string",
            &with("/remainingTime_1", json!("12")),
            "invalid_record",
            "remainingTime_1: must be a number",
        ),
        body_case(
            "ai_recommend_string",
            &with("/aiRecommend_1", json!("true")),
            "invalid_record",
            "aiRecommend_1: must be a boolean",
        ),
        body_case(
            "coins_string",
            &with("/coins", json!("BTC/KRW")),
            "invalid_record",
            "coins: must be an array",
        ),
        body_case(
            "coin_number",
            &with("/coins/1", json!(7)),
            "invalid_record",
            "coins[1]: must be a string",
        ),
        body_case(
            "sell_time_array",
            &with("/userSellTime_1", json!([])),
            "invalid_record",
            "userSellTime_1: must be an object",
        ),
        body_case(
            "money_string",
            &with("/userBuyCoinMoney_2/money", json!("1e9")),
            "invalid_record",
            "userBuyCoinMoney_2.money: must be a number",
        ),
        body_case(
            "rank_fraction",
            &with("/deeplearningData/1/rank", json!(2.5)),
            "invalid_record",
            "deeplearningData[1].rank: must be an integer",
        ),
        body_case(
            "leverage_string",
            &with("/leverage", json!("10")),
            "invalid_record",
            "leverage: must be a number",
        ),
        body_case(
            "affiliation_deeply_nested",
            &with(
                "/userAffiliation",
                json!({"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}}}),
            ),
            "invalid_record",
            "userAffiliation: must be a string",
        ),
        // Missing fields.
        body_case(
            "missing_user_name",
            &without("/userName"),
            "invalid_record",
            "userName: is required",
        ),
        body_case(
            "missing_balance",
            &without("/balance"),
            "invalid_record",
            "balance: is required",
        ),
        body_case(
            "missing_buy_2",
            &without("/userBuyCoinMoney_2"),
            "invalid_record",
            "userBuyCoinMoney_2: is required",
        ),
        body_case(
            "missing_nested_percentage",
            &without("/deeplearningData/0/percentage"),
            "invalid_record",
            "deeplearningData[0].percentage: is required",
        ),
        // Out of range.
        body_case(
            "leverage_3",
            &with("/leverage", json!(3)),
            "invalid_record",
            "leverage: must be one of 1, 10, 100, 1000",
        ),
        body_case(
            "leverage_negative",
            &with("/leverage", json!(-10)),
            "invalid_record",
            "leverage: must be one of 1, 10, 100, 1000",
        ),
        body_case(
            "stage_time_over_90",
            &with("/remainingTime_2", json!(90.1)),
            "invalid_record",
            "remainingTime_2: must be between 0 and 90 seconds",
        ),
        body_case(
            "stage_time_negative",
            &with("/remainingTime_1", json!(-0.1)),
            "invalid_record",
            "remainingTime_1: must be between 0 and 90 seconds",
        ),
        body_case(
            "sell_time_huge",
            &with("/userSellTime_3/time", json!(1e300)),
            "invalid_record",
            "userSellTime_3.time: must be between 0 and 90 seconds",
        ),
        body_case(
            "balance_negative",
            &with("/balance", json!(-1)),
            "invalid_record",
            "balance: must not be negative",
        ),
        body_case(
            "balance_over_quadrillion",
            &with("/balance", json!(2e15)),
            "invalid_record",
            "balance: must be at most",
        ),
        body_case(
            "money_not_offered",
            &with("/userBuyCoinMoney_1/money", json!(2e8)),
            "invalid_record",
            "userBuyCoinMoney_1.money: must be one of",
        ),
        body_case(
            "rank_zero",
            &with("/deeplearningData/0/rank", json!(0)),
            "invalid_record",
            "deeplearningData[0].rank: must be between 1 and 1000",
        ),
        body_case(
            "no_coins",
            &with("/coins", json!([])),
            "invalid_record",
            "coins: must not be empty",
        ),
        body_case(
            "four_coins",
            &with(
                "/coins",
                json!(["BTC/KRW", "ETH/KRW", "SOL/KRW", "XRP/KRW"]),
            ),
            "invalid_record",
            "coins: must have 1 to 3 entries (got 4)",
        ),
        body_case(
            "51_ranked_markets",
            &with("/deeplearningData", Value::Array(vec![entry; 51])),
            "invalid_record",
            "deeplearningData: must have at most 50 entries (got 51)",
        ),
        // Unknown coin ids.
        body_case(
            "coin_without_quote",
            &with("/coins/1", json!("ETH")),
            "invalid_record",
            "coins[1]: is not a market code",
        ),
        body_case(
            "coin_unknown_quote",
            &with("/userBuyCoinMoney_2/coin", json!("ETH/EUR")),
            "invalid_record",
            "userBuyCoinMoney_2.coin: is not a market code: quote currency `EUR`",
        ),
        body_case(
            "coin_empty",
            &with("/userSellTime_1/coin", json!("")),
            "invalid_record",
            "userSellTime_1.coin: is not a market code: is empty",
        ),
        body_case(
            "coin_over_32_bytes",
            &with("/deeplearningData/0/code", json!("K".repeat(33))),
            "invalid_record",
            "deeplearningData[0].code: must be at most 32 bytes (got 33)",
        ),
        // Huge strings.
        body_case(
            "nickname_60000_chars",
            &with("/userNickname", json!("x".repeat(60_000))),
            "invalid_record",
            "userNickname: must have 1 to 64 characters when given (got 60000)",
        ),
        body_case(
            "affiliation_31_hangul",
            &with("/userAffiliation", json!("가".repeat(31))),
            "invalid_record",
            "userAffiliation: must have 1 to 30 characters after trimming (got 31)",
        ),
        body_case(
            "name_31_emoji",
            &with("/userName", json!("😀".repeat(31))),
            "invalid_record",
            "userName: must have 1 to 30 characters after trimming (got 31)",
        ),
        // The rule gaps found from outside the test suite (issue 14).
        body_case(
            "name_blank_after_trimming",
            &with("/userName", json!("   ")),
            "invalid_record",
            "userName: must not be blank",
        ),
        body_case(
            "affiliation_blank_after_trimming",
            &with("/userAffiliation", json!("\t ")),
            "invalid_record",
            "userAffiliation: must not be blank",
        ),
        body_case(
            "name_with_zero_width_space",
            &with("/userName", json!("kim\u{200B}")),
            "invalid_record",
            "userName: must not contain zero-width or bidirectional-override characters",
        ),
        body_case(
            "affiliation_with_bidi_override",
            &with("/userAffiliation", json!("\u{202E}moc.elpmaxe")),
            "invalid_record",
            "userAffiliation: must not contain zero-width or bidirectional-override characters",
        ),
        body_case(
            "affiliation_with_control",
            &with("/userAffiliation", json!("a\u{7}b")),
            "invalid_record",
            "userAffiliation: must not contain control characters",
        ),
        body_case(
            "same_coin_twice",
            &with("/coins/2", json!("KRW-BTC")),
            "invalid_record",
            "coins[2]: must not repeat coins[0] (the same coin chosen twice)",
        ),
        body_case(
            "bought_coin_not_chosen",
            &with("/userBuyCoinMoney_2/coin", json!("SOL/KRW")),
            "invalid_record",
            "userBuyCoinMoney_2.coin: must be one of the chosen coins (KRW-BTC, KRW-ETH, KRW-DOGE)",
        ),
        body_case(
            "sold_coin_not_chosen",
            &with("/userSellTime_3/coin", json!("KRW-XRP")),
            "invalid_record",
            "userSellTime_3.coin: must be one of the chosen coins (KRW-BTC, KRW-ETH, KRW-DOGE)",
        ),
        body_case(
            "duplicate_top_level_key",
            &format!("{{\"balance\":1e15,{}", &sample().to_string()[1..]),
            "invalid_record",
            "balance: must not be given more than once (duplicate key)",
        ),
        body_case(
            "duplicate_nested_key",
            &sample().to_string().replacen(
                "\"money\":500000000",
                "\"money\":500000000,\"money\":500000000",
                1,
            ),
            "invalid_record",
            "userBuyCoinMoney_2.money: must not be given more than once (duplicate key)",
        ),
        body_case(
            "negative_sell_up",
            &with_hint(0, "sell_up", json!(-1)),
            "invalid_record",
            "deeplearningData[0].sell_up: must not be negative",
        ),
        body_case(
            "sell_down_not_a_number",
            &with_hint(1, "sell_down", json!("1")),
            "invalid_record",
            "deeplearningData[1].sell_down: must be a number",
        ),
        // Unicode and key-shaped edge cases.
        body_case(
            "name_with_nul",
            &with("/userName", json!("김\u{0}수")),
            "invalid_record",
            "userName: must not contain control characters",
        ),
        body_case(
            "name_with_c1_control",
            &with("/userName", json!("c1\u{85}x")),
            "invalid_record",
            "userName: must not contain control characters",
        ),
        body_case(
            "name_with_slash",
            &with("/userName", json!("a/b")),
            "invalid_record",
            "userName: must not contain `/` or `\\`",
        ),
        body_case(
            "name_dot_dot",
            &with("/userName", json!("..")),
            "invalid_record",
            "userName: must not be `.` or `..`",
        ),
        body_case(
            "name_empty",
            &with("/userName", json!("")),
            "invalid_record",
            "userName: must not be blank",
        ),
        // Too large.
        case(
            "body_over_64_kib",
            event_with_body(&with("/userAffiliation", json!("x".repeat(70_000)))),
            413,
            "body_too_large",
            "more than the limit of 65536",
        ),
        // Wrong content type.
        {
            let mut event = fixture(VALID);
            set_header(&mut event, "content-type", "text/plain");
            case(
                "content_type_text_plain",
                event,
                415,
                "unsupported_media_type",
                "Content-Type: must be application/json",
            )
        },
        {
            let mut event = fixture(VALID);
            set_header(
                &mut event,
                "content-type",
                "application/x-www-form-urlencoded",
            );
            case(
                "content_type_form",
                event,
                415,
                "unsupported_media_type",
                "Content-Type: must be application/json",
            )
        },
        {
            let mut event = fixture(VALID);
            set_header(
                &mut event,
                "content-type",
                "application/json; charset=latin1",
            );
            case(
                "content_type_latin1",
                event,
                415,
                "unsupported_media_type",
                "Content-Type: must be application/json in UTF-8",
            )
        },
        // Base64 bodies.
        case(
            "base64_malformed_json",
            base64_event(b"{\"userName\":"),
            400,
            "malformed_json",
            "$: body is not valid JSON",
        ),
        case(
            "base64_invalid_utf8",
            base64_event(&[0x7b, 0xff, 0xfe, 0x7d]),
            400,
            "malformed_json",
            "$: body is not valid JSON",
        ),
        case(
            "base64_invalid_record",
            base64_event(with("/leverage", json!(5)).as_bytes()),
            400,
            "invalid_record",
            "leverage: must be one of 1, 10, 100, 1000",
        ),
        // Idempotency keys.
        {
            let mut event = fixture(VALID);
            set_header(&mut event, "idempotency-key", "has space");
            case(
                "idempotency_key_with_space",
                event,
                400,
                "invalid_idempotency_key",
                "Idempotency-Key: must be a UUID or 1 to 128 characters",
            )
        },
        {
            let mut event = fixture(VALID);
            set_header(&mut event, "idempotency-key", &"k".repeat(129));
            case(
                "idempotency_key_129_chars",
                event,
                400,
                "invalid_idempotency_key",
                "Idempotency-Key: must be a UUID or 1 to 128 characters",
            )
        },
        // Method.
        {
            let mut event = fixture(VALID);
            event["requestContext"]["http"]["method"] = Value::from("GET");
            case(
                "get_method",
                event,
                405,
                "method_not_allowed",
                "method: must be POST (got GET)",
            )
        },
        // Batches (all-or-nothing).
        case(
            "batch_without_records",
            batch_event(&json!({"items": []})),
            400,
            "invalid_batch",
            "records: must be an array of game records",
        ),
        case(
            "batch_empty",
            batch_event(&json!({"records": []})),
            400,
            "invalid_batch",
            "records: must have 1 to 500 entries (got 0)",
        ),
        case(
            "batch_501_records",
            batch_event(&json!({"records": vec![json!({}); 501]})),
            400,
            "invalid_batch",
            "records: must have 1 to 500 entries (got 501)",
        ),
        case(
            "batch_one_bad_record",
            batch_event(
                &json!({"records": [sample(), serde_json::from_str::<Value>(&with("/leverage", json!(7))).unwrap(), sample()]}),
            ),
            400,
            "invalid_record",
            "records[1].leverage: must be one of 1, 10, 100, 1000",
        ),
        case(
            "batch_record_not_object",
            batch_event(&json!({"records": [sample(), 5]})),
            400,
            "invalid_record",
            "records[1]: must be an object",
        ),
    ];
    let mut oversized = fixture(BATCH);
    oversized["body"] = Value::from(" ".repeat(5 * 1024 * 1024 + 1));
    cases.push(case(
        "batch_over_5_mib",
        oversized,
        413,
        "body_too_large",
        "more than the limit of 5242880",
    ));
    cases
}

#[tokio::test]
async fn every_bad_input_gets_its_documented_4xx_and_nothing_reaches_the_sink() {
    let cases = bad_inputs();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let service = service();
        let (status, body, _) = call(&service, &case.event).await;
        let code = body["error"]["code"].as_str().unwrap_or_default();
        let message = body["error"]["message"].as_str().unwrap_or_default();
        if status != case.status || code != case.code || !message.contains(&case.message) {
            failures.push(format!(
                "{}: expected {} {} containing {:?}, got {status} {body}",
                case.name, case.status, case.code, case.message
            ));
        }
        if !service.sink.calls().is_empty() {
            failures.push(format!("{}: the sink was called", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- the frontend's real game record (issue 14) ----

fn service_with_nickname_key() -> Service<MemoryClickSink> {
    let mut service = service();
    service.nickname_key = NicknameKey::new("test-nickname-key");
    service
}

#[tokio::test]
async fn the_frontends_real_record_without_a_nickname_is_accepted_with_its_hint_prices() {
    let service = service();
    let (status, body, _) = call(&service, &fixture(FRONTEND)).await;
    assert_eq!(status, 200, "{body}");
    let accepted = service.sink.accepted();
    assert_eq!(accepted.len(), 1);
    let envelope = parse_envelope(&accepted[0].data).unwrap();
    assert_eq!(envelope.user_nickname_hash, None);
    let hints = &envelope.record.deeplearning_data;
    assert_eq!(hints.len(), 9);
    assert_eq!(hints[0].code.as_str(), "KRW-BTC");
    assert_eq!(hints[0].sell_up, Some(142_076_759.8));
    assert_eq!(hints[0].sell_down, Some(141_663_240.2));
    assert!(
        hints
            .iter()
            .all(|hint| hint.sell_up.is_some() && hint.sell_down.is_some())
    );
}

#[tokio::test]
async fn an_empty_nickname_is_accepted_as_no_nickname() {
    let service = service_with_nickname_key();
    let (status, body, _) = call(
        &service,
        &event_with_body(&with("/userNickname", json!(""))),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let envelope = parse_envelope(&service.sink.accepted()[0].data).unwrap();
    assert_eq!(envelope.user_nickname_hash, None);
}

#[tokio::test]
async fn a_nickname_leaves_only_as_its_keyed_hash() {
    let service = service_with_nickname_key();
    let event = fixture(FRONTEND_WITH_NICKNAME);
    let (status, body, response) = call(&service, &event).await;
    assert_eq!(status, 200, "{body}");
    assert!(!format!("{body}{:?}", response.headers()).contains(NICKNAME));
    let data = &service.sink.accepted()[0].data;
    assert!(!String::from_utf8_lossy(data).contains(NICKNAME));
    assert!(!String::from_utf8_lossy(data).contains("userNickname"));
    let sent = parse_game_record(
        event["body"].as_str().unwrap().as_bytes(),
        &RecordRules::default(),
    )
    .unwrap();
    let expected = service
        .nickname_key
        .as_ref()
        .unwrap()
        .hash(sent.user_nickname.as_ref().unwrap());
    let envelope = parse_envelope(data).unwrap();
    assert_eq!(
        envelope.user_nickname_hash.as_deref(),
        Some(expected.as_str())
    );
    assert_eq!(envelope.user_nickname_hash.as_ref().unwrap().len(), 64);
}

#[tokio::test]
async fn without_a_key_the_nickname_is_dropped() {
    let service = service();
    let (status, body, _) = call(&service, &fixture(FRONTEND_WITH_NICKNAME)).await;
    assert_eq!(status, 200, "{body}");
    let data = &service.sink.accepted()[0].data;
    assert!(!String::from_utf8_lossy(data).contains(NICKNAME));
    assert_eq!(parse_envelope(data).unwrap().user_nickname_hash, None);
}

#[tokio::test]
async fn a_batch_of_frontend_records_is_accepted_and_hashes_each_nickname() {
    let service = service_with_nickname_key();
    let plain: Value = serde_json::from_str(fixture(FRONTEND)["body"].as_str().unwrap()).unwrap();
    let with_nickname: Value =
        serde_json::from_str(fixture(FRONTEND_WITH_NICKNAME)["body"].as_str().unwrap()).unwrap();
    let (status, body, _) = call(
        &service,
        &batch_event(&json!({"records": [plain, with_nickname]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let hashes: Vec<Option<String>> = service
        .sink
        .accepted()
        .iter()
        .map(|record| parse_envelope(&record.data).unwrap().user_nickname_hash)
        .collect();
    assert_eq!(hashes.len(), 2);
    assert_eq!(hashes[0], None);
    assert!(hashes[1].is_some());
}

#[tokio::test]
async fn a_batch_with_a_key_given_twice_in_one_record_is_refused_whole() {
    let service = service();
    let records = format!("{{\"records\": [{}, {}]}}", sample(), sample()).replacen(
        "\"leverage\":10",
        "\"leverage\":10,\"leverage\":1000",
        2,
    );
    let mut event = fixture(BATCH);
    event["body"] = Value::from(records.clone());
    assert_ne!(
        records,
        format!("{{\"records\": [{}, {}]}}", sample(), sample())
    );
    let (status, body, _) = call(&service, &event).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["message"],
        "records[0].leverage: must not be given more than once (duplicate key); \
         records[1].leverage: must not be given more than once (duplicate key)"
    );
    assert!(service.sink.calls().is_empty());
}
