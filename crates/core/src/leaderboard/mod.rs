//! The leaderboard's domain: what `POST /set_user_data` may submit, the row the rank page shows,
//! the ranking order, and the server-side bound on a submitted balance.
//!
//! Module map:
//! - [`submission`]: the `/set_user_data` body, validated field by field into a [`ScoreEntry`]
//!   (every problem named `field: rule`); the nickname (an e-mail) is checked and dropped.
//! - [`bound`]: the highest balance the frontend's own rule lets a game reach from the stored
//!   1-minute candles ([`ScoreRule`], [`ScoreBound`]); pure, so it is unit- and property-tested.
//!
//! The player's name and affiliation follow [`crate::player::check_player_text`], the same rule
//! as the game record.

use std::cmp::Ordering;

use crate::market::MarketCode;

pub mod bound;
pub mod submission;

pub use bound::{
    CandleQuery, OutOfBounds, PriceRange, ScoreBound, ScoreRule, best_ratio, price_ranges,
};
pub use submission::{Problem, ScoreEntry, parse_submission};

/// Every game starts with this balance (KRW): the sum of the three buys.
pub const START_BALANCE_KRW: u64 = 1_600_000_000;

/// The frontend's three buys, in the player's coin order (KRW).
pub const BUY_MONEY_KRW: [f64; 3] = [1e9, 5e8, 1e8];

/// The leverages the game offers.
pub const LEVERAGES: [u32; 4] = [1, 10, 100, 1000];

/// Largest balance stored or returned: 2^53 − 1, the largest integer a JavaScript number (the
/// frontend) holds exactly.
pub const MAX_BALANCE_KRW: u64 = (1 << 53) - 1;

/// One player's best game, as the rank page shows it (`nickname` is never stored: the answer
/// carries `""`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerRow {
    pub name: String,
    pub affiliation: String,
    /// `coin_1`, `coin_2`, `coin_3` of the best game, in the player's order.
    pub coins: [MarketCode; 3],
    /// Best balance, whole KRW.
    pub balance: u64,
}

/// A stored player: the row of the best game plus the bookkeeping the table keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerRecord {
    pub row: PlayerRow,
    /// Submissions counted (a retried request is counted once).
    pub games_played: u64,
    /// Epoch ms of the first submission, the best one and the latest one.
    pub first_seen_ms: i64,
    pub best_at_ms: i64,
    pub last_seen_ms: i64,
}

/// The rank page's order: balance descending; ties by affiliation, then name (so that equal
/// balances always come out in the same order, whatever the store returned first).
pub fn rank_order(a: &PlayerRow, b: &PlayerRow) -> Ordering {
    b.balance
        .cmp(&a.balance)
        .then_with(|| a.affiliation.cmp(&b.affiliation))
        .then_with(|| a.name.cmp(&b.name))
}

/// A ranking page: the best `limit` of `rows` in [`rank_order`], whatever order a store found
/// them in.
pub fn best_first(mut rows: Vec<PlayerRow>, limit: usize) -> Vec<PlayerRow> {
    rows.sort_by(rank_order);
    rows.truncate(limit);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, affiliation: &str, balance: u64) -> PlayerRow {
        let coin = MarketCode::default_game_markets().swap_remove(0);
        PlayerRow {
            name: name.to_owned(),
            affiliation: affiliation.to_owned(),
            coins: [coin.clone(), coin.clone(), coin],
            balance,
        }
    }

    #[test]
    fn ranks_by_balance_descending_then_affiliation_then_name() {
        let mut rows = [
            row("b", "x", 5),
            row("a", "y", 5),
            row("c", "x", 9),
            row("a", "x", 5),
        ];
        rows.sort_by(rank_order);
        let order: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.affiliation.as_str(), r.name.as_str()))
            .collect();
        assert_eq!(order, [("x", "c"), ("x", "a"), ("x", "b"), ("y", "a")]);
    }

    #[test]
    fn the_start_balance_is_the_sum_of_the_three_buys() {
        let sum: f64 = BUY_MONEY_KRW.iter().sum();
        assert_eq!(sum, START_BALANCE_KRW as f64);
    }
}
