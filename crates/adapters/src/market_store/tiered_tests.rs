//! The tiered store over two in-memory stores: the shared contract, then when closed minutes
//! reach the cold store (once, in full, after a restart, after a failure).
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::sync::atomic::AtomicU32;

use super::*;
use crate::market_store::InMemoryMarketStore;
use crate::market_store::contract::{self, candle, market_info};

type Memory = TieredMarketStore<InMemoryMarketStore, InMemoryMarketStore>;

async fn with_store<F, Fut>(case: F)
where
    F: FnOnce(Memory) -> Fut,
    Fut: Future<Output = ()>,
{
    case(TieredMarketStore::new(
        InMemoryMarketStore::new(),
        InMemoryMarketStore::new(),
    ))
    .await;
}

market_store_contract_tests!(with_store);

/// The contract's first minute; `candle(code, minute, …)` takes minutes after it.
const T0: i64 = contract::T0;

fn btc() -> MarketCode {
    MarketCode::parse("KRW-BTC").unwrap()
}

async fn cold_minutes<H, C: CandleReader>(store: &TieredMarketStore<H, C>) -> Vec<(i64, String)> {
    store
        .cold()
        .candles(&btc(), 0, T0 + 3_600_000, usize::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|c| ((c.minute_start_ms - T0) / MINUTE_MS, c.close.to_string()))
        .collect()
}

#[tokio::test]
async fn a_minute_reaches_the_cold_store_once_in_its_final_state_when_the_next_starts() {
    let store = TieredMarketStore::new(InMemoryMarketStore::new(), InMemoryMarketStore::new());
    // The first candle after a start looks back for closed minutes: none here.
    store
        .put_candles(&[candle("KRW-BTC", 0, "100", 1)])
        .await
        .unwrap();
    for position in 2..40 {
        let live = candle("KRW-BTC", 0, &format!("{}", 100 + position), position);
        store.put_candles(&[live]).await.unwrap();
    }
    assert!(
        cold_minutes(&store).await.is_empty(),
        "minute 0 is still open"
    );
    assert_eq!(store.cold_writes(), 0);

    store
        .put_candles(&[candle("KRW-BTC", 1, "150", 40)])
        .await
        .unwrap();
    assert_eq!(cold_minutes(&store).await, [(0, "139".to_owned())]);
    store
        .put_candles(&[candle("KRW-BTC", 1, "151", 41)])
        .await
        .unwrap();
    assert_eq!(
        store.cold_writes(),
        1,
        "39 hot writes of minute 0, one cold"
    );

    // Two minutes later (a quiet minute without trades): both closed minutes are copied.
    store
        .put_candles(&[candle("KRW-BTC", 3, "160", 42)])
        .await
        .unwrap();
    assert_eq!(
        cold_minutes(&store).await,
        [(0, "139".to_owned()), (1, "151".to_owned())]
    );
}

#[tokio::test]
async fn after_a_restart_minutes_closed_meanwhile_are_caught_up() {
    let hot = InMemoryMarketStore::new();
    let cold = InMemoryMarketStore::new();
    for minute in 0..4 {
        let written = candle("KRW-BTC", minute, "100", minute + 1);
        hot.put_candles(&[written]).await.unwrap();
    }
    let restarted = TieredMarketStore::new(hot, cold);
    restarted
        .put_candles(&[candle("KRW-BTC", 4, "100", 10)])
        .await
        .unwrap();
    let minutes: Vec<i64> = cold_minutes(&restarted)
        .await
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    assert_eq!(minutes, [0, 1, 2, 3]);
}

#[tokio::test]
async fn a_straggler_of_a_closed_minute_goes_to_the_cold_store_and_the_newest_wins() {
    let store = TieredMarketStore::new(InMemoryMarketStore::new(), InMemoryMarketStore::new());
    store
        .put_candles(&[candle("KRW-BTC", 0, "100", 1)])
        .await
        .unwrap();
    store
        .put_candles(&[candle("KRW-BTC", 1, "110", 2)])
        .await
        .unwrap();
    store
        .put_candles(&[candle("KRW-BTC", 0, "99", 3)])
        .await
        .unwrap();
    assert_eq!(cold_minutes(&store).await, [(0, "99".to_owned())]);
}

