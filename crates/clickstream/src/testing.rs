//! Deterministic valid game records, for tests and benches across the workspace.

use coinking_core::game::{
    ClickEnvelope, CoinBuy, CoinSell, DeepLearningEntry, GameRecord, Leverage,
};
use coinking_core::market::{DEFAULT_GAME_MARKETS, MarketCode};
use uuid::Uuid;

fn market(index: u64) -> MarketCode {
    let name = DEFAULT_GAME_MARKETS[(index % DEFAULT_GAME_MARKETS.len() as u64) as usize];
    MarketCode::parse(name).unwrap_or_else(|_| unreachable!("{name} is a market code"))
}

/// A valid record that varies with `index` (names, coins, leverage, times, ranking), with nine
/// ranked markets like the real game.
pub fn synthetic_record(index: u64) -> GameRecord {
    let seconds = |salt: u64| ((index * 7 + salt * 13) % 901) as f64 / 10.0;
    let coins: Vec<MarketCode> = (0..3).map(|stage| market(index + stage)).collect();
    let deeplearning_data = (0..9)
        .map(|rank| DeepLearningEntry {
            code: market(rank + index),
            fastest_decline: rank == 8,
            fastest_growth: rank == 0,
            largest_drop: (index + rank) % 5 == 0,
            largest_rise: (index + rank) % 7 == 0,
            largest_spike: rank == 3,
            least_volatile: rank == 4,
            most_volatile: (index + rank) % 3 == 0,
            percentage: (rank as f64 - 4.0) * 1.25 + (index % 10) as f64 / 100.0,
            rank: rank as u32 + 1,
            // Like the live hints: a band around the price; older records had none.
            sell_up: (index % 4 != 0).then(|| 1e6 * (rank + 1) as f64 + 0.25),
            sell_down: (index % 4 != 0).then(|| 1e6 * (rank + 1) as f64 - 0.25),
        })
        .collect();
    let amounts = [1e9, 5e8, 1e8];
    GameRecord {
        user_name: format!("player-{}", index % 1000),
        user_affiliation: format!("코인킹대학교 {}", index % 17),
        user_nickname: None,
        remaining_time_1: seconds(1),
        remaining_time_2: seconds(2),
        remaining_time_3: seconds(3),
        deeplearning_data,
        ai_recommend_1: index % 2 == 0,
        ai_recommend_2: index % 3 == 0,
        leverage: Leverage::ALL[(index % 4) as usize],
        user_buy_coin_money_1: CoinBuy {
            coin: coins[0].clone(),
            money: amounts[(index % 3) as usize],
        },
        user_buy_coin_money_2: CoinBuy {
            coin: coins[1].clone(),
            money: amounts[((index + 1) % 3) as usize],
        },
        user_buy_coin_money_3: CoinBuy {
            coin: coins[2].clone(),
            money: amounts[((index + 2) % 3) as usize],
        },
        user_sell_time_1: CoinSell {
            coin: coins[0].clone(),
            time: seconds(4),
        },
        user_sell_time_2: CoinSell {
            coin: coins[1].clone(),
            time: seconds(5),
        },
        user_sell_time_3: CoinSell {
            coin: coins[2].clone(),
            time: seconds(6),
        },
        coins,
        balance: 3e9 * ((index % 200) as f64 / 100.0) + 0.5,
    }
}

/// [`synthetic_record`] in an envelope with a deterministic event id and, for two games in three,
/// a nickname hash (a player who gave an e-mail; the others left it empty).
pub fn synthetic_envelope(index: u64, received_at_ms: i64) -> ClickEnvelope {
    let event_id = Uuid::from_u64_pair(0x636f_696e_6b69_6e67, index);
    let nickname_hash = (index % 3 != 0).then(|| format!("{:064x}", u128::from(index) * 0x9e37));
    ClickEnvelope::new(synthetic_record(index), event_id, received_at_ms)
        .with_nickname_hash(nickname_hash)
}
