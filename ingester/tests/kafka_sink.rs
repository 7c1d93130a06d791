#![allow(clippy::unwrap_used)]
//! The Kafka sink against a real tansu broker: everything sent is delivered, a full local queue
//! is backpressure rather than an error, and a broker that is down for 10 s mid-stream loses
//! nothing; a record the broker rejects is given up on after one attempt, counted and handed back, not
//! looped on. Retry exhaustion is proven by the unit tests in `src/kafka/delivery.rs`: without a
//! broker, librdkafka did not reliably time records out (about one run in three kept them
//! queued), which made a brokerless integration test flaky.

mod common;

use common::services::{OwnProcess, unique};

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use coinking_adapters::KafkaSettings;
use coinking_ingester::kafka::{
    KafkaAdmin, KafkaClientError, KafkaSink, RetryPolicy, SinkOptions, consumer, producer_config,
};
use rdkafka::Message;
use rdkafka::consumer::Consumer;
use rdkafka::error::RDKafkaErrorCode;

use coinking_core::market::DEFAULT_GAME_MARKETS as MARKETS;

/// Reads `expected` records from `topic` with a fresh consumer group: value → (key, partition)
/// for every delivery, duplicates included.
async fn consume_all(
    settings: &KafkaSettings,
    topic: &str,
    expected: usize,
) -> BTreeMap<String, Vec<(String, i32)>> {
    let consumer = consumer(settings, &unique("sink-test")).unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut seen: BTreeMap<String, Vec<(String, i32)>> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while seen.len() < expected && Instant::now() < deadline {
        let Ok(Ok(message)) = tokio::time::timeout(Duration::from_secs(5), consumer.recv()).await
        else {
            continue;
        };
        let key = String::from_utf8(message.key().unwrap().to_vec()).unwrap();
        let value = String::from_utf8(message.payload().unwrap().to_vec()).unwrap();
        seen.entry(value)
            .or_default()
            .push((key, message.partition()));
    }
    seen
}

