//! Kafka through rdkafka: everything the ingester's stages need to talk to the brokers. Only the
//! ingester (and the `coinking` binary through it) links librdkafka; the Lambdas never do.
//!
//! - [`config`]: producer and consumer settings (`producer_config`, `consumer_config`) and the
//!   clients built from them.
//! - [`admin`]: [`KafkaAdmin`], topics created explicitly (`ensure_topic`) and deleted.
//! - [`sink`]: [`KafkaSink`], enqueue-only keyed producing with delivery accounting, queue-full
//!   backpressure and retry of failed deliveries; its failure paths are in the module doc.
//! - [`delivery`]: the sink's delivery-report side: records in flight, the retry queue, the
//!   failed records kept for [`KafkaSink::take_failed`].
//! - [`retry`]: [`DELIVERY_RETRY`], when a failed delivery is tried again (the platform's one
//!   [`RetryPolicy`]).
//! - [`throttle`]: [`LogThrottle`], at most one delivery-failure line per interval.
//! - [`error`]: [`KafkaClientError`], classified as retryable or permanent.
//!
//! The settings themselves ([`coinking_adapters::KafkaSettings`]: brokers, timeouts, replication
//! factor) are read with the other service settings in `coinking-adapters`.

pub mod admin;
pub mod config;
pub mod delivery;
pub mod error;
pub mod retry;
pub mod sink;
pub mod throttle;

pub use admin::{ADMIN_TIMEOUT, KafkaAdmin, TopicStatus};
pub use config::{
    CONSUMER_FETCH_WAIT, PRODUCER_LINGER, consumer, consumer_config, producer, producer_config,
};
pub use delivery::{FailedRecord, LOG_INTERVAL};
pub use error::KafkaClientError;
pub use retry::{DELIVERY_RETRY, RetryDecision, RetryPolicy};
pub use sink::{KafkaSink, QUEUE_FULL_BACKOFF, SinkCounters, SinkOptions, SinkStats};
pub use throttle::LogThrottle;
