//! The Kafka sink: keyed records are enqueued into librdkafka and never awaited one by one.
//!
//! What happens on each failure path:
//! - **Queue full** (librdkafka's local queue holds `queue.buffering.max.messages`): backpressure.
//!   [`KafkaSink::send`] waits and retries the same record, so the bounded channel feeding the
//!   sink fills and slows the source instead of memory growing.
//! - **Broker unreachable or slow**: the idempotent producer retries internally, in order and
//!   without duplicates, for up to `delivery.timeout.ms`.
//! - **Delivery failed with a retryable error** (timeouts, transport, leader moves; see
//!   [`AdapterError::is_retryable`]): the record waits in a retry queue for a capped exponential
//!   backoff with full jitter ([`RetryPolicy`]) and is produced again by a later send or flush.
//!   Waiting (not re-enqueueing at once) matters: a broker that keeps refusing a record would
//!   otherwise be answered with a tight produce loop that spins a core and floods the log.
//! - **Delivery failed permanently** (the broker rejected the record, e.g. too large, unknown
//!   topic, or a fatal producer state) or the record used up `max_attempts`: it is not produced
//!   again and not dropped silently either. It is counted in `failed_permanently`, kept (key,
//!   payload, reason) for [`KafkaSink::take_failed`] so the caller can dead-letter or log it, and
//!   [`KafkaSink::flush`] fails with [`AdapterError::DeliveryFailed`] until it is taken. The
//!   kept list is bounded ([`SinkOptions::max_retained_failed`]); beyond it the oldest are
//!   discarded and counted in `failed_discarded`.
//! - **Logging**: delivery failures are logged at warn level at most once per
//!   [`LOG_INTERVAL`], each line carrying how many similar events it stands for, so a broker
//!   rejecting everything costs one line a second, not one per record.
//!
//! Nothing is dropped while the process lives; [`KafkaSink::flush`] reports what is still
//! pending and what failed permanently when its deadline passes, so a drain on shutdown knows
//! whether it lost anything.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::ClientContext;
use rdkafka::Message;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};

use crate::error::AdapterError;

/// How long a send waits before retrying when librdkafka's queue is full.
pub const QUEUE_FULL_BACKOFF: Duration = Duration::from_millis(5);

/// At most one delivery-failure log line per this interval and sink.
pub const LOG_INTERVAL: Duration = Duration::from_secs(1);

/// Longest single librdkafka flush step inside [`KafkaSink::flush`], so due retries are
/// re-enqueued promptly.
const FLUSH_STEP: Duration = Duration::from_millis(100);

/// How a record whose delivery failed with a retryable error is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Backoff ceiling after the first failed attempt; doubles with each further one.
    pub initial_backoff: Duration,
    /// The ceiling never grows past this.
    pub max_backoff: Duration,
    /// Attempts per record, the first included; a record failing this many times fails
    /// permanently. At least 1.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 100 ms doubling to 5 s, 10 attempts. Each attempt already includes librdkafka's own
    /// retries for `delivery.timeout.ms`, so ten is generous for transient trouble.
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_attempts: 10,
        }
    }
}

/// What to do with a record whose attempt just failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Produce it again once this much time has passed.
    RetryAfter(Duration),
    /// The error is not retryable.
    Permanent,
    /// The error was retryable but the record used up its attempts.
    Exhausted,
}

impl RetryPolicy {
    /// The backoff ceiling after `failed_attempts` (≥ 1) failures:
    /// `min(max_backoff, initial_backoff · 2^(failed_attempts − 1))`.
    pub fn ceiling(&self, failed_attempts: u32) -> Duration {
        coinking_core::backoff::ceiling(self.initial_backoff, self.max_backoff, failed_attempts)
    }

    /// Full jitter: `unit` (uniform in `[0, 1)`) scales the ceiling, which spreads the retries of
    /// many records failing together instead of sending them back in one burst.
    pub fn backoff(&self, failed_attempts: u32, unit: f64) -> Duration {
        coinking_core::backoff::full_jitter(self.ceiling(failed_attempts), unit)
    }