/// A cold store whose first `failures` candle writes fail (a throttled DynamoDB).
#[derive(Debug, Clone)]
struct Flaky {
    inner: InMemoryMarketStore,
    failures: Arc<AtomicU32>,
}

impl CandleWriter for Flaky {
    async fn put_candles(&self, candles: &[Candle]) -> Result<WriteReport, StoreError> {
        if self
            .failures
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(1)
            })
            .is_ok()
        {
            return Err(StoreError::Unprocessed {
                table: "cold".to_owned(),
                attempts: 1,
                keys: vec!["CANDLE".to_owned()],
            });
        }
        self.inner.put_candles(candles).await
    }
}

impl CandleReader for Flaky {
    async fn candles(
        &self,
        market: &MarketCode,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        self.inner.candles(market, from_ms, to_ms, limit).await
    }
}

impl TickerWriter for Flaky {
    async fn put_latest(&self, tickers: &[NormalizedTicker]) -> Result<WriteReport, StoreError> {
        self.inner.put_latest(tickers).await
    }
}

impl TickerReader for Flaky {
    async fn latest(&self, markets: &[MarketCode]) -> Result<Vec<NormalizedTicker>, StoreError> {
        self.inner.latest(markets).await
    }

    async fn latest_one(
        &self,
        market: &MarketCode,
    ) -> Result<Option<NormalizedTicker>, StoreError> {
        self.inner.latest_one(market).await
    }
}

impl CatalogWriter for Flaky {
    async fn put_markets(&self, markets: &[MarketInfo]) -> Result<WriteReport, StoreError> {
        self.inner.put_markets(markets).await
    }
}

impl CatalogReader for Flaky {
    async fn markets(&self) -> Result<Vec<MarketInfo>, StoreError> {
        self.inner.markets().await
    }
}

#[tokio::test]
async fn a_failed_cold_write_fails_the_call_and_the_retry_copies_the_minute() {
    let cold = Flaky {
        inner: InMemoryMarketStore::new(),
        failures: Arc::new(AtomicU32::new(1)),
    };
    let store = TieredMarketStore::new(InMemoryMarketStore::new(), cold);
    store
        .put_candles(&[candle("KRW-BTC", 0, "100", 1)])
        .await
        .unwrap();
    let next = [candle("KRW-BTC", 1, "110", 2)];
    let error = store.put_candles(&next).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert!(cold_minutes(&store).await.is_empty());
    // The stream stage retries the same flush.
    store.put_candles(&next).await.unwrap();
    assert_eq!(cold_minutes(&store).await, [(0, "100".to_owned())]);
}

#[tokio::test]
async fn reads_fall_back_to_the_cold_store_when_the_hot_one_lost_its_data() {
    let cold = InMemoryMarketStore::new();
    cold.put_candles(&[candle("KRW-BTC", 0, "100", 1)])
        .await
        .unwrap();
    cold.put_markets(&[market_info("KRW-BTC", false)])
        .await
        .unwrap();
    let store = TieredMarketStore::new(InMemoryMarketStore::new(), cold);
    assert_eq!(store.candles(&btc(), T0, T0, 10).await.unwrap().len(), 1);
    assert_eq!(store.markets().await.unwrap().len(), 1);
    assert!(
        store.latest(&[btc()]).await.unwrap().is_empty(),
        "tickers live in the hot store only"
    );
}

#[tokio::test]
async fn nine_markets_over_three_minutes_cost_the_cold_store_two_minutes_per_market() {
    let store = TieredMarketStore::new(InMemoryMarketStore::new(), InMemoryMarketStore::new());
    let markets = MarketCode::default_game_markets();
    let mut position = 0;
    // Four flushes a second for three minutes, every market in each.
    for flush in 0..(3 * 60 * 4) {
        let minute = flush / (60 * 4);
        let batch: Vec<Candle> = markets
            .iter()
            .map(|market| {
                position += 1;
                candle(market.as_str(), minute, "100", position)
            })
            .collect();
        store.put_candles(&batch).await.unwrap();
    }
    assert_eq!(
        store.cold_writes(),
        2 * markets.len() as u64,
        "minutes 0 and 1 closed"
    );
}
