#![allow(clippy::unwrap_used)]
//! Kinesis adapter against kinesalite on 127.0.0.1: the clickstream's put and read path.

mod common;

use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType, StreamStatus};
use coinking_adapters::aws;
use common::{bounded, must};

#[tokio::test]
async fn kinesis_put_records_come_back_in_order_from_trim_horizon() {
    let settings = common::aws_settings();
    let endpoint = settings.endpoints.kinesis.clone().unwrap();
    common::require_service("Kinesis stand-in (kinesalite)", &endpoint);
    let sdk = aws::sdk_config(&settings).await;
    let client = aws::kinesis_client(&sdk, &settings);
    let stream = format!("coinking-test-{}", uuid::Uuid::new_v4());

    let created = client
        .create_stream()
        .stream_name(&stream)
        .shard_count(1)
        .send();
    must("create stream", bounded("create stream", created).await);
    let cleanup = {
        let (client, stream) = (client.clone(), stream.clone());
        async move {
            let deleted = client
                .delete_stream()
                .stream_name(&stream)
                .enforce_consumer_deletion(true)
                .send();
            must("delete stream", bounded("delete stream", deleted).await);
        }
    };
    common::with_cleanup(exercise_stream(client, stream), cleanup).await;
}

async fn wait_active(client: &Client, stream: &str) {
    let deadline = tokio::time::Instant::now() + common::WAIT;
    loop {
        let described = client.describe_stream_summary().stream_name(stream).send();
        let summary = must(
            "describe stream",
            bounded("describe stream", described).await,
        );
        let status = summary.stream_description_summary.map(|s| s.stream_status);
        if status == Some(StreamStatus::Active) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "stream {stream} not ACTIVE: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn exercise_stream(client: Client, stream: String) {
    wait_active(&client, &stream).await;

    let sent: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| {
            let user = format!("player-{i}");
            let body = format!(
                r#"{{"event_id":"e-{i}","userName":"{user}","balance":{}}}"#,
                1_000_000 * i
            );
            (user, body.into_bytes())
        })
        .collect();
    let entries = sent
        .iter()
        .map(|(key, data)| {
            PutRecordsRequestEntry::builder()
                .partition_key(key)
                .data(Blob::new(data.clone()))
                .build()
                .unwrap()
        })
        .collect();
    let put = client
        .put_records()
        .stream_name(&stream)
        .set_records(Some(entries))
        .send();
    let put = must("put records", bounded("put records", put).await);
    assert_eq!(put.failed_record_count.unwrap_or(0), 0, "{put:?}");
    let sequence_numbers: Vec<String> = put
        .records
        .iter()
        .map(|r| r.sequence_number.clone().expect("every record accepted"))
        .collect();

    let shards = client.list_shards().stream_name(&stream).send();
    let shards = must("list shards", bounded("list shards", shards).await)
        .shards
        .unwrap_or_default();
    assert_eq!(shards.len(), 1);
    let iterator = client
        .get_shard_iterator()
        .stream_name(&stream)
        .shard_id(shards[0].shard_id.clone())
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send();
    let mut iterator = must(
        "get shard iterator",
        bounded("get shard iterator", iterator).await,
    )
    .shard_iterator;

    let mut received: Vec<(String, Vec<u8>, String)> = Vec::new();
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while received.len() < sent.len() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} records arrived",
            received.len()
        );
        let current = iterator
            .take()
            .expect("an open shard always has a next iterator");
        let page = client.get_records().shard_iterator(current).send();
        let page = must("get records", bounded("get records", page).await);
        for record in page.records {
            received.push((
                record.partition_key.unwrap_or_default(),
                record.data.into_inner(),
                record.sequence_number,
            ));
        }
        iterator = page.next_shard_iterator;
        if received.len() < sent.len() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    let received_payloads: Vec<(String, Vec<u8>)> = received
        .iter()
        .map(|(key, data, _)| (key.clone(), data.clone()))
        .collect();
    assert_eq!(received_payloads, sent);
    let received_sequence_numbers: Vec<String> = received
        .into_iter()
        .map(|(_, _, sequence)| sequence)
        .collect();
    assert_eq!(received_sequence_numbers, sequence_numbers);
}
