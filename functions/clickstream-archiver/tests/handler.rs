#![allow(clippy::unwrap_used)]
//! The archiver handler from the fixture event (events/clickstream-archiver/kinesis-batch.json)
//! over a local directory: objects per partition, the bad record kept, partial batch failures.

use std::sync::Arc;

use aws_lambda_events::event::kinesis::KinesisEvent;
use clickstream_archiver::config::local_store;
use clickstream_archiver::handle;
use coinking_clickstream::{Archiver, decode_batch, from_parquet};

const EVENT: &str = include_str!("../../../events/clickstream-archiver/kinesis-batch.json");
const SHARD: &str = "shardId-000000000000";
const FIRST: &str = "49590338271490256608559692538361571095921575989136588898";
const SECOND: &str = "49590338271490256608559692538361571095921575989136588899";
const THIRD: &str = "49590338271490256608559692538361571095921575989136588900";

fn event() -> KinesisEvent {
    serde_json::from_str(EVENT).unwrap()
}

fn archiver(dir: &std::path::Path) -> Archiver {
    Archiver::new(Arc::new(local_store(dir).unwrap()))
}

#[tokio::test]
async fn archives_the_fixture_batch_by_partition_and_keeps_the_bad_record() {
    let dir = tempfile::tempdir().unwrap();
    let response = handle(&archiver(dir.path()), event()).await;
    assert!(response.batch_item_failures.is_empty());

    let hour_02 = dir.path().join(format!(
        "clickstream/dt=2024-11-25/hour=02/{SHARD}-{FIRST}.parquet"
    ));
    let hour_03 = dir.path().join(format!(
        "clickstream/dt=2024-11-25/hour=03/{SHARD}-{SECOND}.parquet"
    ));
    let bad = dir.path().join(format!(
        "clickstream-bad/dt=2024-11-25/hour=03/{SHARD}-{THIRD}.ndjson"
    ));
    let rows = |path: &std::path::Path| {
        from_parquet(bytes::Bytes::from(std::fs::read(path).unwrap()))
            .unwrap()
            .iter()
            .flat_map(|b| decode_batch(b).unwrap())
            .collect::<Vec<_>>()
    };
    let early = rows(&hour_02);
    assert_eq!(early.len(), 1);
    assert_eq!(early[0].record.user_name, "김철수");
    assert_eq!(rows(&hour_03)[0].record.user_name, "이영희");
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(bad).unwrap().trim()).unwrap();
    assert_eq!(line["sequence_number"], THIRD);
    assert_eq!(line["partition_key"], "garbage");
    assert!(
        line["reason"]
            .as_str()
            .unwrap()
            .starts_with("body is not valid JSON")
    );
}

#[tokio::test]
async fn a_partition_that_cannot_be_written_is_reported_by_its_first_sequence_number() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("clickstream/dt=2024-11-25")).unwrap();
    std::fs::write(
        dir.path().join("clickstream/dt=2024-11-25/hour=03"),
        b"in the way",
    )
    .unwrap();

    let response = handle(&archiver(dir.path()), event()).await;

    let failures: Vec<Option<String>> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failures, [Some(SECOND.to_owned())]);
    let answer = serde_json::to_value(&response).unwrap();
    assert_eq!(answer["batchItemFailures"][0]["itemIdentifier"], SECOND);
}

// ---- the frontend's real game record, from the post-clickstream handler to Parquet ----

const FRONTEND_WITH_NICKNAME: &str =
    include_str!("../../../events/post-clickstream/frontend-game-record-with-nickname.json");
const NICKNAME: &str = "player@example.com";
const NICKNAME_KEY: &str = "test-nickname-key";

