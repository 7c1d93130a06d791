#![allow(clippy::unwrap_used)]
//! End to end against the real stand-ins: records posted through the post-clickstream handler
//! into Kinesis (kinesalite), read back with GetShardIterator/GetRecords into a `KinesisEvent`,
//! archived by the archiver handler to S3 (moto), and the Parquet read back.
//! Needs `scripts/services.sh up kinesis s3`; fails (never skips) when they are not running.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_sdk_kinesis::types::{ShardIteratorType, StreamStatus};
use base64::Engine as _;
use clickstream_archiver::config::s3_store;
use clickstream_archiver::handle;
use coinking_adapters::{AwsSettings, aws};
use coinking_click_sink::handler_retry_policy;
use coinking_click_sink::kinesis::KinesisClickSink;
use coinking_clickstream::testing::synthetic_record;
use coinking_clickstream::{Archiver, Partition, clickstream_schema, decode_batch, from_parquet};
use coinking_core::game::RecordRules;
use post_clickstream::{CorsOrigins, NicknameKey, Service};
use serde_json::{Value, json};

const RECORDS: usize = 40;
const WAIT: Duration = Duration::from_secs(30);
/// 2024-11-25T02:00:00Z; each accepted record is stamped 7 minutes after the previous one, so
/// the 40 records span five hourly partitions.
const START_MS: i64 = 1_732_500_000_000;
static CLOCK: AtomicI64 = AtomicI64::new(START_MS);

fn settings() -> AwsSettings {
    let local = |variable: &str, default: u16| {
        format!(
            "http://127.0.0.1:{}",
            std::env::var(variable).unwrap_or_else(|_| default.to_string())
        )
    };
    let mut settings = AwsSettings::from_env().unwrap();
    settings
        .endpoints
        .kinesis
        .get_or_insert_with(|| local("COINKING_KINESIS_PORT", 4569));
    settings
        .endpoints
        .s3
        .get_or_insert_with(|| local("COINKING_S3_PORT", 5055));
    settings
}

fn require(service: &str, url: &str) {
    let address = url.trim_start_matches("http://");
    let reachable = address
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .is_some_and(|socket| TcpStream::connect_timeout(&socket, Duration::from_secs(2)).is_ok());
    assert!(
        reachable,
        "{service} is not running at {url}; start it with `bash scripts/services.sh up kinesis s3`"
    );
}

async fn bounded<F: std::future::Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {WAIT:?}"))
}

