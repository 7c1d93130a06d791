//! [`LakeStage`]: tickers in, closed minutes out to the lake, offsets committed only behind
//! what is written.
//!
//! - **Batches**: one per market and minute (of `trade_timestamp`), held in memory until the
//!   minute is closed: a later minute of the same market has arrived (a market's records are
//!   ordered: one key, one partition), or the wall clock is [`DEFAULT_CLOSE_GRACE`] past the
//!   minute's end (a quiet market). Each closed minute is one ticks file and one candle file
//!   with deterministic names.
//! - **Commit**: per partition, the first offset of the oldest batch still open, or everything
//!   read when none is. A restart replays from there: open minutes are rebuilt in full.
//! - **Re-delivery and replay**: a minute is written as the union of its stored ticks and its
//!   batch, equal rows once, so a replayed, re-delivered or re-produced message adds nothing,
//!   and a tick arriving after its minute was written is merged into it (counted as late).
//! - **End of input** (in process, where nothing is replayed): open minutes are written as
//!   they stand; later ticks of the same minute merge into them.
//! - **Failure**: a failed write keeps the batch and its offsets; the driver retries the flush
//!   with backoff and commits nothing meanwhile. Writing a minute twice is harmless (above).
//! - **Bad records**: not valid tickers (the stream stage dead-letters them) or not storable:
//!   counted and logged, their offsets pass.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use coinking_core::candle::{CANDLE_INTERVAL_MS, minute_start};
use coinking_core::market::MarketCode;
use coinking_forecast::ForecastError;
use coinking_forecast::lake::{Lake, TickRow, write_closed_minute};

use super::metrics::LakeMetrics;
use crate::consumer::{Commit, ConsumerMetrics, ConsumerStage, Record};
use crate::stream::processor::ticker_of;

/// How long after a minute's end a quiet market's minute is closed by the wall clock. Upbit
/// delivers a trade within a second or two; a straggler after this is merged in later anyway.
pub const DEFAULT_CLOSE_GRACE: Duration = Duration::from_secs(10);

/// The wall clock, in epoch ms (a parameter so tests can set the time).
pub type Clock = fn() -> i64;

#[derive(Debug, Default)]
struct Batch {
    rows: BTreeSet<TickRow>,
    /// Per partition, the first offset that went into this batch.
    first_offsets: BTreeMap<i32, i64>,
}

/// See the module doc.
#[derive(Debug)]
pub struct LakeStage {
    lake: Lake,
    grace_ms: i64,
    clock: Clock,
    batches: BTreeMap<(MarketCode, i64), Batch>,
    newest_minute: HashMap<MarketCode, i64>,
    /// Per partition, the offset after the last record read.
    read_to: BTreeMap<i32, i64>,
    /// Per partition, what is committed: the first offset read, then what the last
    /// successful flush returned.
    committed: BTreeMap<i32, i64>,
    /// The input has ended (in process): every open minute is written as it stands.
    input_ended: bool,
    metrics: Arc<LakeMetrics>,
}

impl LakeStage {
    pub fn new(lake: Lake, metrics: Arc<LakeMetrics>) -> Self {
        Self {
            lake,
            grace_ms: DEFAULT_CLOSE_GRACE.as_millis() as i64,
            clock: coinking_core::time::now_epoch_ms,
            batches: BTreeMap::new(),
            newest_minute: HashMap::new(),
            read_to: BTreeMap::new(),
            committed: BTreeMap::new(),
            input_ended: false,
            metrics,
        }
    }

    /// Closes quiet markets' minutes `grace` after their end instead of
    /// [`DEFAULT_CLOSE_GRACE`].
    pub fn with_close_grace(mut self, grace: Duration) -> Self {
        self.grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
        self
    }

