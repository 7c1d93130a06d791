use super::*;
use crate::game::parse_game_record;

const SAMPLE: &str = include_str!("../../tests/fixtures/game_record_valid.json");

fn sample() -> Value {
    serde_json::from_str(SAMPLE).unwrap()
}

/// The sample with the value at a JSON pointer replaced.
fn sample_with(pointer: &str, replacement: Value) -> Vec<u8> {
    let mut body = sample();
    *body.pointer_mut(pointer).unwrap() = replacement;
    serde_json::to_vec(&body).unwrap()
}

/// The sample with one field of the object at `parent` (a JSON pointer) removed.
fn sample_without(parent: &str, key: &str) -> Vec<u8> {
    let mut body = sample();
    body.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key)
        .unwrap();
    serde_json::to_vec(&body).unwrap()
}

fn parse(body: &[u8]) -> Result<GameRecord, RecordError> {
    parse_game_record(body, &RecordRules::default())
}

/// The problems a body has, as `path: rule` lines.
fn problems(body: &[u8]) -> Vec<String> {
    match parse(body) {
        Err(RecordError::Invalid(problems)) => problems.iter().map(ToString::to_string).collect(),
        other => panic!("expected an invalid record, got {other:?}"),
    }
}

fn code(text: &str) -> MarketCode {
    MarketCode::parse(text).unwrap()
}

// ---- accepted ----

#[test]
fn accepts_the_sample_record_and_normalises_its_coins() {
    let record = parse(SAMPLE.as_bytes()).unwrap();
    assert_eq!(record.user_name, "김철수");
    assert_eq!(
        record.coins,
        [code("KRW-BTC"), code("KRW-ETH"), code("KRW-DOGE")]
    );
    assert_eq!(record.user_buy_coin_money_1.coin, code("KRW-BTC"));
    assert_eq!(record.user_buy_coin_money_1.money, 1e9);
    assert_eq!(record.user_sell_time_3.coin, code("KRW-DOGE"));
    assert_eq!(record.deeplearning_data.len(), 3);
    assert_eq!(record.deeplearning_data[2].rank, 3);
    assert_eq!(record.leverage, Leverage::X10);
    assert_eq!(record.balance, 1_184_250_000.5);
}

#[test]
fn accepts_every_spelling_of_a_coin_id_and_stores_the_market_code() {
    for spelling in ["BTC/KRW", "KRW-BTC", "btc/krw", "krw-btc"] {
        let body = sample_with("/userSellTime_1/coin", Value::from(spelling));
        let record = parse(&body).unwrap();
        assert_eq!(record.user_sell_time_1.coin, code("KRW-BTC"), "{spelling}");
    }
    let body = sample_with("/deeplearningData/0/code", Value::from("sol/krw"));
    assert_eq!(
        parse(&body).unwrap().deeplearning_data[0].code,
        code("KRW-SOL")
    );
}

