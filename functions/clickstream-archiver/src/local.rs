//! The local platform's archiver loop: drains the in-process click queue (standing in for
//! Kinesis) in batches and archives them with the same [`Archiver`] as the Lambda.

use std::time::Duration;

use coinking_click_sink::queue::{QUEUE_SHARD, QueuedRecord};
use coinking_clickstream::partition::compare_sequence_numbers;
use coinking_clickstream::{Archiver, StreamRecord};
use tokio::sync::mpsc;
use tracing::warn;

/// Batching of the local loop.
#[derive(Debug, Clone, Copy)]
pub struct LocalBatching {
    /// At most this many records per batch (Kinesis' default batch size for a Lambda trigger).
    pub max_records: usize,
    /// How long to wait for more records once the first has arrived.
    pub linger: Duration,
}

impl Default for LocalBatching {
    fn default() -> Self {
        Self {
            max_records: 100,
            linger: Duration::from_millis(500),
        }
    }
}

/// Runs until every sender of the queue is gone and the queue is drained (graceful shutdown:
/// drop the sink, then await this). A batch that cannot be fully written is retried from its
/// first failed record with capped backoff, like a Kinesis shard; records keep their names, so
/// a retry overwrites rather than duplicates.
pub async fn run_local_archiver(
    mut queue: mpsc::Receiver<QueuedRecord>,
    archiver: Archiver,
    batching: LocalBatching,
) {
    let retry = coinking_adapters::retry::RESUBMIT_POLICY;
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + batching.linger;
        while batch.len() < batching.max_records {
            match tokio::time::timeout_at(deadline, queue.recv()).await {
                Ok(Some(record)) => batch.push(record),
                Ok(None) | Err(_) => break,
            }
        }
        let mut pending: Vec<StreamRecord> = batch
            .into_iter()
            .map(|record| StreamRecord {
                sequence_number: record.sequence_number,
                partition_key: record.partition_key,
                data: record.data.into(),
                arrival_ms: record.arrival_ms,
            })
            .collect();
        let mut attempt = 0;
        while !pending.is_empty() {
            let report = archiver.archive(QUEUE_SHARD, pending.clone()).await;
            let Some(first_failed) = report.first_failed_sequence_number().map(str::to_owned)
            else {
                break;
            };
            attempt += 1;
            if attempt >= retry.max_attempts {
                warn!(records = pending.len(), failures = ?report.failures, "local archive gave up on a batch");
                break;
            }
            pending.retain(|record| {
                compare_sequence_numbers(&record.sequence_number, &first_failed).is_ge()
            });
            tokio::time::sleep(retry.backoff(attempt)).await;
        }
    }
}
