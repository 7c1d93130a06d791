//! The Kafka sink: keyed records are enqueued into librdkafka and never awaited one by one.
//!
//! What happens on each failure path:
//! - **Queue full** (librdkafka's local queue holds `queue.buffering.max.messages`): backpressure.
//!   [`KafkaSink::send`] waits and retries the same record, so the bounded channel feeding the
//!   sink fills and slows the source instead of memory growing.
//! - **Broker unreachable or slow**: the idempotent producer retries internally, in order and
//!   without duplicates, for up to `delivery.timeout.ms`.
//! - **Delivery still failed** (the delivery report carries an error): the record is counted in
//!   `delivery_failures`, copied to a retry queue and produced again on the next send or flush.
//!   Nothing is dropped while the process lives; [`KafkaSink::flush`] reports what is still
//!   pending when its deadline passes, so a drain on shutdown knows whether it lost anything.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::ClientContext;
use rdkafka::Message;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use tokio::time::Instant;

use crate::error::AdapterError;

/// How long a send waits before retrying when librdkafka's queue is full.
pub const QUEUE_FULL_BACKOFF: Duration = Duration::from_millis(5);

/// Counters a metrics endpoint can export; all monotonic.
#[derive(Debug, Default)]
pub struct SinkCounters {
    pub enqueued: AtomicU64,
    pub delivered: AtomicU64,
    pub delivery_failures: AtomicU64,
    pub retried: AtomicU64,
    pub queue_full_waits: AtomicU64,
}

/// A snapshot of [`SinkCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkStats {
    pub enqueued: u64,
    pub delivered: u64,
    pub delivery_failures: u64,
    pub retried: u64,
    pub queue_full_waits: u64,
}

/// A record whose delivery failed, waiting to be produced again.
type FailedRecord = (Vec<u8>, Vec<u8>);

/// Receives librdkafka's delivery reports on its polling thread.
struct DeliveryTracker {
    counters: Arc<SinkCounters>,
    failed: Arc<Mutex<VecDeque<FailedRecord>>>,
}

impl ClientContext for DeliveryTracker {}

impl ProducerContext for DeliveryTracker {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(_) => {
                self.counters.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err((error, message)) => {
                self.counters
                    .delivery_failures
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%error, topic = message.topic(), "kafka delivery failed, will retry");
                let key = message.key().unwrap_or_default().to_vec();
                let payload = message.payload().unwrap_or_default().to_vec();
                if let Ok(mut failed) = self.failed.lock() {
                    failed.push_back((key, payload));
                }
            }
        }
    }
}

/// Produces keyed records to one topic.
pub struct KafkaSink {
    producer: ThreadedProducer<DeliveryTracker>,
    topic: String,
    counters: Arc<SinkCounters>,
    failed: Arc<Mutex<VecDeque<FailedRecord>>>,
}

impl fmt::Debug for KafkaSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaSink")
            .field("topic", &self.topic)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl KafkaSink {
    /// A sink producing to `topic` with `config` (normally [`crate::kafka::producer_config`]).
    pub fn new(config: &ClientConfig, topic: impl Into<String>) -> Result<Self, AdapterError> {
        let counters = Arc::new(SinkCounters::default());
        let failed = Arc::new(Mutex::new(VecDeque::new()));
        let tracker = DeliveryTracker {
            counters: Arc::clone(&counters),
            failed: Arc::clone(&failed),
        };
        let producer = config.create_with_context(tracker)?;
        Ok(Self {
            producer,
            topic: topic.into(),
            counters,
            failed,
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Enqueues one record. Returns once librdkafka has accepted it (not once it is delivered);
    /// waits while the local queue is full. Records that failed delivery earlier go first.
    pub async fn send(&self, key: &[u8], value: &[u8]) -> Result<(), AdapterError> {
        self.resend_failed().await?;
        self.enqueue(key, value).await?;
        self.counters.enqueued.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn enqueue(&self, key: &[u8], value: &[u8]) -> Result<(), AdapterError> {
        loop {
            let record = BaseRecord::to(&self.topic).key(key).payload(value);
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    self.counters
                        .queue_full_waits
                        .fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(QUEUE_FULL_BACKOFF).await;
                }
                Err((error, _)) => return Err(error.into()),
            }
        }
    }

    async fn resend_failed(&self) -> Result<(), AdapterError> {
        loop {
            let next = self.failed.lock().ok().and_then(|mut q| q.pop_front());
            let Some((key, payload)) = next else {
                return Ok(());
            };
            self.counters.retried.fetch_add(1, Ordering::Relaxed);
            self.enqueue(&key, &payload).await?;
        }
    }

    /// Records enqueued but not yet acknowledged, plus failed ones awaiting a retry: the
    /// producer queue depth a metrics endpoint shows.
    pub fn pending(&self) -> usize {
        let in_flight = usize::try_from(self.producer.in_flight_count()).unwrap_or(0);
        in_flight + self.failed.lock().map(|q| q.len()).unwrap_or(0)
    }

    /// Waits until every record is delivered (retrying failed ones) or `timeout` passes; then
    /// returns [`AdapterError::Undelivered`] with the number still pending.
    pub async fn flush(&self, timeout: Duration) -> Result<(), AdapterError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.resend_failed().await?;
            let producer = self.producer.clone();
            // librdkafka's flush blocks its thread; keep it off the async workers.
            let step = Duration::from_millis(100);
            let _ = tokio::task::spawn_blocking(move || producer.flush(step)).await;
            let pending = self.pending();
            if pending == 0 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(AdapterError::Undelivered { pending });
            }
        }
    }

    pub fn stats(&self) -> SinkStats {
        let c = &self.counters;
        SinkStats {
            enqueued: c.enqueued.load(Ordering::Relaxed),
            delivered: c.delivered.load(Ordering::Relaxed),
            delivery_failures: c.delivery_failures.load(Ordering::Relaxed),
            retried: c.retried.load(Ordering::Relaxed),
            queue_full_waits: c.queue_full_waits.load(Ordering::Relaxed),
        }
    }
}
