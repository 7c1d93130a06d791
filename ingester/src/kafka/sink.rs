//! The Kafka sink: keyed records are enqueued into librdkafka and never awaited one by one.
//!
//! What happens on each failure path:
//! - **Queue full** (librdkafka's local queue holds `queue.buffering.max.messages`): backpressure.
//!   [`KafkaSink::send`] waits and retries the same record, so the bounded channel feeding the
//!   sink fills and slows the source instead of memory growing.
//! - **Broker unreachable or slow**: the idempotent producer retries internally, in order and
//!   without duplicates, for up to `delivery.timeout.ms`.
//! - **Delivery failed with a retryable error** (timeouts, transport, leader moves; see
//!   [`KafkaClientError::is_retryable`]): the record waits in a retry queue for a capped exponential
//!   backoff with full jitter ([`RetryPolicy`]) and is produced again by a later send or flush.
//!   Waiting (not re-enqueueing at once) matters: a broker that keeps refusing a record would
//!   otherwise be answered with a tight produce loop that spins a core and floods the log.
//! - **Delivery failed permanently** (the broker rejected the record, e.g. too large, unknown
//!   topic, or a fatal producer state) or the record used up `max_attempts`: it is not produced
//!   again and not dropped silently either. It is counted in `failed_permanently`, kept (key,
//!   payload, reason) for [`KafkaSink::take_failed`] so the caller can dead-letter or log it, and
//!   [`KafkaSink::flush`] fails with [`KafkaClientError::DeliveryFailed`] until it is taken. The
//!   kept list is bounded ([`SinkOptions::max_retained_failed`]); beyond it the oldest are
//!   discarded and counted in `failed_discarded`.
//! - **Logging**: delivery failures are logged at warn level at most once per
//!   [`LOG_INTERVAL`](super::LOG_INTERVAL), each line carrying how many similar events it stands for, so a broker
//!   rejecting everything costs one line a second, not one per record.
//!
//! Nothing is dropped while the process lives; [`KafkaSink::flush`] reports what is still
//! pending and what failed permanently when its deadline passes, so a drain on shutdown knows
//! whether it lost anything.

use std::cmp::Reverse;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};

use super::delivery::{DeliveryTracker, FailedRecord, Retry, Shared, lock};
use super::error::KafkaClientError;
use super::retry::{DELIVERY_RETRY, RetryPolicy};

/// How long a send waits before retrying when librdkafka's queue is full.
pub const QUEUE_FULL_BACKOFF: Duration = Duration::from_millis(5);

/// Longest single librdkafka flush step inside [`KafkaSink::flush`], so due retries are
/// re-enqueued promptly.
const FLUSH_STEP: Duration = Duration::from_millis(100);

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
            retry: DELIVERY_RETRY,
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
    /// A sink producing to `topic` with `config` (normally [`producer_config`](super::producer_config))
    /// and the default [`SinkOptions`].
    pub fn new(config: &ClientConfig, topic: impl Into<String>) -> Result<Self, KafkaClientError> {
        Self::with_options(config, topic, SinkOptions::default())
    }

    pub fn with_options(
        config: &ClientConfig,
        topic: impl Into<String>,
        options: SinkOptions,
    ) -> Result<Self, KafkaClientError> {
        let shared = Arc::new(Shared::new(topic.into(), options));
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
    pub async fn send(&self, key: &[u8], value: &[u8]) -> Result<(), KafkaClientError> {
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
    ///   [`KafkaClientError::DeliveryFailed`];
    /// - deadline passed: [`KafkaClientError::Undelivered`] with both counts.
    pub async fn flush(&self, timeout: Duration) -> Result<(), KafkaClientError> {
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
                return Err(KafkaClientError::DeliveryFailed {
                    topic: self.shared.topic.clone(),
                    failed,
                });
            }
            if Instant::now() >= deadline {
                self.log_suppressed();
                return Err(KafkaClientError::Undelivered { pending, failed });
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
