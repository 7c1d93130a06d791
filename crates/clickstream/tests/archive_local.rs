#![allow(clippy::unwrap_used)]
//! The archiver against a real local directory (object_store's LocalFileSystem): partitions,
//! typed rows, bad records, idempotent re-delivery, and a partition that cannot be written.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use coinking_clickstream::archive::ObjectKind;
use coinking_clickstream::testing::synthetic_envelope;
use coinking_clickstream::{
    Archiver, BadRecordLine, StreamRecord, clickstream_schema, decode_batch, from_parquet,
};
use coinking_core::game::ClickEnvelope;
use object_store::local::LocalFileSystem;

const SHARD: &str = "shardId-000000000000";
/// 2024-11-25T02:00:00Z.
const HOUR_02: i64 = 1_732_500_000_000;
const HOUR: i64 = 3_600_000;

fn record(sequence: u64, envelope: &ClickEnvelope) -> StreamRecord {
    StreamRecord {
        sequence_number: format!("4959033827149025660855969253836157109592157598913{sequence:07}"),
        partition_key: envelope.event_id.to_string(),
        data: serde_json::to_vec(envelope).unwrap().into(),
        arrival_ms: envelope.received_at,
    }
}

fn garbage(sequence: u64, data: &[u8]) -> StreamRecord {
    StreamRecord {
        sequence_number: format!("4959033827149025660855969253836157109592157598913{sequence:07}"),
        partition_key: "garbage".to_owned(),
        data: data.to_vec().into(),
        arrival_ms: HOUR_02 + HOUR + 5,
    }
}

/// Every file under `root`, relative, with its bytes.
fn files(root: &std::path::Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                found.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

fn archiver(root: &std::path::Path) -> Archiver {
    Archiver::new(Arc::new(LocalFileSystem::new_with_prefix(root).unwrap()))
}

fn batch() -> (Vec<ClickEnvelope>, Vec<StreamRecord>) {
    // 30 records alternating between hour 02 and hour 03, plus two undecodable ones.
    let envelopes: Vec<ClickEnvelope> = (0..30)
        .map(|i| synthetic_envelope(i, HOUR_02 + (i as i64 % 2) * HOUR + i as i64))
        .collect();
    let mut records: Vec<StreamRecord> = envelopes
        .iter()
        .enumerate()
        .map(|(i, e)| record(i as u64 * 2 + 10, e))
        .collect();
    records.insert(5, garbage(3, b"{not json"));
    let mut wrong_version = serde_json::to_value(&envelopes[0]).unwrap();
    wrong_version["schema_version"] = serde_json::json!(9);
    records.push(garbage(500, &serde_json::to_vec(&wrong_version).unwrap()));
    (envelopes, records)
}

#[tokio::test]
async fn writes_one_typed_parquet_object_per_partition_and_keeps_bad_records() {
    let dir = tempfile::tempdir().unwrap();
    let (envelopes, records) = batch();

    let report = archiver(dir.path()).archive(SHARD, records).await;

    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.good_records, 30);
    assert_eq!(report.bad_records, 2);
    let found = files(dir.path());
    let keys: Vec<&str> = found.keys().map(String::as_str).collect();
    let first = |n: u64| format!("4959033827149025660855969253836157109592157598913{n:07}");
    assert_eq!(
        keys,
        [
            format!(
                "clickstream-bad/dt=2024-11-25/hour=03/{SHARD}-{}.ndjson",
                first(3)
            ),
            format!(
                "clickstream/dt=2024-11-25/hour=02/{SHARD}-{}.parquet",
                first(10)
            ),
            format!(
                "clickstream/dt=2024-11-25/hour=03/{SHARD}-{}.parquet",
                first(12)
            ),
        ]
    );

    for (hour, parity) in [("hour=02", 0), ("hour=03", 1)] {
        let (_, file) = found
            .iter()
            .find(|(key, _)| key.contains(hour) && key.ends_with(".parquet"))
            .unwrap();
        let batches = from_parquet(bytes::Bytes::from(file.clone())).unwrap();
        assert!(batches.iter().all(|b| b.schema() == clickstream_schema()));
        let rows: Vec<ClickEnvelope> = batches
            .iter()
            .flat_map(|b| decode_batch(b).unwrap())
            .collect();
        let expected: Vec<ClickEnvelope> = envelopes
            .iter()
            .filter(|e| (e.received_at - HOUR_02) / HOUR == parity)
            .cloned()
            .collect();
        assert_eq!(rows, expected, "{hour}");
    }

    let (_, bad) = found
        .iter()
        .find(|(key, _)| key.ends_with(".ndjson"))
        .unwrap();
    let lines: Vec<BadRecordLine> = std::str::from_utf8(bad)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].partition_key, "garbage");
    assert!(
        lines[0].reason.starts_with("body is not valid JSON"),
        "{}",
        lines[0].reason
    );
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(&lines[0].data_base64)
            .unwrap(),
        b"{not json"
    );
    assert_eq!(
        lines[1].reason,
        "schema_version: must be 1, the only schema version this build reads"
    );
}

