#![allow(clippy::unwrap_used)]
//! The leaderboard against a real redis-server on 127.0.0.1 (`scripts/services.sh up`): the
//! shared contract, each case under its own key prefix, then ties cut by a page limit.

mod common;

#[macro_use]
#[path = "contract/leaderboard.rs"]
mod contract;

use std::future::Future;

use coinking_adapters::leaderboard::{
    LeaderboardImport, RankingReader, RankingScope, RedisLeaderboard,
};

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
