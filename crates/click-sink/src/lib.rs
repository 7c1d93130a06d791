//! The clickstream's write port: [`ClickSink`] puts accepted game records on the stream.
//!
//! Implementations:
//! - [`kinesis::KinesisClickSink`]: Kinesis `PutRecords` (production; kinesalite locally);
//! - [`memory::MemoryClickSink`]: records in memory, with chosen records failing a chosen number
//!   of times (handler tests);
//! - [`queue::QueueClickSink`]: a bounded in-process queue drained by the local platform's
//!   archiver loop in place of Kinesis.
//!
//! Kinesis and the memory sink share [`put_with_retry`]: `PutRecords` can succeed as a call and
//! still refuse some records (`FailedRecordCount > 0`, e.g. a throttled shard). Only those are
//! sent again, after a capped exponential backoff with full jitter, until they are accepted or
//! the attempts run out. The report then says, per record, accepted (with its sequence number)
//! or failed (with the last reason); callers decide what "accepted" means for their answer.
//! Whole-call failures (network, timeouts, throttling of the call itself) are first retried by
//! the SDK; what still fails is retried here too if it is retryable, else ends the attempts.

pub mod error;
pub mod kinesis;
pub mod memory;
pub mod queue;

use std::future::Future;

use tracing::warn;

use coinking_adapters::RetryPolicy;
pub use error::ClickSinkError;

/// `PutRecords` takes at most 500 records per call (Kinesis service limit).
pub const MAX_RECORDS_PER_PUT: usize = 500;
/// `PutRecords` takes at most 5 MiB per call, partition keys included (Kinesis service limit).
pub const MAX_BYTES_PER_PUT: usize = 5 * 1024 * 1024;

/// One record to put: the partition key (the event id) and the payload (the envelope's JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClickRecord {
    pub partition_key: String,
    pub data: Vec<u8>,
}

/// What became of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    /// On the stream.
    Accepted {
        shard_id: String,
        sequence_number: String,
    },
    /// Not on the stream after every attempt; `reason` is the last error.
    Failed { reason: String },
}

/// Per-record outcomes, in the order the records were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutReport {
    pub outcomes: Vec<RecordOutcome>,
    /// `PutRecords` calls made, retries included.
    pub attempts: u32,
}

impl PutReport {
    /// Whether every record is on the stream.
    pub fn all_accepted(&self) -> bool {
        self.outcomes
            .iter()
            .all(|outcome| matches!(outcome, RecordOutcome::Accepted { .. }))
    }

    /// Indexes of the records that are not on the stream.
    pub fn failed(&self) -> Vec<usize> {
        self.outcomes
            .iter()
            .enumerate()
            .filter(|(_, outcome)| matches!(outcome, RecordOutcome::Failed { .. }))
            .map(|(index, _)| index)
            .collect()
    }
}

/// Puts records on the clickstream.
pub trait ClickSink: Send + Sync {
    /// Puts every record, retrying what is refused, and reports per record. Never returns
    /// before each record is either accepted or given up on.
    fn put(&self, records: &[ClickRecord]) -> impl Future<Output = PutReport> + Send;
}

/// The result of one entry of one `PutRecords` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryResult {
    Ok {
        shard_id: String,
        sequence_number: String,
    },
    Err {
        error_code: String,
        error_message: String,
    },
}

/// One `PutRecords` call, without retries: the seam that lets the retry loop be tested with a
/// scripted response as well as against kinesalite.
pub trait PutRecordsCall: Send + Sync {
    /// Sends at most [`MAX_RECORDS_PER_PUT`] records; answers one result per record, in order.
    fn put_records(
        &self,
        records: &[&ClickRecord],
    ) -> impl Future<Output = Result<Vec<EntryResult>, ClickSinkError>> + Send;
}

