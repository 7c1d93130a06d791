#![allow(clippy::unwrap_used)]
//! The tiered store as deployed with a cache: Redis (a redis-server of the test's own, so it can
//! be restarted) in front of DynamoDB (dynalite). DynamoDB gets each closed minute once, and a
//! Redis restart in the middle of a minute loses nothing there.

mod common;

use std::time::{Duration, Instant};

use coinking_adapters::aws;
use coinking_adapters::market_store::{
    CandleReader, CandleWriter, DynamoDbMarketStore, DynamoDbStoreConfig, RedisMarketStore,
    TieredMarketStore, ensure_table,
};
use coinking_adapters::redis_client::connect;
use coinking_core::candle::Candle;
use coinking_core::market::MarketCode;
use common::redis::OwnServer;
use common::{bounded, must};
use rust_decimal::Decimal;

/// 2024-11-25T00:00:00Z.
const T0: i64 = 1_732_492_800_000;
const MINUTE: i64 = 60_000;

fn candle(minute: i64, close: i64, position: i64) -> Candle {
    let start = T0 + minute * MINUTE;
    Candle {
        market: MarketCode::parse("KRW-BTC").unwrap(),
        minute_start_ms: start,
        open: Decimal::from(100),
        high: Decimal::from(close.max(100)),
        low: Decimal::from(close.min(100)),
        close: Decimal::from(close),
        volume: Decimal::from(position),
        trade_count: u64::try_from(position).unwrap(),
        open_key: (start, position),
        close_key: (start + 1, position),
        last_position: position,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_minutes_reach_dynamodb_once_even_across_a_redis_restart() {
    let settings = common::aws_settings();
    let endpoint = settings.endpoints.dynamodb.clone().unwrap();
    common::require_service("DynamoDB stand-in (dynalite)", &endpoint);
    let sdk = aws::sdk_config(&settings).await;
    let client = aws::dynamodb_client(&sdk, &settings);
    let table = format!("coinking-tiered-test-{}", uuid::Uuid::new_v4());
    bounded("ensure table", ensure_table(&client, &table))
        .await
        .unwrap();
    let cold = DynamoDbMarketStore::new(
        client.clone(),
        DynamoDbStoreConfig {
            table: table.clone(),
            consistent_reads: true,
            ..DynamoDbStoreConfig::default()
        },
    );
    let mut server = OwnServer::start_on_free_port();
    let port = server.port;
    let hot = RedisMarketStore::new(connect(&server.url()).await.unwrap(), "tiered");
    let store = TieredMarketStore::new(hot, cold.clone());

    let body = async move {
        let mut position = 0;
        let mut write = |minute: i64, close: i64| {
            position += 1;
            candle(minute, close, position)
        };
        // Minutes 0 and 1, ten live updates each (one per flush), then minute 2 opens.
        for minute in 0..2 {
            for step in 0..10 {
                store
                    .put_candles(&[write(minute, 100 + step)])
                    .await
                    .unwrap();
            }
        }
        store.put_candles(&[write(2, 200)]).await.unwrap();
        assert_eq!(
            store.cold_writes(),
            2,
            "ten hot writes per minute, one cold"
        );

        // Redis dies in the middle of minute 2, and comes back empty.
        server.stop();
        let update = [write(2, 205)];
        let error = store.put_candles(&update).await.unwrap_err();
        assert!(error.is_retryable(), "{error}");
        let _restarted = OwnServer::start(port);
        let deadline = Instant::now() + Duration::from_secs(15);
        while let Err(error) = store.put_candles(&update).await {
            assert!(error.is_retryable() && Instant::now() < deadline, "{error}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        store.put_candles(&[write(3, 300)]).await.unwrap();

        let stored = cold
            .candles(
                &MarketCode::parse("KRW-BTC").unwrap(),
                T0,
                T0 + 10 * MINUTE,
                100,
            )
            .await
            .unwrap();
        let closes: Vec<(i64, Decimal)> = stored
            .iter()
            .map(|c| ((c.minute_start_ms - T0) / MINUTE, c.close))
            .collect();
        assert_eq!(
            closes,
            [
                (0, Decimal::from(109)),
                (1, Decimal::from(109)),
                (2, Decimal::from(205))
            ],
            "minute 2 closed after Redis lost it: copied from the process, in its last state"
        );
        assert_eq!(store.cold_writes(), 3);
    };
    let cleanup = async move {
        let deleted = bounded(
            "delete table",
            client.delete_table().table_name(&table).send(),
        )
        .await;
        must("delete table", deleted);
    };
    common::with_cleanup(body, cleanup).await;
}
