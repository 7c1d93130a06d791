//! The typed game record: what `POST /set_click_stream` carries, after validation.
//!
//! Field names on the wire are the frontend's (`userName`, `remainingTime_1`, …) and must stay
//! byte-compatible, so every Rust field is renamed to its compat name. Coin ids are held as
//! [`MarketCode`]s, already normalised (`BTC/KRW` → `KRW-BTC`), so nothing downstream ever sees
//! the frontend's spelling.
//!
//! The derived `Deserialize` checks shape only (and normalises coin ids). Untrusted input goes
//! through [`parse_game_record`](super::parse_game_record), which enforces every limit and reports
//! every problem.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::limits::LEVERAGES;
use super::nickname::Nickname;
use crate::market::MarketCode;

/// One finished game, as the frontend reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameRecord {
    #[serde(rename = "userName")]
    pub user_name: String,
    #[serde(rename = "userAffiliation")]
    pub user_affiliation: String,
    /// The optional e-mail for prize delivery, never serialised (see [`Nickname`]): what
    /// travels on is the envelope's keyed hash of it.
    #[serde(rename = "userNickname", default, skip_serializing)]
    pub user_nickname: Option<Nickname>,
    /// Seconds left on the stage 1 timer when the player moved on.
    #[serde(rename = "remainingTime_1")]
    pub remaining_time_1: f64,
    #[serde(rename = "remainingTime_2")]
    pub remaining_time_2: f64,
    #[serde(rename = "remainingTime_3")]
    pub remaining_time_3: f64,
    /// The coins the player picked, in the order picked.
    pub coins: Vec<MarketCode>,
    /// The model's ranking of the markets, as shown to the player.
    #[serde(rename = "deeplearningData")]
    pub deeplearning_data: Vec<DeepLearningEntry>,
    /// Whether the player took the first AI hint.
    #[serde(rename = "aiRecommend_1")]
    pub ai_recommend_1: bool,
    #[serde(rename = "aiRecommend_2")]
    pub ai_recommend_2: bool,
    pub leverage: Leverage,
    #[serde(rename = "userBuyCoinMoney_1")]
    pub user_buy_coin_money_1: CoinBuy,
    #[serde(rename = "userBuyCoinMoney_2")]
    pub user_buy_coin_money_2: CoinBuy,
    #[serde(rename = "userBuyCoinMoney_3")]
    pub user_buy_coin_money_3: CoinBuy,
    #[serde(rename = "userSellTime_1")]
    pub user_sell_time_1: CoinSell,
    #[serde(rename = "userSellTime_2")]
    pub user_sell_time_2: CoinSell,
    #[serde(rename = "userSellTime_3")]
    pub user_sell_time_3: CoinSell,
    /// Final balance in KRW.
    pub balance: f64,
}

impl GameRecord {
    /// `remainingTime_1..3`, in stage order.
    pub fn remaining_times(&self) -> [f64; 3] {
        [
            self.remaining_time_1,
            self.remaining_time_2,
            self.remaining_time_3,
        ]
    }

    /// `userBuyCoinMoney_1..3`, in stage order.
    pub fn buys(&self) -> [&CoinBuy; 3] {
        [
            &self.user_buy_coin_money_1,
            &self.user_buy_coin_money_2,
            &self.user_buy_coin_money_3,
        ]
    }

    /// `userSellTime_1..3`, in stage order.
    pub fn sells(&self) -> [&CoinSell; 3] {
        [
            &self.user_sell_time_1,
            &self.user_sell_time_2,
            &self.user_sell_time_3,
        ]
    }
}

/// One market in the model's ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepLearningEntry {
    pub code: MarketCode,
    pub fastest_decline: bool,
    pub fastest_growth: bool,
    pub largest_drop: bool,
    pub largest_rise: bool,
    pub largest_spike: bool,
    pub least_volatile: bool,
    pub most_volatile: bool,
    /// The model's predicted change, in percent.
    pub percentage: f64,
    /// 1-based position in the ranking.
    pub rank: u32,
    /// The hint's "good time to sell" price (KRW): the trading screen lights when the live
    /// price rises above it. Absent from older records and older hint writers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sell_up: Option<f64>,
    /// The hint's "stop loss" price (KRW), lit when the live price falls below it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sell_down: Option<f64>,
}

/// How much the player put into a coin in one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoinBuy {
    pub coin: MarketCode,
    /// KRW; one of [`BUY_AMOUNTS_KRW`](super::limits::BUY_AMOUNTS_KRW).
    pub money: f64,
}

/// When the player sold a coin in one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoinSell {
    pub coin: MarketCode,
    /// Seconds left in the trading window when sold.
    pub time: f64,
}

/// The leverage the player chose. An enum rather than a number so that analysis can rely on
/// there being exactly four groups; on the wire it is the plain multiplier (`1`, `10`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Leverage {
    X1,
    X10,
    X100,
    X1000,
}

impl Leverage {
    /// Every leverage, ascending: the order the analysis reports them in.
    pub const ALL: [Leverage; 4] = [Leverage::X1, Leverage::X10, Leverage::X100, Leverage::X1000];

    /// The multiplier as the frontend sends it.
    pub const fn multiplier(self) -> u32 {
        match self {
            Leverage::X1 => LEVERAGES[0],
            Leverage::X10 => LEVERAGES[1],
            Leverage::X100 => LEVERAGES[2],
            Leverage::X1000 => LEVERAGES[3],
        }
    }

