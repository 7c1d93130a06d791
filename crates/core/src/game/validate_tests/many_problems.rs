//! Records with many problems, and how errors display.

use super::*;

#[test]
fn reports_every_problem_in_the_order_of_the_contract() {
    let mut body = sample();
    body["balance"] = Value::from(-5);
    body["userName"] = Value::from("a/\u{1}");
    body["coins"][1] = Value::from("nope");
    body["deeplearningData"][0]["rank"] = Value::from(0.5);
    body["deeplearningData"][2]["code"] = Value::from(true);
    body["leverage"] = Value::from(3);
    body.as_object_mut().unwrap().remove("aiRecommend_2");
    body["userBuyCoinMoney_2"]["money"] = Value::from(1);
    body["userBuyCoinMoney_2"]["coin"] = Value::from("");
    body["userSellTime_3"] = Value::Null;
    assert_eq!(
        problems(&serde_json::to_vec(&body).unwrap()),
        [
            "userName: must not contain control characters",
            "userName: must not contain `/` or `\\`",
            "coins[1]: is not a market code: is not of the form QUOTE-BASE (e.g. KRW-BTC) \
                 or BASE/QUOTE (e.g. BTC/KRW)",
            "deeplearningData[0].rank: must be an integer",
            "deeplearningData[2].code: must be a string",
            "aiRecommend_2: is required",
            "leverage: must be one of 1, 10, 100, 1000",
            "userBuyCoinMoney_2.coin: is not a market code: is empty",
            "userBuyCoinMoney_2.money: must be one of 1000000000, 500000000, 100000000 (KRW)",
            "userSellTime_3: must be an object",
            "balance: must not be negative",
        ]
    );
}

#[test]
fn an_invalid_record_displays_as_its_problems_joined() {
    let mut body = sample();
    body["leverage"] = Value::from(2);
    body["balance"] = Value::from(-1);
    let error = parse(&serde_json::to_vec(&body).unwrap()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "leverage: must be one of 1, 10, 100, 1000; balance: must not be negative"
    );
    assert_eq!(error.code(), "invalid_record");
    assert_eq!(error.problems().len(), 2);
}

#[test]
fn errors_before_the_walk_have_no_problems_to_list() {
    for error in [
        RecordError::Empty,
        RecordError::Malformed("x".to_owned()),
        RecordError::TooLarge { size: 2, limit: 1 },
    ] {
        assert!(error.problems().is_empty());
    }
    assert_eq!(
        RecordError::TooLarge {
            size: 70_000,
            limit: 65_536
        }
        .to_string(),
        "body is 70000 bytes, more than the limit of 65536"
    );
}
