//! A bounded in-process queue standing in for Kinesis in the local platform: the HTTP handler
//! puts, the local archiver loop drains it in batches.
//!
//! Records get sequence numbers like a shard's: increasing decimal integers. They start from the
//! clock (milliseconds since the epoch, times 1,000,000) so that a restarted platform never reuses a
//! number, and so never overwrites an earlier archive object with the same name.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use coinking_core::time::now_epoch_ms;
use tokio::sync::mpsc;

use super::{ClickRecord, ClickSink, PutReport, RecordOutcome};

/// The shard id the local queue reports (and the archive objects are named after).
pub const QUEUE_SHARD: &str = "shardId-local-000000";

/// How long a put waits for room in a full queue before refusing: backpressure on the HTTP
/// client, never an unbounded buffer.
pub const ENQUEUE_TIMEOUT: Duration = Duration::from_secs(2);

/// One record taken off the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedRecord {
    pub sequence_number: String,
    pub partition_key: String,
    pub data: Vec<u8>,
    /// When it was enqueued, epoch ms (Kinesis' `approximateArrivalTimestamp`).
    pub arrival_ms: i64,
}

/// The writing end.
#[derive(Debug)]
pub struct QueueClickSink {
    sender: mpsc::Sender<QueuedRecord>,
    next_sequence: AtomicU64,
}

/// Creates a queue holding at most `capacity` records (at least 1).
pub fn click_queue(capacity: usize) -> (QueueClickSink, mpsc::Receiver<QueuedRecord>) {
    let (sender, receiver) = mpsc::channel(capacity.max(1));
    // Sequence numbers start at now in nanoseconds (at ms resolution), so a restarted queue
    // continues above the numbers of the previous one.
    let start = u64::try_from(now_epoch_ms())
        .unwrap_or(0)
        .saturating_mul(1_000_000);
    (
        QueueClickSink {
            sender,
            next_sequence: AtomicU64::new(start),
        },
        receiver,
    )
}

impl ClickSink for QueueClickSink {
    async fn put(&self, records: &[ClickRecord]) -> PutReport {
        let arrival_ms = now_epoch_ms();
        let mut outcomes = Vec::with_capacity(records.len());
        for record in records {
            let sequence_number = self
                .next_sequence
                .fetch_add(1, Ordering::Relaxed)
                .to_string();
            let queued = QueuedRecord {
                sequence_number: sequence_number.clone(),
                partition_key: record.partition_key.clone(),
                data: record.data.clone(),
                arrival_ms,
            };
            let outcome = match self.sender.send_timeout(queued, ENQUEUE_TIMEOUT).await {
                Ok(()) => RecordOutcome::Accepted {
                    shard_id: QUEUE_SHARD.to_owned(),
                    sequence_number,
                },
                Err(error) => RecordOutcome::Failed {
                    reason: format!("local clickstream queue: {error}"),
                },
            };
            outcomes.push(outcome);
        }
        PutReport {
            outcomes,
            attempts: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str) -> ClickRecord {
        ClickRecord {
            partition_key: key.to_owned(),
            data: b"{}".to_vec(),
        }
    }

    #[tokio::test]
    async fn hands_records_over_in_order_with_increasing_sequence_numbers() {
        let (sink, mut receiver) = click_queue(8);
        let report = sink.put(&[record("a"), record("b")]).await;
        assert!(report.all_accepted());
        let first = receiver.recv().await.unwrap();
        let second = receiver.recv().await.unwrap();
        assert_eq!(
            (first.partition_key.as_str(), second.partition_key.as_str()),
            ("a", "b")
        );
        let first_number: u128 = first.sequence_number.parse().unwrap();
        let second_number: u128 = second.sequence_number.parse().unwrap();
        assert_eq!(second_number, first_number + 1);
    }

    #[tokio::test]
    async fn refuses_what_does_not_fit_once_the_queue_stays_full() {
        let (sink, _receiver) = click_queue(1);
        let report = sink.put(&[record("a"), record("b")]).await;
        assert_eq!(report.failed(), [1]);
    }

    #[tokio::test]
    async fn refuses_everything_once_the_archiver_is_gone() {
        let (sink, receiver) = click_queue(4);
        drop(receiver);
        assert_eq!(sink.put(&[record("a")]).await.failed(), [0]);
    }
}
