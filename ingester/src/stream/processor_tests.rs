//! The stream processor over the in-memory store (and a store that can be switched to fail).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use coinking_adapters::StoreError;
use coinking_adapters::market_store::{
    CandleReader, CandleWriter, CatalogReader, CatalogWriter, InMemoryMarketStore, TickerReader,
    TickerWriter, WriteReport,
};
use coinking_core::candle::{Candle, Tick, build_candles};
use coinking_core::catalog::{Catalog, MarketInfo};
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use rust_decimal::Decimal;

use super::*;
use crate::stream::dead_letter::MemoryDeadLetters;
use crate::test_support::{market, record, ticker};

fn processor<S: MarketStore>(store: S) -> StreamProcessor<S> {
    StreamProcessor::new(store, "upbit.ticker", Arc::new(StreamMetrics::default()))
}

const T0: i64 = 1_732_500_000_000;

#[tokio::test]
async fn a_window_writes_one_ticker_per_market_the_newest() {
    let store = InMemoryMarketStore::new();
    let mut stage = processor(store.clone());
    let dlq = MemoryDeadLetters::new();
    for i in 0..10 {
        stage.ingest(record(&ticker("KRW-BTC", T0 + i * 10, 100 + i), i));
        stage.ingest(record(&ticker("KRW-ETH", T0 + i * 10, 200 + i), 100 + i));
    }
    let outcome = stage.flush(&dlq).await.unwrap();
    assert_eq!(outcome.tickers_written, 2);
    assert_eq!(outcome.commit, vec![(0, 110)]);
    let btc = store.latest_one(&market("KRW-BTC")).await.unwrap().unwrap();
    assert_eq!(btc.trade_price, Decimal::from(109));
    let metrics = stage.metrics();
    assert_eq!(metrics.tickers_coalesced.load(Ordering::Relaxed), 18);
    // 2 tickers + 2 candles (one minute per market).
    assert_eq!(metrics.store_writes.load(Ordering::Relaxed), 4);
}

#[tokio::test]
async fn an_older_ticker_after_a_newer_one_never_overwrites_it() {
    let store = InMemoryMarketStore::new();
    let mut stage = processor(store.clone());
    let dlq = MemoryDeadLetters::new();
    stage.ingest(record(&ticker("KRW-BTC", T0 + 1_000, 105), 0));
    stage.flush(&dlq).await.unwrap();
    stage.ingest(record(&ticker("KRW-BTC", T0, 99), 1));
    let outcome = stage.flush(&dlq).await.unwrap();
    assert_eq!(outcome.tickers_written, 0);
    assert_eq!(outcome.tickers_stale, 1);
    let stored = store.latest_one(&market("KRW-BTC")).await.unwrap().unwrap();
    assert_eq!(stored.trade_price, Decimal::from(105));
    // Within one window too.
    stage.ingest(record(&ticker("KRW-ETH", T0 + 1_000, 7), 2));
    stage.ingest(record(&ticker("KRW-ETH", T0, 6), 3));
    stage.flush(&dlq).await.unwrap();
    let eth = store.latest_one(&market("KRW-ETH")).await.unwrap().unwrap();
    assert_eq!(eth.trade_price, Decimal::from(7));
}

