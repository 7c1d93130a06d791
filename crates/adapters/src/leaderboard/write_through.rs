//! [`WriteThroughLeaderboard`]: the durable leaderboard (DynamoDB, the source of truth) with
//! Redis sorted sets in front for the reads every rank page makes.
//!
//! - **Writes** go to the durable store first (its conditional writes decide best-wins and
//!   retries); then the player's resulting record is copied to Redis
//!   ([`RedisLeaderboard::upsert`], which never rolls a player back). A failed copy is logged
//!   and marks the cache stale, so the next read rebuilds it; the answer is the durable
//!   store's, whatever the cache did.
//! - **Reads** come from Redis once it is built. A Redis without the built marker (new, or
//!   restarted empty) is rebuilt from the durable store first: every player of the global
//!   ranking, each record read and upserted, then the marker set. Two rebuilds at once, or a
//!   rebuild racing a submission, are harmless: upserts only move a player forward.
//! - **Redis down**: a read that fails there is answered by the durable store (and logged).

use std::future::Future;

use coinking_core::leaderboard::{PlayerRecord, PlayerRow, ScoreEntry};

use super::{
    AffiliationReader, Leaderboard, LeaderboardImport, PlayerReader, RankingReader, RankingScope,
    RedisLeaderboard, ScoreWriter, SubmitOutcome,
};
use crate::error::StoreError;

/// See the module doc.
#[derive(Debug, Clone)]
pub struct WriteThroughLeaderboard<D> {
    durable: D,
    cache: RedisLeaderboard,
}

impl<D: Leaderboard> WriteThroughLeaderboard<D> {
    pub fn new(durable: D, cache: RedisLeaderboard) -> Self {
        Self { durable, cache }
    }

    pub fn durable(&self) -> &D {
        &self.durable
    }

    pub fn cache(&self) -> &RedisLeaderboard {
        &self.cache
    }

    /// Rebuilds the cache from the durable store when it is not built; players copied.
    pub async fn ensure_built(&self) -> Result<usize, StoreError> {
        if self.cache.is_built().await? {
            return Ok(0);
        }
        let rows = self.durable.ranking(&RankingScope::All, usize::MAX).await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(record) = self.durable.player(&row.affiliation, &row.name).await? {
                records.push(record);
            }
        }
        self.cache.import(&records).await?;
        self.cache.mark_built().await?;
        tracing::info!(
            players = records.len(),
            "leaderboard cache rebuilt from the durable store"
        );
        Ok(records.len())
    }

    /// Copies one player's durable record to the cache; a failure marks the cache stale.
    async fn copy_player(&self, affiliation: &str, name: &str) {
        let copied = match self.durable.player(affiliation, name).await {
            Ok(Some(record)) => self.cache.upsert(&record).await.map(drop),
            Ok(None) => Ok(()),
            Err(error) => Err(error),
        };
        if let Err(error) = copied {
            tracing::warn!(%error, "leaderboard cache not updated; it will be rebuilt");
            if let Err(error) = self.cache.mark_stale().await {
                tracing::warn!(%error, "leaderboard cache could not be marked stale");
            }
        }
    }

    /// The cache's answer once built, else (Redis failing) the durable store's.
    async fn read<T, Cached, Durable>(
        &self,
        cached: impl FnOnce() -> Cached,
        durable: impl FnOnce() -> Durable,
    ) -> Result<T, StoreError>
    where
        Cached: Future<Output = Result<T, StoreError>>,
        Durable: Future<Output = Result<T, StoreError>>,
    {
        let from_cache = match self.ensure_built().await {
            Ok(_) => cached().await,
            Err(error) => Err(error),
        };
        match from_cache {
            Ok(value) => Ok(value),
            Err(error) => {
                tracing::warn!(%error, "leaderboard cache unavailable; reading the durable store");
                durable().await
            }
        }
    }
}

impl<D: Leaderboard> ScoreWriter for WriteThroughLeaderboard<D> {
    async fn submit(
        &self,
        entry: &ScoreEntry,
        at_ms: i64,
        request_id: &str,
    ) -> Result<SubmitOutcome, StoreError> {
        let outcome = self.durable.submit(entry, at_ms, request_id).await?;
        if outcome != SubmitOutcome::Duplicate {
            self.copy_player(&entry.affiliation, &entry.name).await;
        }
        Ok(outcome)
    }
}

impl<D: Leaderboard> RankingReader for WriteThroughLeaderboard<D> {
    async fn ranking(
        &self,
        scope: &RankingScope,
        limit: usize,
    ) -> Result<Vec<PlayerRow>, StoreError> {
        self.read(
            || self.cache.ranking(scope, limit),
            || self.durable.ranking(scope, limit),
        )
        .await
    }
}

impl<D: Leaderboard> AffiliationReader for WriteThroughLeaderboard<D> {
    async fn affiliations(&self) -> Result<Vec<String>, StoreError> {
        self.read(|| self.cache.affiliations(), || self.durable.affiliations())
            .await
    }
}

impl<D: Leaderboard> PlayerReader for WriteThroughLeaderboard<D> {
    async fn player(
        &self,
        affiliation: &str,
        name: &str,
    ) -> Result<Option<PlayerRecord>, StoreError> {
        self.read(
            || self.cache.player(affiliation, name),
            || self.durable.player(affiliation, name),
        )
        .await
    }
}

impl<D: Leaderboard> LeaderboardImport for WriteThroughLeaderboard<D> {
    async fn import(&self, records: &[PlayerRecord]) -> Result<usize, StoreError> {
        let imported = self.durable.import(records).await?;
        if let Err(error) = self.cache.import(records).await {
            tracing::warn!(%error, "leaderboard cache not updated by the import; it will be rebuilt");
            let _ = self.cache.mark_stale().await;
        }
        Ok(imported)
    }
}
