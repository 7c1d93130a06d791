//! The Kinesis event handler: records → [`Archiver`] per shard → partial batch response.
//!
//! With `FunctionResponseTypes: [ReportBatchItemFailures]` on the event source mapping, Lambda
//! re-delivers a shard from the reported sequence number on: the lowest sequence number of any
//! object that could not be written. Everything before it is checkpointed. Undecodable records
//! are not failures (they are kept under `clickstream-bad/`), so one poison record never blocks
//! a shard.

use std::collections::BTreeMap;

use aws_lambda_events::event::kinesis::{KinesisEvent, KinesisEventRecord};
use aws_lambda_events::event::streams::{KinesisBatchItemFailure, KinesisEventResponse};
use coinking_clickstream::{Archiver, StreamRecord};
use tracing::{info, warn};

/// The shard a record came from: Kinesis event ids are `<shard id>:<sequence number>`.
pub fn shard_of(record: &KinesisEventRecord) -> String {
    record
        .event_id
        .as_deref()
        .and_then(|id| id.split_once(':'))
        .map(|(shard, _)| shard.to_owned())
        .unwrap_or_else(|| "shardId-unknown".to_owned())
}

fn stream_record(record: KinesisEventRecord) -> StreamRecord {
    let kinesis = record.kinesis;
    StreamRecord {
        sequence_number: kinesis.sequence_number,
        partition_key: kinesis.partition_key,
        data: kinesis.data.0.into(),
        arrival_ms: kinesis.approximate_arrival_timestamp.0.timestamp_millis(),
    }
}

/// Archives one event; answers which records Lambda must deliver again.
pub async fn handle(archiver: &Archiver, event: KinesisEvent) -> KinesisEventResponse {
    let mut shards: BTreeMap<String, Vec<StreamRecord>> = BTreeMap::new();
    for record in event.records {
        let shard = shard_of(&record);
        shards.entry(shard).or_default().push(stream_record(record));
    }
    let mut response = KinesisEventResponse::default();
    for (shard, records) in shards {
        let report = archiver.archive(&shard, records).await;
        info!(
            shard_id = %shard,
            good_records = report.good_records,
            bad_records = report.bad_records,
            duplicate_records = report.duplicate_records,
            objects = report.written.len(),
            failed_objects = report.failures.len(),
            "kinesis batch archived"
        );
        if let Some(first) = report.first_failed_sequence_number() {
            warn!(shard_id = %shard, sequence_number = first, failures = ?report.failures, "archive incomplete; asking Kinesis to re-deliver");
            let mut failure = KinesisBatchItemFailure::default();
            failure.item_identifier = Some(first.to_owned());
            response.batch_item_failures.push(failure);
        }
    }
    response
}
