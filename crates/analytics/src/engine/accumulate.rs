//! The sums one pass adds games to: a [`Tally`] of one population (the whole, or the top 10 %)
//! and of each player. Everything is a count or an [`ExactSum`], so the partial tallies of files
//! read in parallel merge into the same totals in any order.
//!
//! Per row this is the engine's hot loop (10^7 rows at 10M games), so market codes are interned
//! per tally as small ids ([`MarketIds`]) and players live in one vector indexed by a foldhash
//! map of their names: one hash lookup per player and per market code, no allocation per row.

use std::sync::Arc;

use foldhash::HashMap;

use super::batch::{Games, OwnedGame};
use super::exact::{ExactSum, mean, scaled};
use crate::error::AnalyticsError;
use crate::results::{GroupStat, PopulationStats};
use crate::users::PlayerAggregate;

/// One game's values, borrowed from a batch row ([`game_at`]) or an [`OwnedGame`]
/// ([`owned_game`]).
pub struct Game<'a> {
    pub user_name: &'a str,
    pub balance: f64,
    pub leverage: i64,
    pub ai: [bool; 2],
    pub remaining: [f64; 3],
    pub sell_time: [f64; 3],
    pub sell_coin: [&'a str; 3],
    coins: Coins<'a>,
}

/// A game's `coins`, wherever they are.
enum Coins<'a> {
    Row(&'a Games, usize),
    Owned(&'a OwnedGame),
}

impl Game<'_> {
    fn for_each_coin(&self, each: impl FnMut(&str)) {
        match self.coins {
            Coins::Row(games, row) => games.coins(row).for_each(each),
            Coins::Owned(game) => game.coins().for_each(each),
        }
    }
}

/// Row `row` of `games`.
pub fn game_at(games: &Games, row: usize) -> Game<'_> {
    Game {
        user_name: games.user_name.value(row),
        balance: games.balance.value(row),
        leverage: games.leverage.value(row),
        ai: [games.ai[0].value(row), games.ai[1].value(row)],
        remaining: [0, 1, 2].map(|i| games.remaining[i].value(row)),
        sell_time: [0, 1, 2].map(|i| games.sell_time[i].value(row)),
        sell_coin: [0, 1, 2].map(|i| games.sell_coin[i].value(row)),
        coins: Coins::Row(games, row),
    }
}

/// `game` as a [`Game`].
pub fn owned_game(game: &OwnedGame) -> Game<'_> {
    Game {
        user_name: game.user_name(),
        balance: game.balance,
        leverage: game.leverage,
        ai: game.ai,
        remaining: game.remaining,
        sell_time: game.sell_time,
        sell_coin: game.sell_coin(),
        coins: Coins::Owned(game),
    }
}

/// Games and the exact sum of their balances.
#[derive(Debug, Clone, Copy, Default)]
struct Group {
    games: u64,
    balance: ExactSum,
}

impl Group {
    fn add(&mut self, balance: f64) {
        self.games += 1;
        self.balance.add(balance);
    }

    fn merge(&mut self, other: &Self) {
        self.games += other.games;
        self.balance.merge(&other.balance);
    }

    fn stat<K>(&self, key: K) -> GroupStat<K> {
        GroupStat {
            key,
            count: self.games,
            avg_balance: self.balance.mean_over(self.games).unwrap_or(0.0),
        }
    }
}

/// The value of `key` in a short list of pairs (a handful of leverages or markets), added if
/// missing.
fn slot<K: PartialEq + Copy, V: Default>(pairs: &mut Vec<(K, V)>, key: K) -> &mut V {
    let index = match pairs.iter().position(|(k, _)| *k == key) {
        Some(index) => index,
        None => {
            pairs.push((key, V::default()));
            pairs.len() - 1
        }
    };
    &mut pairs[index].1
}

/// One tally's market codes as small ids, so per-row sums index vectors instead of hashing
/// strings again.
#[derive(Debug, Clone, Default)]
struct MarketIds {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl MarketIds {
    fn id(&mut self, market: &str) -> u32 {
        if let Some(id) = self.ids.get(market) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.ids.insert(market.to_owned(), id);
        self.names.push(market.to_owned());
        id
    }

    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// The market ids of one game's `coins` (three by the contract), without a heap allocation.
#[derive(Default)]
struct Picks {
    first: [u32; 4],
    count: usize,
    more: Vec<u32>,
}

impl Picks {
    fn push(&mut self, id: u32) {
        if self.count < self.first.len() {
            self.first[self.count] = id;
            self.count += 1;
        } else {
            self.more.push(id);
        }
    }

