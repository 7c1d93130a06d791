//! The leaderboard contract: one behaviour per case, run against every implementation.
//!
//! Included twice, by path: from `src/leaderboard/mod.rs` for the in-memory store (a unit test)
//! and from `tests/leaderboard_dynamodb.rs` for DynamoDB on dynalite. Each includer defines a
//! harness `async fn(case: impl FnOnce(Store) -> Fut)` that hands a fresh, empty store to the
//! case and cleans up after it, then calls `leaderboard_contract_tests!(harness)`. Stores should
//! use a small Query page size so that rankings cross page boundaries.
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use coinking_adapters::leaderboard::{Leaderboard, RankingScope, SubmitOutcome};
use coinking_core::leaderboard::{PlayerRecord, PlayerRow, ScoreEntry};
use coinking_core::market::MarketCode;

macro_rules! leaderboard_contract_tests {
    ($harness:ident) => {
        leaderboard_contract_tests!(@cases $harness,
            a_new_player_is_stored_with_one_game_and_its_affiliation_listed,
            a_lower_balance_never_overwrites_a_higher_one_but_counts_the_game,
            a_higher_balance_replaces_the_row_and_its_coins,
            a_retried_request_is_applied_once,
            concurrent_submissions_keep_the_highest_balance_and_count_every_game,
            rankings_are_in_balance_order_globally_and_per_affiliation,
            a_ranking_limit_keeps_the_best,
            an_unknown_affiliation_has_an_empty_ranking,
            affiliations_are_listed_once_and_sorted,
            imported_players_are_ranked_and_their_affiliations_listed,
        );
    };
    (@cases $harness:ident, $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                $harness(contract::$case).await;
            }
        )+
    };
}

pub fn coins(codes: [&str; 3]) -> [MarketCode; 3] {
    codes.map(|code| MarketCode::parse(code).unwrap())
}

pub fn entry(name: &str, affiliation: &str, balance: f64) -> ScoreEntry {
    ScoreEntry {
        name: name.to_owned(),
        affiliation: affiliation.to_owned(),
        coins: coins(["KRW-BTC", "KRW-ETH", "KRW-DOGE"]),
        balance,
    }
}

pub fn record(name: &str, affiliation: &str, balance: u64) -> PlayerRecord {
    PlayerRecord {
        row: PlayerRow {
            name: name.to_owned(),
            affiliation: affiliation.to_owned(),
            coins: coins(["KRW-SOL", "KRW-XRP", "KRW-SXP"]),
            balance,
        },
        games_played: 1,
        first_seen_ms: 1_000,
        best_at_ms: 1_000,
        last_seen_ms: 1_000,
    }
}

fn names(rows: &[PlayerRow]) -> Vec<(&str, u64)> {
    rows.iter().map(|r| (r.name.as_str(), r.balance)).collect()
}

pub async fn a_new_player_is_stored_with_one_game_and_its_affiliation_listed(
    store: impl Leaderboard,
) {
    let outcome = store
        .submit(&entry("김철수", "코인대학교", 1_734_500_000.7), 5_000, "r1")
        .await
        .unwrap();

    assert_eq!(outcome, SubmitOutcome::NewBest { previous: None });
    let stored = store.player("코인대학교", "김철수").await.unwrap().unwrap();
    assert_eq!(stored.row.balance, 1_734_500_000);
    assert_eq!(stored.games_played, 1);
    assert_eq!(
        (stored.first_seen_ms, stored.best_at_ms, stored.last_seen_ms),
        (5_000, 5_000, 5_000)
    );
    assert_eq!(store.affiliations().await.unwrap(), ["코인대학교"]);
}

pub async fn a_lower_balance_never_overwrites_a_higher_one_but_counts_the_game(
    store: impl Leaderboard,
) {
    store
        .submit(&entry("a", "x", 2e9), 1_000, "r1")
        .await
        .unwrap();
    let mut lower = entry("a", "x", 1.7e9);
    lower.coins = coins(["KRW-SOL", "KRW-SUI", "KRW-XRP"]);

    let outcome = store.submit(&lower, 2_000, "r2").await.unwrap();

    assert_eq!(
        outcome,
        SubmitOutcome::Kept {
            best: 2_000_000_000
        }
    );
    let stored = store.player("x", "a").await.unwrap().unwrap();
    assert_eq!(stored.row.balance, 2_000_000_000);
    assert_eq!(stored.row.coins, coins(["KRW-BTC", "KRW-ETH", "KRW-DOGE"]));
    assert_eq!(stored.games_played, 2);
    assert_eq!((stored.best_at_ms, stored.last_seen_ms), (1_000, 2_000));
    // An equal balance is not a new best either.
    let equal = store
        .submit(&entry("a", "x", 2e9), 3_000, "r3")
        .await
        .unwrap();
    assert_eq!(
        equal,
        SubmitOutcome::Kept {
            best: 2_000_000_000
        }
    );
}

