#![allow(clippy::unwrap_used)]
//! Properties of game-record parsing: it never panics, whatever it is given, and every valid
//! record (and envelope) survives a trip through JSON unchanged, except the nickname, which no
//! serialised form carries.

use std::collections::BTreeSet;

use coinking_core::game::limits::{
    BUY_AMOUNTS_KRW, DEEP_LEARNING_RANK, MAX_BALANCE_KRW, STAGE_SECONDS,
};
use coinking_core::game::{
    ClickEnvelope, CoinBuy, CoinSell, DeepLearningEntry, GameRecord, Leverage, RecordError,
    RecordRules, parse_envelope, parse_game_record,
};
use coinking_core::market::{MarketCode, QUOTE_CURRENCIES};
use coinking_core::player::{PlayerField, is_valid_player_text};
use proptest::prelude::*;
use serde_json::{Map, Value};
use uuid::Uuid;

const SAMPLE: &str = include_str!("fixtures/game_record_valid.json");

const FIELDS: [&str; 18] = [
    "userName",
    "userAffiliation",
    "userNickname",
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

// ---- strategies: valid values ----

fn market_code() -> impl Strategy<Value = MarketCode> {
    (
        prop::sample::select(QUOTE_CURRENCIES.to_vec()),
        "[A-Z0-9]{1,15}",
    )
        .prop_map(|(quote, base)| MarketCode::parse(&format!("{quote}-{base}")).unwrap())
}

/// Any finite f64, including subnormals and negative zero: the hard cases for a round trip.
fn finite_f64() -> impl Strategy<Value = f64> {
    use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO
}

fn within(low: f64, high: f64) -> impl Strategy<Value = f64> {
    prop_oneof![Just(low), Just(high), low..=high]
}

fn seconds() -> impl Strategy<Value = f64> {
    within(0.0, STAGE_SECONDS)
}

fn deep_learning_entry() -> impl Strategy<Value = DeepLearningEntry> {
    (
        market_code(),
        prop::array::uniform7(any::<bool>()),
        finite_f64(),
        DEEP_LEARNING_RANK,
    )
        .prop_flat_map(|fields| {
            let price = prop::option::of(prop_oneof![Just(0.0), 0.0..1e12]);
            (Just(fields), price.clone(), price)
        })
        .prop_map(
            |((code, flags, percentage, rank), sell_up, sell_down)| DeepLearningEntry {
                code,
                fastest_decline: flags[0],
                fastest_growth: flags[1],
                largest_drop: flags[2],
                largest_rise: flags[3],
                largest_spike: flags[4],
                least_volatile: flags[5],
                most_volatile: flags[6],
                percentage,
                rank,
                sell_up,
                sell_down,
            },
        )
}

/// A trimmed text the one player rule accepts (what a parsed record holds).
fn player_text(field: PlayerField) -> impl Strategy<Value = String> {
    "[^\\p{Cc}\\s]([^\\p{Cc}]{0,28}[^\\p{Cc}\\s])?"
        .prop_filter("refused by the player rule", move |text| {
            is_valid_player_text(field, text) && text.trim() == text
        })
}

prop_compose! {
    fn game_record()(
        (user_name, user_affiliation) in (
            player_text(PlayerField::Name),
            player_text(PlayerField::Affiliation),
        ),
        remaining_times in prop::array::uniform3(seconds()),
        coins in prop::collection::btree_set(market_code(), 1..=3),
        deeplearning_data in prop::collection::vec(deep_learning_entry(), 0..=50),
        ai_recommend in prop::array::uniform2(any::<bool>()),
        leverage in prop::sample::select(Leverage::ALL.to_vec()),
        buys in prop::array::uniform3((
            any::<prop::sample::Index>(),
            prop::sample::select(BUY_AMOUNTS_KRW.to_vec()),
        )),
        sells in prop::array::uniform3((any::<prop::sample::Index>(), seconds())),
        balance in within(0.0, MAX_BALANCE_KRW),
    ) -> GameRecord {
        // Distinct coins, in a shuffled-enough order; bought and sold coins are chosen ones.
        let coins: Vec<MarketCode> = coins.into_iter().rev().collect();
        let chosen = |at: &prop::sample::Index| coins[at.index(coins.len())].clone();
        let buy = |(at, money): &(prop::sample::Index, f64)| CoinBuy { coin: chosen(at), money: *money };
        let sell = |(at, time): &(prop::sample::Index, f64)| CoinSell { coin: chosen(at), time: *time };
        let [buy_1, buy_2, buy_3] = buys.each_ref().map(buy);
        let [sell_1, sell_2, sell_3] = sells.each_ref().map(sell);
        GameRecord {
            user_name,
            user_affiliation,
            // Never serialised, so a record that survives the trip has none.
            user_nickname: None,
            remaining_time_1: remaining_times[0],
            remaining_time_2: remaining_times[1],
            remaining_time_3: remaining_times[2],
            coins,
            deeplearning_data,
            ai_recommend_1: ai_recommend[0],
            ai_recommend_2: ai_recommend[1],
            leverage,
            user_buy_coin_money_1: buy_1,
            user_buy_coin_money_2: buy_2,
            user_buy_coin_money_3: buy_3,
            user_sell_time_1: sell_1,
            user_sell_time_2: sell_2,
            user_sell_time_3: sell_3,
            balance,
        }
    }
}

fn click_envelope() -> impl Strategy<Value = ClickEnvelope> {
    (
        game_record(),
        any::<[u8; 16]>(),
        any::<i64>(),
        prop::option::of("[0-9a-f]{64}"),
    )
        .prop_map(|(record, id, received_at, nickname_hash)| {
            ClickEnvelope::new(record, Uuid::from_bytes(id), received_at)
                .with_nickname_hash(nickname_hash)
        })
}

// ---- strategies: anything at all ----

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        finite_f64().prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        Just(Value::from("BTC/KRW")),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// An object whose keys are mostly the contract's own, so the walk goes deep.
fn record_shaped_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        4 => prop::sample::select(FIELDS.to_vec()).prop_map(str::to_owned),
        1 => ".{0,12}",
    ];
    prop::collection::vec((key, any_json()), 0..24)
        .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>()))
}

