//! An in-memory [`ClickSink`] for handler tests: keeps what was accepted, and refuses chosen
//! records a chosen number of times, through the same retry loop as Kinesis.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use super::error::ClickSinkError;
use super::{ClickRecord, ClickSink, EntryResult, PutRecordsCall, PutReport, put_with_retry};
use coinking_adapters::RetryPolicy;

/// The shard id every accepted record reports.
pub const MEMORY_SHARD: &str = "shardId-memory";

#[derive(Debug, Default)]
struct State {
    accepted: Vec<ClickRecord>,
    /// Partition key → how many more times to refuse it.
    refusals: HashMap<String, u32>,
    /// Partition keys sent in each call, in order.
    calls: Vec<Vec<String>>,
}

/// Records in memory. Retries wait at most a millisecond, so tests stay fast.
#[derive(Debug)]
pub struct MemoryClickSink {
    state: Mutex<State>,
    policy: RetryPolicy,
}

impl Default for MemoryClickSink {
    fn default() -> Self {
        Self::new(5)
    }
}

impl MemoryClickSink {
    /// A sink that makes at most `max_attempts` calls per put.
    pub fn new(max_attempts: u32) -> Self {
        Self {
            state: Mutex::new(State::default()),
            policy: RetryPolicy {
                max_attempts,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(1),
            },
        }
    }

    /// Refuses the record with this partition key the next `times` times it is sent.
    pub fn refuse(&self, partition_key: impl Into<String>, times: u32) {
        self.lock().refusals.insert(partition_key.into(), times);
    }

    /// Every record accepted so far, in order.
    pub fn accepted(&self) -> Vec<ClickRecord> {
        self.lock().accepted.clone()
    }

    /// The partition keys sent in each call so far.
    pub fn calls(&self) -> Vec<Vec<String>> {
        self.lock().calls.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A test that panicked while holding the lock has failed already; keep its state.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ClickSink for MemoryClickSink {
    async fn put(&self, records: &[ClickRecord]) -> PutReport {
        put_with_retry(self, records, &self.policy).await
    }
}

impl PutRecordsCall for MemoryClickSink {
    async fn put_records(
        &self,
        records: &[&ClickRecord],
    ) -> Result<Vec<EntryResult>, ClickSinkError> {
        let mut state = self.lock();
        state
            .calls
            .push(records.iter().map(|r| r.partition_key.clone()).collect());
        let mut results = Vec::with_capacity(records.len());
        for record in records {
            let refuse = match state.refusals.get_mut(&record.partition_key) {
                Some(left) if *left > 0 => {
                    *left -= 1;
                    true
                }
                _ => false,
            };
            if refuse {
                results.push(EntryResult::Err {
                    error_code: "ProvisionedThroughputExceededException".to_owned(),
                    error_message: "Rate exceeded for shard shardId-memory".to_owned(),
                });
            } else {
                state.accepted.push((*record).clone());
                results.push(EntryResult::Ok {
                    shard_id: MEMORY_SHARD.to_owned(),
                    sequence_number: state.accepted.len().to_string(),
                });
            }
        }
        Ok(results)
    }
}
