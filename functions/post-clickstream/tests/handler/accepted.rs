//! Accepted records and batches: the envelope, base64 bodies, idempotency keys, content type
//! and CORS.

use super::*;

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