/// Puts `records` through `call`, resubmitting only the refused ones (see the module doc).
pub async fn put_with_retry<C: PutRecordsCall>(
    call: &C,
    records: &[ClickRecord],
    policy: &RetryPolicy,
) -> PutReport {
    let mut outcomes: Vec<Option<RecordOutcome>> = vec![None; records.len()];
    let mut last_reason: Vec<String> = vec![String::new(); records.len()];
    let mut pending: Vec<usize> = (0..records.len()).collect();
    let mut attempts = 0;
    let max_attempts = policy.max_attempts.max(1);
    while !pending.is_empty() && attempts < max_attempts {
        if attempts > 0 {
            tokio::time::sleep(policy.backoff(attempts)).await;
        }
        attempts += 1;
        let mut still_pending = Vec::new();
        let mut permanent = false;
        for chunk in pending.chunks(MAX_RECORDS_PER_PUT) {
            let batch: Vec<&ClickRecord> = chunk.iter().map(|&index| &records[index]).collect();
            match call.put_records(&batch).await {
                Ok(results) if results.len() == chunk.len() => {
                    for (&index, result) in chunk.iter().zip(results) {
                        match result {
                            EntryResult::Ok {
                                shard_id,
                                sequence_number,
                            } => {
                                outcomes[index] = Some(RecordOutcome::Accepted {
                                    shard_id,
                                    sequence_number,
                                });
                            }
                            EntryResult::Err {
                                error_code,
                                error_message,
                            } => {
                                last_reason[index] = format!("{error_code}: {error_message}");
                                still_pending.push(index);
                            }
                        }
                    }
                }
                Ok(results) => {
                    // A response that does not line up with the request cannot say which record
                    // went where: treat the chunk as refused (a resend at worst duplicates, and
                    // duplicates share their event id).
                    let reason = format!(
                        "PutRecords answered {} results for {} records",
                        results.len(),
                        chunk.len()
                    );
                    for &index in chunk {
                        last_reason[index].clone_from(&reason);
                        still_pending.push(index);
                    }
                }
                Err(error) => {
                    permanent |= !error.is_retryable();
                    let reason = error.to_string();
                    for &index in chunk {
                        last_reason[index].clone_from(&reason);
                        still_pending.push(index);
                    }
                }
            }
        }
        if !still_pending.is_empty() {
            warn!(
                attempt = attempts,
                refused = still_pending.len(),
                "clickstream put refused records; retrying only those"
            );
        }
        pending = still_pending;
        if permanent {
            break;
        }
    }
    let outcomes = outcomes
        .into_iter()
        .zip(last_reason)
        .map(|(outcome, reason)| outcome.unwrap_or(RecordOutcome::Failed { reason }))
        .collect();
    PutReport { outcomes, attempts }
}

