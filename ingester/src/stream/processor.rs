//! [`StreamProcessor`]: the stream stage without Kafka. Drivers feed it records
//! ([`StreamProcessor::ingest`], pure and synchronous) and call [`StreamProcessor::flush`] once
//! per coalescing window; `flush` writes and returns the offsets that are now safe to commit.
//!
//! Per window it writes at most one latest ticker per market (the newest: `put_latest` with the
//! newer-wins condition), one candle per market and minute touched (`put_candles`, whose
//! `last_position` guard makes replays harmless), the catalog when it is new, and the window's
//! dead letters (flushed to the DLQ). So the number of writes follows the number of markets,
//! not the message rate.
//!
//! The catalog is either set once ([`StreamProcessor::set_catalog`]) or followed
//! ([`StreamProcessor::follow_catalog`]): a processor following the catalog watcher's channel
//! reports pending work when a new catalog was published and writes it with the next flush, so
//! both drivers pick changes up within a window without knowing about them.
//!
//! Failure: a failed `flush` keeps every pending write and offset and returns the error; the
//! driver retries `flush` with backoff and commits nothing meanwhile. Every step of `flush` is
//! idempotent (newer-wins, the candle guard, unconditional catalog puts), so retrying a partly
//! done flush is safe. Candles are folded onto the stored candle of their minute the first time
//! the processor sees that minute (read from the store), so a restart that replays from the last
//! committed offset neither loses nor double counts trades.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use coinking_adapters::StoreError;
use coinking_adapters::market_store::MarketStore;
use coinking_adapters::market_store::items::MAX_CANDLE_MS;
use coinking_core::candle::{CANDLE_INTERVAL_MS, Candle, Tick, minute_start};
use coinking_core::catalog::MarketInfo;
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use tokio::sync::watch;

use super::dead_letter::{DeadLetter, DeadLetterSink};
use super::metrics::StreamMetrics;
pub use crate::consumer::Record;
use crate::sinks::SinkError;
use crate::sources::CatalogSnapshot;

/// How long a flush waits for the dead-letter producer.
pub const DLQ_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a flush did not complete; the pending work is kept for the next attempt.
#[derive(Debug, thiserror::Error)]
pub enum FlushError {
    #[error("market store: {0}")]
    Store(#[from] StoreError),
    #[error("dead-letter queue: {0}")]
    DeadLetters(#[from] SinkError),
}

impl FlushError {
    /// Whether the same flush can succeed later (a permanent store error means a bug or a
    /// wrong table, and is logged loudly; the driver still retries rather than lose data).
    pub fn is_retryable(&self) -> bool {
        match self {
            FlushError::Store(error) => error.is_retryable(),
            FlushError::DeadLetters(_) => true,
        }
    }
}

/// What a successful flush did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushOutcome {
    /// `(partition, next offset)`: commit these (the next offset to read, as Kafka expects).
    pub commit: Vec<(i32, i64)>,
    pub tickers_written: usize,
    pub tickers_stale: usize,
    pub candles_written: usize,
    pub dead_letters: usize,
}

/// See the module doc.
#[derive(Debug)]
pub struct StreamProcessor<S> {
    store: S,
    topic: String,
    latest: BTreeMap<MarketCode, NormalizedTicker>,
    ticks: Vec<Tick>,
    candles: HashMap<(MarketCode, i64), Candle>,
    dirty: BTreeSet<(MarketCode, i64)>,
    dead: Vec<DeadLetter>,
    dead_sent: usize,
    offsets: BTreeMap<i32, i64>,
    catalog: Option<Vec<MarketInfo>>,
    catalog_updates: Option<watch::Receiver<CatalogSnapshot>>,
    metrics: Arc<StreamMetrics>,
}

impl<S: MarketStore> StreamProcessor<S> {
    /// A processor writing to `store`; `topic` names the source topic in dead letters.
    pub fn new(store: S, topic: impl Into<String>, metrics: Arc<StreamMetrics>) -> Self {
        Self {
            store,
            topic: topic.into(),
            latest: BTreeMap::new(),
            ticks: Vec::new(),
            candles: HashMap::new(),
            dirty: BTreeSet::new(),
            dead: Vec::new(),
            dead_sent: 0,
            offsets: BTreeMap::new(),
            catalog: None,
            catalog_updates: None,
            metrics,
        }
    }

