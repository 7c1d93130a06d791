//! [`KafkaBus`]: the [`RecordSink`] on Kafka. Retry, timeout and partial-failure behaviour are
//! the adapters' `KafkaSink`'s: enqueue only, queue-full waits (backpressure), failed deliveries
//! counted and produced again, `flush` reports what is still undelivered at its deadline.

use std::time::Duration;

use coinking_adapters::kafka_sink::{KafkaSink, SinkStats};
use rdkafka::ClientConfig;

use super::{RecordSink, SinkError};
use crate::transforms::{KeyedRecord, Topic};

/// One producer per topic: tickers always, trades when they are forwarded.
#[derive(Debug)]
pub struct KafkaBus {
    tickers: KafkaSink,
    trades: Option<KafkaSink>,
}

impl KafkaBus {
    /// `trade_topic`: `None` drops trade records (counted by the transform, never produced).
    pub fn new(
        config: &ClientConfig,
        ticker_topic: &str,
        trade_topic: Option<&str>,
    ) -> Result<Self, SinkError> {
        let tickers = KafkaSink::new(config, ticker_topic)?;
        let trades = match trade_topic {
            Some(topic) => Some(KafkaSink::new(config, topic)?),
            None => None,
        };
        Ok(Self { tickers, trades })
    }

    /// Delivery statistics of the ticker producer and (if any) the trade producer.
    pub fn stats(&self) -> (SinkStats, Option<SinkStats>) {
        (
            self.tickers.stats(),
            self.trades.as_ref().map(KafkaSink::stats),
        )
    }
}

impl RecordSink for KafkaBus {
    async fn publish(&self, record: KeyedRecord) -> Result<(), SinkError> {
        let sink = match record.topic {
            Topic::Ticker => &self.tickers,
            Topic::Trade => match &self.trades {
                Some(sink) => sink,
                None => return Ok(()),
            },
        };
        sink.send(record.key.as_str().as_bytes(), &record.value)
            .await?;
        Ok(())
    }

    async fn flush(&self, timeout: Duration) -> Result<(), SinkError> {
        let tickers = self.tickers.flush(timeout);
        match &self.trades {
            Some(trades) => {
                let (first, second) = tokio::join!(tickers, trades.flush(timeout));
                first?;
                second?;
            }
            None => tickers.await?,
        }
        Ok(())
    }

    fn pending(&self) -> usize {
        self.tickers.pending() + self.trades.as_ref().map_or(0, KafkaSink::pending)
    }
}
