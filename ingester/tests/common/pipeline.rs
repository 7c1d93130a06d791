//! The whole market-data pipeline in the test process: simulator → ingest (source, transform,
//! Kafka sink) → broker → stream stage (consumer group) → DynamoDB, with handles to stop each half
//! and to read what Kafka holds and what the group committed.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use coinking_adapters::KafkaSettings;
use coinking_adapters::market_store::DynamoDbMarketStore;
use coinking_core::market::MarketCode;
use coinking_ingester::IngesterError;
use coinking_ingester::kafka::{KafkaAdmin, consumer_config, producer_config};
use coinking_ingester::pipeline::run_ingest;
use coinking_ingester::sinks::KafkaBus;
use coinking_ingester::sources::{DataType, SourceConfig, UpbitSource};
use coinking_ingester::stream::{
    KafkaDeadLetters, KafkaStreamConfig, StreamMetrics, StreamProcessor, run_kafka,
};
use coinking_ingester::transforms::Normalizer;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::services::unique;

pub const PARTITIONS: i32 = 3;

pub struct Pipeline {
    pub settings: KafkaSettings,
    pub topic: String,
    pub dlq_topic: String,
    pub group: String,
    pub bus: Arc<KafkaBus>,
    pub stream_metrics: Arc<StreamMetrics>,
    stop_ingest: Option<oneshot::Sender<()>>,
    stop_stream: Option<oneshot::Sender<()>>,
    ingest: Option<JoinHandle<Result<(), IngesterError>>>,
    stream: Option<JoinHandle<Result<(), IngesterError>>>,
}

/// Fast reconnects, ticker only.
pub fn source_config(url: String, markets: Vec<MarketCode>) -> SourceConfig {
    SourceConfig {
        url,
        codes: markets,
        types: vec![DataType::Ticker],
        no_data_watchdog: Duration::from_secs(60),
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(200),
        connects_per_second: 50,
        ..SourceConfig::default()
    }
}

impl Pipeline {
    pub async fn create_topics(settings: &KafkaSettings) -> (String, String) {
        let topic = unique("ticker");
        let dlq_topic = unique("dlq");
        let admin = KafkaAdmin::new(settings).unwrap();
        admin.ensure_topic(&topic, PARTITIONS).await.unwrap();
        admin.ensure_topic(&dlq_topic, 1).await.unwrap();
        (topic, dlq_topic)
    }

    pub async fn start(
        settings: KafkaSettings,
        source: SourceConfig,
        store: DynamoDbMarketStore,
    ) -> Self {
        let (topic, dlq_topic) = Self::create_topics(&settings).await;
        let bus = Arc::new(KafkaBus::new(&producer_config(&settings), &topic, None).unwrap());
        let stream_metrics = Arc::new(StreamMetrics::default());
        let mut pipeline = Self {
            settings,
            topic,
            dlq_topic,
            group: unique("stream"),
            bus,
            stream_metrics,
            stop_ingest: None,
            stop_stream: None,
            ingest: None,
            stream: None,
        };
        pipeline.start_stream(store);
        pipeline.start_ingest(source);
        pipeline
    }

    pub fn start_ingest(&mut self, source: SourceConfig) {
        let (stop, stopped) = oneshot::channel::<()>();
        let bus = Arc::clone(&self.bus);
        let source = UpbitSource::new(source).unwrap();
        self.ingest = Some(tokio::spawn(async move {
            run_ingest(
                source,
                Normalizer::new(false),
                &*bus,
                async {
                    let _ = stopped.await;
                },
                Duration::from_secs(60),
            )
            .await
        }));
        self.stop_ingest = Some(stop);
    }

    pub fn start_stream(&mut self, store: DynamoDbMarketStore) {
        let (stop, stopped) = oneshot::channel::<()>();
        let settings = self.settings.clone();
        let config = KafkaStreamConfig {
            topic: self.topic.clone(),
            group_id: self.group.clone(),
            window: Duration::from_millis(100),
            ..KafkaStreamConfig::default()
        };
        let dlq_topic = self.dlq_topic.clone();
        let metrics = Arc::clone(&self.stream_metrics);
        let topic = self.topic.clone();
        self.stream = Some(tokio::spawn(async move {
            let dead_letters = KafkaDeadLetters::new(&producer_config(&settings), &dlq_topic)?;
            let processor = StreamProcessor::new(store, topic, metrics);
            run_kafka(&settings, &config, processor, &dead_letters, async {
                let _ = stopped.await;
            })
            .await?;
            Ok(())
        }));
        self.stop_stream = Some(stop);
    }

    pub async fn stop_ingest(&mut self) {
        if let Some(stop) = self.stop_ingest.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.ingest.take() {
            tokio::time::timeout(Duration::from_secs(90), task)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        }
    }

    pub async fn stop_stream(&mut self) {
        if let Some(stop) = self.stop_stream.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.stream.take() {
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        }
    }

    pub async fn end_offsets(&self) -> BTreeMap<i32, i64> {
        end_offsets(&self.settings, &self.topic).await
    }

    pub async fn committed(&self) -> BTreeMap<i32, i64> {
        committed(&self.settings, &self.group, &self.topic).await
    }
}

/// High watermark per partition: what the topic holds.
pub async fn end_offsets(settings: &KafkaSettings, topic: &str) -> BTreeMap<i32, i64> {
    let consumer: BaseConsumer = consumer_config(settings, &unique("probe"))
        .create()
        .unwrap();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        (0..PARTITIONS)
            .map(|partition| {
                let (_, high) = consumer
                    .fetch_watermarks(&topic, partition, Duration::from_secs(10))
                    .unwrap();
                (partition, high)
            })
            .collect()
    })
    .await
    .unwrap()
}

/// The group's committed offset per partition (0 when none).
pub async fn committed(settings: &KafkaSettings, group: &str, topic: &str) -> BTreeMap<i32, i64> {
    let consumer: BaseConsumer = consumer_config(settings, group).create().unwrap();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut list = TopicPartitionList::new();
        for partition in 0..PARTITIONS {
            list.add_partition(&topic, partition);
        }
        let committed = consumer
            .committed_offsets(list, Duration::from_secs(10))
            .unwrap();
        committed
            .elements()
            .iter()
            .map(|element| {
                let offset = match element.offset() {
                    Offset::Offset(offset) => offset,
                    _ => 0,
                };
                (element.partition(), offset)
            })
            .collect()
    })
    .await
    .unwrap()
}