    /// The decision after attempt number `attempts` (1 for the first) failed.
    pub fn decide(&self, retryable: bool, attempts: u32, unit: f64) -> RetryDecision {
        if !retryable {
            RetryDecision::Permanent
        } else if attempts >= self.max_attempts.max(1) {
            RetryDecision::Exhausted
        } else {
            RetryDecision::RetryAfter(self.backoff(attempts, unit))
        }
    }
}

/// Everything configurable about a [`KafkaSink`] beyond librdkafka's own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkOptions {
    pub retry: RetryPolicy,
    /// Permanently failed records kept for [`KafkaSink::take_failed`]; older ones are discarded
    /// (and counted) beyond this, so a broker rejecting everything cannot exhaust memory.
    pub max_retained_failed: usize,
}

impl Default for SinkOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            max_retained_failed: 10_000,
        }
    }
}

/// Counters a metrics endpoint can export; all monotonic.
#[derive(Debug, Default)]
pub struct SinkCounters {
    pub enqueued: AtomicU64,
    pub delivered: AtomicU64,
    /// Failed attempts (delivery reports with an error, or re-enqueues librdkafka refused).
    pub delivery_failures: AtomicU64,
    /// Records produced again after a retryable failure.
    pub retried: AtomicU64,
    pub queue_full_waits: AtomicU64,
    /// Records given up on: permanent error or attempts exhausted.
    pub failed_permanently: AtomicU64,
    /// Permanently failed records discarded because the retained list was full.
    pub failed_discarded: AtomicU64,
}

