//! The delivery side of the sink: the state [`KafkaSink`](super::KafkaSink) shares with
//! librdkafka's delivery-report thread (records in flight, the retry queue, the kept failures),
//! and what one failed attempt does to a record (retry after a backoff, or give up and keep it).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rdkafka::ClientContext;
use rdkafka::Message;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryResult, ProducerContext};

use super::error::KafkaClientError;
use super::retry::RetryDecision;
use super::sink::{SinkCounters, SinkOptions};
use super::throttle::LogThrottle;

/// At most one delivery-failure log line per this interval and sink.
pub const LOG_INTERVAL: Duration = Duration::from_secs(1);

/// A record the sink gave up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRecord {
    pub key: Vec<u8>,
    pub payload: Vec<u8>,
    /// Attempts made, the first included.
    pub attempts: u32,
    /// The broker's or librdkafka's code for the last failure, if it had one.
    pub code: Option<RDKafkaErrorCode>,
    /// `permanent error: …` or `gave up after N attempts: …`.
    pub reason: String,
}

/// A record waiting for its backoff to pass.
#[derive(Debug)]
pub(super) struct Retry {
    pub(super) due: Instant,
    /// Tie-break so the heap order is total and equal due times keep arrival order.
    pub(super) seq: u64,
    pub(super) key: Vec<u8>,
    pub(super) payload: Vec<u8>,
    /// Attempts made so far.
    pub(super) attempts: u32,
}

impl PartialEq for Retry {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl Eq for Retry {}
impl PartialOrd for Retry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Retry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

/// State shared by the sink and librdkafka's delivery-report thread.
pub(super) struct Shared {
    pub(super) topic: String,
    pub(super) options: SinkOptions,
    pub(super) counters: SinkCounters,
    pub(super) retries: Mutex<RetryQueue>,
    pub(super) failed: Mutex<FailedList>,
    pub(super) log: Mutex<LogThrottle>,
    /// Records handed to librdkafka whose delivery report has not been fully handled yet.
    /// librdkafka's own in-flight count drops before the report callback has moved a failed
    /// record to the retry queue; counting here (incremented before the hand-over, decremented
    /// after the callback) means a record is always counted somewhere and `flush` cannot see
    /// zero pending while one is in between.
    pub(super) outstanding: AtomicU64,
}

#[derive(Default)]
pub(super) struct RetryQueue {
    pub(super) heap: BinaryHeap<Reverse<Retry>>,
    next_seq: u64,
}

#[derive(Default)]
pub(super) struct FailedList {
    pub(super) records: VecDeque<FailedRecord>,
    /// Permanently failed since the last `take_failed`, discarded ones included.
    pub(super) unclaimed: usize,
}

/// A poisoned lock only means another thread panicked mid-update of plain data; carrying on
/// beats losing the records it holds.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    /// Nothing in flight, queued or failed yet.
    pub(super) fn new(topic: String, options: SinkOptions) -> Self {
        Self {
            topic,
            options,
            counters: SinkCounters::default(),
            retries: Mutex::default(),
            failed: Mutex::default(),
            log: Mutex::default(),
            outstanding: AtomicU64::new(0),
        }
    }

