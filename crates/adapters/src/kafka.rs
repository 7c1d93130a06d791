//! Kafka through rdkafka: producer and consumer configurations that follow DESIGN.md, and
//! [`KafkaAdmin`] to create topics explicitly (brokers here do not auto-create them).

use std::fmt;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::StreamConsumer;
use rdkafka::producer::FutureProducer;
use rdkafka::types::RDKafkaErrorCode;

use crate::config::KafkaSettings;
use crate::error::AdapterError;

/// How long the producer waits to fill a batch: a few ms of latency buys far fewer requests.
pub const PRODUCER_LINGER: Duration = Duration::from_millis(5);

/// Longest a consumer's fetch waits at the broker for data. A broker answers a waiting fetch
/// as soon as a record arrives, but one that does not (tansu, the local stand-in, holds it the
/// whole wait) would add up to this much to every record's freshness; librdkafka's 500 ms
/// default was the largest part of the Kafka path's latency in the freshness bench. The cost
/// is a few more empty fetches a second on an idle topic.
pub const CONSUMER_FETCH_WAIT: Duration = Duration::from_millis(50);

/// Upper bound for one admin request, broker lookup included.
pub const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Producer settings: idempotent (no duplicates or reordering on retry), `acks=all`, lz4
/// batches, and the Java client's murmur2 partitioner so a key lands on the same partition
/// whichever client wrote it.
pub fn producer_config(settings: &KafkaSettings) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &settings.brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("compression.type", "lz4")
        .set("linger.ms", PRODUCER_LINGER.as_millis().to_string())
        .set(
            "delivery.timeout.ms",
            settings.delivery_timeout.as_millis().to_string(),
        )
        .set("partitioner", "murmur2_random");
    config
}

/// A [`FutureProducer`] built from [`producer_config`].
pub fn producer(settings: &KafkaSettings) -> Result<FutureProducer, AdapterError> {
    Ok(producer_config(settings).create()?)
}

/// Consumer settings for `group_id`: offsets are committed by the caller once its writes
/// succeeded (at-least-once), a new group starts from the earliest offset, and the session
/// timeout comes from the settings (heartbeats at a third of it).
pub fn consumer_config(settings: &KafkaSettings, group_id: &str) -> ClientConfig {
    let session_ms = settings.session_timeout.as_millis();
    let heartbeat_ms = (session_ms / 3).max(1);
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &settings.brokers)
        .set("group.id", group_id)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", session_ms.to_string())
        .set("heartbeat.interval.ms", heartbeat_ms.to_string())
        .set(
            "fetch.wait.max.ms",
            CONSUMER_FETCH_WAIT.as_millis().to_string(),
        );
    config
}

/// A [`StreamConsumer`] built from [`consumer_config`]. Call it inside a Tokio runtime: the
/// consumer spawns a task there to wake `recv`.
pub fn consumer(settings: &KafkaSettings, group_id: &str) -> Result<StreamConsumer, AdapterError> {
    Ok(consumer_config(settings, group_id).create()?)
}

/// What [`KafkaAdmin::ensure_topic`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicStatus {
    Created,
    AlreadyExisted,
}

/// Topic administration against the configured brokers.
pub struct KafkaAdmin {
    client: AdminClient<DefaultClientContext>,
    replication_factor: i32,
}

impl fmt::Debug for KafkaAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaAdmin")
            .field("replication_factor", &self.replication_factor)
            .finish_non_exhaustive()
    }
}

impl KafkaAdmin {
    pub fn new(settings: &KafkaSettings) -> Result<Self, AdapterError> {
        let client = ClientConfig::new()
            .set("bootstrap.servers", &settings.brokers)
            .create()?;
        Ok(Self {
            client,
            replication_factor: settings.replication_factor,
        })
    }

    fn options() -> AdminOptions {
        AdminOptions::new()
            .request_timeout(Some(ADMIN_TIMEOUT))
            .operation_timeout(Some(ADMIN_TIMEOUT))
    }

    /// Creates topic `name` with `partitions` partitions unless it exists. An existing topic is
    /// success and is left as it is, whatever its partition count.
    pub async fn ensure_topic(
        &self,
        name: &str,
        partitions: i32,
    ) -> Result<TopicStatus, AdapterError> {
        let topic = NewTopic::new(
            name,
            partitions,
            TopicReplication::Fixed(self.replication_factor),
        );
        let results = self
            .client
            .create_topics([&topic], &Self::options())
            .await?;
        let mut status = TopicStatus::Created;
        for result in results {
            match result {
                Ok(_) => {}
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {
                    status = TopicStatus::AlreadyExisted
                }
                Err((topic, code)) => {
                    return Err(AdapterError::TopicAdmin {
                        topic,
                        operation: "create",
                        code,
                    });
                }
            }
        }
        tracing::info!(topic = name, partitions, ?status, "kafka topic ensured");
        Ok(status)
    }

    /// Deletes topic `name`; a topic that does not exist is success.
    pub async fn delete_topic(&self, name: &str) -> Result<(), AdapterError> {
        let results = self.client.delete_topics(&[name], &Self::options()).await?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::UnknownTopicOrPartition)) => {}
                Err((topic, code)) => {
                    return Err(AdapterError::TopicAdmin {
                        topic,
                        operation: "delete",
                        code,
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> KafkaSettings {
        KafkaSettings {
            brokers: "127.0.0.1:19092".into(),
            session_timeout: Duration::from_secs(6),
            ..KafkaSettings::default()
        }
    }

    #[test]
    fn producer_is_idempotent_with_acks_all_and_lz4() {
        let config = producer_config(&settings());
        assert_eq!(config.get("bootstrap.servers"), Some("127.0.0.1:19092"));
        assert_eq!(config.get("enable.idempotence"), Some("true"));
        assert_eq!(config.get("acks"), Some("all"));
        assert_eq!(config.get("compression.type"), Some("lz4"));
        assert_eq!(config.get("linger.ms"), Some("5"));
        assert_eq!(config.get("delivery.timeout.ms"), Some("30000"));
    }

    #[test]
    fn consumer_commits_manually_with_the_configured_session_timeout() {
        let config = consumer_config(&settings(), "stream-stage");
        assert_eq!(config.get("group.id"), Some("stream-stage"));
        assert_eq!(config.get("enable.auto.commit"), Some("false"));
        assert_eq!(config.get("auto.offset.reset"), Some("earliest"));
        assert_eq!(config.get("session.timeout.ms"), Some("6000"));
        assert_eq!(config.get("heartbeat.interval.ms"), Some("2000"));
        // Bounds what a broker that holds an empty fetch adds to freshness.
        assert_eq!(config.get("fetch.wait.max.ms"), Some("50"));
    }

    // The stream consumer spawns onto the current Tokio runtime, hence an async test.
    #[tokio::test]
    async fn configurations_are_accepted_by_librdkafka() {
        assert!(producer(&settings()).is_ok());
        assert!(consumer(&settings(), "stream-stage").is_ok());
        assert!(KafkaAdmin::new(&settings()).is_ok());
    }
}