/// A snapshot of [`SinkCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkStats {
    pub enqueued: u64,
    pub delivered: u64,
    pub delivery_failures: u64,
    pub retried: u64,
    pub queue_full_waits: u64,
    pub failed_permanently: u64,
    pub failed_discarded: u64,
}

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
struct Retry {
    due: Instant,
    /// Tie-break so the heap order is total and equal due times keep arrival order.
    seq: u64,
    key: Vec<u8>,
    payload: Vec<u8>,
    /// Attempts made so far.
    attempts: u32,
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

/// Allows one log line per interval and counts what it held back meanwhile.
#[derive(Debug, Default)]
pub struct LogThrottle {
    last: Option<Instant>,
    suppressed: u64,
}

impl LogThrottle {
    /// `Some(n)` when a line may be written at `now`, `n` being the events suppressed since the
    /// previous line; `None` (and the event counted) otherwise.
    pub fn admit(&mut self, now: Instant, interval: Duration) -> Option<u64> {
        match self.last {
            Some(last) if now.saturating_duration_since(last) < interval => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }

    /// Events suppressed since the last line, reset to zero.
    pub fn take_suppressed(&mut self) -> u64 {
        std::mem::take(&mut self.suppressed)
    }
}

/// State shared by the sink and librdkafka's delivery-report thread.
struct Shared {
    topic: String,
    options: SinkOptions,
    counters: SinkCounters,
    retries: Mutex<RetryQueue>,
    failed: Mutex<FailedList>,
    log: Mutex<LogThrottle>,
    /// Records handed to librdkafka whose delivery report has not been fully handled yet.
    /// librdkafka's own in-flight count drops before the report callback has moved a failed
    /// record to the retry queue; counting here (incremented before the hand-over, decremented
    /// after the callback) means a record is always counted somewhere and `flush` cannot see
    /// zero pending while one is in between.
    outstanding: AtomicU64,
}

#[derive(Default)]
struct RetryQueue {
    heap: BinaryHeap<Reverse<Retry>>,
    next_seq: u64,
}

#[derive(Default)]
struct FailedList {
    records: VecDeque<FailedRecord>,
    /// Permanently failed since the last `take_failed`, discarded ones included.
    unclaimed: usize,
}

/// A poisoned lock only means another thread panicked mid-update of plain data; carrying on
/// beats losing the records it holds.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    /// One failed attempt of a record (`attempts` made so far): schedules a retry or gives up.
    /// The record leaves `outstanding` only once it is in the retry queue (under its lock) or
    /// in the failed list, so [`KafkaSink::pending`] never misses it.
    fn attempt_failed(&self, key: Vec<u8>, payload: Vec<u8>, attempts: u32, error: &KafkaError) {
        self.counters
            .delivery_failures
            .fetch_add(1, Ordering::Relaxed);
        let retryable = AdapterError::Kafka(error.clone()).is_retryable();
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
struct DeliveryTracker {
    shared: Arc<Shared>,
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

/// Produces keyed records to one topic.
pub struct KafkaSink {
    producer: ThreadedProducer<DeliveryTracker>,
    shared: Arc<Shared>,
}

impl fmt::Debug for KafkaSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaSink")
            .field("topic", &self.shared.topic)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl KafkaSink {
    /// A sink producing to `topic` with `config` (normally [`crate::kafka::producer_config`])
    /// and the default [`SinkOptions`].
    pub fn new(config: &ClientConfig, topic: impl Into<String>) -> Result<Self, AdapterError> {
        Self::with_options(config, topic, SinkOptions::default())
    }

    pub fn with_options(
        config: &ClientConfig,
        topic: impl Into<String>,
        options: SinkOptions,
    ) -> Result<Self, AdapterError> {
        let shared = Arc::new(Shared {
            topic: topic.into(),
            options,
            counters: SinkCounters::default(),
            retries: Mutex::default(),
            failed: Mutex::default(),
            log: Mutex::default(),
            outstanding: AtomicU64::new(0),
        });
        let tracker = DeliveryTracker {
            shared: Arc::clone(&shared),
        };
        let producer = config.create_with_context(tracker)?;
        Ok(Self { producer, shared })
    }

    pub fn topic(&self) -> &str {
        &self.shared.topic
    }

    /// Enqueues one record. Returns once librdkafka has accepted it (not once it is delivered);
    /// waits while the local queue is full. Retries whose backoff has passed go first. An error
    /// is about this record only (librdkafka refused it outright, e.g. larger than
    /// `message.max.bytes`); the caller still holds it.
    pub async fn send(&self, key: &[u8], value: &[u8]) -> Result<(), AdapterError> {
        self.resend_due().await;
        self.shared.outstanding.fetch_add(1, Ordering::AcqRel);
        if let Err(error) = self.enqueue(key, value, 1).await {
            self.shared.outstanding.fetch_sub(1, Ordering::AcqRel);
            return Err(error.into());
        }
        self.shared
            .counters
            .enqueued
            .fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Hands one record to librdkafka. The caller has counted it in `outstanding` and, on an
    /// error (no delivery report will come), uncounts it.
    async fn enqueue(&self, key: &[u8], value: &[u8], attempt: u32) -> Result<(), KafkaError> {
        let opaque = usize::try_from(attempt).unwrap_or(usize::MAX);
        loop {
            let record = BaseRecord::with_opaque_to(&self.shared.topic, opaque)
                .key(key)
                .payload(value);
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    self.shared
                        .counters
                        .queue_full_waits
                        .fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(QUEUE_FULL_BACKOFF).await;
                }
                Err((error, _)) => return Err(error),
            }
        }
    }

    /// The retries whose backoff has passed, earliest first; each is counted in `outstanding`
    /// before it leaves the queue.
    fn pop_due(&self, now: Instant) -> Option<Retry> {
        let mut queue = lock(&self.shared.retries);
        if queue.heap.peek().is_some_and(|Reverse(r)| r.due <= now) {
            self.shared.outstanding.fetch_add(1, Ordering::AcqRel);
            queue.heap.pop().map(|Reverse(r)| r)
        } else {
            None
        }
    }

    /// Produces again every retry that is due. A refusal by librdkafka counts as one more failed
    /// attempt of that record (scheduled again or given up), never as an error of the caller's
    /// send.
    async fn resend_due(&self) {
        let now = Instant::now();
        while let Some(retry) = self.pop_due(now) {
            let attempt = retry.attempts.saturating_add(1);
            self.shared.counters.retried.fetch_add(1, Ordering::Relaxed);
            if let Err(error) = self.enqueue(&retry.key, &retry.payload, attempt).await {
                self.shared
                    .attempt_failed(retry.key, retry.payload, attempt, &error);
            }
        }
    }

    fn next_retry_due(&self) -> Option<Instant> {
        lock(&self.shared.retries)
            .heap
            .peek()
            .map(|Reverse(r)| r.due)
    }

    fn in_flight(&self) -> usize {
        usize::try_from(self.shared.outstanding.load(Ordering::Acquire)).unwrap_or(usize::MAX)
    }

    /// Records enqueued but not yet acknowledged, plus failed ones waiting for a retry: the
    /// producer queue depth a metrics endpoint shows. Permanently failed records are not
    /// pending (see [`Self::failed_count`]).
    pub fn pending(&self) -> usize {
        // Both read under the retry queue's lock, which every move between them holds.
        let queue = lock(&self.shared.retries);
        queue.heap.len() + self.in_flight()
    }

    /// Permanently failed records not yet claimed with [`Self::take_failed`] (discarded ones
    /// included).
    pub fn failed_count(&self) -> usize {
        lock(&self.shared.failed).unclaimed
    }

    /// The retained permanently failed records, oldest first; clears the list and the
    /// unclaimed count, so a following [`Self::flush`] no longer reports them.
    pub fn take_failed(&self) -> Vec<FailedRecord> {
        let mut failed = lock(&self.shared.failed);
        failed.unclaimed = 0;
        failed.records.drain(..).collect()
    }

    /// Waits until every record is delivered or given up on, or `timeout` passes. Due retries
    /// are produced again meanwhile; between them it sleeps rather than polls.
    ///
    /// - everything delivered: `Ok(())`;
    /// - nothing pending but records failed permanently (and were not taken yet):
    ///   [`AdapterError::DeliveryFailed`];
    /// - deadline passed: [`AdapterError::Undelivered`] with both counts.
    pub async fn flush(&self, timeout: Duration) -> Result<(), AdapterError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.resend_due().await;
            let now = Instant::now();
            if self.in_flight() > 0 {
                let producer = self.producer.clone();
                let step = FLUSH_STEP.min(deadline.saturating_duration_since(now));
                // librdkafka's flush blocks its thread; keep it off the async workers.
                let _ = tokio::task::spawn_blocking(move || producer.flush(step)).await;
            } else if let Some(due) = self.next_retry_due() {
                // Only backoffs left: sleep until the first one is due.
                let until = due.min(deadline).max(now);
                tokio::time::sleep(until - now).await;
            }
            let pending = self.pending();
            let failed = self.failed_count();
            if pending == 0 {
                self.log_suppressed();
                if failed == 0 {
                    return Ok(());
                }
                return Err(AdapterError::DeliveryFailed {
                    topic: self.shared.topic.clone(),
                    failed,
                });
            }
            if Instant::now() >= deadline {
                self.log_suppressed();
                return Err(AdapterError::Undelivered { pending, failed });
            }
        }
    }