#[test]
fn ignores_unknown_fields_for_forward_compatibility() {
    let mut body = sample();
    body["newFieldFromAFutureFrontend"] = Value::from(42);
    body["userBuyCoinMoney_1"]["currency"] = Value::from("KRW");
    body["deeplearningData"][0]["model_version"] = Value::from("v7");
    let with_extras = parse(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert_eq!(with_extras, parse(SAMPLE.as_bytes()).unwrap());
}

#[test]
fn accepts_a_body_of_exactly_the_size_limit() {
    let mut body = SAMPLE.as_bytes().to_vec();
    body.resize(MAX_BODY_BYTES, b' ');
    assert!(parse(&body).is_ok());
}

// ---- refused before the walk ----

#[test]
fn refuses_a_body_one_byte_over_64_kib_without_parsing_it() {
    let mut body = SAMPLE.as_bytes().to_vec();
    body.resize(MAX_BODY_BYTES + 1, b' ');
    assert_eq!(
        parse(&body),
        Err(RecordError::TooLarge {
            size: 64 * 1024 + 1,
            limit: 64 * 1024
        })
    );
}

#[test]
fn refuses_an_empty_body() {
    assert_eq!(parse(b""), Err(RecordError::Empty));
}

#[test]
fn refuses_a_body_of_json_whitespace_as_empty() {
    assert_eq!(parse(b" \r\n\t "), Err(RecordError::Empty));
}

#[test]
fn reports_a_syntax_error_with_line_and_column() {
    let error = parse(b"{\n  \"userName\": \"kim\",\n  oops\n}").unwrap_err();
    let RecordError::Malformed(reason) = &error else {
        panic!("expected malformed, got {error:?}");
    };
    assert!(reason.contains("line 3 column 3"), "{reason}");
    assert_eq!(error.code(), "malformed_json");
}

#[test]
fn refuses_trailing_content_after_the_record() {
    let body = format!("{SAMPLE} {{}}");
    assert!(matches!(
        parse(body.as_bytes()),
        Err(RecordError::Malformed(_))
    ));
}

#[test]
fn refuses_100_000_open_brackets_without_overflowing_the_stack() {
    let body = vec![b'['; 100_000];
    assert!(matches!(parse(&body), Err(RecordError::TooLarge { .. })));
}

#[test]
fn refuses_nesting_deeper_than_the_recursion_limit_as_malformed() {
    let brackets = vec![b'['; MAX_BODY_BYTES];
    let objects = "{\"a\":".repeat(MAX_BODY_BYTES / 5);
    let inside_a_field = format!("{{\"coins\":{}", "[".repeat(1_000));
    for body in [&brackets[..], objects.as_bytes(), inside_a_field.as_bytes()] {
        let error = parse(body).unwrap_err();
        assert!(
            matches!(&error, RecordError::Malformed(reason) if reason.contains("recursion limit")),
            "{error:?}"
        );
    }
}

#[test]
fn refuses_a_lone_surrogate_escape_as_malformed() {
    let body = SAMPLE.replace("\"김철수\"", "\"\\ud800\"");
    assert!(matches!(
        parse(body.as_bytes()),
        Err(RecordError::Malformed(_))
    ));
}

#[test]
fn refuses_invalid_utf8_as_malformed() {
    let mut body = SAMPLE.as_bytes().to_vec();
    let name_at = SAMPLE.find("김철수").unwrap();
    body[name_at] = 0xFF;
    assert!(matches!(parse(&body), Err(RecordError::Malformed(_))));
}

#[test]
fn refuses_a_number_beyond_f64_as_malformed() {
    let body = SAMPLE.replace("1184250000.5", "1e400");
    assert!(matches!(
        parse(body.as_bytes()),
        Err(RecordError::Malformed(_))
    ));
}

#[test]
fn refuses_a_root_that_is_not_an_object() {
    for body in ["[]", "\"record\"", "null", "42", "true"] {
        assert_eq!(
            problems(body.as_bytes()),
            ["$: must be an object"],
            "{body}"
        );
    }
}

// ---- presence and types ----

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
    let body = include_str!("../../tests/fixtures/frontend-game-record.json");
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

// ---- text ----

#[test]
fn accepts_a_hangul_name_of_30_characters_though_it_is_90_bytes() {
    let name = "김".repeat(30);
    assert_eq!(name.len(), 90);
    let record = parse(&sample_with("/userName", Value::from(name.clone()))).unwrap();
    assert_eq!(record.user_name, name);
}

#[test]
fn stores_name_and_affiliation_trimmed() {
    let mut body = sample();
    body["userName"] = Value::from("  김철수\t");
    body["userAffiliation"] = Value::from(" 코인킹대학교 ");
    let record = parse(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert_eq!(record.user_name, "김철수");
    assert_eq!(record.user_affiliation, "코인킹대학교");
}

#[test]
fn counts_an_emoji_written_as_a_surrogate_pair_as_one_character() {
    let body = SAMPLE.replace(
        "\"김철수\"",
        &format!("\"{}\\ud83d\\ude00\"", "a".repeat(29)),
    );
    let record = parse(body.as_bytes()).unwrap();
    assert_eq!(record.user_name.chars().count(), 30);
    assert!(record.user_name.ends_with('😀'));
}

#[test]
fn refuses_text_longer_than_its_limit_and_says_by_how_much() {
    let cases = [
        (
            "/userName",
            31,
            "userName: must have 1 to 30 characters after trimming (got 31)",
        ),
        (
            "/userAffiliation",
            31,
            "userAffiliation: must have 1 to 30 characters after trimming (got 31)",
        ),
        (
            "/userNickname",
            65,
            "userNickname: must have 1 to 64 characters when given (got 65)",
        ),
    ];
    for (pointer, length, expected) in cases {
        let body = sample_with(pointer, Value::from("가".repeat(length)));
        assert_eq!(problems(&body), [expected]);
    }
}

#[test]
fn refuses_a_name_or_affiliation_blank_after_trimming() {
    for blank in ["", "   ", "\u{3000}"] {
        for field in ["userName", "userAffiliation"] {
            assert_eq!(
                problems(&sample_with(&format!("/{field}"), Value::from(blank))),
                [format!("{field}: must not be blank")],
                "{blank:?}"
            );
        }
    }
}

#[test]
fn refuses_zero_width_and_bidi_override_characters_in_name_and_affiliation() {
    for hidden in ["\u{200B}", "\u{200D}", "\u{202E}", "\u{2066}", "\u{FEFF}"] {
        for field in ["userName", "userAffiliation"] {
            let text = format!("kim{hidden}lee");
            assert_eq!(
                problems(&sample_with(&format!("/{field}"), Value::from(text))),
                [format!(
                    "{field}: must not contain zero-width or bidirectional-override characters"
                )],
                "{hidden:?}"
            );
        }
    }
}

#[test]
fn does_not_echo_a_huge_string_back_in_the_problem() {
    let huge = "x".repeat(60_000);
    let found = problems(&sample_with("/userNickname", Value::from(huge)));
    assert_eq!(
        found,
        ["userNickname: must have 1 to 64 characters when given (got 60000)"]
    );
}

#[test]
fn refuses_control_characters_in_text() {
    for bad in ["김\u{0}수", "kim\nlee", "\u{7f}x", "tab\there", "c1\u{85}x"] {
        for pointer in ["/userName", "/userAffiliation", "/userNickname"] {
            let field = &pointer[1..];
            assert_eq!(
                problems(&sample_with(pointer, Value::from(bad))),
                [format!("{field}: must not contain control characters")],
                "{bad:?} in {field}"
            );
        }
    }
}

#[test]
fn refuses_user_names_that_would_break_an_s3_key() {
    let cases = [
        ("a/b", "userName: must not contain `/` or `\\`"),
        ("a\\b", "userName: must not contain `/` or `\\`"),
        (".", "userName: must not be `.` or `..`"),
        ("..", "userName: must not be `.` or `..`"),
        (" .. ", "userName: must not be `.` or `..`"),
    ];
    for (name, expected) in cases {
        assert_eq!(
            problems(&sample_with("/userName", Value::from(name))),
            [expected]
        );
    }
}

#[test]
fn accepts_dots_and_slashes_where_they_break_nothing() {
    for name in ["...", "a.b", ".hidden"] {
        assert!(
            parse(&sample_with("/userName", Value::from(name))).is_ok(),
            "{name}"
        );
    }
    assert!(parse(&sample_with("/userNickname", Value::from("a/b"))).is_ok());
    assert!(parse(&sample_with("/userAffiliation", Value::from("a/b"))).is_ok());
}

// ---- rule gaps closed: repeated coins, untraded coins, repeated keys ----

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

// ---- numbers ----

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

// ---- many problems ----

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
