//! Records accepted whole, and bodies refused before the walk (size, emptiness, syntax,
//! nesting, encoding).

use super::*;

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
