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