/// The retry policy for putting clickstream records from an HTTP handler: API Gateway gives up
/// after 29 s, so at most 5 attempts with waits capped at 1 s (at most ~2 s of waiting in all).
pub fn handler_retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        base_delay: std::time::Duration::from_millis(50),
        max_delay: std::time::Duration::from_secs(1),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;

    /// Answers each call from a script; records what each call was sent.
    struct Scripted {
        answers: Mutex<VecDeque<Result<Vec<EntryResult>, ClickSinkError>>>,
        sent: Mutex<Vec<Vec<String>>>,
    }

    impl Scripted {
        fn new(answers: Vec<Result<Vec<EntryResult>, ClickSinkError>>) -> Self {
            Self {
                answers: Mutex::new(answers.into()),
                sent: Mutex::new(Vec::new()),
            }
        }
    }

    impl PutRecordsCall for Scripted {
        async fn put_records(
            &self,
            records: &[&ClickRecord],
        ) -> Result<Vec<EntryResult>, ClickSinkError> {
            self.sent
                .lock()
                .unwrap()
                .push(records.iter().map(|r| r.partition_key.clone()).collect());
            self.answers
                .lock()
                .unwrap()
                .pop_front()
                .expect("a scripted answer for every call")
        }
    }

    fn records(n: usize) -> Vec<ClickRecord> {
        (0..n)
            .map(|i| ClickRecord {
                partition_key: format!("k{i}"),
                data: vec![b'x'; 10],
            })
            .collect()
    }

    fn ok(sequence: u32) -> EntryResult {
        EntryResult::Ok {
            shard_id: "shardId-000000000000".to_owned(),
            sequence_number: sequence.to_string(),
        }
    }

    fn throttled() -> EntryResult {
        EntryResult::Err {
            error_code: "ProvisionedThroughputExceededException".to_owned(),
            error_message: "Rate exceeded for shard".to_owned(),
        }
    }

    fn fast(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        }
    }

    #[tokio::test]
    async fn resends_only_the_refused_records_until_accepted() {
        let call = Scripted::new(vec![
            Ok(vec![ok(1), throttled(), ok(3), throttled()]),
            Ok(vec![throttled(), ok(5)]),
            Ok(vec![ok(6)]),
        ]);

        let report = put_with_retry(&call, &records(4), &fast(5)).await;

        assert!(report.all_accepted(), "{report:?}");
        assert_eq!(report.attempts, 3);
        assert_eq!(
            *call.sent.lock().unwrap(),
            [vec!["k0", "k1", "k2", "k3"], vec!["k1", "k3"], vec!["k1"]]
        );
        let sequences: Vec<String> = report
            .outcomes
            .iter()
            .map(|o| match o {
                RecordOutcome::Accepted {
                    sequence_number, ..
                } => sequence_number.clone(),
                RecordOutcome::Failed { .. } => "failed".to_owned(),
            })
            .collect();
        assert_eq!(sequences, ["1", "6", "3", "5"]);
    }

    #[tokio::test]
    async fn reports_exactly_the_records_still_refused_when_attempts_run_out() {
        let call = Scripted::new(vec![
            Ok(vec![ok(1), throttled(), ok(3)]),
            Ok(vec![throttled()]),
        ]);

        let report = put_with_retry(&call, &records(3), &fast(2)).await;

        assert_eq!(report.failed(), [1]);
        assert_eq!(
            report.outcomes[1],
            RecordOutcome::Failed {
                reason: "ProvisionedThroughputExceededException: Rate exceeded for shard"
                    .to_owned()
            }
        );
        assert_eq!(report.attempts, 2);
    }

    #[tokio::test]
    async fn retries_a_retryable_call_failure_but_stops_at_a_permanent_one() {
        let unreachable = || ClickSinkError::Kinesis {
            operation: "PutRecords",
            stream: "s".to_owned(),
            retryable: true,
            message: "connection refused".to_owned(),
        };
        let call = Scripted::new(vec![Err(unreachable()), Ok(vec![ok(1), ok(2)])]);
        assert!(
            put_with_retry(&call, &records(2), &fast(3))
                .await
                .all_accepted()
        );

        let missing = ClickSinkError::Kinesis {
            operation: "PutRecords",
            stream: "s".to_owned(),
            retryable: false,
            message: "ResourceNotFoundException".to_owned(),
        };
        let call = Scripted::new(vec![Err(missing)]);
        let report = put_with_retry(&call, &records(2), &fast(5)).await;
        assert_eq!(report.failed(), [0, 1]);
        assert_eq!(report.attempts, 1);
    }

    #[tokio::test]
    async fn a_misaligned_answer_counts_as_a_refusal() {
        let call = Scripted::new(vec![Ok(vec![ok(1)]), Ok(vec![ok(2), ok(3)])]);
        let report = put_with_retry(&call, &records(2), &fast(3)).await;
        assert!(report.all_accepted());
        assert_eq!(report.attempts, 2);
    }

    #[tokio::test]
    async fn splits_more_than_500_records_into_calls_of_at_most_500() {
        let call = Scripted::new(vec![
            Ok((0..500).map(ok).collect()),
            Ok((500..620).map(ok).collect()),
        ]);
        let report = put_with_retry(&call, &records(620), &fast(1)).await;
        assert!(report.all_accepted());
        let sizes: Vec<usize> = call.sent.lock().unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, [500, 120]);
    }
}
