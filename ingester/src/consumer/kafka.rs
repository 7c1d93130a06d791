//! The Kafka driver: a consumer group on `upbit.ticker` feeding a [`ConsumerStage`].
//!
//! Every window (and whenever [`ConsumerConfig::max_pending`] records are waiting) it flushes
//! and then commits, synchronously, exactly the offsets that flush returned. The window of the
//! records waiting counts from the oldest one's creation (the producer's timestamp, taken as its
//! frame arrived), so time in the broker and the fetch (up to half a window) is not added to
//! it: a price reaches the store within about one window of its frame's arrival. So:
//! - **Store down or throttling**: the flush is retried with backoff; no offset is committed and
//!   no further record is read meanwhile (the partition does not advance). librdkafka keeps the
//!   group membership alive in the background as long as `max.poll.interval.ms` (5 min) allows.
//! - **Poison record**: the stage's business, never a stop: the stream stage sends it to the DLQ
//!   (flushed before the commit), the lake stage counts it; its offset passes.
//! - **Commit fails** (a rebalance in progress, the broker away): counted and logged; the records
//!   are delivered again to whoever owns the partition next and rewritten idempotently.
//! - **Rebalance**: after the next successful flush the stage is told
//!   ([`ConsumerStage::after_rebalance`]): the stream stage drops its candle cache (another
//!   member may have advanced those candles).
//! - **Shutdown**: stop reading, flush with retries until the drain deadline, commit, leave.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use coinking_adapters::KafkaSettings;
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::{ClientContext, Message, Offset, TopicPartitionList};
use tokio::time::{Instant, MissedTickBehavior};

use super::error::ConsumerError;
use super::metrics::ConsumerMetrics;
use super::retry::{flush_until_interrupted, flush_with_retry};
use super::{Commit, ConsumerStage, Record};
use crate::kafka::{KafkaClientError, consumer_config};

/// How often consumer lag is measured.
pub const LAG_INTERVAL: Duration = Duration::from_secs(5);
/// Timeout of each blocking broker call (commit, watermarks).
const BROKER_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// What is left of the window of a record created at `created_ms` (the Kafka timestamp) at
/// `now_ms`: its time in transit is taken off the window, but at most half of it, so a
/// consumer catching up on old records still flushes at most twice a window instead of after
/// every record. The whole window without a timestamp or when the producer's clock is ahead.
fn window_left(created_ms: Option<i64>, now_ms: i64, window: Duration) -> Duration {
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    let in_transit_ms = created_ms.map_or(0, |created| {
        now_ms.saturating_sub(created).clamp(0, window_ms / 2)
    });
    Duration::from_millis(u64::try_from(window_ms - in_transit_ms).unwrap_or(0))
}

/// What the Kafka driver consumes and how often it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerConfig {
    pub topic: String,
    pub group_id: String,
    /// Flush interval (the stream stage's coalescing window), counted from the oldest waiting
    /// record's creation (see the module doc). Default [`super::DEFAULT_WINDOW`].
    pub window: Duration,
    /// Flush early once this many records wait. Default 10 000.
    pub max_pending: usize,
    /// How long the shutdown drain may keep retrying its last flush. Default 20 s.
    pub drain_timeout: Duration,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            topic: crate::transforms::Topic::Ticker.default_name().to_owned(),
            group_id: "coinking-stream".to_owned(),
            window: super::DEFAULT_WINDOW,
            max_pending: 10_000,
            drain_timeout: Duration::from_secs(20),
        }
    }
}

/// Notes rebalances for the driver and the readiness gauge.
struct StageContext {
    generation: AtomicU64,
    metrics: Arc<ConsumerMetrics>,
}

impl ClientContext for StageContext {}

impl ConsumerContext for StageContext {
    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        self.generation.fetch_add(1, Ordering::Relaxed);
        let assigned = consumer.assignment().map(|list| list.count()).unwrap_or(0);
        self.metrics.assigned_partitions.store(
            i64::try_from(assigned).unwrap_or(i64::MAX),
            Ordering::Relaxed,
        );
        match rebalance {
            Rebalance::Assign(list) => {
                tracing::info!(partitions = list.count(), "kafka partitions assigned")
            }
            Rebalance::Revoke(list) => {
                tracing::info!(partitions = list.count(), "kafka partitions revoked")
            }
            Rebalance::Error(error) => tracing::warn!(%error, "kafka rebalance error"),
        }
    }
}

