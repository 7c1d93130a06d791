//! The engine: the archived Parquet in, [`PopulationStats`] and [`PlayerAggregate`]s out, in
//! three streaming passes over the listed files. Each pass reads the files `target_partitions`
//! at a time, decoding only the columns it needs, and adds every row to a per-worker partial sum
//! as it is read; no pass holds more than the files in flight. What is kept across passes is
//! small: one 16-byte key per row (pass 1 only), one balance per game, the rows of the ids seen
//! more than once (a few percent), and one entry per player.
//!
//! 1. **Ids**: every `event_id` → the ids seen more than once.
//! 2. **All games**: the rows of every other id are added to the whole population and to their
//!    players as they are read; the rows of the duplicated ids are kept, and only the one
//!    [`OwnedGame::dedup_order`] ranks first is added, once all are read. Every game's balance
//!    is kept for the 0.9 quantile, taken as Spark's `approxQuantile(…, 0.0)` takes it
//!    ([`approx_quantile_exact`]).
//! 3. **Top**: the games with a balance at or above the quantile are added to the top
//!    population and counted as their players' top games.
//!
//! Every mean is an exact decimal sum ([`exact`]), so the same lake gives the same bits in every
//! run whatever order the files finish in, and the same bits as the Spark job and the DuckDB
//! peer (`scripts/analytics_duckdb.py`), which sum the same way.

mod accumulate;
mod batch;
mod exact;
mod ids;
mod scan;

use std::sync::Arc;
use std::time::Instant;

use arrow::array::Array;
use tracing::debug;

pub use self::accumulate::{MarketNames, PlayerEntries, PlayerEntry};
use self::accumulate::{Tally, TopGames, game_at, owned_game};
use self::batch::{ID_COLUMNS, OwnedGame, event_ids};
use self::ids::{EventKey, duplicated};
use self::scan::{scan, scan_games};
use crate::error::AnalyticsError;
use crate::results::{PopulationStats, TOP_QUANTILE, approx_quantile_exact};
use crate::storage::{InputFile, Store};
use crate::users::{PlayerAggregate, PopulationContext};

/// Everything the outputs are computed from.
#[derive(Debug, Default)]
pub struct EngineOutput {
    /// Rows read (before deduplication).
    pub rows_read: u64,
    pub all: PopulationStats,
    pub top: PopulationStats,
    /// `None` when there are no games.
    pub top_threshold: Option<f64>,
    pub players: Players,
    pub context: Option<PopulationContext>,
}

/// Every player, made into a [`PlayerAggregate`] one at a time by [`Players::make`] (as the
/// player files are written), so the aggregates are never all held at once.
#[derive(Debug, Default)]
pub struct Players {
    entries: PlayerEntries,
    maker: Arc<PlayerMaker>,
}

/// What making an aggregate needs besides the player's sums: the market names and, for the
/// ranks, every game's balance and every player's best, both sorted.
#[derive(Debug, Default)]
pub struct PlayerMaker {
    markets: MarketNames,
    balances: Vec<f64>,
    bests: Vec<f64>,
}

impl PlayerMaker {
    /// `entry`'s aggregate with its ranks.
    pub fn make(&self, entry: PlayerEntry) -> Result<PlayerAggregate, AnalyticsError> {
        let mut player = self.markets.aggregate(entry)?;
        let best = player.best_balance;
        player.games_below_best = self.balances.partition_point(|b| *b < best) as u64;
        player.players_below = self.bests.partition_point(|b| *b < best) as u64;
        Ok(player)
    }
}

impl Players {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.len() == 0
    }

    /// The players' entries and the maker of their aggregates.
    pub fn into_parts(self) -> (PlayerEntries, Arc<PlayerMaker>) {
        (self.entries, self.maker)
    }
}

/// Pass 1's partial: the key of every row read.
#[derive(Default)]
struct IdPass {
    keys: Vec<EventKey>,
}

/// Pass 2's partial.
#[derive(Default)]
struct AllPass {
    all: Tally,
    balances: Vec<f64>,
    /// The rows of duplicated ids, each with its id.
    candidates: Vec<(EventKey, OwnedGame)>,
}

/// Pass 3's partial: the top population, and each player's top games counted by the player's
/// index in the whole population's tally.
#[derive(Default)]
struct TopPass {
    top: Tally,
    games: TopGames,
}

