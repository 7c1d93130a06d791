//! Coins: repeated and untraded coins, repeated keys, hint prices, market codes and game markets.

use super::*;

#[test]
fn refuses_the_same_coin_chosen_twice_in_any_spelling() {
    let body = sample_with(
        "/coins",
        serde_json::json!(["BTC/KRW", "ETH/KRW", "krw-btc"]),
    );
    assert_eq!(
        problems(&body),
        // The coins being invalid, which were bought is not asked of them.
        ["coins[2]: must not repeat coins[0] (the same coin chosen twice)"]
    );
}

#[test]
fn refuses_a_bought_or_sold_coin_that_was_not_chosen() {
    let mut body = sample();
    body["userBuyCoinMoney_2"]["coin"] = Value::from("SOL/KRW");
    body["userSellTime_3"]["coin"] = Value::from("KRW-XRP");
    assert_eq!(
        problems(&serde_json::to_vec(&body).unwrap()),
        [
            "userBuyCoinMoney_2.coin: must be one of the chosen coins (KRW-BTC, KRW-ETH, KRW-DOGE)",
            "userSellTime_3.coin: must be one of the chosen coins (KRW-BTC, KRW-ETH, KRW-DOGE)",
        ]
    );
}

#[test]
fn refuses_a_key_given_twice_at_the_top_or_deeper() {
    let top = format!("{{\"balance\": 0,{}", &SAMPLE.trim_start()[1..]);
    assert_eq!(
        problems(top.as_bytes()),
        ["balance: must not be given more than once (duplicate key)"]
    );
    let nested = SAMPLE.replacen(
        "\"money\": 500000000",
        "\"money\": 500000000, \"money\": 1000000000",
        1,
    );
    assert_ne!(nested, SAMPLE);
    assert_eq!(
        problems(nested.as_bytes()),
        ["userBuyCoinMoney_2.money: must not be given more than once (duplicate key)"]
    );
    let in_a_hint = SAMPLE.replacen("\"rank\": 2", "\"rank\": 2, \"rank\": 2", 1);
    assert_ne!(in_a_hint, SAMPLE);
    assert_eq!(
        problems(in_a_hint.as_bytes()),
        ["deeplearningData[1].rank: must not be given more than once (duplicate key)"]
    );
}

// ---- hint prices ----

#[test]
fn keeps_hint_prices_and_refuses_negative_or_non_numeric_ones() {
    let mut body = sample();
    body["deeplearningData"][0]["sell_up"] = Value::from(142_076_759.8);
    body["deeplearningData"][0]["sell_down"] = Value::from(0);
    let record = parse(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert_eq!(record.deeplearning_data[0].sell_up, Some(142_076_759.8));
    assert_eq!(record.deeplearning_data[0].sell_down, Some(0.0));
    assert_eq!(record.deeplearning_data[1].sell_up, None);
    body["deeplearningData"][0]["sell_up"] = Value::from(-1);
    body["deeplearningData"][2]["sell_down"] = Value::from("1");
    assert_eq!(
        problems(&serde_json::to_vec(&body).unwrap()),
        [
            "deeplearningData[0].sell_up: must not be negative",
            "deeplearningData[2].sell_down: must be a number",
        ]
    );
}

// ---- coins ----

#[test]
fn refuses_a_coin_id_that_is_not_a_market_code_with_the_reason() {
    let body = sample_with("/coins/1", Value::from("ETH"));
    assert_eq!(
        problems(&body),
        [
            "coins[1]: is not a market code: is not of the form QUOTE-BASE (e.g. KRW-BTC) \
              or BASE/QUOTE (e.g. BTC/KRW)"
        ]
    );
    let body = sample_with("/userBuyCoinMoney_2/coin", Value::from("ETH/EUR"));
    assert_eq!(
        problems(&body),
        [
            "userBuyCoinMoney_2.coin: is not a market code: quote currency `EUR` is not one of \
              KRW, BTC, USDT"
        ]
    );
}

#[test]
fn refuses_a_coin_id_over_32_bytes_before_normalising_it() {
    let body = sample_with("/deeplearningData/0/code", Value::from("K".repeat(33)));
    assert_eq!(
        problems(&body),
        ["deeplearningData[0].code: must be at most 32 bytes (got 33)"]
    );
}

#[test]
fn requires_one_to_three_coins() {
    assert_eq!(
        problems(&sample_with("/coins", serde_json::json!([]))),
        ["coins: must not be empty"]
    );
    let four = serde_json::json!(["BTC/KRW", "ETH/KRW", "DOGE/KRW", "SOL/KRW"]);
    assert_eq!(
        problems(&sample_with("/coins", four)),
        ["coins: must have 1 to 3 entries (got 4)"]
    );
    // One coin is a game too, when every buy and sell is of it.
    let mut one = sample();
    one["coins"] = serde_json::json!(["SOL/KRW"]);
    for stage in 1..=3 {
        one[format!("userBuyCoinMoney_{stage}")]["coin"] = Value::from("SOL/KRW");
        one[format!("userSellTime_{stage}")]["coin"] = Value::from("SOL/KRW");
    }
    assert!(parse(&serde_json::to_vec(&one).unwrap()).is_ok());
}

#[test]
fn any_well_formed_market_is_a_coin_by_default() {
    let mut body = sample();
    for pointer in [
        "/coins/0",
        "/userBuyCoinMoney_1/coin",
        "/userSellTime_1/coin",
    ] {
        *body.pointer_mut(pointer).unwrap() = Value::from("ADA/KRW");
    }
    let record = parse(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert_eq!(record.coins[0], code("KRW-ADA"));
}

#[test]
fn refuses_traded_coins_outside_the_game_markets_when_they_are_configured() {
    let rules = RecordRules::with_game_markets([code("KRW-BTC"), code("KRW-ETH")]);
    let error = parse_game_record(SAMPLE.as_bytes(), &rules).unwrap_err();
    let found: Vec<String> = error.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        found,
        [
            "coins[2]: is not a game market",
            "userBuyCoinMoney_3.coin: is not a game market",
            "userSellTime_3.coin: is not a game market",
        ]
    );
}

#[test]
fn does_not_hold_the_models_ranking_to_the_game_markets() {
    let rules = RecordRules::with_game_markets(MarketCode::default_game_markets());
    let body = sample_with("/deeplearningData/0/code", Value::from("KRW-ADA"));
    assert!(parse_game_record(&body, &rules).is_ok());
}