/// A Kinesis event delivering `records` (partition key, data) as one shard's batch.
fn kinesis_event(records: &[(String, Vec<u8>)]) -> KinesisEvent {
    use base64::Engine as _;
    let items: Vec<serde_json::Value> = records
        .iter()
        .enumerate()
        .map(|(index, (partition_key, data))| {
            let sequence = format!("{FIRST}{index}");
            serde_json::json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": partition_key,
                    "sequenceNumber": sequence,
                    "data": base64::engine::general_purpose::STANDARD.encode(data),
                    "approximateArrivalTimestamp": 1732503600.5
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("{SHARD}:{sequence}"),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/coinking-clickstream-archiver",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/coinking-clickstream"
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "Records": items })).unwrap()
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn the_frontends_record_is_archived_with_typed_hint_prices_and_no_clear_nickname() {
    use coinking_click_sink::memory::MemoryClickSink;
    use coinking_core::game::{RecordRules, parse_game_record};
    use post_clickstream::{CorsOrigins, NicknameKey, Service};

    // Given the frontend's body with an e-mail, posted through post-clickstream with a hash key.
    let key = NicknameKey::new(NICKNAME_KEY);
    let service = Service::new(
        MemoryClickSink::new(1),
        RecordRules::default(),
        CorsOrigins::Any,
    )
    .with_nickname_key(key.clone());
    let event: serde_json::Value = serde_json::from_str(FRONTEND_WITH_NICKNAME).unwrap();
    let body = event["body"].as_str().unwrap();
    assert!(body.contains(NICKNAME));
    let request = lambda_http::request::from_str(FRONTEND_WITH_NICKNAME).unwrap();
    let response = post_clickstream::handle(&service, request).await;
    assert_eq!(response.status(), 200);
    assert!(!String::from_utf8_lossy(response.body().as_ref()).contains(NICKNAME));

    // The Kinesis payload carries the keyed hash, never the address.
    let records: Vec<(String, Vec<u8>)> = service
        .sink
        .accepted()
        .into_iter()
        .map(|record| (record.partition_key, record.data))
        .collect();
    assert_eq!(records.len(), 1);
    assert!(!String::from_utf8_lossy(&records[0].1).contains(NICKNAME));
    assert!(!String::from_utf8_lossy(&records[0].1).contains("userNickname"));
    let sent = parse_game_record(body.as_bytes(), &RecordRules::default()).unwrap();
    let expected_hash = key
        .as_ref()
        .unwrap()
        .hash(sent.user_nickname.as_ref().unwrap());

    // When the archiver writes the batch.
    let dir = tempfile::tempdir().unwrap();
    let answer = handle(&archiver(dir.path()), kinesis_event(&records)).await;
    assert!(answer.batch_item_failures.is_empty());

    // Then one Parquet object holds the row: hint prices typed, the hash kept, no address.
    let files = files_under(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let bytes = std::fs::read(&files[0]).unwrap();
    assert!(
        !bytes
            .windows(NICKNAME.len())
            .any(|w| w == NICKNAME.as_bytes()),
        "the nickname is in the Parquet file"
    );
    let batches = from_parquet(bytes::Bytes::from(bytes)).unwrap();
    let rows: Vec<_> = batches
        .iter()
        .flat_map(|b| decode_batch(b).unwrap())
        .collect();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        row.user_nickname_hash.as_deref(),
        Some(expected_hash.as_str())
    );
    assert_eq!(row.record.user_nickname, None);
    assert_eq!(row.record.deeplearning_data.len(), 9);
    assert_eq!(row.record.deeplearning_data[0].sell_up, Some(142_076_759.8));
    assert_eq!(
        row.record.deeplearning_data[0].sell_down,
        Some(141_663_240.2)
    );
    let mut stored = sent.clone();
    stored.user_nickname = None;
    assert_eq!(row.record, stored);
    // The contract schema: sell_up/sell_down are nullable Float64 fields of each hint, and
    // user_nickname_hash the only nickname column.
    assert_eq!(
        batches[0].schema(),
        coinking_clickstream::clickstream_schema()
    );
}

#[tokio::test]
async fn an_envelope_written_before_the_hash_rule_is_archived_without_its_clear_nickname() {
    // The fixture's envelopes still carry `userNickname` in clear, as stream records written
    // before this rule do.
    let dir = tempfile::tempdir().unwrap();
    assert!(
        handle(&archiver(dir.path()), event())
            .await
            .batch_item_failures
            .is_empty()
    );
    let nickname = "불타는개미".as_bytes();
    for path in files_under(dir.path()) {
        if path.extension().is_some_and(|ext| ext == "parquet") {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(nickname.len()).any(|w| w == nickname),
                "{path:?}"
            );
            let batches = from_parquet(bytes::Bytes::from(bytes)).unwrap();
            for row in batches.iter().flat_map(|b| decode_batch(b).unwrap()) {
                assert_eq!(row.user_nickname_hash, None);
            }
        }
    }
}