/// Runs the analysis over `files` (already listed from `store`).
pub async fn analyze(
    store: &Store,
    files: &[InputFile],
    target_partitions: usize,
) -> Result<EngineOutput, AnalyticsError> {
    if files.is_empty() {
        return Ok(EngineOutput::default());
    }
    let workers = target_partitions.max(1);

    let phase = Instant::now();
    let id_passes = scan(
        store,
        files,
        workers,
        ID_COLUMNS,
        |partial: &mut IdPass, file, batch| {
            let ids = event_ids(file, batch)?;
            partial
                .keys
                .extend((0..ids.len()).map(|row| EventKey::of(ids.value(row))));
            Ok(())
        },
    )
    .await?;
    // Grown in place from the first partial (a large block is remapped, not copied), so the
    // keys are held about once, not twice, at the pass's peak.
    let rest: usize = id_passes.iter().skip(1).map(|p| p.keys.len()).sum();
    let mut id_passes = id_passes.into_iter();
    let mut keys = id_passes.next().unwrap_or_default().keys;
    keys.reserve_exact(rest);
    for partial in id_passes {
        keys.extend(partial.keys);
    }
    let rows_read = keys.len() as u64;
    let duplicates = Arc::new(duplicated(keys));
    let phase = phase_done("ids", phase);

    let seen_twice = Arc::clone(&duplicates);
    let all_passes = scan_games(
        store,
        files,
        workers,
        move |partial: &mut AllPass, games, row| {
            let key = EventKey::of(games.event_id.value(row));
            if seen_twice.contains(&key) {
                partial.candidates.push((key, games.owned(row)));
                return;
            }
            partial.balances.push(games.balance.value(row));
            partial.all.add(&game_at(games, row));
        },
    )
    .await?;
    // The first partial becomes the total: the others are merged into it, one copy fewer of
    // every player at the moment memory peaks.
    let mut all_passes = all_passes.into_iter();
    let first = all_passes.next().unwrap_or_default();
    let mut all = first.all;
    let mut balances = first.balances;
    let mut candidates = first.candidates;
    for partial in all_passes {
        all.merge(partial.all);
        balances.extend(partial.balances);
        candidates.extend(partial.candidates);
    }
    // Each id's rows in DEDUP_ORDER, and the first kept: the winners, sorted where they are
    // rather than gathered into a map.
    candidates.sort_unstable_by(|(key, game), (other_key, other)| {
        key.cmp(other_key).then_with(|| game.dedup_order(other))
    });
    candidates.dedup_by_key(|(key, _)| *key);
    let winners = candidates;
    for (_, owned) in &winners {
        balances.push(owned.balance);
        all.add(&owned_game(owned));
    }
    let phase = phase_done("all games", phase);

    balances.sort_unstable_by(f64::total_cmp);
    let Some(q) = approx_quantile_exact(&balances, TOP_QUANTILE) else {
        return Ok(EngineOutput {
            rows_read,
            ..EngineOutput::default()
        });
    };

    let seen_twice = Arc::clone(&duplicates);
    let players = all.lend_players();
    let lent = Arc::clone(&players);
    let top_passes = scan_games(
        store,
        files,
        workers,
        move |partial: &mut TopPass, games, row| {
            // Most rows stop here: only a tenth of the games are at or above q.
            if games.balance.value(row) < q
                || seen_twice.contains(&EventKey::of(games.event_id.value(row)))
            {
                return;
            }
            let game = game_at(games, row);
            partial.top.add_top(&game);
            partial.games.count(&lent, game.user_name);
        },
    )
    .await?;
    let mut top_passes = top_passes.into_iter();
    let TopPass {
        mut top,
        games: mut top_games,
    } = top_passes.next().unwrap_or_default();
    for partial in top_passes {
        top.merge(partial.top);
        top_games.merge(partial.games);
    }
    for (_, owned) in winners.iter().filter(|(_, game)| game.balance >= q) {
        top.add_top(&owned_game(owned));
        top_games.count(&players, owned.user_name());
    }
    all.add_top_games(players, top_games);
    phase_done("top games", phase);

    let top = top.stats();
    let stats = all.stats();
    let player_sums = all.into_player_sums();
    let all = stats;
    let mut bests = player_sums.best_balances();
    bests.sort_unstable_by(f64::total_cmp);
    let (entries, markets) = player_sums.into_parts();
    let players = Players {
        entries,
        maker: Arc::new(PlayerMaker {
            markets,
            balances,
            bests,
        }),
    };
    let context = PopulationContext {
        games: all.games,
        players: players.len() as u64,
        avg_sell_time: all.avg_sell_time.map(|t| t.unwrap_or(0.0)),
        top_avg_sell_time: top.avg_sell_time.map(|t| t.unwrap_or(0.0)),
        top_threshold: q,
    };
    Ok(EngineOutput {
        rows_read,
        all,
        top,
        top_threshold: Some(q),
        players,
        context: Some(context),
    })
}

/// Logs how long one pass took (where a run's time goes) and starts the next.
fn phase_done(step: &str, started: Instant) -> Instant {
    debug!(
        step,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "engine pass done"
    );
    Instant::now()
}
