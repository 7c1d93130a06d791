//! librdkafka client settings that follow DESIGN.md: an idempotent, lz4-batching producer and
//! a consumer that commits only what its caller wrote, each also built ready to use.

use std::time::Duration;

use coinking_adapters::KafkaSettings;
use rdkafka::ClientConfig;
use rdkafka::consumer::StreamConsumer;
use rdkafka::producer::FutureProducer;

use super::error::KafkaClientError;

/// How long the producer waits to fill a batch: a few ms of latency buys far fewer requests.
pub const PRODUCER_LINGER: Duration = Duration::from_millis(5);

/// Longest a consumer's fetch waits at the broker for data. A broker answers a waiting fetch
/// as soon as a record arrives, but one that does not (tansu, the local stand-in, holds it the
/// whole wait) would add up to this much to every record's freshness; librdkafka's 500 ms
/// default was the largest part of the Kafka path's latency in the freshness bench. The cost
/// is a few more empty fetches a second on an idle topic.
pub const CONSUMER_FETCH_WAIT: Duration = Duration::from_millis(50);

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
pub fn producer(settings: &KafkaSettings) -> Result<FutureProducer, KafkaClientError> {
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
pub fn consumer(
    settings: &KafkaSettings,
    group_id: &str,
) -> Result<StreamConsumer, KafkaClientError> {
    Ok(consumer_config(settings, group_id).create()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::KafkaAdmin;

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