#[tokio::test]
async fn the_same_batch_delivered_twice_leaves_the_same_objects() {
    let dir = tempfile::tempdir().unwrap();
    let (_, records) = batch();
    let archiver = archiver(dir.path());

    let first = archiver.archive(SHARD, records.clone()).await;
    let after_first = files(dir.path());
    let second = archiver.archive(SHARD, records).await;
    let after_second = files(dir.path());

    assert!(first.failures.is_empty() && second.failures.is_empty());
    assert_eq!(after_first.len(), 3);
    assert_eq!(
        after_second, after_first,
        "a re-delivered batch must overwrite, byte for byte"
    );
    let kinds: Vec<ObjectKind> = second.written.iter().map(|(_, kind, _)| *kind).collect();
    assert_eq!(kinds, [ObjectKind::Data, ObjectKind::Data, ObjectKind::Bad]);
}

#[tokio::test]
async fn a_partition_that_cannot_be_written_reports_its_first_sequence_number_only() {
    let dir = tempfile::tempdir().unwrap();
    // A plain file where the hour=03 directory must go: every write under it fails, for real.
    std::fs::create_dir_all(dir.path().join("clickstream/dt=2024-11-25")).unwrap();
    std::fs::write(
        dir.path().join("clickstream/dt=2024-11-25/hour=03"),
        b"in the way",
    )
    .unwrap();
    let (_, records) = batch();

    let report = archiver(dir.path()).archive(SHARD, records).await;

    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    assert!(report.failures[0].key.contains("hour=03"));
    assert_eq!(
        report.first_failed_sequence_number(),
        Some("49590338271490256608559692538361571095921575989130000012")
    );
    // The other partition and the bad records were still written.
    let written: Vec<&str> = report
        .written
        .iter()
        .map(|(key, _, _)| key.as_str())
        .collect();
    assert_eq!(written.len(), 2);
    assert!(written.iter().any(|key| key.contains("hour=02")));
}

#[tokio::test]
async fn an_empty_batch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let report = archiver(dir.path()).archive(SHARD, Vec::new()).await;
    assert!(report.written.is_empty() && report.failures.is_empty());
    assert!(files(dir.path()).is_empty());
    assert_eq!(report.first_failed_sequence_number(), None);
}

#[tokio::test]
async fn a_record_re_sent_with_the_same_event_id_in_one_batch_lands_once() {
    let dir = tempfile::tempdir().unwrap();
    let envelopes: Vec<ClickEnvelope> = (0..3)
        .map(|i| synthetic_envelope(i, HOUR_02 + i as i64))
        .collect();
    // The client retried game 1 with the same Idempotency-Key: the same event id, received
    // a little later (possibly in the next hour), and it reached the stream before game 2.
    let mut resent = envelopes[1].clone();
    resent.received_at = HOUR_02 + HOUR + 1;
    let records = vec![
        record(30, &envelopes[2]),
        record(10, &envelopes[0]),
        record(20, &envelopes[1]),
        record(25, &resent),
    ];

    let report = archiver(dir.path()).archive(SHARD, records).await;

    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.good_records, 3);
    assert_eq!(report.duplicate_records, 1);
    let found = files(dir.path());
    assert_eq!(
        found.len(),
        1,
        "one partition: the re-send left none of its own"
    );
    let rows: Vec<ClickEnvelope> = found
        .values()
        .flat_map(|file| from_parquet(bytes::Bytes::from(file.clone())).unwrap())
        .flat_map(|batch| decode_batch(&batch).unwrap())
        .collect();
    assert_eq!(
        rows, envelopes,
        "each game once, the first copy, in stream order"
    );
}