fn assert_keys_stay_on_one_partition(seen: &BTreeMap<String, Vec<(String, i32)>>) {
    let mut partition_of_key: BTreeMap<&str, BTreeSet<i32>> = BTreeMap::new();
    for deliveries in seen.values() {
        for (key, partition) in deliveries {
            partition_of_key.entry(key).or_default().insert(*partition);
        }
    }
    for (key, partitions) in partition_of_key {
        assert_eq!(partitions.len(), 1, "{key} landed on {partitions:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_sent_is_delivered_and_a_full_queue_is_backpressure() {
    let settings = common::services::shared_kafka();
    let topic = unique("sink");
    let admin = KafkaAdmin::new(&settings).unwrap();
    admin.ensure_topic(&topic, 3).await.unwrap();

    // A tiny local queue: the sender must wait for deliveries instead of failing.
    let mut config = producer_config(&settings);
    config.set("queue.buffering.max.messages", "50");
    let sink = KafkaSink::new(&config, &topic).unwrap();
    let total = 3_000;
    for i in 0..total {
        let key = MARKETS[i % MARKETS.len()];
        sink.send(key.as_bytes(), format!("m{i}").as_bytes())
            .await
            .unwrap();
    }
    sink.flush(Duration::from_secs(30)).await.unwrap();

    let stats = sink.stats();
    assert_eq!(stats.enqueued, total as u64);
    assert_eq!(stats.delivered, total as u64);
    assert_eq!(stats.delivery_failures, 0);
    assert!(
        stats.queue_full_waits > 0,
        "the 50-message queue never filled: {stats:?}"
    );
    assert_eq!(sink.pending(), 0);

    let seen = consume_all(&settings, &topic, total).await;
    assert_eq!(seen.len(), total, "records lost");
    assert!(
        seen.values().all(|d| d.len() == 1),
        "duplicates without any failure"
    );
    assert_keys_stay_on_one_partition(&seen);
    admin.delete_topic(&topic).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_down_for_ten_seconds_mid_stream_loses_nothing() {
    // A broker of the test's own, so it can be stopped and restarted without disturbing the
    // shared one.
    let mut broker = OwnProcess::tansu();
    let settings = broker.kafka_settings();
    let topic = unique("outage");
    KafkaAdmin::new(&settings)
        .unwrap()
        .ensure_topic(&topic, 3)
        .await
        .unwrap();
    let sink = KafkaSink::new(&producer_config(&settings), &topic).unwrap();

    let per_phase = 1_000;
    for i in 0..per_phase {
        let key = MARKETS[i % MARKETS.len()];
        sink.send(key.as_bytes(), format!("before-{i}").as_bytes())
            .await
            .unwrap();
    }
    // Stopping and starting a process blocks; block_in_place keeps the runtime's other worker
    // (and librdkafka's threads) running meanwhile.
    tokio::task::block_in_place(|| broker.stop());

    // The outage: sends keep being accepted into the local queue.
    let outage = Instant::now();
    for i in 0..per_phase {
        let key = MARKETS[i % MARKETS.len()];
        sink.send(key.as_bytes(), format!("during-{i}").as_bytes())
            .await
            .unwrap();
    }
    let remaining = Duration::from_secs(10).saturating_sub(outage.elapsed());
    tokio::time::sleep(remaining).await;
    assert!(sink.pending() > 0, "nothing was waiting for the broker");
    tokio::task::block_in_place(|| broker.restart());

    sink.flush(Duration::from_secs(60)).await.unwrap();
    let stats = sink.stats();
    assert_eq!(stats.enqueued, 2 * per_phase as u64);
    assert!(stats.delivered >= 2 * per_phase as u64, "{stats:?}");

    let seen = consume_all(&settings, &topic, 2 * per_phase).await;
    let missing: Vec<String> = (0..per_phase)
        .flat_map(|i| [format!("before-{i}"), format!("during-{i}")])
        .filter(|value| !seen.contains_key(value))
        .collect();
    assert!(
        missing.is_empty(),
        "{} records lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let duplicates = seen.values().filter(|d| d.len() > 1).count();
    eprintln!(
        "outage test: {} records, {duplicates} delivered more than once, {stats:?}",
        seen.len()
    );
    assert_keys_stay_on_one_partition(&seen);
}

/// Options for the failure tests: few attempts, short backoffs, so a test takes seconds.
fn quick_retries(max_attempts: u32) -> SinkOptions {
    SinkOptions {
        retry: RetryPolicy {
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            max_attempts,
        },
        ..SinkOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_the_broker_rejects_fails_once_is_counted_and_can_be_taken() {
    let settings = common::services::shared_kafka();
    // A topic that does not exist, and the producer may not create it: tansu answers
    // UNKNOWN_TOPIC_OR_PARTITION once librdkafka stops waiting for the topic to propagate.
    let topic = unique("missing");
    let mut config = producer_config(&settings);
    config
        .set("allow.auto.create.topics", "false")
        .set("topic.metadata.propagation.max.ms", "300");
    let sink = KafkaSink::with_options(&config, &topic, quick_retries(5)).unwrap();
    let total = 50;
    for i in 0..total {
        let key = MARKETS[i % MARKETS.len()];
        sink.send(key.as_bytes(), format!("m{i}").as_bytes())
            .await
            .unwrap();
    }

    let error = sink.flush(Duration::from_secs(30)).await.unwrap_err();
    assert!(
        matches!(&error, KafkaClientError::DeliveryFailed { failed, .. } if *failed == total),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(sink.pending(), 0);
    let stats = sink.stats();
    // A permanent error is not retried: one attempt per record.
    assert_eq!(stats.delivery_failures, total as u64, "{stats:?}");
    assert_eq!(stats.retried, 0, "{stats:?}");
    assert_eq!(stats.failed_permanently, total as u64, "{stats:?}");
    assert_eq!(stats.delivered, 0);

    // Nothing keeps running once they are given up on.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sink.stats(),
        stats,
        "the sink kept working on given-up records"
    );

    let failed = sink.take_failed();
    let values: BTreeSet<String> = failed
        .iter()
        .map(|f| String::from_utf8(f.payload.clone()).unwrap())
        .collect();
    assert_eq!(values, (0..total).map(|i| format!("m{i}")).collect());
    for record in &failed {
        assert_eq!(record.attempts, 1);
        assert_eq!(record.code, Some(RDKafkaErrorCode::UnknownTopicOrPartition));
        assert!(
            record.reason.starts_with("permanent error"),
            "{}",
            record.reason
        );
        let value = String::from_utf8(record.payload.clone()).unwrap();
        let i: usize = value[1..].parse().unwrap();
        assert_eq!(record.key, MARKETS[i % MARKETS.len()].as_bytes());
    }
    // Taken: the sink no longer reports them.
    assert_eq!(sink.failed_count(), 0);
    sink.flush(Duration::from_secs(5)).await.unwrap();
    assert!(sink.take_failed().is_empty());
}
