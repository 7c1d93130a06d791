//! [`KafkaBus`]: the [`RecordSink`] on Kafka. Retry, timeout and partial-failure behaviour are
//! [`KafkaSink`]'s: enqueue only, queue-full waits (backpressure), retryable delivery
//! failures produced again after a jittered backoff for a bounded number of attempts, `flush`
//! reports what is still undelivered at its deadline.
//!
//! Records the sink gives up on (a permanent broker error, or attempts used up) are counted in
//! `coinking_ingester_delivery_failed_permanently_total` and logged here, one summary line per
//! batch taken with the count, a few keys and the last reason: they are market snapshots that
//! the next ticker supersedes, so a dead-letter copy would add nothing. A drain that ends with
//! such records still fails, so shutdown reports the loss.

use std::time::Duration;

use rdkafka::ClientConfig;

use super::{RecordSink, SinkError};
use crate::kafka::{KafkaClientError, KafkaSink, SinkStats};
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
        // One uncontended lock per record; keeps the retained list from filling up between
        // drains (the ingest pipeline only flushes on shutdown).
        if sink.failed_count() > 0 {
            log_failed(sink);
        }
        Ok(())
    }

    async fn flush(&self, timeout: Duration) -> Result<(), SinkError> {
        let tickers = flush_one(&self.tickers, timeout);
        match &self.trades {
            Some(trades) => {
                let (first, second) = tokio::join!(tickers, flush_one(trades, timeout));
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

/// Flushes one sink; records it gave up on are logged (and taken) before the error is returned.
async fn flush_one(sink: &KafkaSink, timeout: Duration) -> Result<(), SinkError> {
    let result = sink.flush(timeout).await;
    if matches!(
        result,
        Err(KafkaClientError::DeliveryFailed { .. }
            | KafkaClientError::Undelivered { failed: 1.., .. })
    ) {
        log_failed(sink);
    }
    Ok(result?)
}

/// Takes the sink's permanently failed records and logs them in one line; returns how many.
pub(crate) fn log_failed(sink: &KafkaSink) -> usize {
    let failed = sink.take_failed();
    if let Some(last) = failed.last() {
        let sample: Vec<String> = failed
            .iter()
            .take(5)
            .map(|record| String::from_utf8_lossy(&record.key).into_owned())
            .collect();
        tracing::warn!(
            topic = sink.topic(),
            count = failed.len(),
            sample_keys = ?sample,
            last_reason = %last.reason,
            "records lost: kafka delivery failed permanently"
        );
    }
    failed.len()
}