    /// Writes `markets` to the catalog items with the next flush.
    pub fn set_catalog(&mut self, markets: Vec<MarketInfo>) {
        self.catalog = Some(markets);
    }

    /// Writes the catalog on `updates` with the next flush, and again after every change
    /// published on it (see the module doc).
    pub fn follow_catalog(&mut self, mut updates: watch::Receiver<CatalogSnapshot>) {
        self.catalog = Some(markets_of(&updates.borrow_and_update()));
        self.catalog_updates = Some(updates);
    }

    /// Records taken in since the last successful flush, or a catalog to write.
    pub fn has_pending(&self) -> bool {
        let catalog_changed = self
            .catalog_updates
            .as_ref()
            .is_some_and(|updates| updates.has_changed().unwrap_or(false));
        catalog_changed
            || !self.offsets.is_empty()
            || self.catalog.is_some()
            || !self.dirty.is_empty()
            || !self.latest.is_empty()
            || !self.ticks.is_empty()
            || !self.dead.is_empty()
    }

    /// Takes one record in: a valid ticker joins the window's coalescing and candles, anything
    /// else becomes a dead letter. Never fails.
    pub fn ingest(&mut self, record: Record) {
        self.metrics.records_in.fetch_add(1, Ordering::Relaxed);
        let entry = self
            .offsets
            .entry(record.partition)
            .or_insert(record.offset);
        *entry = (*entry).max(record.offset);
        match ticker_of(&record) {
            Ok(ticker) => {
                self.ticks.push(Tick::from_ticker(&ticker, record.offset));
                match self.latest.get(&ticker.market) {
                    Some(kept) if !ticker.is_newer_than(kept) => {
                        self.metrics
                            .tickers_coalesced
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    Some(_) => {
                        self.metrics
                            .tickers_coalesced
                            .fetch_add(1, Ordering::Relaxed);
                        self.latest.insert(ticker.market.clone(), ticker);
                    }
                    None => {
                        self.latest.insert(ticker.market.clone(), ticker);
                    }
                }
            }
            Err(reason) => {
                tracing::warn!(%reason, partition = record.partition, offset = record.offset, "poison record sent to the dead-letter queue");
                self.dead.push(DeadLetter {
                    reason,
                    topic: self.topic.clone(),
                    partition: record.partition,
                    offset: record.offset,
                    key: record.key,
                    payload: record.payload,
                });
            }
        }
    }

    /// Writes the window (see the module doc). On error nothing is lost: call it again.
    pub async fn flush(
        &mut self,
        dead_letters: &impl DeadLetterSink,
    ) -> Result<FlushOutcome, FlushError> {
        let mut outcome = FlushOutcome::default();
        if let Some(updates) = &mut self.catalog_updates {
            if updates.has_changed().unwrap_or(false) {
                // A newer catalog replaces one still waiting for a successful write.
                self.catalog = Some(markets_of(&updates.borrow_and_update()));
                tracing::info!("writing the changed market catalog");
            }
        }
        if let Some(markets) = &self.catalog {
            self.store.put_markets(markets).await?;
            self.metrics.store_writes.fetch_add(1, Ordering::Relaxed);
            self.catalog = None;
        }
        self.fold_ticks().await?;
        if !self.latest.is_empty() {
            let tickers: Vec<NormalizedTicker> = self.latest.values().cloned().collect();
            let report = self.store.put_latest(&tickers).await?;
            self.metrics
                .store_writes
                .fetch_add(tickers.len() as u64, Ordering::Relaxed);
            self.metrics
                .tickers_written
                .fetch_add(report.written as u64, Ordering::Relaxed);
            self.metrics
                .tickers_stale
                .fetch_add(report.stale as u64, Ordering::Relaxed);
            outcome.tickers_written = report.written;
            outcome.tickers_stale = report.stale;
            self.latest.clear();
        }
        if !self.dirty.is_empty() {
            let candles: Vec<Candle> = self
                .dirty
                .iter()
                .filter_map(|key| self.candles.get(key).cloned())
                .collect();
            let report = self.store.put_candles(&candles).await?;
            self.metrics
                .store_writes
                .fetch_add(candles.len() as u64, Ordering::Relaxed);
            self.metrics
                .candles_written
                .fetch_add(report.written as u64, Ordering::Relaxed);
            outcome.candles_written = report.written;
            self.dirty.clear();
            self.evict_old_candles();
        }
        if !self.dead.is_empty() {
            // `dead_sent` makes a retried flush resend only what the DLQ did not take yet; the
            // DLQ flush below then makes them all durable before their offsets are committed.
            while let Some(letter) = self.dead.get(self.dead_sent) {
                dead_letters.send(letter).await?;
                self.dead_sent += 1;
            }
            dead_letters.flush(DLQ_FLUSH_TIMEOUT).await?;
            outcome.dead_letters = self.dead.len();
            self.metrics
                .dead_letters
                .fetch_add(self.dead.len() as u64, Ordering::Relaxed);
            self.dead.clear();
            self.dead_sent = 0;
        }
        outcome.commit = self
            .offsets
            .iter()
            .map(|(partition, offset)| (*partition, offset + 1))
            .collect();
        self.offsets.clear();
        self.metrics.flushes.fetch_add(1, Ordering::Relaxed);
        Ok(outcome)
    }

    /// Forgets the cached candles (after a rebalance: another consumer may have advanced them).
    /// Call it only after a successful flush, so that nothing unwritten is dropped.
    pub fn forget_candles(&mut self) {
        self.candles.retain(|key, _| self.dirty.contains(key));
    }

    /// The store, e.g. for a driver's health check.
    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn metrics(&self) -> &Arc<StreamMetrics> {
        &self.metrics
    }

    /// Applies the pending ticks to their candles, loading a minute's stored candle the first
    /// time. A tick already applied (a replay, or a retry after a failed load) changes nothing.
    async fn fold_ticks(&mut self) -> Result<(), StoreError> {
        let mut applied = 0;
        for tick in &self.ticks {
            let key = (tick.market.clone(), minute_start(tick.trade_timestamp));
            if !self.candles.contains_key(&key) {
                let stored = self.store.candles(&key.0, key.1, key.1, 1).await?;
                self.metrics.store_reads.fetch_add(1, Ordering::Relaxed);
                match stored.into_iter().next() {
                    Some(candle) => {
                        self.candles.insert(key.clone(), candle);
                    }
                    None => {
                        self.candles.insert(key.clone(), Candle::from_tick(tick));
                        self.dirty.insert(key);
                        applied += 1;
                        continue;
                    }
                }
            }
            let changed = self
                .candles
                .get_mut(&key)
                .is_some_and(|candle| candle.apply(tick));
            if changed {
                self.dirty.insert(key);
            }
            applied += 1;
        }
        self.ticks.drain(..applied);
        Ok(())
    }

    /// Keeps each market's two newest cached minutes: late ticks for older minutes reload them.
    fn evict_old_candles(&mut self) {
        let mut newest: HashMap<&MarketCode, i64> = HashMap::new();
        for (market, minute) in self.candles.keys() {
            let entry = newest.entry(market).or_insert(*minute);
            *entry = (*entry).max(*minute);
        }
        let keep_from: HashMap<MarketCode, i64> = newest
            .into_iter()
            .map(|(market, minute)| (market.clone(), minute - CANDLE_INTERVAL_MS))
            .collect();
        self.candles
            .retain(|(market, minute), _| keep_from.get(market).is_none_or(|from| minute >= from));
    }
}

fn markets_of(snapshot: &CatalogSnapshot) -> Vec<MarketInfo> {
    snapshot.catalog.iter().cloned().collect()
}

/// The record's ticker, or the dead-letter reason (`<field>: <rule>`).
/// The ticker a record carries, or why it is not a valid one (the reason a dead letter names).
pub(crate) fn ticker_of(record: &Record) -> Result<NormalizedTicker, String> {
    let key = std::str::from_utf8(&record.key).map_err(|_| "key: must be UTF-8".to_owned())?;
    let market =
        MarketCode::parse(key).map_err(|error| format!("key: not a market code: {error}"))?;
    let ticker = NormalizedTicker::from_json(&record.payload)
        .map_err(|error| format!("payload: {error}"))?;
    if ticker.market != market {
        return Err(format!(
            "payload.market: `{}` does not match the key `{market}`",
            ticker.market
        ));
    }
    if !(0..=MAX_CANDLE_MS).contains(&ticker.trade_timestamp) {
        return Err(format!(
            "payload.trade_timestamp: must be within 0..={MAX_CANDLE_MS} epoch ms"
        ));
    }
    Ok(ticker)
}

#[cfg(test)]
#[path = "processor_tests.rs"]
mod tests;
