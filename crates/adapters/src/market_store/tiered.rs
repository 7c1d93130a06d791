//! [`TieredMarketStore`]: a hot store (Redis) in front of a durable one (DynamoDB), so the
//! durable store's writes follow markets × minutes instead of the message rate.
//!
//! | port | hot | cold |
//! |---|---|---|
//! | latest tickers | every write, every read | never (they are overwritten every second) |
//! | 1-minute candles | every write (the live, open minute included), every read | each **closed** minute once, and reads when the hot store has none (it lost its data) |
//! | catalog | writes, reads | writes; reads when the hot store has none |
//! | hints | writes, reads | never (recomputed every minute) |
//!
//! **When a minute is closed**: a market's minute is closed once a candle of a later minute of
//! that market is written (one market is one stream partition, so its candles come in order).
//! The open minute's candle is kept in process memory in its latest state and copied to the
//! cold store when it closes; a candle of a minute already closed (a straggler, a replay) goes
//! to the cold store directly, where the replay guard keeps the newest.
//!
//! **Restart of this process**: the first candle of a market after a start copies the hot
//! candles of the [`CATCH_UP`] before it, so a minute that closed while the process was down
//! still reaches the cold store (copying one twice is harmless: the guard answers "stale").
//! **Restart of Redis**: closed minutes are already in the cold store and the open one is in
//! process memory, so nothing is lost there; tickers and the live candle refill within a window.
//!
//! **Failure**: a hot write error or a cold write error fails the call (the stream stage retries
//! the flush with backoff); the open candles advance only after the cold write succeeded, so a
//! retry copies the same minutes again.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coinking_core::candle::Candle;
use coinking_core::catalog::MarketInfo;
use coinking_core::hints::HintSet;
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;

use super::{
    CandleReader, CandleWriter, CatalogReader, CatalogWriter, HintReader, HintWriter, MarketStore,
    TickerReader, TickerWriter, WriteReport,
};
use crate::error::StoreError;

/// How far back the first candle of a market after a start looks for minutes to copy.
pub const CATCH_UP: Duration = Duration::from_secs(10 * 60);

const MINUTE_MS: i64 = 60_000;

/// See the module doc. Clones share the open-minute state and the counters.
#[derive(Debug, Clone)]
pub struct TieredMarketStore<H, C> {
    hot: H,
    cold: C,
    /// Per market, the candle of its newest minute (the open one), in its latest state: kept
    /// here, not read back from the hot store, so a hot store that lost its data (a restarted
    /// Redis) still hands every closed minute to the cold one.
    open_candles: Arc<Mutex<HashMap<MarketCode, Candle>>>,
    cold_writes: Arc<AtomicU64>,
}