    fn ids(&self) -> impl Iterator<Item = &u32> {
        self.first[..self.count].iter().chain(&self.more)
    }
}

/// A population's sums.
#[derive(Debug, Clone, Default)]
struct Population {
    games: u64,
    balance: ExactSum,
    remaining: [ExactSum; 3],
    sell_time: [ExactSum; 3],
    leverage: Vec<(i64, Group)>,
    /// `[ai_recommend_1, ai_recommend_2][false, true]`.
    ai: [[Group; 2]; 2],
    /// Picks per market id.
    coin_picks: Vec<u64>,
    /// Per market id, the sell times of the three `user_sell_time_N` pairs pooled.
    coin_sell: Vec<ExactSum>,
}

/// One player's sums. Every game has a balance and three sell times (nulls are refused as the
/// columns are read), so each is the integer of an [`ExactSum`] over `games` values, without
/// its count: a third less per player, and a partial tally holds every player.
#[derive(Debug, Clone, Default)]
struct Player {
    games: u64,
    best_balance: f64,
    balance: i128,
    ai_used: [u64; 2],
    sell_time: [i128; 3],
    top_games: u64,
    leverage: Vec<(i64, u64)>,
    /// `(market id, picks)`.
    coin_picks: Vec<(u32, u64)>,
}

impl Player {
    fn best(&mut self, balance: f64, games_before: u64) {
        self.best_balance = if games_before == 0 {
            balance
        } else {
            self.best_balance.max(balance)
        };
    }
}

/// The sums of one population and of each player in it, with their market ids.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    markets: MarketIds,
    population: Population,
    player_ids: HashMap<String, u32>,
    players: Vec<Player>,
}

impl Tally {
    fn player(&mut self, user_name: &str) -> &mut Player {
        let index = match self.player_ids.get(user_name) {
            Some(index) => *index as usize,
            None => {
                let index = self.players.len();
                self.player_ids.insert(
                    user_name.to_owned(),
                    u32::try_from(index).unwrap_or(u32::MAX),
                );
                self.players.push(Player::default());
                index
            }
        };
        &mut self.players[index]
    }

    /// Adds `game` to the population; answers the market ids of its `coins`.
    fn add_to_population(&mut self, game: &Game<'_>) -> Picks {
        let markets = &mut self.markets;
        let population = &mut self.population;
        population.games += 1;
        population.balance.add(game.balance);
        for stage in 0..3 {
            population.remaining[stage].add(game.remaining[stage]);
            population.sell_time[stage].add(game.sell_time[stage]);
            let id = markets.id(game.sell_coin[stage]) as usize;
            if population.coin_sell.len() <= id {
                population.coin_sell.resize(id + 1, ExactSum::default());
            }
            population.coin_sell[id].add(game.sell_time[stage]);
        }
        slot(&mut population.leverage, game.leverage).add(game.balance);
        for (index, used) in game.ai.iter().enumerate() {
            population.ai[index][usize::from(*used)].add(game.balance);
        }
        let mut picks = Picks::default();
        game.for_each_coin(|coin| {
            let id = markets.id(coin);
            picks.push(id);
            let id = id as usize;
            if population.coin_picks.len() <= id {
                population.coin_picks.resize(id + 1, 0);
            }
            population.coin_picks[id] += 1;
        });
        picks
    }

    /// A game of the population, added to its player too.
    pub fn add(&mut self, game: &Game<'_>) {
        let picks = self.add_to_population(game);
        let player = self.player(game.user_name);
        let games_before = player.games;
        player.best(game.balance, games_before);
        player.games += 1;
        player.balance += scaled(game.balance);
        for (index, used) in game.ai.iter().enumerate() {
            player.ai_used[index] += u64::from(*used);
        }
        for stage in 0..3 {
            player.sell_time[stage] += scaled(game.sell_time[stage]);
        }
        *slot(&mut player.leverage, game.leverage) += 1;
        for id in picks.ids() {
            *slot(&mut player.coin_picks, *id) += 1;
        }
    }

    /// A game of the top population: added to it (its player's top game is counted by
    /// [`TopGames::count`]).
    pub fn add_top(&mut self, game: &Game<'_>) {
        self.add_to_population(game);
    }