    /// One failed attempt of a record (`attempts` made so far): schedules a retry or gives up.
    /// The record leaves `outstanding` only once it is in the retry queue (under its lock) or
    /// in the failed list, so [`KafkaSink::pending`](super::KafkaSink::pending) never misses it.
    pub(super) fn attempt_failed(
        &self,
        key: Vec<u8>,
        payload: Vec<u8>,
        attempts: u32,
        error: &KafkaError,
    ) {
        self.counters
            .delivery_failures
            .fetch_add(1, Ordering::Relaxed);
        let retryable = KafkaClientError::Client(error.clone()).is_retryable();
        let decision = self
            .options
            .retry
            .decide(retryable, attempts, fastrand::f64());
        let now = Instant::now();
        let admitted = lock(&self.log).admit(now, LOG_INTERVAL);
        match decision {
            RetryDecision::RetryAfter(wait) => {
                if let Some(suppressed) = admitted {
                    tracing::warn!(
                        %error,
                        topic = %self.topic,
                        attempts,
                        retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        suppressed,
                        "kafka delivery failed, will retry (suppressed = similar events not logged since the last line)"
                    );
                }
                let mut queue = lock(&self.retries);
                let seq = queue.next_seq;
                queue.next_seq += 1;
                queue.heap.push(Reverse(Retry {
                    due: now + wait,
                    seq,
                    key,
                    payload,
                    attempts,
                }));
                self.outstanding.fetch_sub(1, Ordering::AcqRel);
            }
            RetryDecision::Permanent | RetryDecision::Exhausted => {
                let reason = if decision == RetryDecision::Permanent {
                    format!("permanent error: {error}")
                } else {
                    format!("gave up after {attempts} attempts: {error}")
                };
                if let Some(suppressed) = admitted {
                    tracing::warn!(
                        topic = %self.topic,
                        key = %String::from_utf8_lossy(&key),
                        attempts,
                        %reason,
                        suppressed,
                        failed_permanently = self.counters.failed_permanently.load(Ordering::Relaxed) + 1,
                        "kafka delivery failed permanently; kept for take_failed"
                    );
                }
                self.counters
                    .failed_permanently
                    .fetch_add(1, Ordering::Relaxed);
                let mut failed = lock(&self.failed);
                failed.unclaimed += 1;
                if failed.records.len() >= self.options.max_retained_failed {
                    failed.records.pop_front();
                    self.counters
                        .failed_discarded
                        .fetch_add(1, Ordering::Relaxed);
                }
                if self.options.max_retained_failed > 0 {
                    failed.records.push_back(FailedRecord {
                        key,
                        payload,
                        attempts,
                        code: error.rdkafka_error_code(),
                        reason,
                    });
                } else {
                    self.counters
                        .failed_discarded
                        .fetch_add(1, Ordering::Relaxed);
                }
                drop(failed);
                self.outstanding.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }
}

/// Receives librdkafka's delivery reports on its polling thread. The delivery opaque is the
/// record's attempt number (1 for the first).
pub(super) struct DeliveryTracker {
    pub(super) shared: Arc<Shared>,
}

impl ClientContext for DeliveryTracker {}

impl ProducerContext for DeliveryTracker {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, attempts: Self::DeliveryOpaque) {
        match result {
            Ok(_) => {
                self.shared
                    .counters
                    .delivered
                    .fetch_add(1, Ordering::Relaxed);
                self.shared.outstanding.fetch_sub(1, Ordering::AcqRel);
            }
            Err((error, message)) => {
                let key = message.key().unwrap_or_default().to_vec();
                let payload = message.payload().unwrap_or_default().to_vec();
                let attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
                self.shared.attempt_failed(key, payload, attempts, error);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(options: SinkOptions) -> Shared {
        Shared::new("t".to_owned(), options)
    }

    /// Plays librdkafka failing every attempt of one record with `error`, re-producing whatever
    /// the retry queue hands back (as `resend_due` does); returns the attempts made.
    fn fail_every_attempt(shared: &Shared, error: &KafkaError) -> u32 {
        let mut attempt = 1;
        shared.outstanding.fetch_add(1, Ordering::AcqRel);
        shared.attempt_failed(b"KRW-BTC".to_vec(), b"v".to_vec(), attempt, error);
        loop {
            let next = lock(&shared.retries).heap.pop();
            let Some(Reverse(retry)) = next else {
                return attempt;
            };
            assert!(retry.due <= Instant::now() + shared.options.retry.max_delay);
            attempt = retry.attempts + 1;
            shared.outstanding.fetch_add(1, Ordering::AcqRel);
            shared.attempt_failed(retry.key, retry.payload, attempt, error);
            assert!(attempt <= 1_000, "never gave up");
        }
    }

    #[test]
    fn a_record_failing_retryably_is_given_up_after_max_attempts_and_kept() {
        let shared = shared(SinkOptions::default());
        let timed_out = KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut);
        assert_eq!(fail_every_attempt(&shared, &timed_out), 10);
        assert_eq!(
            shared.counters.delivery_failures.load(Ordering::Relaxed),
            10
        );
        assert_eq!(
            shared.counters.failed_permanently.load(Ordering::Relaxed),
            1
        );
        assert_eq!(shared.outstanding.load(Ordering::Relaxed), 0);
        let failed = lock(&shared.failed);
        assert_eq!(failed.unclaimed, 1);
        let record = &failed.records[0];
        assert_eq!(
            (record.key.as_slice(), record.attempts),
            (&b"KRW-BTC"[..], 10)
        );
        assert_eq!(record.code, Some(RDKafkaErrorCode::MessageTimedOut));
        assert!(
            record.reason.starts_with("gave up after 10 attempts"),
            "{}",
            record.reason
        );
    }

    #[test]
    fn a_permanent_error_gets_one_attempt() {
        let shared = shared(SinkOptions::default());
        let unknown = KafkaError::MessageProduction(RDKafkaErrorCode::Unknown);
        assert_eq!(fail_every_attempt(&shared, &unknown), 1);
        let failed = lock(&shared.failed);
        assert!(failed.records[0].reason.starts_with("permanent error"));
    }

    #[test]
    fn the_kept_list_is_bounded_and_overflow_is_counted() {
        let shared = shared(SinkOptions {
            max_retained_failed: 3,
            ..SinkOptions::default()
        });
        let unknown = KafkaError::MessageProduction(RDKafkaErrorCode::Unknown);
        for _ in 0..5 {
            fail_every_attempt(&shared, &unknown);
        }
        let failed = lock(&shared.failed);
        assert_eq!((failed.records.len(), failed.unclaimed), (3, 5));
        assert_eq!(shared.counters.failed_discarded.load(Ordering::Relaxed), 2);
        assert_eq!(
            shared.counters.failed_permanently.load(Ordering::Relaxed),
            5
        );
    }

    #[test]
    fn retries_come_out_earliest_due_first() {
        let now = Instant::now();
        let mut heap = BinaryHeap::new();
        for (seq, ms) in [(0, 300), (1, 100), (2, 200), (3, 100)] {
            heap.push(Reverse(Retry {
                due: now + Duration::from_millis(ms),
                seq,
                key: Vec::new(),
                payload: Vec::new(),
                attempts: 1,
            }));
        }
        let order: Vec<u64> = std::iter::from_fn(|| heap.pop().map(|Reverse(r)| r.seq)).collect();
        assert_eq!(order, [1, 3, 2, 0]);
    }
}