type StageConsumer = StreamConsumer<StageContext>;

/// Runs `stage` in consumer group `config.group_id` until `shutdown` resolves, then drains (see
/// the module doc). Errors only when the consumer cannot be created or subscribed, or the
/// drain's last flush did not succeed in time (its offsets stay uncommitted: nothing is lost,
/// it is replayed).
pub async fn run_consumer<T: ConsumerStage>(
    settings: &KafkaSettings,
    config: &ConsumerConfig,
    mut stage: T,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ConsumerError> {
    let metrics = Arc::clone(stage.consumer_metrics());
    let stage_name = T::NAME;
    let context = StageContext {
        generation: AtomicU64::new(0),
        metrics: Arc::clone(&metrics),
    };
    let consumer: Arc<StageConsumer> = Arc::new(
        consumer_config(settings, &config.group_id)
            .create_with_context(context)
            .map_err(KafkaClientError::from)?,
    );
    consumer
        .subscribe(&[config.topic.as_str()])
        .map_err(KafkaClientError::from)?;
    tracing::info!(stage = stage_name, topic = %config.topic, group = %config.group_id, window_ms = config.window.as_millis() as u64, "consumer stage started");

    let mut window = tokio::time::interval(config.window);
    window.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // Off the loop: the lag takes broker round trips (110–160 ms against tansu, measured), and
    // inside the loop they held back every flush due meanwhile (the freshness tail).
    let lag = LagTask(tokio::spawn(measure_lag(
        Arc::clone(&consumer),
        config.topic.clone(),
        Arc::clone(&metrics),
    )));
    let mut shutdown = std::pin::pin!(shutdown);
    let mut stopping = false;
    let mut pending_records = 0_usize;
    // When the window of the oldest record read since the last flush ends.
    let mut window_ends: Option<Instant> = None;
    let mut seen_generation = 0_u64;

    while !stopping {
        let mut flush_now = false;
        tokio::select! {
            () = &mut shutdown => stopping = true,
            received = consumer.recv() => match received {
                Ok(message) => {
                    if window_ends.is_none() {
                        let left = window_left(
                            message.timestamp().to_millis(),
                            coinking_core::time::now_epoch_ms(),
                            config.window,
                        );
                        window_ends = Some(Instant::now() + left);
                    }
                    stage.ingest(Record {
                        key: message.key().unwrap_or_default().to_vec(),
                        payload: message.payload().unwrap_or_default().to_vec(),
                        partition: message.partition(),
                        offset: message.offset(),
                    });
                    pending_records += 1;
                    flush_now = pending_records >= config.max_pending;
                }
                Err(error) => {
                    tracing::warn!(stage = stage_name, %error, "kafka consume error");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = window.tick() => flush_now = true,
            () = tokio::time::sleep_until(window_ends.unwrap_or_else(Instant::now)),
                if window_ends.is_some() => flush_now = true,
        }
        if stopping || !flush_now {
            continue;
        }
        let generation = consumer.context().generation.load(Ordering::Relaxed);
        // The next window starts with the next record read, or a full window from now.
        window_ends = None;
        window.reset();
        if stage.has_pending() {
            // Shutdown may arrive while a flush keeps failing: stop retrying without a
            // deadline and let the drain below retry with one. A flush in progress finishes
            // first (see `flush_until_interrupted`).
            match flush_until_interrupted(&mut stage, shutdown.as_mut()).await {
                Some(Ok(offsets)) => {
                    commit(&consumer, &config.topic, &offsets, &metrics).await;
                    pending_records = 0;
                }
                Some(Err(error)) => tracing::error!(stage = stage_name, %error, "flush gave up"),
                None => stopping = true,
            }
        }
        if generation != seen_generation && !stage.has_pending() {
            stage.after_rebalance();
            seen_generation = generation;
        }
    }

    drop(lag);
    tracing::info!(stage = stage_name, "consumer stage draining");
    let deadline = Instant::now() + config.drain_timeout;
    let result = if stage.has_pending() {
        match flush_with_retry(&mut stage, Some(deadline)).await {
            Ok(offsets) => {
                commit(&consumer, &config.topic, &offsets, &metrics).await;
                Ok(())
            }
            Err(error) => Err(ConsumerError::Drain(format!(
                "last {stage_name} flush failed, offsets left uncommitted: {error}"
            ))),
        }
    } else {
        Ok(())
    };
    consumer.unsubscribe();
    tracing::info!(stage = stage_name, "consumer stage stopped");
    result
}

/// Commits the flushed offsets synchronously (off the async workers).
async fn commit(
    consumer: &Arc<StageConsumer>,
    topic: &str,
    offsets: &Commit,
    metrics: &ConsumerMetrics,
) {
    if offsets.is_empty() {
        return;
    }
    let mut list = TopicPartitionList::new();
    for (partition, next) in offsets {
        if let Err(error) = list.add_partition_offset(topic, *partition, Offset::Offset(*next)) {
            tracing::warn!(%error, partition, "cannot build the offset commit");
        }
    }
    let consumer = Arc::clone(consumer);
    let committed =
        tokio::task::spawn_blocking(move || consumer.commit(&list, CommitMode::Sync)).await;
    match committed {
        Ok(Ok(())) => {
            metrics.commits.fetch_add(1, Ordering::Relaxed);
        }
        Ok(Err(error)) => {
            metrics.commit_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, "offset commit failed; the records will be replayed");
        }
        Err(error) => {
            metrics.commit_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, "offset commit task failed");
        }
    }
}

/// The lag-measuring task, stopped when the driver stops (or fails).
struct LagTask(tokio::task::JoinHandle<()>);

impl Drop for LagTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Measures the lag every [`LAG_INTERVAL`], beside the driver's loop.
async fn measure_lag(consumer: Arc<StageConsumer>, topic: String, metrics: Arc<ConsumerMetrics>) {
    let mut timer = tokio::time::interval(LAG_INTERVAL);
    timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        timer.tick().await;
        update_lag(&consumer, &topic, &metrics).await;
    }
}