    /// The leverage with this multiplier, if the game offers it.
    pub fn from_multiplier(multiplier: u32) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|leverage| leverage.multiplier() == multiplier)
    }

    /// Accepts a JSON number's value. `10.0` is ten (JavaScript has no integer type, and some
    /// serialisers write whole floats with a fraction); `10.5` is nothing the game offers.
    pub fn from_f64(value: f64) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|leverage| f64::from(leverage.multiplier()) == value)
    }

    /// What a rejected value is told: the offered multipliers.
    pub(crate) fn expected() -> String {
        let listed: Vec<String> = LEVERAGES.iter().map(u32::to_string).collect();
        format!("must be one of {}", listed.join(", "))
    }
}

impl fmt::Display for Leverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.multiplier())
    }
}

impl Serialize for Leverage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.multiplier())
    }
}

impl<'de> Deserialize<'de> for Leverage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LeverageVisitor)
    }
}

struct LeverageVisitor;

impl Visitor<'_> for LeverageVisitor {
    type Value = Leverage;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a leverage: one of 1, 10, 100, 1000")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Leverage, E> {
        u32::try_from(value)
            .ok()
            .and_then(Leverage::from_multiplier)
            .ok_or_else(|| E::custom(format_args!("leverage {}", Leverage::expected())))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Leverage, E> {
        u32::try_from(value)
            .ok()
            .and_then(Leverage::from_multiplier)
            .ok_or_else(|| E::custom(format_args!("leverage {}", Leverage::expected())))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Leverage, E> {
        Leverage::from_f64(value)
            .ok_or_else(|| E::custom(format_args!("leverage {}", Leverage::expected())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::limits::LEVERAGES;

    #[test]
    fn leverages_match_the_limits_in_ascending_order() {
        let multipliers: Vec<u32> = Leverage::ALL.iter().map(|l| l.multiplier()).collect();
        assert_eq!(multipliers, LEVERAGES);
    }

    #[test]
    fn leverage_serialises_as_a_plain_number() {
        assert_eq!(serde_json::to_string(&Leverage::X100).unwrap(), "100");
    }

    #[test]
    fn leverage_deserialises_from_whole_numbers_only() {
        assert_eq!(
            serde_json::from_str::<Leverage>("10").unwrap(),
            Leverage::X10
        );
        assert_eq!(
            serde_json::from_str::<Leverage>("10.0").unwrap(),
            Leverage::X10
        );
        assert!(serde_json::from_str::<Leverage>("10.5").is_err());
        assert!(serde_json::from_str::<Leverage>("5").is_err());
        assert!(serde_json::from_str::<Leverage>("-1").is_err());
        assert!(serde_json::from_str::<Leverage>("\"10\"").is_err());
    }

    /// The contract's fields, in the order docs/DESIGN.md lists them, less `userNickname` (personal
    /// data: never serialised).
    const CONTRACT_FIELDS: [&str; 17] = [
        "userName",
        "userAffiliation",
        "remainingTime_1",
        "remainingTime_2",
        "remainingTime_3",
        "coins",
        "deeplearningData",
        "aiRecommend_1",
        "aiRecommend_2",
        "leverage",
        "userBuyCoinMoney_1",
        "userBuyCoinMoney_2",
        "userBuyCoinMoney_3",
        "userSellTime_1",
        "userSellTime_2",
        "userSellTime_3",
        "balance",
    ];

    fn sample_record() -> GameRecord {
        serde_json::from_str(include_str!("../../tests/fixtures/game_record_valid.json")).unwrap()
    }

    #[test]
    fn serialises_exactly_the_contract_fields_in_contract_order() {
        let text = serde_json::to_string(&sample_record()).unwrap();
        let positions: Vec<usize> = CONTRACT_FIELDS
            .iter()
            .map(|key| text.find(&format!("\"{key}\":")).unwrap())
            .collect();
        assert!(
            positions.is_sorted(),
            "fields out of contract order: {text}"
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value.as_object().unwrap().len(), CONTRACT_FIELDS.len());
    }

    #[test]
    fn never_serialises_the_nickname() {
        let record = sample_record();
        assert_eq!(
            record.user_nickname.as_ref().map(Nickname::as_str),
            Some("불타는개미")
        );
        let text = serde_json::to_string(&record).unwrap();
        assert!(!text.contains("userNickname"), "{text}");
        assert!(!text.contains("불타는개미"), "{text}");
        assert!(!format!("{record:?}").contains("불타는개미"));
    }

    #[test]
    fn stores_coin_ids_as_market_codes() {
        let json = serde_json::to_value(sample_record()).unwrap();
        assert_eq!(json["coins"][0], "KRW-BTC");
        assert_eq!(json["userBuyCoinMoney_1"]["coin"], "KRW-BTC");
        assert_eq!(json["userSellTime_3"]["coin"], "KRW-DOGE");
        assert_eq!(json["deeplearningData"][1]["code"], "KRW-ETH");
    }

    #[test]
    fn groups_the_numbered_fields_in_stage_order() {
        let record = sample_record();
        assert_eq!(
            record.remaining_times(),
            [
                record.remaining_time_1,
                record.remaining_time_2,
                record.remaining_time_3
            ]
        );
        assert_eq!(record.buys()[1], &record.user_buy_coin_money_2);
        assert_eq!(record.sells()[2], &record.user_sell_time_3);
    }
}
