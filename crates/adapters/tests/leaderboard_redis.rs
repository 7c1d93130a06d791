#![allow(clippy::unwrap_used)]
//! The leaderboard against a real redis-server on 127.0.0.1 (`scripts/services.sh up`): the
//! shared contract, each case under its own key prefix, then ties cut by a page limit.

mod common;

#[macro_use]
#[path = "contract/leaderboard.rs"]
mod contract;

use std::future::Future;

use std::time::Duration;

use coinking_adapters::leaderboard::{
    AffiliationReader, InMemoryLeaderboard, LeaderboardImport, PlayerReader, RankingReader,
    RankingScope, RedisLeaderboard, ScoreWriter, WriteThroughLeaderboard,
};
use coinking_adapters::redis_client::connect;
use common::redis::OwnServer;

async fn with_store<F, Fut>(case: F)
where
    F: FnOnce(RedisLeaderboard) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    common::redis::with_prefix(|connection, prefix| {
        case(RedisLeaderboard::new(connection, prefix))
    })
    .await;
}

leaderboard_contract_tests!(with_store);

/// The write-through composition, over the in-memory durable store, held to the same contract.
mod write_through {
    use super::*;

    async fn with_store<F, Fut>(case: F)
    where
        F: FnOnce(WriteThroughLeaderboard<InMemoryLeaderboard>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        common::redis::with_prefix(|connection, prefix| {
            case(WriteThroughLeaderboard::new(
                InMemoryLeaderboard::new(),
                RedisLeaderboard::new(connection, prefix),
            ))
        })
        .await;
    }

    leaderboard_contract_tests!(with_store);
}

#[tokio::test]
async fn an_emptied_redis_is_rebuilt_from_the_durable_store_on_the_next_read() {
    common::redis::with_prefix(|connection, prefix| {
        let prefix = prefix.to_owned();
        async move {
            let durable = InMemoryLeaderboard::new();
            let store = WriteThroughLeaderboard::new(
                durable.clone(),
                RedisLeaderboard::new(connection.clone(), &prefix),
            );
            let entry = contract::entry("kim", "seoul-univ", 2_000_000_000.0);
            store.submit(&entry, 1_000, "r1").await.unwrap();
            store.submit(&entry, 2_000, "r2").await.unwrap();
            // Redis restarted empty: every key of this store is gone.
            let mut connection = connection;
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{{{prefix}}}:*"))
                .query_async(&mut connection)
                .await
                .unwrap();
            let _: usize = redis::cmd("DEL")
                .arg(&keys)
                .query_async(&mut connection)
                .await
                .unwrap();

            let page = store.ranking(&RankingScope::All, 10).await.unwrap();
            assert_eq!(page.len(), 1);
            assert_eq!(page[0].balance, 2_000_000_000);
            let cached = store
                .cache()
                .player("seoul-univ", "kim")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                cached.games_played, 2,
                "the durable record, counters included"
            );
            assert_eq!(store.affiliations().await.unwrap(), ["seoul-univ"]);
            assert!(store.cache().is_built().await.unwrap());
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_reads_come_from_the_durable_store_and_writes_still_land() {
    let mut server = OwnServer::start_on_free_port();
    let cache = RedisLeaderboard::new(connect(&server.url()).await.unwrap(), "wt");
    let store = WriteThroughLeaderboard::new(InMemoryLeaderboard::new(), cache);
    store
        .submit(&contract::entry("lee", "busan", 1_000.0), 1, "a")
        .await
        .unwrap();
    server.stop();
    let outcome = store
        .submit(&contract::entry("park", "busan", 5_000.0), 2, "b")
        .await
        .unwrap();
    assert_eq!(
        outcome,
        coinking_adapters::leaderboard::SubmitOutcome::NewBest { previous: None }
    );
    let page = tokio::time::timeout(
        Duration::from_secs(20),
        store.ranking(&RankingScope::Affiliation("busan".into()), 10),
    )
    .await
    .unwrap()
    .unwrap();
    let names: Vec<&str> = page.iter().map(|row| row.name.as_str()).collect();
    assert_eq!(names, ["park", "lee"]);
}

#[tokio::test]
async fn a_page_limit_inside_a_tie_keeps_the_rank_order_of_the_tie() {
    with_store(|store| async move {
        // Redis orders equal scores by member descending ("z\n…" first); the rank order is
        // affiliation then name ascending.
        let records = [
            contract::record("kim", "z-univ", 500),
            contract::record("lee", "a-univ", 500),
            contract::record("park", "m-univ", 500),
            contract::record("choi", "a-univ", 900),
            contract::record("han", "b-univ", 100),
        ];
        store.import(&records).await.unwrap();
        let page = store.ranking(&RankingScope::All, 3).await.unwrap();
        let names: Vec<(&str, &str, u64)> = page
            .iter()
            .map(|row| (row.name.as_str(), row.affiliation.as_str(), row.balance))
            .collect();
        assert_eq!(
            names,
            [
                ("choi", "a-univ", 900),
                ("lee", "a-univ", 500),
                ("park", "m-univ", 500)
            ]
        );
        let a_univ = store
            .ranking(&RankingScope::Affiliation("a-univ".into()), usize::MAX)
            .await
            .unwrap();
        assert_eq!(a_univ.len(), 2);
    })
    .await;
}