/// Sum over assigned partitions of (high watermark − committed offset).
async fn update_lag(consumer: &Arc<StageConsumer>, topic: &str, metrics: &ConsumerMetrics) {
    let consumer = Arc::clone(consumer);
    let topic = topic.to_owned();
    let lag = tokio::task::spawn_blocking(move || -> Option<i64> {
        let committed = consumer.committed(BROKER_CALL_TIMEOUT).ok()?;
        let mut lag = 0_i64;
        for element in committed.elements_for_topic(&topic) {
            let (low, high) = consumer
                .fetch_watermarks(&topic, element.partition(), BROKER_CALL_TIMEOUT)
                .ok()?;
            let from = match element.offset() {
                Offset::Offset(offset) => offset,
                _ => low,
            };
            lag += (high - from).max(0);
        }
        Some(lag)
    })
    .await;
    if let Ok(Some(lag)) = lag {
        metrics.consumer_lag.store(lag, Ordering::Relaxed);
    }
}

/// Whether the consumer holds partitions (readiness).
pub fn is_assigned(metrics: &ConsumerMetrics) -> bool {
    metrics.assigned_partitions.load(Ordering::Relaxed) > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_millis(250);

    #[test]
    fn time_in_transit_is_taken_off_the_window() {
        assert_eq!(
            window_left(Some(1_000), 1_060, WINDOW),
            Duration::from_millis(190)
        );
    }

    #[test]
    fn a_catching_up_consumer_still_waits_half_a_window() {
        assert_eq!(
            window_left(Some(1_000), 1_200, WINDOW),
            Duration::from_millis(125)
        );
        assert_eq!(
            window_left(Some(1_000), 90_000, WINDOW),
            Duration::from_millis(125)
        );
        assert_eq!(
            window_left(Some(i64::MIN), i64::MAX, WINDOW),
            Duration::from_millis(125)
        );
    }

    #[test]
    fn no_timestamp_or_a_clock_ahead_gives_the_whole_window() {
        assert_eq!(window_left(None, 1_060, WINDOW), WINDOW);
        assert_eq!(window_left(Some(2_000), 1_060, WINDOW), WINDOW);
    }
}