#[tokio::test]
async fn poison_records_go_to_the_dlq_with_a_reason_and_do_not_stop_the_partition() {
    let store = InMemoryMarketStore::new();
    let mut stage = processor(store.clone());
    let dlq = MemoryDeadLetters::new();
    let good = ticker("KRW-BTC", T0, 100);
    stage.ingest(Record {
        key: b"KRW-BTC".to_vec(),
        payload: b"{not json".to_vec(),
        partition: 1,
        offset: 5,
    });
    stage.ingest(Record {
        key: b"KRW-ETH".to_vec(),
        payload: good.to_json(),
        partition: 1,
        offset: 6,
    });
    let mut newer_version = good.clone();
    newer_version.v = 2;
    stage.ingest(Record {
        key: b"KRW-BTC".to_vec(),
        payload: newer_version.to_json(),
        partition: 1,
        offset: 7,
    });
    stage.ingest(Record {
        key: b"KRW-BTC".to_vec(),
        payload: good.to_json(),
        partition: 1,
        offset: 8,
    });
    let outcome = stage.flush(&dlq).await.unwrap();
    assert_eq!(outcome.commit, vec![(1, 9)]);
    assert_eq!(outcome.dead_letters, 3);
    let letters = dlq.letters();
    assert!(
        letters[0]
            .reason
            .starts_with("payload: not a normalised ticker"),
        "{letters:?}"
    );
    assert!(
        letters[1].reason.starts_with("payload.market:"),
        "{letters:?}"
    );
    assert!(letters[2].reason.contains("version 2"), "{letters:?}");
    let wrapper: serde_json::Value = serde_json::from_slice(&letters[0].to_json()).unwrap();
    assert_eq!(wrapper["offset"], 5);
    assert_eq!(wrapper["payload"], "{not json");
    assert!(
        store
            .latest_one(&market("KRW-BTC"))
            .await
            .unwrap()
            .is_some()
    );
}

fn stream_of(count: i64) -> Vec<NormalizedTicker> {
    // Three markets, prices moving, 2.5 s apart: spans several minutes; every 7th arrives late.
    (0..count)
        .map(|i| {
            let code = ["KRW-BTC", "KRW-ETH", "KRW-XRP"][(i % 3) as usize];
            let late = if i % 7 == 0 { -4_000 } else { 0 };
            ticker(code, T0 + i * 2_500 + late, 1_000 + (i * 37) % 101)
        })
        .collect()
}

async fn stored_candles(store: &InMemoryMarketStore) -> Vec<Candle> {
    let mut all = Vec::new();
    for code in ["KRW-BTC", "KRW-ETH", "KRW-XRP"] {
        all.extend(
            store
                .candles(&market(code), 0, MAX_CANDLE_MS, 10_000)
                .await
                .unwrap(),
        );
    }
    all
}

fn expected_candles(tickers: &[NormalizedTicker]) -> Vec<Candle> {
    let ticks: Vec<Tick> = tickers
        .iter()
        .enumerate()
        .map(|(offset, t)| Tick::from_ticker(t, offset as i64))
        .collect();
    let mut candles = build_candles(&ticks);
    candles.sort_by(|a, b| {
        (a.market.as_str(), a.minute_start_ms).cmp(&(b.market.as_str(), b.minute_start_ms))
    });
    candles
}

#[tokio::test]
async fn candles_survive_a_restart_mid_minute_and_a_replay_without_double_counting() {
    let tickers = stream_of(200);
    let store = InMemoryMarketStore::new();
    let dlq = MemoryDeadLetters::new();
    let mut first = processor(store.clone());
    for (offset, t) in tickers.iter().enumerate().take(120) {
        first.ingest(record(t, offset as i64));
        if offset % 25 == 0 {
            first.flush(&dlq).await.unwrap();
        }
    }
    first.flush(&dlq).await.unwrap();
    // A new process resumes from an older "committed" offset: 100..200 (100..120 are replays).
    let mut second = processor(store.clone());
    for (offset, t) in tickers.iter().enumerate().skip(100) {
        second.ingest(record(t, offset as i64));
        if offset % 30 == 0 {
            second.flush(&dlq).await.unwrap();
        }
    }
    second.flush(&dlq).await.unwrap();
    assert_eq!(stored_candles(&store).await, expected_candles(&tickers));
}

/// The in-memory store with a switch that makes every call fail as a retryable outage.
#[derive(Debug, Clone, Default)]
struct FlakyStore {
    inner: InMemoryMarketStore,
    down: Arc<AtomicBool>,
}

impl FlakyStore {
    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::Relaxed) {
            Err(StoreError::DynamoDb {
                operation: "PutItem",
                table: "test".into(),
                retryable: true,
                message: "connection refused".into(),
            })
        } else {
            Ok(())
        }
    }
}

