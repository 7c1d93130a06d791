//! The sums one pass adds games to: a population's ([`Population`], the whole or the top 10 %)
//! and each player's ([`Player`]). Everything is a count or an [`ExactSum`], so partial sums of
//! files read in parallel merge into the same totals in any order.

use std::collections::{BTreeMap, HashMap};

use super::batch::{Games, OwnedGame};
use super::exact::ExactSum;
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
    Owned(&'a [String]),
}

impl Game<'_> {
    fn for_each_coin(&self, mut each: impl FnMut(&str)) {
        match self.coins {
            Coins::Row(games, row) => games.coins(row).for_each(each),
            Coins::Owned(coins) => coins.iter().for_each(|coin| each(coin)),
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
        user_name: &game.user_name,
        balance: game.balance,
        leverage: game.leverage,
        ai: game.ai,
        remaining: game.remaining,
        sell_time: game.sell_time,
        sell_coin: [0, 1, 2].map(|i| game.sell_coin[i].as_str()),
        coins: Coins::Owned(&game.coins),
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

/// A population's sums.
#[derive(Debug, Clone, Default)]
pub struct Population {
    games: u64,
    balance: ExactSum,
    remaining: [ExactSum; 3],
    sell_time: [ExactSum; 3],
    leverage: BTreeMap<i64, Group>,
    /// `[ai_recommend_1, ai_recommend_2][false, true]`.
    ai: [[Group; 2]; 2],
    coin_picks: HashMap<String, u64>,
    /// Per market code, the sell times of the three `user_sell_time_N` pairs pooled.
    coin_sell: HashMap<String, ExactSum>,
}

/// Adds 1 to `counts[key]`, allocating the key only the first time.
fn count_in(counts: &mut HashMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(count) => *count += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
}

impl Population {
    pub fn add(&mut self, game: &Game<'_>) {
        self.games += 1;
        self.balance.add(game.balance);
        for stage in 0..3 {
            self.remaining[stage].add(game.remaining[stage]);
            self.sell_time[stage].add(game.sell_time[stage]);
            let coin = game.sell_coin[stage];
            match self.coin_sell.get_mut(coin) {
                Some(sum) => sum.add(game.sell_time[stage]),
                None => {
                    let mut sum = ExactSum::default();
                    sum.add(game.sell_time[stage]);
                    self.coin_sell.insert(coin.to_owned(), sum);
                }
            }
        }
        self.leverage
            .entry(game.leverage)
            .or_default()
            .add(game.balance);
        for (slot, used) in game.ai.iter().enumerate() {
            self.ai[slot][usize::from(*used)].add(game.balance);
        }
        game.for_each_coin(|coin| count_in(&mut self.coin_picks, coin));
    }

    pub fn merge(&mut self, other: Self) {
        self.games += other.games;
        self.balance.merge(&other.balance);
        for stage in 0..3 {
            self.remaining[stage].merge(&other.remaining[stage]);
            self.sell_time[stage].merge(&other.sell_time[stage]);
        }
        for (leverage, group) in &other.leverage {
            self.leverage.entry(*leverage).or_default().merge(group);
        }
        for slot in 0..2 {
            for used in 0..2 {
                self.ai[slot][used].merge(&other.ai[slot][used]);
            }
        }
        for (coin, picks) in other.coin_picks {
            *self.coin_picks.entry(coin).or_default() += picks;
        }
        for (coin, sum) in other.coin_sell {
            self.coin_sell.entry(coin).or_default().merge(&sum);
        }
    }

    /// The statistics the results are computed from; groups no game falls into are absent.
    pub fn stats(&self) -> PopulationStats {
        let games = self.games;
        let bools = |groups: &[Group; 2]| -> Vec<GroupStat<bool>> {
            [false, true]
                .into_iter()
                .zip(groups)
                .filter(|(_, group)| group.games > 0)
                .map(|(key, group)| group.stat(key))
                .collect()
        };
        let mut coin_picks: Vec<(String, u64)> = self
            .coin_picks
            .iter()
            .map(|(coin, picks)| (coin.clone(), *picks))
            .collect();
        coin_picks.sort();
        let mut coin_sell_time: Vec<(String, f64)> = self
            .coin_sell
            .iter()
            .map(|(coin, sum)| (coin.clone(), sum.mean_over(sum.values).unwrap_or(0.0)))
            .collect();
        coin_sell_time.sort_by(|a, b| a.0.cmp(&b.0));
        PopulationStats {
            games,
            avg_balance: self.balance.mean_over(games),
            avg_remaining_time: [0, 1, 2].map(|i| self.remaining[i].mean_over(games)),
            avg_sell_time: [0, 1, 2].map(|i| self.sell_time[i].mean_over(games)),
            leverage: self
                .leverage
                .iter()
                .map(|(key, group)| group.stat(*key))
                .collect(),
            ai_recommend_1: bools(&self.ai[0]),
            ai_recommend_2: bools(&self.ai[1]),
            coin_picks,
            coin_sell_time,
        }
    }
}

/// One player's sums.
#[derive(Debug, Clone, Default)]
pub struct Player {
    games: u64,
    best_balance: f64,
    balance: ExactSum,
    ai_used: [u64; 2],
    sell_time: [ExactSum; 3],
    top_games: u64,
    leverage: BTreeMap<i64, u64>,
    coin_picks: HashMap<String, u64>,
}

impl Player {
    fn add(&mut self, game: &Game<'_>) {
        self.best_balance = if self.games == 0 {
            game.balance
        } else {
            self.best_balance.max(game.balance)
        };
        self.games += 1;
        self.balance.add(game.balance);
        for (slot, used) in game.ai.iter().enumerate() {
            self.ai_used[slot] += u64::from(*used);
        }
        for stage in 0..3 {
            self.sell_time[stage].add(game.sell_time[stage]);
        }
        *self.leverage.entry(game.leverage).or_default() += 1;
        game.for_each_coin(|coin| count_in(&mut self.coin_picks, coin));
    }

    fn merge(&mut self, other: Self) {
        if other.games > 0 {
            self.best_balance = if self.games == 0 {
                other.best_balance
            } else {
                self.best_balance.max(other.best_balance)
            };
        }
        self.games += other.games;
        self.balance.merge(&other.balance);
        for slot in 0..2 {
            self.ai_used[slot] += other.ai_used[slot];
        }
        for stage in 0..3 {
            self.sell_time[stage].merge(&other.sell_time[stage]);
        }
        self.top_games += other.top_games;
        for (leverage, games) in other.leverage {
            *self.leverage.entry(leverage).or_default() += games;
        }
        for (coin, picks) in other.coin_picks {
            *self.coin_picks.entry(coin).or_default() += picks;
        }
    }

    fn aggregate(self, user_name: String) -> Result<PlayerAggregate, AnalyticsError> {
        let games = self.games;
        let mean = |sum: &ExactSum| {
            sum.mean_over(games).ok_or_else(|| {
                AnalyticsError::Unexpected(format!("player `{user_name}` has no games"))
            })
        };
        let mut coin_picks: Vec<(String, u64)> = self.coin_picks.into_iter().collect();
        coin_picks.sort();
        Ok(PlayerAggregate {
            games,
            best_balance: self.best_balance,
            avg_balance: mean(&self.balance)?,
            ai_recommend_1_used: self.ai_used[0],
            ai_recommend_2_used: self.ai_used[1],
            avg_sell_time: [
                mean(&self.sell_time[0])?,
                mean(&self.sell_time[1])?,
                mean(&self.sell_time[2])?,
            ],
            top_games: self.top_games,
            leverage: self.leverage.into_iter().collect(),
            coin_picks,
            user_name,
            ..PlayerAggregate::default()
        })
    }
}

/// Every player's sums, by user name.
#[derive(Debug, Clone, Default)]
pub struct Players(HashMap<String, Player>);

impl Players {
    fn entry(&mut self, user_name: &str) -> &mut Player {
        if !self.0.contains_key(user_name) {
            self.0.insert(user_name.to_owned(), Player::default());
        }
        self.0
            .get_mut(user_name)
            .unwrap_or_else(|| unreachable!("inserted above"))
    }

    pub fn add(&mut self, game: &Game<'_>) {
        self.entry(game.user_name).add(game);
    }

    pub fn add_top_game(&mut self, user_name: &str) {
        self.entry(user_name).top_games += 1;
    }

    pub fn merge(&mut self, other: Self) {
        for (name, player) in other.0 {
            match self.0.get_mut(&name) {
                Some(mine) => mine.merge(player),
                None => {
                    self.0.insert(name, player);
                }
            }
        }
    }

    /// The aggregates, sorted by user name.
    pub fn aggregates(self) -> Result<Vec<PlayerAggregate>, AnalyticsError> {
        let mut players = self
            .0
            .into_iter()
            .map(|(name, player)| player.aggregate(name))
            .collect::<Result<Vec<_>, _>>()?;
        players.sort_unstable_by(|a, b| a.user_name.cmp(&b.user_name));
        Ok(players)
    }
}