    /// Adds `other`'s sums (its market ids translated to this tally's).
    pub fn merge(&mut self, other: Self) {
        let translate: Vec<u32> = other
            .markets
            .names
            .iter()
            .map(|name| self.markets.id(name))
            .collect();
        let mine = &mut self.population;
        let theirs = other.population;
        mine.games += theirs.games;
        mine.balance.merge(&theirs.balance);
        for stage in 0..3 {
            mine.remaining[stage].merge(&theirs.remaining[stage]);
            mine.sell_time[stage].merge(&theirs.sell_time[stage]);
        }
        for (leverage, group) in &theirs.leverage {
            slot(&mut mine.leverage, *leverage).merge(group);
        }
        for index in 0..2 {
            for used in 0..2 {
                mine.ai[index][used].merge(&theirs.ai[index][used]);
            }
        }
        let markets = self.markets.names.len();
        mine.coin_picks
            .resize(markets.max(mine.coin_picks.len()), 0);
        mine.coin_sell
            .resize(markets.max(mine.coin_sell.len()), ExactSum::default());
        for (id, picks) in theirs.coin_picks.iter().enumerate() {
            mine.coin_picks[translate[id] as usize] += picks;
        }
        for (id, sum) in theirs.coin_sell.iter().enumerate() {
            mine.coin_sell[translate[id] as usize].merge(sum);
        }
        for (name, index) in other.player_ids {
            let theirs = &other.players[index as usize];
            let player = self.player(&name);
            if theirs.games > 0 {
                let games_before = player.games;
                player.best(theirs.best_balance, games_before);
            }
            player.games += theirs.games;
            player.balance += theirs.balance;
            for index in 0..2 {
                player.ai_used[index] += theirs.ai_used[index];
            }
            for stage in 0..3 {
                player.sell_time[stage] += theirs.sell_time[stage];
            }
            player.top_games += theirs.top_games;
            for (leverage, games) in &theirs.leverage {
                *slot(&mut player.leverage, *leverage) += games;
            }
            for (id, picks) in &theirs.coin_picks {
                *slot(&mut player.coin_picks, translate[*id as usize]) += picks;
            }
        }
    }

    /// The players' indexes, lent out (and this tally's players unreachable by name) until
    /// [`Self::add_top_games`] takes them back: the top pass counts each player's top games by
    /// index, so its partials hold a count per player rather than a name and sums per player.
    pub fn lend_players(&mut self) -> Arc<PlayerIndex> {
        Arc::new(PlayerIndex(std::mem::take(&mut self.player_ids)))
    }

    /// Takes the players' indexes back and adds the top games counted with them.
    pub fn add_top_games(&mut self, lent: Arc<PlayerIndex>, top: TopGames) {
        // The pass's threads have dropped their copies; a copy is made only if one had not.
        self.player_ids =
            Arc::try_unwrap(lent).map_or_else(|shared| shared.0.clone(), |index| index.0);
        for (index, games) in top.by_index.into_iter().enumerate() {
            if let Some(player) = self.players.get_mut(index) {
                player.top_games += games;
            }
        }
        for (user_name, games) in top.by_name {
            self.player(&user_name).top_games += games;
        }
    }

    /// The population's statistics; groups no game falls into are absent.
    pub fn stats(&self) -> PopulationStats {
        let population = &self.population;
        let games = population.games;
        let bools = |groups: &[Group; 2]| -> Vec<GroupStat<bool>> {
            [false, true]
                .into_iter()
                .zip(groups)
                .filter(|(_, group)| group.games > 0)
                .map(|(key, group)| group.stat(key))
                .collect()
        };
        let by_market = |id: usize| self.markets.name(id as u32).to_owned();
        let mut coin_picks: Vec<(String, u64)> = population
            .coin_picks
            .iter()
            .enumerate()
            .filter(|(_, picks)| **picks > 0)
            .map(|(id, picks)| (by_market(id), *picks))
            .collect();
        coin_picks.sort();
        let mut coin_sell_time: Vec<(String, f64)> = population
            .coin_sell
            .iter()
            .enumerate()
            .filter(|(_, sum)| sum.values > 0)
            .map(|(id, sum)| (by_market(id), sum.mean_over(sum.values).unwrap_or(0.0)))
            .collect();
        coin_sell_time.sort_by(|a, b| a.0.cmp(&b.0));
        let mut leverage: Vec<GroupStat<i64>> = population
            .leverage
            .iter()
            .map(|(key, group)| group.stat(*key))
            .collect();
        leverage.sort_by_key(|group| group.key);
        PopulationStats {
            games,
            avg_balance: population.balance.mean_over(games),
            avg_remaining_time: [0, 1, 2].map(|i| population.remaining[i].mean_over(games)),
            avg_sell_time: [0, 1, 2].map(|i| population.sell_time[i].mean_over(games)),
            leverage,
            ai_recommend_1: bools(&population.ai[0]),
            ai_recommend_2: bools(&population.ai[1]),
            coin_picks,
            coin_sell_time,
        }
    }

