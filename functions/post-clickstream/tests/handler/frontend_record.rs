//! The frontend's real game record (issue 14): hint prices and nicknames, alone and in batches.

use super::*;

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