fn sample() -> Value {
    serde_json::from_str(SAMPLE).unwrap()
}

fn parse(body: &[u8]) -> Result<GameRecord, RecordError> {
    parse_game_record(body, &RecordRules::default())
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse(&body);
        let _ = parse_envelope(&body);
    }

    #[test]
    fn never_panics_on_the_sample_with_bytes_flipped(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut body = SAMPLE.as_bytes().to_vec();
        for (at, byte) in flips {
            let index = at.index(body.len());
            body[index] = byte;
        }
        let _ = parse(&body);
    }

    #[test]
    fn never_panics_on_arbitrary_json(value in any_json()) {
        let _ = parse(&serde_json::to_vec(&value).unwrap());
        let _ = parse_envelope(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn never_panics_on_record_shaped_json(value in record_shaped_json()) {
        let _ = parse(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn a_bad_field_is_blamed_on_that_field_alone(
        field in prop::sample::select(FIELDS.to_vec()),
        replacement in any_json(),
    ) {
        let mut body = sample();
        body[field] = replacement;
        if let Err(error) = parse(&serde_json::to_vec(&body).unwrap()) {
            let RecordError::Invalid(problems) = error else {
                return Err(TestCaseError::fail(format!("expected problems, got {error:?}")));
            };
            prop_assert!(!problems.is_empty());
            for problem in problems {
                let blames_the_field = problem.path == field
                    || problem.path.starts_with(&format!("{field}."))
                    || problem.path.starts_with(&format!("{field}["));
                // The one rule across fields: a bought or sold coin must be a chosen one, so
                // other `coins` make those coins wrong.
                let blames_a_trade_of_the_coins = field == "coins"
                    && problem.path.ends_with(".coin")
                    && problem.rule.starts_with("must be one of the chosen coins");
                let blames_the_field = blames_the_field || blames_a_trade_of_the_coins;
                prop_assert!(blames_the_field, "{problem} after replacing {field}");
            }
        }
    }

    #[test]
    fn allowed_markets_only_ever_remove_traded_coins(
        allowed in prop::collection::btree_set(
            prop::sample::select(MarketCode::default_game_markets()),
            0..9,
        ),
    ) {
        let rules = RecordRules { allowed_markets: Some(allowed.clone()) };
        let traded: BTreeSet<MarketCode> =
            ["KRW-BTC", "KRW-ETH", "KRW-DOGE"].map(|c| MarketCode::parse(c).unwrap()).into();
        match parse_game_record(SAMPLE.as_bytes(), &rules) {
            Ok(_) => prop_assert!(traded.is_subset(&allowed)),
            Err(error) => {
                prop_assert!(!traded.is_subset(&allowed));
                for problem in error.problems() {
                    prop_assert_eq!(&problem.rule, "is not a game market");
                }
            }
        }
    }

    #[test]
    fn a_nickname_never_survives_serialisation(nickname in "[^\\p{Cc}]{1,64}") {
        let mut body = sample();
        body["userNickname"] = Value::from(nickname.clone());
        let record = parse(&serde_json::to_vec(&body).unwrap()).unwrap();
        prop_assert_eq!(record.user_nickname.as_ref().map(|n| n.as_str()), Some(nickname.as_str()));
        let text = serde_json::to_string(&record).unwrap();
        prop_assert!(!text.contains("userNickname"));
        let envelope = ClickEnvelope::new(record, Uuid::nil(), 0);
        prop_assert_eq!(envelope.record.user_nickname.as_ref(), None);
        prop_assert!(!serde_json::to_string(&envelope).unwrap().contains("userNickname"));
    }

    #[test]
    fn a_valid_record_survives_a_trip_through_json(record in game_record()) {
        let body = serde_json::to_vec(&record).unwrap();
        prop_assert_eq!(parse(&body), Ok(record));
    }

    #[test]
    fn a_valid_envelope_survives_a_trip_through_json(envelope in click_envelope()) {
        let bytes = serde_json::to_vec(&envelope).unwrap();
        prop_assert_eq!(parse_envelope(&bytes), Ok(envelope));
    }
}

#[test]
fn the_sample_fixture_is_a_valid_record() {
    let record = parse(SAMPLE.as_bytes()).unwrap();
    assert_eq!(record.user_name, "김철수");
    assert_eq!(
        record
            .coins
            .iter()
            .map(MarketCode::as_str)
            .collect::<Vec<_>>(),
        ["KRW-BTC", "KRW-ETH", "KRW-DOGE"]
    );
}
