#![allow(clippy::unwrap_used)]
//! The market-store contract against a real redis-server on 127.0.0.1 (`scripts/services.sh up`),
//! every case under its own key prefix, removed afterwards; then what only Redis has to prove:
//! newer-wins under concurrent writers, and a server restart survived by the same store.

mod common;

#[macro_use]
#[path = "contract/market_store.rs"]
mod contract;

use std::future::Future;
use std::time::{Duration, Instant};

use coinking_adapters::market_store::{RedisMarketStore, TickerReader, TickerWriter};
use coinking_adapters::redis_client::connect;
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use common::bounded;
use common::redis::OwnServer;

async fn with_store<F, Fut>(case: F)
where
    F: FnOnce(RedisMarketStore) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    common::redis::with_prefix(|connection, prefix| {
        case(RedisMarketStore::new(connection, prefix))
    })
    .await;
}

async fn fresh_store(url: &str) -> RedisMarketStore {
    let connection = bounded("connect", connect(url)).await.unwrap();
    RedisMarketStore::new(connection, &common::redis::fresh_prefix())
}

market_store_contract_tests!(with_store);

fn ticker(market: &MarketCode, trade_timestamp: i64) -> NormalizedTicker {
    contract::ticker(market.as_str(), trade_timestamp, "100.5")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_concurrent_writers_the_newest_ticker_wins() {
    with_store(|store| async move {
        let market = MarketCode::parse("KRW-BTC").unwrap();
        // 8 writers, each sending 50 timestamps in an order of its own: the last write to land
        // is rarely the newest, so only an atomic compare keeps the newest.
        let writers: Vec<_> = (0..8_i64)
            .map(|writer| {
                let store = store.clone();
                let market = market.clone();
                tokio::spawn(async move {
                    for step in 0..50_i64 {
                        let at = 1_732_492_800_000 + ((step * 37 + writer * 11) % 400);
                        store.put_latest(&[ticker(&market, at)]).await.unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
        let newest = (0..8_i64)
            .flat_map(|writer| (0..50_i64).map(move |step| (step * 37 + writer * 11) % 400))
            .max()
            .unwrap();
        let stored = store.latest_one(&market).await.unwrap().unwrap();
        assert_eq!(stored.trade_timestamp, 1_732_492_800_000 + newest);
        assert_eq!(
            store
                .put_latest(&[ticker(&market, stored.trade_timestamp - 1)])
                .await
                .unwrap()
                .stale,
            1
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_is_reconnected_to_by_the_same_store() {
    let mut server = OwnServer::start_on_free_port();
    let port = server.port;
    let url = server.url();
    let store = fresh_store(&url).await;
    let market = MarketCode::parse("KRW-ETH").unwrap();
    store
        .put_latest(&[ticker(&market, 1_000_000)])
        .await
        .unwrap();

    server.stop();
    let error = store
        .put_latest(&[ticker(&market, 2_000_000)])
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "a lost server is retryable: {error}");

    let _server = OwnServer::start(port);
    // The same store, retried as the stream stage retries a flush: it reconnects by itself.
    let deadline = Instant::now() + Duration::from_secs(15);
    let report = loop {
        match store.put_latest(&[ticker(&market, 3_000_000)]).await {
            Ok(report) => break report,
            Err(error) => {
                assert!(error.is_retryable(), "{error}");
                assert!(
                    Instant::now() < deadline,
                    "no reconnect within 15 s: {error}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(report.written, 1);
    // The write that failed while the server was down, retried late, is older: no overwrite.
    let late = store
        .put_latest(&[ticker(&market, 2_000_000)])
        .await
        .unwrap();
    assert_eq!((late.written, late.stale), (0, 1));
    let stored = store.latest(&[market]).await.unwrap();
    assert_eq!(stored[0].trade_timestamp, 3_000_000);
}
