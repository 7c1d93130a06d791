//! [`InMemoryLeaderboard`]: the leaderboard ports in process (unit tests, `coinking up`'s
//! default), with the DynamoDB store's semantics: best wins, every request id counted once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use coinking_core::leaderboard::{PlayerRecord, PlayerRow, ScoreEntry, best_first};

use super::{
    AffiliationReader, LeaderboardImport, PlayerReader, RankingReader, RankingScope, ScoreWriter,
    SubmitOutcome,
};
use crate::error::StoreError;

#[derive(Debug)]
struct Stored {
    record: PlayerRecord,
    last_request: String,
}

#[derive(Debug, Default)]
struct State {
    /// Keyed by (affiliation, name).
    players: BTreeMap<(String, String), Stored>,
    affiliations: BTreeSet<String>,
}

/// The leaderboard in memory. Cheap to clone (shared state).
#[derive(Debug, Clone, Default)]
pub struct InMemoryLeaderboard {
    state: Arc<Mutex<State>>,
}

impl InMemoryLeaderboard {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every update is one step).
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ScoreWriter for InMemoryLeaderboard {
    async fn submit(
        &self,
        entry: &ScoreEntry,
        at_ms: i64,
        request_id: &str,
    ) -> Result<SubmitOutcome, StoreError> {
        let row = entry.row();
        let balance = row.balance;
        let mut state = self.state();
        state.affiliations.insert(entry.affiliation.clone());
        let key = (entry.affiliation.clone(), entry.name.clone());
        let Some(stored) = state.players.get_mut(&key) else {
            let record = PlayerRecord {
                row,
                games_played: 1,
                first_seen_ms: at_ms,
                best_at_ms: at_ms,
                last_seen_ms: at_ms,
            };
            state.players.insert(
                key,
                Stored {
                    record,
                    last_request: request_id.to_owned(),
                },
            );
            return Ok(SubmitOutcome::NewBest { previous: None });
        };
        let previous = stored.record.row.balance;
        if previous < balance {
            stored.record.row = row;
            stored.record.best_at_ms = at_ms;
        } else if stored.last_request == request_id {
            return Ok(SubmitOutcome::Duplicate);
        }
        stored.record.games_played += 1;
        stored.record.last_seen_ms = at_ms;
        stored.last_request = request_id.to_owned();
        Ok(if previous < balance {
            SubmitOutcome::NewBest {
                previous: Some(previous),
            }
        } else {
            SubmitOutcome::Kept { best: previous }
        })
    }
}

impl RankingReader for InMemoryLeaderboard {
    async fn ranking(
        &self,
        scope: &RankingScope,
        limit: usize,
    ) -> Result<Vec<PlayerRow>, StoreError> {
        let state = self.state();
        let rows: Vec<PlayerRow> = state
            .players
            .iter()
            .filter(|((affiliation, _), _)| match scope {
                RankingScope::All => true,
                RankingScope::Affiliation(wanted) => affiliation == wanted,
            })
            .map(|(_, stored)| stored.record.row.clone())
            .collect();
        drop(state);
        Ok(best_first(rows, limit))
    }
}

impl AffiliationReader for InMemoryLeaderboard {
    async fn affiliations(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.state().affiliations.iter().cloned().collect())
    }
}

impl PlayerReader for InMemoryLeaderboard {
    async fn player(
        &self,
        affiliation: &str,
        name: &str,
    ) -> Result<Option<PlayerRecord>, StoreError> {
        let key = (affiliation.to_owned(), name.to_owned());
        Ok(self.state().players.get(&key).map(|s| s.record.clone()))
    }
}

impl LeaderboardImport for InMemoryLeaderboard {
    async fn import(&self, records: &[PlayerRecord]) -> Result<usize, StoreError> {
        let mut state = self.state();
        for record in records {
            let row = &record.row;
            state.affiliations.insert(row.affiliation.clone());
            state.players.insert(
                (row.affiliation.clone(), row.name.clone()),
                Stored {
                    record: record.clone(),
                    last_request: String::new(),
                },
            );
        }
        Ok(records.len())
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use super::InMemoryLeaderboard;
    use crate::leaderboard::contract;

    /// Each case gets a fresh store; nothing to clean up.
    async fn with_store<F, Fut>(case: F)
    where
        F: FnOnce(InMemoryLeaderboard) -> Fut,
        Fut: Future<Output = ()>,
    {
        case(InMemoryLeaderboard::new()).await;
    }

    leaderboard_contract_tests!(with_store);
}