    /// Reads the time from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn metrics(&self) -> &Arc<LakeMetrics> {
        &self.metrics
    }

    /// Market-minutes read but not yet written.
    pub fn open_minutes(&self) -> usize {
        self.batches.len()
    }

    fn is_closed(&self, market: &MarketCode, minute: i64, now_ms: i64) -> bool {
        let newer_seen = self
            .newest_minute
            .get(market)
            .is_some_and(|newest| *newest > minute);
        self.input_ended || newer_seen || now_ms >= minute + CANDLE_INTERVAL_MS + self.grace_ms
    }

    fn closed_minutes(&self) -> Vec<(MarketCode, i64)> {
        let now_ms = (self.clock)();
        self.batches
            .keys()
            .filter(|(market, minute)| self.is_closed(market, *minute, now_ms))
            .cloned()
            .collect()
    }

    /// Per partition: the first offset of the oldest open batch, or everything read.
    fn committable(&self) -> BTreeMap<i32, i64> {
        let mut commit = self.read_to.clone();
        for batch in self.batches.values() {
            for (partition, first) in &batch.first_offsets {
                if let Some(next) = commit.get_mut(partition) {
                    *next = (*next).min(*first);
                }
            }
        }
        commit
    }

    fn reject(&self, record: &Record, reason: &str) {
        self.metrics
            .records_rejected
            .fetch_add(1, Ordering::Relaxed);
        tracing::warn!(partition = record.partition, offset = record.offset, %reason, "lake: record skipped");
    }
}

impl ConsumerStage for LakeStage {
    type Error = ForecastError;
    const NAME: &'static str = "lake";

    fn ingest(&mut self, record: Record) {
        self.metrics.records_in.fetch_add(1, Ordering::Relaxed);
        // Where this partition started is already committed (or is the start of the log).
        self.committed
            .entry(record.partition)
            .or_insert(record.offset);
        let next = self.read_to.entry(record.partition).or_insert(0);
        *next = (*next).max(record.offset + 1);
        let ticker = match ticker_of(&record) {
            Ok(ticker) => ticker,
            Err(reason) => return self.reject(&record, &reason),
        };
        let row = match TickRow::from_ticker(&ticker) {
            Ok(row) => row,
            Err(error) => return self.reject(&record, &error.to_string()),
        };
        let minute = minute_start(ticker.trade_timestamp);
        let newest = self
            .newest_minute
            .entry(ticker.market.clone())
            .or_insert(minute);
        let key = (ticker.market, minute);
        if minute < *newest && !self.batches.contains_key(&key) {
            self.metrics.ticks_late.fetch_add(1, Ordering::Relaxed);
        }
        *newest = (*newest).max(minute);
        let batch = self.batches.entry(key).or_default();
        batch
            .first_offsets
            .entry(record.partition)
            .or_insert(record.offset);
        batch.rows.insert(row);
    }

    fn has_pending(&self) -> bool {
        !self.closed_minutes().is_empty() || self.committable() != self.committed
    }

    async fn flush(&mut self) -> Result<Commit, ForecastError> {
        for key in self.closed_minutes() {
            let Some(batch) = self.batches.get(&key) else {
                continue;
            };
            let (market, minute) = &key;
            let written = write_closed_minute(&self.lake, market, *minute, &batch.rows).await?;
            let duplicates = batch.rows.len() - written.added;
            self.metrics.minutes_written.fetch_add(1, Ordering::Relaxed);
            self.metrics
                .ticks_written
                .fetch_add(written.added as u64, Ordering::Relaxed);
            self.metrics
                .ticks_duplicate
                .fetch_add(duplicates as u64, Ordering::Relaxed);
            tracing::debug!(%market, minute, ticks = written.ticks, added = written.added, "lake: minute written");
            self.batches.remove(&key);
        }
        let commit = self.committable();
        let changed = commit
            .iter()
            .filter(|(partition, next)| self.committed.get(partition) != Some(next))
            .map(|(partition, next)| (*partition, *next))
            .collect();
        self.committed = commit;
        Ok(changed)
    }

    fn is_retryable(error: &ForecastError) -> bool {
        error.is_retryable()
    }

    /// In process nothing is replayed, so an open minute is written as it stands: a tick of
    /// it arriving after a restart is merged into it (see the module doc).
    fn input_ended(&mut self) {
        self.input_ended = true;
    }

    fn consumer_metrics(&self) -> &Arc<ConsumerMetrics> {
        &self.metrics.consumer
    }
}

#[cfg(test)]
#[path = "stage_tests.rs"]
mod tests;
