#![allow(clippy::unwrap_used)]
//! The leaderboard against DynamoDB (dynalite on 127.0.0.1): the shared contract, then what only
//! a real server shows — 1 MB Query pages, an affiliation of 10,000 players, and the number of
//! requests a submission costs. Every case gets its own randomly named table, deleted afterwards.

mod common;

#[macro_use]
#[path = "contract/leaderboard.rs"]
mod contract;

use std::future::Future;

use coinking_adapters::aws;
use coinking_adapters::leaderboard::{
    AffiliationReader, CallCounts, DynamoDbLeaderboard, LeaderboardConfig, LeaderboardImport,
    PlayerReader, RankingReader, RankingScope, ScoreWriter, SubmitOutcome,
    ensure_leaderboard_table,
};
use coinking_core::leaderboard::PlayerRecord;
use common::{bounded, must};

/// Small enough that the contract's rankings cross page boundaries.
const QUERY_PAGE_SIZE: i32 = 3;

async fn with_table_configured<F, Fut>(page_size: Option<i32>, case: F)
where
    F: FnOnce(DynamoDbLeaderboard) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let settings = common::aws_settings();
    let endpoint = settings.endpoints.dynamodb.clone().unwrap();
    common::require_service("DynamoDB stand-in (dynalite)", &endpoint);
    let sdk = aws::sdk_config(&settings).await;
    let client = aws::dynamodb_client(&sdk, &settings);
    let table = format!("coinking-leaderboard-test-{}", uuid::Uuid::new_v4());
    bounded("ensure table", ensure_leaderboard_table(&client, &table))
        .await
        .unwrap();
    let store = DynamoDbLeaderboard::new(
        client.clone(),
        LeaderboardConfig {
            table: table.clone(),
            query_page_size: page_size,
            consistent_reads: true,
            ..LeaderboardConfig::default()
        },
    );
    let cleanup = async move {
        let deleted = bounded(
            "delete table",
            client.delete_table().table_name(&table).send(),
        )
        .await;
        must("delete table", deleted);
    };
    common::with_cleanup(case(store), cleanup).await;
}

async fn with_table<F, Fut>(case: F)
where
    F: FnOnce(DynamoDbLeaderboard) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    with_table_configured(Some(QUERY_PAGE_SIZE), case).await;
}

leaderboard_contract_tests!(with_table);

/// A name of 30 Hangul syllables (90 bytes): big items, so 10,000 of them fill several 1 MB pages.
fn long_name(i: usize) -> String {
    let mut name = format!("{i:05}");
    while name.chars().count() < 30 {
        name.push('가');
    }
    name
}

#[tokio::test]
async fn an_affiliation_of_10000_players_reads_past_1_mb_pages_and_one_of_1_player_reads_alone() {
    with_table_configured(None, |store| async move {
        let big = "대형대학교".repeat(6);
        let mut records: Vec<PlayerRecord> = (0..10_000)
            .map(|i| {
                contract::record(
                    &long_name(i),
                    &big,
                    1_600_000_000 + (i as u64 * 7_919) % 10_000_000,
                )
            })
            .collect();
        records.push(contract::record("혼자", "작은학교", 1_500_000_000));
        bounded("import", store.import(&records)).await.unwrap();

        let before = store.calls();
        let ranked = bounded(
            "ranking",
            store.ranking(&RankingScope::Affiliation(big.clone()), usize::MAX),
        )
        .await
        .unwrap();
        let pages = store.calls().reads - before.reads;

        assert_eq!(ranked.len(), 10_000);
        assert!(ranked.windows(2).all(|w| w[0].balance >= w[1].balance));
        assert!(ranked.iter().all(|r| r.affiliation == big));
        // ~10,000 index entries of ~500 bytes: DynamoDB's 1 MB page cap splits the Query.
        assert!(pages >= 3, "expected several 1 MB pages, read {pages}");

        let alone = store
            .ranking(&RankingScope::Affiliation("작은학교".into()), usize::MAX)
            .await
            .unwrap();
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].name, "혼자");

        let all = store.ranking(&RankingScope::All, usize::MAX).await.unwrap();
        assert_eq!(all.len(), 10_001);
        assert_eq!(all.last().unwrap().name, "혼자");
        let top = store.ranking(&RankingScope::All, 10).await.unwrap();
        assert_eq!(top, all[..10]);
        assert_eq!(
            store.affiliations().await.unwrap(),
            [big.clone(), "작은학교".to_owned()]
        );
    })
    .await;
}

fn delta(before: CallCounts, after: CallCounts) -> (u64, u64) {
    (after.reads - before.reads, after.writes - before.writes)
}

/// The request counts README "Benchmarks" states: (reads, writes) per submission.
#[tokio::test]
async fn a_submission_costs_one_to_four_writes_and_no_read() {
    with_table_configured(None, |store| async move {
        let counts = store.calls();
        let first = store
            .submit(&contract::entry("a", "x", 2e9), 1_000, "r1")
            .await
            .unwrap();
        assert_eq!(first, SubmitOutcome::NewBest { previous: None });
        let after_new = store.calls();
        assert_eq!(delta(counts, after_new), (0, 3), "new player");

        store
            .submit(&contract::entry("a", "x", 3e9), 2_000, "r2")
            .await
            .unwrap();
        let after_best = store.calls();
        assert_eq!(
            delta(after_new, after_best),
            (0, 1),
            "returning player, new best"
        );

        store
            .submit(&contract::entry("a", "x", 1e9), 3_000, "r3")
            .await
            .unwrap();
        let after_kept = store.calls();
        assert_eq!(
            delta(after_best, after_kept),
            (0, 2),
            "returning player, lower score"
        );

        let retried = store
            .submit(&contract::entry("a", "x", 1e9), 3_000, "r3")
            .await
            .unwrap();
        assert_eq!(retried, SubmitOutcome::Duplicate);
        let after_retry = store.calls();
        assert_eq!(
            delta(after_kept, after_retry),
            (0, 4),
            "retried request (listing repeated)"
        );
        assert_eq!(
            store.player("x", "a").await.unwrap().unwrap().games_played,
            3
        );
    })
    .await;
}

#[tokio::test]
async fn ensure_table_is_idempotent() {
    let settings = common::aws_settings();
    let endpoint = settings.endpoints.dynamodb.clone().unwrap();
    common::require_service("DynamoDB stand-in (dynalite)", &endpoint);
    let sdk = aws::sdk_config(&settings).await;
    let client = aws::dynamodb_client(&sdk, &settings);
    let table = format!("coinking-leaderboard-test-{}", uuid::Uuid::new_v4());
    bounded("ensure", ensure_leaderboard_table(&client, &table))
        .await
        .unwrap();
    bounded("ensure again", ensure_leaderboard_table(&client, &table))
        .await
        .unwrap();
    let described = client.describe_table().table_name(&table).send().await;
    let indexes: Vec<String> = must("describe", described)
        .table
        .unwrap()
        .global_secondary_indexes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|index| index.index_name)
        .collect();
    assert_eq!(indexes.len(), 2, "{indexes:?}");
    let deleted = bounded("delete", client.delete_table().table_name(&table).send()).await;
    must("delete table", deleted);
}
