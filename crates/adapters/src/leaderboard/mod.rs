//! The leaderboard store: one item per (affiliation, name) holding the player's best game, with
//! rankings in balance order and the list of affiliations, in its own DynamoDB table (default
//! `coinking-leaderboard`, keys `pk` S / `sk` S).
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | player | `PLAYER#<affiliation>` | name | `player_name`, `affiliation`, `coin_1..3`, `balance` N (best), `games_played`, `first_seen_ms`, `best_at_ms`, `last_seen_ms`, `last_request`, `listed`, `gsi_all_pk`, `gsi_aff_pk` |
//! | affiliation | `AFFILIATION` | affiliation | `affiliation` |
//!
//! Two global secondary indexes, both with the numeric `balance` as sort key, read with
//! `ScanIndexForward=false` (best first) and projecting only the row's attributes (so that a
//! submission that only counts a game writes no index):
//! - [`GSI_ALL`] on `gsi_all_pk = ALL#<shard>`: the global ranking. One partition key for every
//!   player would be a hot partition, so players are spread over [`GLOBAL_SHARDS`] keys by a
//!   stable hash of (affiliation, name); a ranking queries every shard and merges (AWS's
//!   leaderboard guidance, "write sharding").
//! - [`GSI_AFFILIATION`] on `gsi_aff_pk = AFF#<affiliation>`: one affiliation's ranking.
//!
//! The affiliation list is one Query on `pk = AFFILIATION`. **No Scan anywhere**; every Query
//! follows `LastEvaluatedKey`.
//!
//! Ports are per operation ([`ScoreWriter`], [`RankingReader`], [`AffiliationReader`],
//! [`PlayerReader`], [`LeaderboardImport`]); [`DynamoDbLeaderboard`], `RedisLeaderboard`
//! (feature `redis`: sorted sets) and [`InMemoryLeaderboard`] are held to one contract suite
//! (`tests/contract/leaderboard.rs`); `WriteThroughLeaderboard` puts the Redis one in front of
//! a durable one (DynamoDB stays the source of truth, the sorted sets are rebuilt from it).
//!
//! Module map: [`items`] (item ↔ domain, the shard hash), [`dynamodb`], `redis`, [`memory`].

use std::future::Future;

use coinking_core::leaderboard::{PlayerRecord, PlayerRow, ScoreEntry};

use crate::error::StoreError;

#[cfg(test)]
#[macro_use]
#[path = "../../tests/contract/leaderboard.rs"]
mod contract;

pub mod dynamodb;
pub mod items;
pub mod memory;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "redis")]
pub mod write_through;

#[cfg(feature = "redis")]
pub use self::redis::RedisLeaderboard;
pub use dynamodb::{CallCounts, DynamoDbLeaderboard, LeaderboardConfig, ensure_leaderboard_table};
pub use items::{GLOBAL_SHARDS, GSI_AFFILIATION, GSI_ALL};
pub use memory::InMemoryLeaderboard;
#[cfg(feature = "redis")]
pub use write_through::WriteThroughLeaderboard;

/// The table name when none is configured (`COINKING_LEADERBOARD_TABLE`).
pub const DEFAULT_LEADERBOARD_TABLE: &str = "coinking-leaderboard";

/// What a submission did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// The balance is the player's new best (or the player is new: `previous` is `None`).
    NewBest { previous: Option<u64> },
    /// A best at least as high was already stored: the game was counted, the row kept.
    Kept { best: u64 },
    /// This request (same request id) was already applied: nothing changed.
    Duplicate,
}

/// Whose ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RankingScope {
    All,
    Affiliation(String),
}

/// Records a submitted game: the best balance wins (a lower one never overwrites a higher one),
/// `games_played` and `last_seen_ms` always update. `request_id` makes retries idempotent: the
/// same id is applied once.
pub trait ScoreWriter: Send + Sync {
    fn submit(
        &self,
        entry: &ScoreEntry,
        at_ms: i64,
        request_id: &str,
    ) -> impl Future<Output = Result<SubmitOutcome, StoreError>> + Send;
}

/// Reads rankings, best first ([`coinking_core::leaderboard::rank_order`]).
pub trait RankingReader: Send + Sync {
    /// The best `limit` players of `scope` (all of them with `usize::MAX`).
    fn ranking(
        &self,
        scope: &RankingScope,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PlayerRow>, StoreError>> + Send;
}

/// Reads the affiliations that have at least one player, sorted.
pub trait AffiliationReader: Send + Sync {
    fn affiliations(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
}

/// Reads one player's stored record.
pub trait PlayerReader: Send + Sync {
    fn player(
        &self,
        affiliation: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<PlayerRecord>, StoreError>> + Send;
}

/// Writes whole player records at once (restores, migrations from the original's table, test
/// fixtures): unconditional, so meant for players not yet stored; the affiliations are listed.
pub trait LeaderboardImport: Send + Sync {
    fn import(
        &self,
        records: &[PlayerRecord],
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// Every port at once (the local platform, the contract tests).
pub trait Leaderboard:
    ScoreWriter + RankingReader + AffiliationReader + PlayerReader + LeaderboardImport
{
}

impl<T> Leaderboard for T where
    T: ScoreWriter + RankingReader + AffiliationReader + PlayerReader + LeaderboardImport
{
}