pub async fn a_higher_balance_replaces_the_row_and_its_coins(store: impl Leaderboard) {
    store
        .submit(&entry("a", "x", 1.7e9), 1_000, "r1")
        .await
        .unwrap();
    let mut higher = entry("a", "x", 2.5e9);
    higher.coins = coins(["KRW-SOL", "KRW-SUI", "KRW-XRP"]);

    let outcome = store.submit(&higher, 2_000, "r2").await.unwrap();

    assert_eq!(
        outcome,
        SubmitOutcome::NewBest {
            previous: Some(1_700_000_000)
        }
    );
    let stored = store.player("x", "a").await.unwrap().unwrap();
    assert_eq!(stored.row.coins, higher.coins);
    assert_eq!(stored.row.balance, 2_500_000_000);
    assert_eq!(
        (stored.games_played, stored.first_seen_ms, stored.best_at_ms),
        (2, 1_000, 2_000)
    );
}

pub async fn a_retried_request_is_applied_once(store: impl Leaderboard) {
    store
        .submit(&entry("a", "x", 2e9), 1_000, "r1")
        .await
        .unwrap();
    let again = store
        .submit(&entry("a", "x", 2e9), 1_500, "r1")
        .await
        .unwrap();
    assert_eq!(again, SubmitOutcome::Duplicate);

    store
        .submit(&entry("a", "x", 1e9), 2_000, "r2")
        .await
        .unwrap();
    let again = store
        .submit(&entry("a", "x", 1e9), 2_500, "r2")
        .await
        .unwrap();
    assert_eq!(again, SubmitOutcome::Duplicate);

    let stored = store.player("x", "a").await.unwrap().unwrap();
    assert_eq!(stored.games_played, 2);
    assert_eq!(stored.last_seen_ms, 2_000);
}

pub async fn concurrent_submissions_keep_the_highest_balance_and_count_every_game(
    store: impl Leaderboard + Clone + 'static,
) {
    const WRITERS: u64 = 24;
    // Balances in a scrambled order, so the highest is neither first nor last to start.
    let balances: Vec<u64> = (0..WRITERS)
        .map(|i| 1_600_000_000 + (i * 7 % WRITERS) * 1_000_000)
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, balance) in balances.iter().enumerate() {
        let store = store.clone();
        let submitted = entry("경쟁자", "동시대학교", *balance as f64);
        tasks.spawn(async move {
            store
                .submit(&submitted, 1_000 + i as i64, &format!("req-{i}"))
                .await
                .unwrap()
        });
    }
    let mut new_bests = 0;
    while let Some(outcome) = tasks.join_next().await {
        if matches!(outcome.unwrap(), SubmitOutcome::NewBest { .. }) {
            new_bests += 1;
        }
    }

    let stored = store.player("동시대학교", "경쟁자").await.unwrap().unwrap();
    assert_eq!(stored.row.balance, *balances.iter().max().unwrap());
    assert_eq!(stored.games_played, WRITERS);
    assert!(new_bests >= 1);
    let ranking = store.ranking(&RankingScope::All, usize::MAX).await.unwrap();
    assert_eq!(ranking.len(), 1);
    assert_eq!(store.affiliations().await.unwrap(), ["동시대학교"]);
}