fn post(body: &Value) -> lambda_http::Request {
    let event = json!({
        "version": "2.0",
        "routeKey": "POST /set_click_stream",
        "rawPath": "/set_click_stream",
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": "local", "domainPrefix": "local",
            "http": {"method": "POST", "path": "/set_click_stream", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "test"},
            "requestId": "r", "routeKey": "POST /set_click_stream", "stage": "$default",
            "time": "25/Nov/2024:02:00:00 +0000", "timeEpoch": 1732500000000u64
        },
        "body": body.to_string(),
        "isBase64Encoded": false
    });
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// Everything on every shard, from TRIM_HORIZON, as one Lambda-style event per shard.
async fn read_stream(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    expected: usize,
) -> Vec<KinesisEvent> {
    let shards = bounded(
        "list shards",
        client.list_shards().stream_name(stream).send(),
    )
    .await
    .unwrap()
    .shards
    .unwrap_or_default();
    let mut events = Vec::new();
    let mut total = 0;
    for shard in shards {
        let iterator = client
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(&shard.shard_id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send();
        let mut iterator = bounded("get shard iterator", iterator)
            .await
            .unwrap()
            .shard_iterator;
        let mut records = Vec::new();
        // Two empty pages in a row after data: the shard is read to its end.
        let mut empty_pages = 0;
        while let Some(current) = iterator.take() {
            let page = bounded(
                "get records",
                client.get_records().shard_iterator(current).send(),
            )
            .await
            .unwrap();
            if page.records.is_empty() {
                empty_pages += 1;
                if empty_pages >= 2 {
                    break;
                }
            }
            for record in page.records {
                let arrival = record
                    .approximate_arrival_timestamp
                    .map(|t| t.as_secs_f64())
                    .unwrap_or_default();
                records.push(json!({
                    "kinesis": {
                        "kinesisSchemaVersion": "1.0",
                        "partitionKey": record.partition_key,
                        "sequenceNumber": record.sequence_number,
                        "data": base64::engine::general_purpose::STANDARD.encode(record.data.as_ref()),
                        "approximateArrivalTimestamp": arrival
                    },
                    "eventSource": "aws:kinesis",
                    "eventVersion": "1.0",
                    "eventID": format!("{}:{}", shard.shard_id, record.sequence_number),
                    "eventName": "aws:kinesis:record",
                    "invokeIdentityArn": "arn:aws:iam::123456789012:role/archiver",
                    "awsRegion": "us-east-1",
                    "eventSourceARN": format!("arn:aws:kinesis:us-east-1:123456789012:stream/{stream}")
                }));
            }
            iterator = page.next_shard_iterator;
        }
        total += records.len();
        if !records.is_empty() {
            events.push(serde_json::from_value(json!({ "Records": records })).unwrap());
        }
    }
    assert_eq!(total, expected, "records on the stream");
    events
}

/// Every object under `clickstream/`: key → bytes.
async fn archive_objects(client: &aws_sdk_s3::Client, bucket: &str) -> BTreeMap<String, Vec<u8>> {
    let mut objects = BTreeMap::new();
    let mut token = None;
    loop {
        let page = bounded(
            "list",
            client
                .list_objects_v2()
                .bucket(bucket)
                .prefix("clickstream")
                .set_continuation_token(token)
                .send(),
        )
        .await
        .unwrap();
        for object in page.contents() {
            let key = object.key().unwrap().to_owned();
            let got = bounded("get", client.get_object().bucket(bucket).key(&key).send())
                .await
                .unwrap();
            objects.insert(key, got.body.collect().await.unwrap().into_bytes().to_vec());
        }
        token = page.next_continuation_token;
        if token.is_none() {
            return objects;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posted_records_arrive_typed_in_their_partitions_exactly_once_even_when_redelivered() {
    let settings = settings();
    require(
        "Kinesis stand-in (kinesalite)",
        settings.endpoints.kinesis.as_deref().unwrap(),
    );
    require(
        "S3 stand-in (moto)",
        settings.endpoints.s3.as_deref().unwrap(),
    );
    let sdk = aws::sdk_config(&settings).await;
    let kinesis = aws::kinesis_client(&sdk, &settings);
    let s3 = aws::s3_client(&sdk, &settings);
    let name = format!("coinking-test-{}", uuid::Uuid::new_v4());

    bounded(
        "create stream",
        kinesis
            .create_stream()
            .stream_name(&name)
            .shard_count(2)
            .send(),
    )
    .await
    .unwrap();
    loop {
        let summary = bounded(
            "describe",
            kinesis.describe_stream_summary().stream_name(&name).send(),
        )
        .await
        .unwrap();
        if summary.stream_description_summary.map(|s| s.stream_status) == Some(StreamStatus::Active)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bounded("create bucket", s3.create_bucket().bucket(&name).send())
        .await
        .unwrap();

    // Post through the real handler and the real Kinesis adapter.
    let service = Service {
        sink: KinesisClickSink::new(kinesis.clone(), name.clone(), handler_retry_policy()),
        rules: RecordRules::default(),
        cors: CorsOrigins::None,
        nickname_key: NicknameKey::new("kinesis-s3-test-key"),
        now_ms: || CLOCK.fetch_add(7 * 60_000, Ordering::SeqCst),
        new_event_id: uuid::Uuid::new_v4,
    };
    let mut posted = BTreeSet::new();
    for index in 0..RECORDS {
        let mut body = serde_json::to_value(synthetic_record(index as u64)).unwrap();
        // Half the players give an e-mail: only its keyed hash may reach the stream and the lake.
        if index % 2 == 0 {
            body["userNickname"] = json!(format!("player{index}@example.com"));
        }
        let response = post_clickstream::handle(&service, post(&body)).await;
        assert_eq!(response.status(), 200);
        let answer: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        posted.insert(answer["event_id"].as_str().unwrap().to_owned());
    }

    let events = read_stream(&kinesis, &name, RECORDS).await;
    for event in &events {
        for record in &event.records {
            let data = String::from_utf8_lossy(&record.kinesis.data.0);
            assert!(
                !data.contains("@example.com"),
                "a nickname on the stream: {data}"
            );
        }
    }
    let archiver = Archiver::new(std::sync::Arc::new(s3_store(&name, &settings).unwrap()));
    for event in events.clone() {
        let response = handle(&archiver, event).await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
    }
    let first_delivery = archive_objects(&s3, &name).await;

    // Every record exactly once, typed, in the partition of its received_at.
    let mut archived = Vec::new();
    let mut hashed = 0;
    for (key, bytes) in &first_delivery {
        assert!(key.ends_with(".parquet"), "{key}");
        assert!(
            !bytes.windows(12).any(|w| w == b"@example.com"),
            "a nickname in {key}"
        );
        for batch in from_parquet(bytes::Bytes::from(bytes.clone())).unwrap() {
            assert_eq!(batch.schema(), clickstream_schema());
            for envelope in decode_batch(&batch).unwrap() {
                let partition = Partition::of_epoch_ms(envelope.received_at).to_string();
                assert!(
                    key.contains(&partition),
                    "{key} holds a record of {partition}"
                );
                archived.push(envelope.event_id.to_string());
                hashed += usize::from(envelope.user_nickname_hash.is_some());
                // Every field as posted, the hints' sell_up/sell_down included.
                let index: u64 = envelope.record.user_name["player-".len()..]
                    .parse()
                    .unwrap();
                assert_eq!(envelope.record, synthetic_record(index));
            }
        }
    }
    assert_eq!(archived.len(), RECORDS);
    assert_eq!(
        hashed,
        RECORDS / 2,
        "one nickname hash per player who gave an e-mail"
    );
    assert_eq!(archived.iter().cloned().collect::<BTreeSet<_>>(), posted);
    let partitions: BTreeSet<&str> = first_delivery
        .keys()
        .map(|k| k.rsplit_once('/').unwrap().0)
        .collect();
    assert_eq!(partitions.len(), 5, "{partitions:?}");

    // The same batches again: the same objects, byte for byte, no more.
    for event in events {
        assert!(
            handle(&archiver, event)
                .await
                .batch_item_failures
                .is_empty()
        );
    }
    assert_eq!(archive_objects(&s3, &name).await, first_delivery);

    for key in first_delivery.keys() {
        bounded(
            "delete object",
            s3.delete_object().bucket(&name).key(key).send(),
        )
        .await
        .unwrap();
    }
    bounded("delete bucket", s3.delete_bucket().bucket(&name).send())
        .await
        .unwrap();
    bounded(
        "delete stream",
        kinesis.delete_stream().stream_name(&name).send(),
    )
    .await
    .unwrap();
}