    /// Every player's sums, to be made into aggregates one at a time ([`PlayerSums`]). The sums
    /// stay where they are; only the names are put in the players' order.
    pub fn into_player_sums(self) -> PlayerSums {
        let mut names = vec![String::new(); self.players.len()];
        for (user_name, index) in self.player_ids {
            names[index as usize] = user_name;
        }
        PlayerSums {
            markets: self.markets,
            entries: PlayerEntries {
                names: names.into_iter(),
                sums: self.players.into_iter(),
            },
        }
    }
}

/// Which player of a [`Tally`] a name is, lent out by [`Tally::lend_players`].
#[derive(Debug, Default)]
pub struct PlayerIndex(HashMap<String, u32>);

/// Top games per player, counted against a [`PlayerIndex`].
#[derive(Debug, Default)]
pub struct TopGames {
    /// Per player index.
    by_index: Vec<u64>,
    /// A player the index does not know (none when the lake did not change between passes).
    by_name: HashMap<String, u64>,
}

impl TopGames {
    /// One top game of `user_name`.
    pub fn count(&mut self, players: &PlayerIndex, user_name: &str) {
        match players.0.get(user_name) {
            Some(index) => {
                if self.by_index.is_empty() {
                    self.by_index = vec![0; players.0.len()];
                }
                self.by_index[*index as usize] += 1;
            }
            None => *self.by_name.entry(user_name.to_owned()).or_default() += 1,
        }
    }

    pub fn merge(&mut self, other: Self) {
        if self.by_index.len() < other.by_index.len() {
            self.by_index.resize(other.by_index.len(), 0);
        }
        for (mine, theirs) in self.by_index.iter_mut().zip(other.by_index) {
            *mine += theirs;
        }
        for (user_name, games) in other.by_name {
            *self.by_name.entry(user_name).or_default() += games;
        }
    }
}

/// One player's name and sums, made into a [`PlayerAggregate`] by [`PlayerSums::aggregate`].
#[derive(Debug)]
pub struct PlayerEntry {
    user_name: String,
    sums: Player,
}

/// Every player's sums and the market names their ids stand for. An aggregate holds a market
/// code per pick, several times a player's sums, so aggregates are made one at a time as their
/// files are written rather than all at once.
#[derive(Debug, Default)]
pub struct PlayerSums {
    markets: MarketIds,
    entries: PlayerEntries,
}

impl PlayerSums {
    /// Every player's best balance, in no particular order.
    pub fn best_balances(&self) -> Vec<f64> {
        self.entries
            .sums
            .as_slice()
            .iter()
            .map(|sums| sums.best_balance)
            .collect()
    }

    /// The entries, and what [`MarketNames::aggregate`] needs to make them (the market names).
    pub fn into_parts(self) -> (PlayerEntries, MarketNames) {
        (self.entries, MarketNames(self.markets))
    }
}

/// Every player's [`PlayerEntry`], made as it is taken.
#[derive(Debug, Default)]
pub struct PlayerEntries {
    names: std::vec::IntoIter<String>,
    sums: std::vec::IntoIter<Player>,
}

impl Iterator for PlayerEntries {
    type Item = PlayerEntry;

    fn next(&mut self) -> Option<PlayerEntry> {
        Some(PlayerEntry {
            user_name: self.names.next()?,
            sums: self.sums.next()?,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.names.len().min(self.sums.len());
        (left, Some(left))
    }
}

impl ExactSizeIterator for PlayerEntries {}

/// The market names of a [`PlayerSums`]' ids.
#[derive(Debug, Default)]
pub struct MarketNames(MarketIds);

impl MarketNames {
    /// `entry`'s aggregate, its ranks (`games_below_best`, `players_below`) still zero.
    pub fn aggregate(&self, entry: PlayerEntry) -> Result<PlayerAggregate, AnalyticsError> {
        let PlayerEntry {
            user_name,
            sums: player,
        } = entry;
        let games = player.games;
        let mean = |sum: &i128| {
            (games > 0).then(|| mean(*sum, games)).ok_or_else(|| {
                AnalyticsError::Unexpected(format!("player `{user_name}` has no games"))
            })
        };
        let mut coin_picks: Vec<(String, u64)> = player
            .coin_picks
            .iter()
            .map(|(id, picks)| (self.0.name(*id).to_owned(), *picks))
            .collect();
        coin_picks.sort();
        let mut leverage = player.leverage;
        leverage.sort_unstable();
        Ok(PlayerAggregate {
            games,
            best_balance: player.best_balance,
            avg_balance: mean(&player.balance)?,
            ai_recommend_1_used: player.ai_used[0],
            ai_recommend_2_used: player.ai_used[1],
            avg_sell_time: [
                mean(&player.sell_time[0])?,
                mean(&player.sell_time[1])?,
                mean(&player.sell_time[2])?,
            ],
            top_games: player.top_games,
            leverage,
            coin_picks,
            user_name,
            ..PlayerAggregate::default()
        })
    }
}
