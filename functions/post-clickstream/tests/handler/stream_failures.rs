//! Partial stream failures: retried records, a 503 that claims nothing, a batch's report.

use super::*;

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
