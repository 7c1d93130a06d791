//! Numbers: leverage, stage times, buy amounts, balance, ranks, the ranking's length.

use super::*;

#[test]
fn accepts_leverage_10_written_as_10_0() {
    let record = parse(&sample_with("/leverage", serde_json::json!(10.0))).unwrap();
    assert_eq!(record.leverage, Leverage::X10);
}

#[test]
fn accepts_each_offered_leverage() {
    for leverage in Leverage::ALL {
        let body = sample_with("/leverage", Value::from(leverage.multiplier()));
        assert_eq!(parse(&body).unwrap().leverage, leverage);
    }
}

#[test]
fn refuses_a_leverage_the_game_does_not_offer() {
    for bad in [
        serde_json::json!(10.5),
        serde_json::json!(5),
        serde_json::json!(0),
        serde_json::json!(-10),
    ] {
        assert_eq!(
            problems(&sample_with("/leverage", bad.clone())),
            ["leverage: must be one of 1, 10, 100, 1000"],
            "{bad}"
        );
    }
}

#[test]
fn keeps_stage_times_within_the_90_second_timer() {
    for edge in [0.0, 90.0] {
        assert!(parse(&sample_with("/remainingTime_2", Value::from(edge))).is_ok());
    }
    for bad in [-0.1, 90.1, 1e300] {
        assert_eq!(
            problems(&sample_with("/remainingTime_2", Value::from(bad))),
            ["remainingTime_2: must be between 0 and 90 seconds"]
        );
        assert_eq!(
            problems(&sample_with("/userSellTime_1/time", Value::from(bad))),
            ["userSellTime_1.time: must be between 0 and 90 seconds"]
        );
    }
}

#[test]
fn accepts_only_the_offered_buy_amounts_however_written() {
    for written in ["1e9", "500000000", "1.0e8", "100000000.0"] {
        let body = SAMPLE.replace("\"money\": 1000000000", &format!("\"money\": {written}"));
        assert!(parse(body.as_bytes()).is_ok(), "{written}");
    }
    assert_eq!(
        problems(&sample_with("/userBuyCoinMoney_1/money", Value::from(2e8))),
        ["userBuyCoinMoney_1.money: must be one of 1000000000, 500000000, 100000000 (KRW)"]
    );
}

#[test]
fn keeps_the_balance_between_zero_and_a_quadrillion() {
    for good in [0.0, 1e15] {
        assert!(
            parse(&sample_with("/balance", Value::from(good))).is_ok(),
            "{good}"
        );
    }
    assert_eq!(
        problems(&sample_with("/balance", Value::from(-0.01))),
        ["balance: must not be negative"]
    );
    assert_eq!(
        problems(&sample_with("/balance", Value::from(1.000_000_1e15))),
        ["balance: must be at most 1000000000000000 (KRW)"]
    );
}

#[test]
fn requires_a_whole_rank_from_1_to_1000() {
    assert_eq!(
        parse(&sample_with(
            "/deeplearningData/1/rank",
            serde_json::json!(7.0)
        ))
        .unwrap()
        .deeplearning_data[1]
            .rank,
        7
    );
    assert_eq!(
        problems(&sample_with("/deeplearningData/1/rank", Value::from(2.5))),
        ["deeplearningData[1].rank: must be an integer"]
    );
    for bad in [0, 1001, -1] {
        assert_eq!(
            problems(&sample_with("/deeplearningData/1/rank", Value::from(bad))),
            ["deeplearningData[1].rank: must be between 1 and 1000"]
        );
    }
}

#[test]
fn allows_up_to_50_ranked_markets() {
    let entry = sample()["deeplearningData"][0].clone();
    let fifty = Value::Array(vec![entry.clone(); 50]);
    assert_eq!(
        parse(&sample_with("/deeplearningData", fifty))
            .unwrap()
            .deeplearning_data
            .len(),
        50
    );
    assert!(parse(&sample_with("/deeplearningData", serde_json::json!([]))).is_ok());
    let fifty_one = Value::Array(vec![serde_json::json!("not even an object"); 51]);
    assert_eq!(
        problems(&sample_with("/deeplearningData", fifty_one)),
        ["deeplearningData: must have at most 50 entries (got 51)"]
    );
}
