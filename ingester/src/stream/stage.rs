//! [`StreamStage`]: the [`StreamProcessor`] with its dead-letter sink, as the
//! [`ConsumerStage`] the drivers run; [`run_kafka`] and [`run_in_process`] start it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use coinking_adapters::KafkaSettings;
use coinking_adapters::market_store::MarketStore;

use super::dead_letter::DeadLetterSink;
use super::processor::{FlushError, StreamProcessor};
use crate::consumer::{
    self, Commit, ConsumerConfig, ConsumerError, ConsumerMetrics, ConsumerStage, Record,
};
use crate::sinks::BusReceiver;

/// The stream stage's consumer settings: the consumer driver's.
pub type KafkaStreamConfig = ConsumerConfig;

/// The processor and where its poison records go.
#[derive(Debug)]
pub struct StreamStage<'a, S, D> {
    pub processor: StreamProcessor<S>,
    pub dead_letters: &'a D,
}

impl<S, D> ConsumerStage for StreamStage<'_, S, D>
where
    S: MarketStore + Send + Sync,
    D: DeadLetterSink + Sync,
{
    type Error = FlushError;
    const NAME: &'static str = "stream";

    fn ingest(&mut self, record: Record) {
        self.processor.ingest(record);
    }

    fn has_pending(&self) -> bool {
        self.processor.has_pending()
    }

    async fn flush(&mut self) -> Result<Commit, FlushError> {
        Ok(self.processor.flush(self.dead_letters).await?.commit)
    }

    fn is_retryable(error: &FlushError) -> bool {
        error.is_retryable()
    }

    fn after_rebalance(&mut self) {
        self.processor.forget_candles();
    }

    fn consumer_metrics(&self) -> &Arc<ConsumerMetrics> {
        &self.processor.metrics().consumer
    }
}

/// Runs the stream stage in a Kafka consumer group until `shutdown` (see
/// [`consumer::run_consumer`]).
pub async fn run_kafka<S, D>(
    settings: &KafkaSettings,
    config: &KafkaStreamConfig,
    processor: StreamProcessor<S>,
    dead_letters: &D,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ConsumerError>
where
    S: MarketStore + Send + Sync,
    D: DeadLetterSink + Sync,
{
    let stage = StreamStage {
        processor,
        dead_letters,
    };
    consumer::run_consumer(settings, config, stage, shutdown).await
}

/// Runs the stream stage on the in-process bus until it closes (see
/// [`consumer::run_in_process`]).
pub async fn run_in_process<S, D>(
    processor: StreamProcessor<S>,
    dead_letters: &D,
    records: BusReceiver,
    window: Duration,
) -> Result<(), FlushError>
where
    S: MarketStore + Send + Sync,
    D: DeadLetterSink + Sync,
{
    let stage = StreamStage {
        processor,
        dead_letters,
    };
    consumer::run_in_process(stage, records, window).await
}