    /// Failure events the throttle held back, in one line, so none goes unmentioned.
    fn log_suppressed(&self) {
        let suppressed = lock(&self.shared.log).take_suppressed();
        if suppressed > 0 {
            tracing::warn!(
                topic = %self.shared.topic,
                suppressed,
                stats = ?self.stats(),
                "kafka delivery failures not logged individually"
            );
        }
    }

    pub fn stats(&self) -> SinkStats {
        let c = &self.shared.counters;
        SinkStats {
            enqueued: c.enqueued.load(Ordering::Relaxed),
            delivered: c.delivered.load(Ordering::Relaxed),
            delivery_failures: c.delivery_failures.load(Ordering::Relaxed),
            retried: c.retried.load(Ordering::Relaxed),
            queue_full_waits: c.queue_full_waits.load(Ordering::Relaxed),
            failed_permanently: c.failed_permanently.load(Ordering::Relaxed),
            failed_discarded: c.failed_discarded.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
    }

    #[test]
    fn the_ceiling_doubles_from_100ms_and_caps_at_5s() {
        let p = policy();
        let ceilings: Vec<u64> = (1..=9)
            .map(|n| u64::try_from(p.ceiling(n).as_millis()).unwrap())
            .collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        // Huge attempt numbers neither overflow nor exceed the cap.
        assert_eq!(p.ceiling(u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling() {
        let p = policy();
        assert_eq!(p.backoff(3, 0.0), Duration::ZERO);
        assert_eq!(p.backoff(3, 0.5), Duration::from_millis(200));
        assert!(p.backoff(3, 0.999_999) <= Duration::from_millis(400));
        // Out-of-range randomness is clamped, never a longer wait.
        assert_eq!(p.backoff(3, 7.0), Duration::from_millis(400));
        assert_eq!(p.backoff(3, -1.0), Duration::ZERO);
    }

    #[test]
    fn retryable_failures_retry_until_the_attempts_run_out() {
        let p = policy();
        for attempts in 1..p.max_attempts {
            assert!(
                matches!(
                    p.decide(true, attempts, 1.0),
                    RetryDecision::RetryAfter(wait) if wait == p.ceiling(attempts)
                ),
                "attempt {attempts}"
            );
        }
        assert_eq!(
            p.decide(true, p.max_attempts, 0.5),
            RetryDecision::Exhausted
        );
        assert_eq!(
            p.decide(true, p.max_attempts + 5, 0.5),
            RetryDecision::Exhausted
        );
    }

    #[test]
    fn permanent_failures_are_never_retried() {
        assert_eq!(policy().decide(false, 1, 0.5), RetryDecision::Permanent);
    }

    #[test]
    fn zero_max_attempts_means_one_attempt() {
        let p = RetryPolicy {
            max_attempts: 0,
            ..policy()
        };
        assert_eq!(p.decide(true, 1, 0.5), RetryDecision::Exhausted);
    }

    #[test]
    fn the_total_wait_of_a_record_is_bounded() {
        // The worst case (every jitter at its ceiling) over all attempts: what a record can
        // spend in backoff before it is given up on.
        let p = policy();
        let total: Duration = (1..p.max_attempts).map(|n| p.ceiling(n)).sum();
        assert_eq!(
            total,
            Duration::from_millis(100 + 200 + 400 + 800 + 1600 + 3200 + 3 * 5000)
        );
    }

    #[test]
    fn the_throttle_admits_one_line_per_interval_and_counts_the_rest() {
        let mut throttle = LogThrottle::default();
        let start = Instant::now();
        let second = Duration::from_secs(1);
        assert_eq!(throttle.admit(start, second), Some(0));
        for i in 1..=999 {
            assert_eq!(
                throttle.admit(start + Duration::from_micros(i), second),
                None
            );
        }
        assert_eq!(throttle.admit(start + second, second), Some(999));
        assert_eq!(throttle.admit(start + second, second), None);
        assert_eq!(throttle.take_suppressed(), 1);
        assert_eq!(throttle.take_suppressed(), 0);
    }

    fn shared(options: SinkOptions) -> Shared {
        Shared {
            topic: "t".to_owned(),
            options,
            counters: SinkCounters::default(),
            retries: Mutex::default(),
            failed: Mutex::default(),
            log: Mutex::default(),
            outstanding: AtomicU64::new(0),
        }
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
            assert!(retry.due <= Instant::now() + shared.options.retry.max_backoff);
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