impl<H, C> TieredMarketStore<H, C> {
    pub fn new(hot: H, cold: C) -> Self {
        Self {
            hot,
            cold,
            open_candles: Arc::new(Mutex::new(HashMap::new())),
            cold_writes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Items sent to the cold store since start (closed candles and catalog entries).
    pub fn cold_writes(&self) -> u64 {
        self.cold_writes.load(Ordering::Relaxed)
    }

    pub fn hot(&self) -> &H {
        &self.hot
    }

    pub fn cold(&self) -> &C {
        &self.cold
    }

    fn open_candles(&self) -> std::sync::MutexGuard<'_, HashMap<MarketCode, Candle>> {
        // Each update is one insert: a poisoned lock still holds consistent data.
        self.open_candles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<H: TickerWriter, C: Send + Sync> TickerWriter for TieredMarketStore<H, C> {
    async fn put_latest(&self, tickers: &[NormalizedTicker]) -> Result<WriteReport, StoreError> {
        self.hot.put_latest(tickers).await
    }
}

impl<H: TickerReader, C: Send + Sync> TickerReader for TieredMarketStore<H, C> {
    async fn latest(&self, markets: &[MarketCode]) -> Result<Vec<NormalizedTicker>, StoreError> {
        self.hot.latest(markets).await
    }

    async fn latest_one(
        &self,
        market: &MarketCode,
    ) -> Result<Option<NormalizedTicker>, StoreError> {
        self.hot.latest_one(market).await
    }
}

impl<H: MarketStore, C: MarketStore> CandleWriter for TieredMarketStore<H, C> {
    async fn put_candles(&self, candles: &[Candle]) -> Result<WriteReport, StoreError> {
        let report = self.hot.put_candles(candles).await?;
        // Per market, its candles of this batch by minute (the newest state of each minute).
        let mut by_market: BTreeMap<&MarketCode, BTreeMap<i64, &Candle>> = BTreeMap::new();
        for candle in candles {
            let minutes = by_market.entry(&candle.market).or_default();
            let kept = minutes.entry(candle.minute_start_ms).or_insert(candle);
            if candle.last_position > kept.last_position {
                *kept = candle;
            }
        }
        let mut open: HashMap<MarketCode, Candle> = {
            let state = self.open_candles();
            by_market
                .keys()
                .filter_map(|market| state.get(*market).map(|c| ((*market).clone(), c.clone())))
                .collect()
        };
        let mut closed = Vec::new();
        for (market, minutes) in &by_market {
            if !open.contains_key(*market) {
                // The first candle of this market since start: copy what closed meanwhile.
                let first = minutes.keys().next().copied().unwrap_or(0);
                let from = (first - i64::try_from(CATCH_UP.as_millis()).unwrap_or(0)).max(0);
                if from < first {
                    closed.extend(
                        self.hot
                            .candles(market, from, first - MINUTE_MS, usize::MAX)
                            .await?,
                    );
                }
            }
            for candle in minutes.values() {
                match open.get_mut(*market) {
                    None => {
                        open.insert((*market).clone(), (*candle).clone());
                    }
                    Some(current) if candle.minute_start_ms > current.minute_start_ms => {
                        // A later minute started: the open one is closed, in its last state.
                        closed.push(std::mem::replace(current, (*candle).clone()));
                    }
                    Some(current) if candle.minute_start_ms == current.minute_start_ms => {
                        if candle.last_position > current.last_position {
                            *current = (*candle).clone();
                        }
                    }
                    // A straggler or replay of a closed minute: the cold store's guard decides.
                    Some(_) => closed.push((*candle).clone()),
                }
            }
        }
        if !closed.is_empty() {
            self.cold.put_candles(&closed).await?;
            self.cold_writes
                .fetch_add(closed.len() as u64, Ordering::Relaxed);
        }
        self.open_candles().extend(open);
        Ok(report)
    }
}

impl<H: CandleReader, C: CandleReader> CandleReader for TieredMarketStore<H, C> {
    /// From the hot store; from the cold one when the hot store has none in the range (it lost
    /// its data, or the range is older than its retention).
    async fn candles(
        &self,
        market: &MarketCode,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        let hot = self.hot.candles(market, from_ms, to_ms, limit).await?;
        if !hot.is_empty() {
            return Ok(hot);
        }
        self.cold.candles(market, from_ms, to_ms, limit).await
    }
}

impl<H: CatalogWriter, C: CatalogWriter> CatalogWriter for TieredMarketStore<H, C> {
    async fn put_markets(&self, markets: &[MarketInfo]) -> Result<WriteReport, StoreError> {
        let cold = self.cold.put_markets(markets).await?;
        self.cold_writes
            .fetch_add(cold.written as u64, Ordering::Relaxed);
        self.hot.put_markets(markets).await
    }
}

impl<H: CatalogReader, C: CatalogReader> CatalogReader for TieredMarketStore<H, C> {
    async fn markets(&self) -> Result<Vec<MarketInfo>, StoreError> {
        let hot = self.hot.markets().await?;
        if !hot.is_empty() {
            return Ok(hot);
        }
        self.cold.markets().await
    }
}

impl<H: HintWriter, C: Send + Sync> HintWriter for TieredMarketStore<H, C> {
    async fn put_hints(&self, set: &HintSet) -> Result<WriteReport, StoreError> {
        self.hot.put_hints(set).await
    }
}

impl<H: HintReader, C: Send + Sync> HintReader for TieredMarketStore<H, C> {
    async fn hints(&self) -> Result<Option<HintSet>, StoreError> {
        self.hot.hints().await
    }
}

#[cfg(test)]
#[path = "tiered_tests.rs"]
mod tests;
