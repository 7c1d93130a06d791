//! Presence and JSON types of the contract's fields.

use super::*;

#[test]
fn every_field_of_the_contract_but_the_nickname_is_required() {
    let fields: Vec<String> = sample().as_object().unwrap().keys().cloned().collect();
    assert_eq!(fields.len(), 18);
    for field in fields.into_iter().filter(|field| field != "userNickname") {
        let body = sample_without("", &field);
        assert_eq!(problems(&body), [format!("{field}: is required")]);
    }
}

#[test]
fn accepts_the_nickname_absent_empty_or_null_as_no_nickname() {
    let absent = parse(&sample_without("", "userNickname")).unwrap();
    assert_eq!(absent.user_nickname, None);
    for none in [Value::from(""), Value::Null] {
        let record = parse(&sample_with("/userNickname", none)).unwrap();
        assert_eq!(record, absent);
    }
    let given = parse(SAMPLE.as_bytes()).unwrap();
    assert_eq!(
        given.user_nickname.as_ref().map(Nickname::as_str),
        Some("불타는개미")
    );
}

#[test]
fn accepts_the_frontends_real_game_record() {
    let body = include_str!("../../../tests/fixtures/frontend-game-record.json");
    let record = parse(body.as_bytes()).unwrap();
    assert_eq!(record.user_nickname, None);
    assert_eq!(record.deeplearning_data.len(), 9);
    assert_eq!(record.deeplearning_data[0].sell_up, Some(142_076_759.8));
    assert_eq!(record.deeplearning_data[0].sell_down, Some(141_663_240.2));
    assert_eq!(
        record.coins,
        [code("KRW-BTC"), code("KRW-ETH"), code("KRW-DOGE")]
    );
}

#[test]
fn every_nested_field_is_required() {
    let cases = [
        (
            "/userBuyCoinMoney_2",
            "money",
            "userBuyCoinMoney_2.money: is required",
        ),
        (
            "/userSellTime_3",
            "coin",
            "userSellTime_3.coin: is required",
        ),
        (
            "/deeplearningData/1",
            "rank",
            "deeplearningData[1].rank: is required",
        ),
        (
            "/deeplearningData/0",
            "most_volatile",
            "deeplearningData[0].most_volatile: is required",
        ),
    ];
    for (parent, key, expected) in cases {
        assert_eq!(problems(&sample_without(parent, key)), [expected]);
    }
}

#[test]
fn names_the_json_type_each_field_must_have() {
    let cases = [
        ("/userName", Value::from(5), "userName: must be a string"),
        (
            "/userAffiliation",
            Value::Null,
            "userAffiliation: must be a string",
        ),
        (
            "/remainingTime_1",
            Value::from("12"),
            "remainingTime_1: must be a number",
        ),
        (
            "/aiRecommend_1",
            Value::from("true"),
            "aiRecommend_1: must be a boolean",
        ),
        ("/coins", Value::from("BTC/KRW"), "coins: must be an array"),
        ("/coins/1", Value::from(7), "coins[1]: must be a string"),
        (
            "/userSellTime_1",
            serde_json::json!([]),
            "userSellTime_1: must be an object",
        ),
        (
            "/userBuyCoinMoney_2/money",
            Value::from("1e9"),
            "userBuyCoinMoney_2.money: must be a number",
        ),
        (
            "/deeplearningData/0",
            Value::from(1),
            "deeplearningData[0]: must be an object",
        ),
        (
            "/deeplearningData/0/largest_rise",
            Value::from(1),
            "deeplearningData[0].largest_rise: must be a boolean",
        ),
        (
            "/deeplearningData/2/percentage",
            Value::Null,
            "deeplearningData[2].percentage: must be a number",
        ),
        ("/leverage", Value::from("10"), "leverage: must be a number"),
        (
            "/balance",
            serde_json::json!({}),
            "balance: must be a number",
        ),
    ];
    for (pointer, replacement, expected) in cases {
        assert_eq!(problems(&sample_with(pointer, replacement)), [expected]);
    }
}
