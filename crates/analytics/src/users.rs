//! Per-player summaries (`analysis/users/<userName>.json`) from per-player aggregates.
//!
//! Like `results.rs`, pure: the engine supplies [`PlayerAggregate`]s and the population context,
//! this module decides the JSON. Definitions (docs/ANALYTICS.md):
//! - return = `(balance - 1.6e9) / 1.6e9 × 100` (every game starts with 1.6 billion KRW);
//! - `percentile_games` = share (%) of all games whose balance is strictly below the player's best;
//! - `percentile_players` = share (%) of all players whose best balance is strictly below theirs.

use serde_json::{Value, json};

use crate::results::{LEVERAGES, ratio};

/// The balance every game starts with, in KRW.
pub const START_BALANCE_KRW: f64 = 1.6e9;

/// One player's games reduced by the engine.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlayerAggregate {
    pub user_name: String,
    pub games: u64,
    pub best_balance: f64,
    pub avg_balance: f64,
    pub ai_recommend_1_used: u64,
    pub ai_recommend_2_used: u64,
    pub avg_sell_time: [f64; 3],
    /// Games of this player in the top 10 %.
    pub top_games: u64,
    /// `(leverage, games)` for the leverages this player chose.
    pub leverage: Vec<(i64, u64)>,
    /// `(market code, picks)` over this player's `coins`.
    pub coin_picks: Vec<(String, u64)>,
    /// Games of anybody with a balance strictly below this player's best.
    pub games_below_best: u64,
    /// Players whose best balance is strictly below this player's best.
    pub players_below: u64,
}

/// What a player is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PopulationContext {
    pub games: u64,
    pub players: u64,
    /// Mean `user_sell_time_1..3.time` over all games (0 when none).
    pub avg_sell_time: [f64; 3],
    /// The same over the top 10 %.
    pub top_avg_sell_time: [f64; 3],
    /// The 0.9 quantile of balance (0 when there are no games).
    pub top_threshold: f64,
}

/// The return on the start balance, in percent.
pub fn return_pct(balance: f64) -> f64 {
    (balance - START_BALANCE_KRW) / START_BALANCE_KRW * 100.0
}

fn sell_times(times: [f64; 3]) -> Value {
    json!({"avg_sell_time_1": times[0], "avg_sell_time_2": times[1], "avg_sell_time_3": times[2]})
}

/// The JSON document of one player.
pub fn player_summary(player: &PlayerAggregate, context: &PopulationContext) -> Value {
    let mut coins: Vec<&(String, u64)> = player.coin_picks.iter().collect();
    coins.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let picks: u64 = coins.iter().map(|c| c.1).sum();
    let coins: Vec<Value> = coins
        .into_iter()
        .map(|(coin, count)| json!({"coin": coin, "count": count, "ratio": ratio(*count, picks)}))
        .collect();
    let leverage: Vec<Value> = LEVERAGES
        .iter()
        .map(|level| {
            let count = player
                .leverage
                .iter()
                .find(|(l, _)| l == level)
                .map_or(0, |(_, c)| *c);
            json!({"leverage": level, "count": count, "ratio": ratio(count, player.games)})
        })
        .collect();
    json!({
        "userName": player.user_name,
        "games": player.games,
        "start_balance": START_BALANCE_KRW,
        "best_balance": player.best_balance,
        "avg_balance": player.avg_balance,
        "best_return_pct": return_pct(player.best_balance),
        "avg_return_pct": return_pct(player.avg_balance),
        "percentile_games": ratio(player.games_below_best, context.games),
        "percentile_players": ratio(player.players_below, context.players),
        "top_10_percent_threshold": context.top_threshold,
        "top_10_percent_games": player.top_games,
        "coins": coins,
        "leverage": leverage,
        "ai_recommend_1": {"used": player.ai_recommend_1_used, "ratio": ratio(player.ai_recommend_1_used, player.games)},
        "ai_recommend_2": {"used": player.ai_recommend_2_used, "ratio": ratio(player.ai_recommend_2_used, player.games)},
        "sell_time": {
            "player": sell_times(player.avg_sell_time),
            "population": sell_times(context.avg_sell_time),
            "top_10_percent": sell_times(context.top_avg_sell_time),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_computes_returns_percentiles_and_complete_leverage() {
        let player = PlayerAggregate {
            user_name: "kim".to_owned(),
            games: 2,
            best_balance: 3.2e9,
            avg_balance: 2.4e9,
            ai_recommend_1_used: 1,
            ai_recommend_2_used: 0,
            avg_sell_time: [10.0, 20.0, 30.0],
            top_games: 1,
            leverage: vec![(10, 2)],
            coin_picks: vec![("KRW-ETH".to_owned(), 1), ("KRW-BTC".to_owned(), 3)],
            games_below_best: 3,
            players_below: 1,
        };
        let context = PopulationContext {
            games: 4,
            players: 2,
            avg_sell_time: [1.0, 2.0, 3.0],
            top_avg_sell_time: [4.0, 5.0, 6.0],
            top_threshold: 3.0e9,
        };
        let summary = player_summary(&player, &context);
        assert_eq!(summary["best_return_pct"], json!(100.0));
        assert_eq!(summary["avg_return_pct"], json!(50.0));
        assert_eq!(summary["percentile_games"], json!(75.0));
        assert_eq!(summary["percentile_players"], json!(50.0));
        assert_eq!(
            summary["coins"],
            json!([
                {"coin": "KRW-BTC", "count": 3, "ratio": 75.0},
                {"coin": "KRW-ETH", "count": 1, "ratio": 25.0},
            ])
        );
        assert_eq!(summary["leverage"].as_array().unwrap().len(), 4);
        assert_eq!(
            summary["leverage"][1],
            json!({"leverage": 10, "count": 2, "ratio": 100.0})
        );
        assert_eq!(summary["ai_recommend_1"], json!({"used": 1, "ratio": 50.0}));
        assert_eq!(
            summary["sell_time"]["top_10_percent"]["avg_sell_time_3"],
            json!(6.0)
        );
    }
}
