//! The embedded run (source → transform → in-process bus → stream processor → store) against the
//! Upbit simulator replaying the shipped capture, into the in-memory store.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use coinking_adapters::market_store::items::MAX_CANDLE_MS;
use coinking_adapters::market_store::{
    CandleReader, CatalogReader, InMemoryMarketStore, TickerReader,
};
use coinking_core::market::MarketCode;
use coinking_forecast::lake::Lake;
use coinking_ingester::embedded::{EmbeddedConfig, run};
use coinking_ingester::sources::{DataType, SourceConfig};
use coinking_upbit_sim::{SHIPPED_CAPTURE, SimConfig, UpbitSimulator};
use tokio::sync::oneshot;

async fn all_candles(
    store: &InMemoryMarketStore,
    markets: &[MarketCode],
) -> Vec<common::CandleValues> {
    let mut candles = Vec::new();
    for market in markets {
        candles.extend(
            store
                .candles(market, 0, MAX_CANDLE_MS, 10_000)
                .await
                .unwrap(),
        );
    }
    common::values(&candles)
}

/// Replays the shipped capture through the embedded ingester (with the lake stage when
/// `lake_url` is set) until the store holds the capture's candles, then stops it and waits for
/// its drain. Returns whether the candles were reached.
async fn replay(store: &InMemoryMarketStore, lake_url: Option<String>) -> bool {
    let sim = UpbitSimulator::start(SimConfig {
        speed: 0.0,
        close_at_end: false,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let expected = common::expected(SHIPPED_CAPTURE);
    let markets: Vec<MarketCode> = expected.latest.keys().cloned().collect();
    let config = EmbeddedConfig {
        source: SourceConfig {
            url: sim.url(),
            codes: markets.clone(),
            types: vec![DataType::Ticker],
            no_data_watchdog: Duration::from_secs(60),
            ..SourceConfig::default()
        },
        window: Duration::from_millis(50),
        lake_url,
        ..EmbeddedConfig::default()
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(run(config, store.clone(), async {
        let _ = stopped.await;
    }));

    let reached = common::eventually(Duration::from_secs(30), || {
        let store = store.clone();
        let markets = markets.clone();
        let expected_candles = expected.candles.clone();
        async move { all_candles(&store, &markets).await == expected_candles }
    })
    .await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    sim.shutdown().await;
    reached
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_leaves_the_newest_ticker_per_market_and_the_capture_s_candles() {
    let expected = common::expected(SHIPPED_CAPTURE);
    let markets: Vec<MarketCode> = expected.latest.keys().cloned().collect();
    let store = InMemoryMarketStore::new();
    let reached = replay(&store, None).await;

    assert!(reached, "candles never matched the capture's");
    assert_eq!(all_candles(&store, &markets).await, expected.candles);
    let latest = store.latest(&markets).await.unwrap();
    assert_eq!(latest.len(), expected.latest.len());
    for ticker in latest {
        assert_eq!(
            Some(&ticker),
            expected.latest.get(&ticker.market),
            "{}",
            ticker.market
        );
    }
    assert!(
        !store.markets().await.unwrap().is_empty(),
        "catalog items written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_lake_every_market_minute_of_the_replay_is_in_the_lake_once_stopped() {
    let expected = common::expected(SHIPPED_CAPTURE);
    let markets: Vec<MarketCode> = expected.latest.keys().cloned().collect();
    let dir = tempfile::tempdir().unwrap();
    let lake_url = dir.path().to_str().unwrap().to_owned();
    let store = InMemoryMarketStore::new();
    assert!(replay(&store, Some(lake_url.clone())).await);

    // The last minute of each market was still open when the run stopped: written as it stood.
    let lake = Lake::open(&lake_url).unwrap();
    let range = common::lake::capture_minutes(&expected.candles);
    assert_eq!(
        common::lake::lake_minutes(&lake, &markets, range).await,
        common::lake::expected_minutes(&expected.candles)
    );
    assert_eq!(
        common::lake::tick_count(&lake).await,
        common::capture_tickers(SHIPPED_CAPTURE).len(),
        "every ticker once"
    );
}