impl TickerWriter for FlakyStore {
    async fn put_latest(&self, tickers: &[NormalizedTicker]) -> Result<WriteReport, StoreError> {
        self.check()?;
        self.inner.put_latest(tickers).await
    }
}
impl TickerReader for FlakyStore {
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
impl CandleWriter for FlakyStore {
    async fn put_candles(&self, candles: &[Candle]) -> Result<WriteReport, StoreError> {
        self.check()?;
        self.inner.put_candles(candles).await
    }
}
impl CandleReader for FlakyStore {
    async fn candles(
        &self,
        market: &MarketCode,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        self.check()?;
        self.inner.candles(market, from_ms, to_ms, limit).await
    }
}
impl CatalogWriter for FlakyStore {
    async fn put_markets(&self, markets: &[MarketInfo]) -> Result<WriteReport, StoreError> {
        self.check()?;
        self.inner.put_markets(markets).await
    }
}
impl CatalogReader for FlakyStore {
    async fn markets(&self) -> Result<Vec<MarketInfo>, StoreError> {
        self.inner.markets().await
    }
}

#[tokio::test]
async fn a_failed_flush_commits_nothing_and_a_retry_writes_everything() {
    let store = FlakyStore::default();
    let mut stage = processor(store.clone());
    let dlq = MemoryDeadLetters::new();
    stage.set_catalog(Catalog::bundled().iter().cloned().collect());
    let tickers = stream_of(60);
    for (offset, t) in tickers.iter().enumerate() {
        stage.ingest(record(t, offset as i64));
    }
    store.down.store(true, Ordering::Relaxed);
    assert!(stage.flush(&dlq).await.is_err());
    assert!(stage.flush(&dlq).await.is_err());
    assert!(stage.has_pending());
    store.down.store(false, Ordering::Relaxed);
    let outcome = stage.flush(&dlq).await.unwrap();
    assert_eq!(outcome.commit, vec![(0, 60)]);
    assert!(!stage.has_pending());
    assert_eq!(
        stored_candles(&store.inner).await,
        expected_candles(&tickers)
    );
    assert_eq!(
        store.inner.markets().await.unwrap().len(),
        Catalog::bundled().len()
    );
}

fn listing(codes: &[&str], warned: &[&str]) -> CatalogSnapshot {
    let markets = codes.iter().map(|code| MarketInfo {
        market: market(code),
        korean_name: (*code).to_owned(),
        english_name: (*code).to_owned(),
        warning: warned.contains(code),
        caution: Default::default(),
    });
    CatalogSnapshot::new(Catalog::new(markets), crate::sources::CatalogOrigin::Upbit)
}

async fn stored_markets(store: &InMemoryMarketStore) -> Vec<(String, bool)> {
    let mut markets: Vec<(String, bool)> = store
        .markets()
        .await
        .unwrap()
        .into_iter()
        .map(|info| (info.market.to_string(), info.warning))
        .collect();
    markets.sort();
    markets
}

#[tokio::test]
async fn a_followed_catalog_change_reaches_the_market_items_with_the_next_flush() {
    let store = FlakyStore::default();
    let mut stage = processor(store.clone());
    let dlq = MemoryDeadLetters::new();
    let (publish, updates) = tokio::sync::watch::channel(listing(&["KRW-BTC"], &[]));
    stage.follow_catalog(updates);

    assert!(stage.has_pending(), "the catalog in use is written first");
    stage.flush(&dlq).await.unwrap();
    assert_eq!(
        stored_markets(&store.inner).await,
        [("KRW-BTC".to_owned(), false)]
    );
    assert!(!stage.has_pending());

    // A new listing and a new warning, written while the store is down: kept and retried.
    publish.send_replace(listing(&["KRW-BTC", "KRW-ETH"], &["KRW-BTC"]));
    assert!(stage.has_pending(), "a published change is pending work");
    store.down.store(true, Ordering::Relaxed);
    assert!(stage.flush(&dlq).await.is_err());
    assert!(stage.has_pending());
    store.down.store(false, Ordering::Relaxed);
    let outcome = stage.flush(&dlq).await.unwrap();

    assert!(outcome.commit.is_empty());
    assert_eq!(
        stored_markets(&store.inner).await,
        [("KRW-BTC".to_owned(), true), ("KRW-ETH".to_owned(), false)]
    );
    assert!(!stage.has_pending());
    drop(publish);
    assert!(!stage.has_pending(), "a closed channel is not pending work");
}
