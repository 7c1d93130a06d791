//! [`InMemoryMarketStore`]: every market-store port over ordered maps, with the DynamoDB
//! adapter's semantics (newer wins, candle replay guard, sorted results). For unit tests,
//! handler tests and the embedded local run; it proves nothing about DynamoDB.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use coinking_core::candle::Candle;
use coinking_core::catalog::MarketInfo;
use coinking_core::hints::HintSet;
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;

use super::{
    CandleReader, CandleWriter, CatalogReader, CatalogWriter, HintReader, HintWriter, TickerReader,
    TickerWriter, WriteReport, candle_batch, candle_range_is_empty, check_hint_set,
    in_market_order, last_per_market, newest_per_market,
};
use crate::error::StoreError;

#[derive(Debug, Default)]
struct State {
    tickers: BTreeMap<MarketCode, NormalizedTicker>,
    candles: BTreeMap<(MarketCode, i64), Candle>,
    markets: BTreeMap<MarketCode, MarketInfo>,
    hints: Option<HintSet>,
}

/// The in-process market store. Clones share the same data.
#[derive(Debug, Clone, Default)]
pub struct InMemoryMarketStore {
    state: Arc<Mutex<State>>,
}

impl InMemoryMarketStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every update below is a single map insert, so a panic elsewhere cannot leave the maps
        // half-written: a poisoned lock is safe to keep using.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl TickerWriter for InMemoryMarketStore {
    async fn put_latest(&self, tickers: &[NormalizedTicker]) -> Result<WriteReport, StoreError> {
        let (newest, stale_in_batch) = newest_per_market(tickers);
        let mut report = WriteReport {
            written: 0,
            stale: stale_in_batch,
        };
        let mut state = self.state();
        for ticker in newest {
            match state.tickers.get(&ticker.market) {
                Some(stored) if !ticker.is_newer_than(stored) => report.stale += 1,
                _ => {
                    state.tickers.insert(ticker.market.clone(), ticker.clone());
                    report.written += 1;
                }
            }
        }
        Ok(report)
    }
}

impl TickerReader for InMemoryMarketStore {
    async fn latest(&self, markets: &[MarketCode]) -> Result<Vec<NormalizedTicker>, StoreError> {
        let state = self.state();
        let found: Vec<NormalizedTicker> = markets
            .iter()
            .filter_map(|market| state.tickers.get(market).cloned())
            .collect();
        Ok(in_market_order(found))
    }

    async fn latest_one(
        &self,
        market: &MarketCode,
    ) -> Result<Option<NormalizedTicker>, StoreError> {
        Ok(self.state().tickers.get(market).cloned())
    }
}

impl CandleWriter for InMemoryMarketStore {
    async fn put_candles(&self, candles: &[Candle]) -> Result<WriteReport, StoreError> {
        let (latest, mut report) = candle_batch(candles)?;
        let mut state = self.state();
        for candle in latest {
            let key = (candle.market.clone(), candle.minute_start_ms);
            match state.candles.get(&key) {
                Some(stored) if candle.last_position <= stored.last_position => report.stale += 1,
                _ => {
                    state.candles.insert(key, candle.clone());
                    report.written += 1;
                }
            }
        }
        Ok(report)
    }
}

impl CandleReader for InMemoryMarketStore {
    async fn candles(
        &self,
        market: &MarketCode,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        if candle_range_is_empty(from_ms, to_ms, limit)? {
            return Ok(Vec::new());
        }
        let state = self.state();
        let range = (market.clone(), from_ms)..=(market.clone(), to_ms);
        Ok(state
            .candles
            .range(range)
            .take(limit)
            .map(|(_, candle)| candle.clone())
            .collect())
    }
}

impl CatalogWriter for InMemoryMarketStore {
    async fn put_markets(&self, markets: &[MarketInfo]) -> Result<WriteReport, StoreError> {
        let distinct = last_per_market(markets);
        let mut state = self.state();
        for info in &distinct {
            state.markets.insert(info.market.clone(), (*info).clone());
        }
        Ok(WriteReport {
            written: distinct.len(),
            stale: 0,
        })
    }
}

impl CatalogReader for InMemoryMarketStore {
    async fn markets(&self) -> Result<Vec<MarketInfo>, StoreError> {
        Ok(self.state().markets.values().cloned().collect())
    }
}

impl HintWriter for InMemoryMarketStore {
    async fn put_hints(&self, set: &HintSet) -> Result<WriteReport, StoreError> {
        check_hint_set(set)?;
        self.state().hints = Some(set.clone());
        Ok(WriteReport {
            written: set.entries.len() + 1,
            stale: 0,
        })
    }
}

impl HintReader for InMemoryMarketStore {
    async fn hints(&self) -> Result<Option<HintSet>, StoreError> {
        Ok(self.state().hints.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use super::InMemoryMarketStore;
    use crate::market_store::contract;

    /// The in-memory store needs no setup or teardown: each case gets a fresh one.
    async fn with_store<F, Fut>(case: F)
    where
        F: FnOnce(InMemoryMarketStore) -> Fut,
        Fut: Future<Output = ()>,
    {
        case(InMemoryMarketStore::new()).await;
    }

    market_store_contract_tests!(with_store);
}