pub async fn rankings_are_in_balance_order_globally_and_per_affiliation(store: impl Leaderboard) {
    // 20 players over three affiliations: more than a page, spread over the global shards.
    let mut expected_all = Vec::new();
    for i in 0..20_u64 {
        let affiliation = ["a", "b", "c"][(i % 3) as usize];
        let balance = 1_600_000_000 + (i * 13 % 20) * 10_000_000;
        let name = format!("player{i:02}");
        store
            .submit(
                &entry(&name, affiliation, balance as f64),
                1_000,
                &format!("r{i}"),
            )
            .await
            .unwrap();
        expected_all.push((name, affiliation, balance));
    }
    expected_all.sort_by_key(|entry| std::cmp::Reverse(entry.2));

    let all = store.ranking(&RankingScope::All, usize::MAX).await.unwrap();
    let got: Vec<(String, &str, u64)> = all
        .iter()
        .map(|r| (r.name.clone(), r.affiliation.as_str(), r.balance))
        .collect();
    let want: Vec<(String, &str, u64)> = expected_all
        .iter()
        .map(|(n, a, b)| (n.clone(), *a, *b))
        .collect();
    assert_eq!(got, want);

    let only_b = store
        .ranking(&RankingScope::Affiliation("b".into()), usize::MAX)
        .await
        .unwrap();
    let want_b: Vec<(&str, u64)> = expected_all
        .iter()
        .filter(|(_, a, _)| *a == "b")
        .map(|(n, _, b)| (n.as_str(), *b))
        .collect();
    assert_eq!(names(&only_b), want_b);
    assert!(only_b.iter().all(|r| r.affiliation == "b"));
}

pub async fn a_ranking_limit_keeps_the_best(store: impl Leaderboard) {
    for i in 0..10_u64 {
        let balance = 1_600_000_000 + i * 1_000_000;
        store
            .submit(
                &entry(&format!("p{i}"), "x", balance as f64),
                1_000,
                &format!("r{i}"),
            )
            .await
            .unwrap();
    }
    let top = store.ranking(&RankingScope::All, 3).await.unwrap();
    assert_eq!(
        names(&top),
        [
            ("p9", 1_609_000_000),
            ("p8", 1_608_000_000),
            ("p7", 1_607_000_000)
        ]
    );
    let best = store.ranking(&RankingScope::All, 1).await.unwrap();
    assert_eq!(names(&best), [("p9", 1_609_000_000)]);
    let top_x = store
        .ranking(&RankingScope::Affiliation("x".into()), 2)
        .await
        .unwrap();
    assert_eq!(
        names(&top_x),
        [("p9", 1_609_000_000), ("p8", 1_608_000_000)]
    );
}

pub async fn an_unknown_affiliation_has_an_empty_ranking(store: impl Leaderboard) {
    store
        .submit(&entry("a", "x", 2e9), 1_000, "r1")
        .await
        .unwrap();
    let none = store
        .ranking(&RankingScope::Affiliation("없는학교".into()), usize::MAX)
        .await
        .unwrap();
    assert!(none.is_empty());
    assert!(store.player("없는학교", "a").await.unwrap().is_none());
}

pub async fn affiliations_are_listed_once_and_sorted(store: impl Leaderboard) {
    assert!(store.affiliations().await.unwrap().is_empty());
    for (i, affiliation) in ["코인대학교", "b", "a", "b", "코인대학교", "Z"]
        .iter()
        .enumerate()
    {
        store
            .submit(
                &entry(&format!("p{i}"), affiliation, 2e9),
                1_000,
                &format!("r{i}"),
            )
            .await
            .unwrap();
    }
    assert_eq!(
        store.affiliations().await.unwrap(),
        ["Z", "a", "b", "코인대학교"]
    );
}

pub async fn imported_players_are_ranked_and_their_affiliations_listed(store: impl Leaderboard) {
    let records: Vec<PlayerRecord> = (0..30_u64)
        .map(|i| {
            record(
                &format!("p{i:02}"),
                ["a", "b"][(i % 2) as usize],
                1_600_000_000 + i,
            )
        })
        .collect();

    assert_eq!(store.import(&records).await.unwrap(), 30);

    let all = store.ranking(&RankingScope::All, usize::MAX).await.unwrap();
    assert_eq!(all.len(), 30);
    assert_eq!(all[0], records[29].row);
    assert_eq!(store.affiliations().await.unwrap(), ["a", "b"]);
    let stored = store.player("b", "p01").await.unwrap().unwrap();
    assert_eq!(stored, records[1]);
    // A later, higher submission still wins over an imported best.
    store
        .submit(&entry("p01", "b", 3e9), 2_000, "r")
        .await
        .unwrap();
    let top = store.ranking(&RankingScope::All, 1).await.unwrap();
    assert_eq!(names(&top), [("p01", 3_000_000_000)]);
}
