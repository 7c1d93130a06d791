#![allow(clippy::unwrap_used)]
//! The Kafka client settings and admin against tansu on 127.0.0.1: keyed produce over
//! partitions, a fresh consumer group, manual commit.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use coinking_ingester::kafka::{self, KafkaAdmin, TopicStatus};
use common::bounded;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::producer::FutureRecord;
use rdkafka::{Message, Offset, TopicPartitionList};

const PARTITIONS: i32 = 3;
const MESSAGES: usize = 30;
const MARKETS: [&str; 6] = [
    "KRW-BTC", "KRW-ETH", "KRW-DOGE", "KRW-SOL", "KRW-XRP", "KRW-SUI",
];

/// A consumed message: key, payload, partition, offset.
type Received = (String, String, i32, i64);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_keyed_messages_reach_a_fresh_group_and_commits_are_stored() {
    let settings = common::services::kafka_settings();
    let first_broker = settings
        .brokers
        .split(',')
        .next()
        .unwrap()
        .trim()
        .to_owned();
    common::services::require("Kafka broker (tansu)", &first_broker);
    let admin = KafkaAdmin::new(&settings).unwrap();
    let topic = format!("coinking-test-{}", uuid::Uuid::new_v4());

    let status = bounded("create topic", admin.ensure_topic(&topic, PARTITIONS))
        .await
        .unwrap();
    assert_eq!(status, TopicStatus::Created);
    let cleanup = {
        let topic = topic.clone();
        async move {
            bounded("delete topic", admin.delete_topic(&topic))
                .await
                .unwrap()
        }
    };
    common::with_cleanup(exercise_topic(settings, topic), cleanup).await;
}

async fn exercise_topic(settings: coinking_adapters::KafkaSettings, topic: String) {
    let admin = KafkaAdmin::new(&settings).unwrap();
    let again = bounded(
        "ensure existing topic",
        admin.ensure_topic(&topic, PARTITIONS),
    )
    .await;
    assert_eq!(again.unwrap(), TopicStatus::AlreadyExisted);

    // Produce: enqueue everything, then await the delivery reports.
    let producer = kafka::producer(&settings).unwrap();
    let sent: Vec<(String, String)> = (0..MESSAGES)
        .map(|seq| {
            let market = MARKETS[seq % MARKETS.len()];
            (
                market.to_owned(),
                format!(r#"{{"v":1,"code":"{market}","seq":{seq}}}"#),
            )
        })
        .collect();
    let mut deliveries = Vec::with_capacity(MESSAGES);
    for (key, payload) in &sent {
        let record = FutureRecord::to(&topic).key(key).payload(payload);
        match producer.send_result(record) {
            Ok(delivery) => deliveries.push(delivery),
            Err((error, _)) => panic!("enqueue failed: {error}"),
        }
    }
    let mut delivered_partition_of_key: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    for ((key, _), delivery) in sent.iter().zip(deliveries) {
        let report = bounded("delivery report", delivery)
            .await
            .expect("producer alive");
        let delivered =
            report.unwrap_or_else(|(error, _)| panic!("delivery of {key} failed: {error}"));
        delivered_partition_of_key
            .entry(key.clone())
            .or_default()
            .insert(delivered.partition);
    }

    // Consume with a fresh group from the earliest offset.
    let group = format!("coinking-test-group-{}", uuid::Uuid::new_v4());
    let consumer = kafka::consumer(&settings, &group).unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    let mut received: Vec<Received> = Vec::with_capacity(MESSAGES);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while received.len() < MESSAGES {
        let message = match tokio::time::timeout_at(deadline, consumer.recv()).await {
            Ok(message) => message.unwrap(),
            Err(_) => panic!(
                "only {} of {MESSAGES} messages arrived within 60 s",
                received.len()
            ),
        };
        let key = String::from_utf8(message.key().unwrap().to_vec()).unwrap();
        let payload = message.payload_view::<str>().unwrap().unwrap().to_owned();
        received.push((key, payload, message.partition(), message.offset()));
    }

    // Every message arrived once, with its key.
    let mut received_pairs: Vec<(String, String)> = received
        .iter()
        .map(|(key, payload, _, _)| (key.clone(), payload.clone()))
        .collect();
    let mut sent_pairs = sent.clone();
    received_pairs.sort();
    sent_pairs.sort();
    assert_eq!(received_pairs, sent_pairs);

    // A key always lands on one partition, the one the delivery reports named.
    let mut consumed_partition_of_key: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    for (key, _, partition, _) in &received {
        consumed_partition_of_key
            .entry(key.clone())
            .or_default()
            .insert(*partition);
    }
    assert!(
        consumed_partition_of_key
            .values()
            .all(|partitions| partitions.len() == 1)
    );
    assert_eq!(consumed_partition_of_key, delivered_partition_of_key);
    let used: BTreeSet<i32> = consumed_partition_of_key
        .values()
        .flatten()
        .copied()
        .collect();
    assert!(
        used.len() > 1,
        "six keys should spread over the partitions, used {used:?}"
    );

    // Commit the next offset to read in each partition, then read the commits back from the broker.
    let mut next_offset: BTreeMap<i32, i64> = BTreeMap::new();
    let mut count_in: BTreeMap<i32, i64> = BTreeMap::new();
    for (_, _, partition, offset) in &received {
        let next = next_offset.entry(*partition).or_insert(0);
        *next = (*next).max(offset + 1);
        *count_in.entry(*partition).or_insert(0) += 1;
    }
    // A fresh topic numbers each partition's messages 0, 1, 2, …
    assert_eq!(next_offset, count_in);
    let mut commits = TopicPartitionList::new();
    for (partition, offset) in &next_offset {
        commits
            .add_partition_offset(&topic, *partition, Offset::Offset(*offset))
            .unwrap();
    }
    consumer.commit(&commits, CommitMode::Sync).unwrap();

    let mut asked = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        asked.add_partition(&topic, partition);
    }
    let committed = consumer.committed_offsets(asked, common::WAIT).unwrap();
    let mut committed_by_partition: BTreeMap<i32, i64> = BTreeMap::new();
    for element in committed.elements_for_topic(&topic) {
        if let Offset::Offset(offset) = element.offset() {
            committed_by_partition.insert(element.partition(), offset);
        }
    }
    assert_eq!(committed_by_partition, next_offset);
    consumer.unsubscribe();
}
