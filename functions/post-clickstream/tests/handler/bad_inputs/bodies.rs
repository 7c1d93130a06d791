//! Bad record bodies: malformed JSON, empty, wrong root and types, missing fields, values out
//! of range, unknown coin ids, huge strings, the rule gaps of issue 14 and Unicode edge cases.

use super::*;

pub(super) fn bad_bodies() -> Vec<Case> {
    let entry = sample()["deeplearningData"][0].clone();
    vec![
        // Malformed JSON.
        body_case(
            "unclosed_object",
            "{",
            "malformed_json",
            "$: body is not valid JSON",
        ),
        body_case(
            "trailing_garbage",
            &format!("{} x", sample()),
            "malformed_json",
            "trailing characters",
        ),
        body_case(
            "single_quotes",
            "{'userName': 'kim'}",
            "malformed_json",
            "$: body is not valid JSON",
        ),
        body_case(
            "nan_literal",
            &with("/balance", json!(0)).replace("\"balance\":0", "\"balance\":NaN"),
            "malformed_json",
            "$: body is not valid JSON",
        ),
        body_case(
            "number_beyond_f64",
            &with("/balance", json!(0)).replace("\"balance\":0", "\"balance\":1e400"),
            "malformed_json",
            "number out of range",
        ),
        body_case(
            "lone_surrogate",
            &with("/userNickname", json!("x"))
                .replace("\"userNickname\":\"x\"", "\"userNickname\":\"\\ud800\""),
            "malformed_json",
            "hex escape",
        ),
        body_case(
            "nested_200_deep",
            &format!("{}{}", "[".repeat(200), "]".repeat(200)),
            "malformed_json",
            "recursion limit",
        ),
        // Empty.
        body_case("empty_body", "", "empty_body", "$: body is empty"),
        body_case(
            "whitespace_body",
            " \n\t ",
            "empty_body",
            "$: body is empty",
        ),
        // Wrong root.
        body_case("array_root", "[]", "invalid_record", "$: must be an object"),
        body_case(
            "string_root",
            "\"game\"",
            "invalid_record",
            "$: must be an object",
        ),
        body_case(
            "null_root",
            "null",
            "invalid_record",
            "$: must be an object",
        ),
        // Wrong types.
        body_case(
            "user_name_number",
            &with("/userName", json!(7)),
            "invalid_record",
            "userName: must be a string",
        ),
        body_case(
            "remaining_time_string",
            &with("/remainingTime_1", json!("12")),
            "invalid_record",
            "remainingTime_1: must be a number",
        ),
        body_case(
            "ai_recommend_string",
            &with("/aiRecommend_1", json!("true")),
            "invalid_record",
            "aiRecommend_1: must be a boolean",
        ),
        body_case(
            "coins_string",
            &with("/coins", json!("BTC/KRW")),
            "invalid_record",
            "coins: must be an array",
        ),
        body_case(
            "coin_number",
            &with("/coins/1", json!(7)),
            "invalid_record",
            "coins[1]: must be a string",
        ),
        body_case(
            "sell_time_array",
            &with("/userSellTime_1", json!([])),
            "invalid_record",
            "userSellTime_1: must be an object",
        ),
        body_case(
            "money_string",
            &with("/userBuyCoinMoney_2/money", json!("1e9")),
            "invalid_record",
            "userBuyCoinMoney_2.money: must be a number",
        ),
        body_case(
            "rank_fraction",
            &with("/deeplearningData/1/rank", json!(2.5)),
            "invalid_record",
            "deeplearningData[1].rank: must be an integer",
        ),
        body_case(
            "leverage_string",
            &with("/leverage", json!("10")),
            "invalid_record",
            "leverage: must be a number",
        ),
        body_case(
            "affiliation_deeply_nested",
            &with(
                "/userAffiliation",
                json!({"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}}}),
            ),
            "invalid_record",
            "userAffiliation: must be a string",
        ),
        // Missing fields.
        body_case(
            "missing_user_name",
            &without("/userName"),
            "invalid_record",
            "userName: is required",
        ),
        body_case(
            "missing_balance",
            &without("/balance"),
            "invalid_record",
            "balance: is required",
        ),
        body_case(
            "missing_buy_2",
            &without("/userBuyCoinMoney_2"),
            "invalid_record",
            "userBuyCoinMoney_2: is required",
        ),
        body_case(
            "missing_nested_percentage",
            &without("/deeplearningData/0/percentage"),
            "invalid_record",
            "deeplearningData[0].percentage: is required",
        ),
        // Out of range.
        body_case(
            "leverage_3",
            &with("/leverage", json!(3)),
            "invalid_record",
            "leverage: must be one of 1, 10, 100, 1000",
        ),
        body_case(
            "leverage_negative",
            &with("/leverage", json!(-10)),
            "invalid_record",
            "leverage: must be one of 1, 10, 100, 1000",
        ),
        body_case(
            "stage_time_over_90",
            &with("/remainingTime_2", json!(90.1)),
            "invalid_record",
            "remainingTime_2: must be between 0 and 90 seconds",
        ),
        body_case(
            "stage_time_negative",
            &with("/remainingTime_1", json!(-0.1)),
            "invalid_record",
            "remainingTime_1: must be between 0 and 90 seconds",
        ),
        body_case(
            "sell_time_huge",
            &with("/userSellTime_3/time", json!(1e300)),
            "invalid_record",
            "userSellTime_3.time: must be between 0 and 90 seconds",
        ),
        body_case(
            "balance_negative",
            &with("/balance", json!(-1)),
            "invalid_record",
            "balance: must not be negative",
        ),
        body_case(
            "balance_over_quadrillion",
            &with("/balance", json!(2e15)),
            "invalid_record",
            "balance: must be at most",
        ),
        body_case(
            "money_not_offered",
            &with("/userBuyCoinMoney_1/money", json!(2e8)),
            "invalid_record",
            "userBuyCoinMoney_1.money: must be one of",
        ),
        body_case(
            "rank_zero",
            &with("/deeplearningData/0/rank", json!(0)),
            "invalid_record",
            "deeplearningData[0].rank: must be between 1 and 1000",
        ),
        body_case(
            "no_coins",
            &with("/coins", json!([])),
            "invalid_record",
            "coins: must not be empty",
        ),
        body_case(
            "four_coins",
            &with(
                "/coins",
                json!(["BTC/KRW", "ETH/KRW", "SOL/KRW", "XRP/KRW"]),
            ),
            "invalid_record",
            "coins: must have 1 to 3 entries (got 4)",
        ),
        body_case(
            "51_ranked_markets",
            &with("/deeplearningData", Value::Array(vec![entry; 51])),
            "invalid_record",
            "deeplearningData: must have at most 50 entries (got 51)",
        ),
        // Unknown coin ids.
        body_case(
            "coin_without_quote",
            &with("/coins/1", json!("ETH")),
            "invalid_record",
            "coins[1]: is not a market code",
        ),
        body_case(
            "coin_unknown_quote",
            &with("/userBuyCoinMoney_2/coin", json!("ETH/EUR")),
            "invalid_record",
            "userBuyCoinMoney_2.coin: is not a market code: quote currency `EUR`",
        ),
        body_case(
            "coin_empty",
            &with("/userSellTime_1/coin", json!("")),
            "invalid_record",
            "userSellTime_1.coin: is not a market code: is empty",
        ),
        body_case(
            "coin_over_32_bytes",
            &with("/deeplearningData/0/code", json!("K".repeat(33))),
            "invalid_record",
            "deeplearningData[0].code: must be at most 32 bytes (got 33)",
        ),
        // Huge strings.
        body_case(
            "nickname_60000_chars",
            &with("/userNickname", json!("x".repeat(60_000))),
            "invalid_record",
            "userNickname: must have 1 to 64 characters when given (got 60000)",
        ),
        body_case(
            "affiliation_31_hangul",
            &with("/userAffiliation", json!("가".repeat(31))),
            "invalid_record",
            "userAffiliation: must have 1 to 30 characters after trimming (got 31)",
        ),
        body_case(
            "name_31_emoji",
            &with("/userName", json!("😀".repeat(31))),
            "invalid_record",
            "userName: must have 1 to 30 characters after trimming (got 31)",
        ),
        // The rule gaps found from outside the test suite (issue 14).
        body_case(
            "name_blank_after_trimming",
            &with("/userName", json!("   ")),
            "invalid_record",
            "userName: must not be blank",
        ),
        body_case(
            "affiliation_blank_after_trimming",
            &with("/userAffiliation", json!("\t ")),
            "invalid_record",
            "userAffiliation: must not be blank",
        ),
        body_case(
            "name_with_zero_width_space",
            &with("/userName", json!("kim\u{200B}")),
            "invalid_record",
            "userName: must not contain zero-width or bidirectional-override characters",
        ),
        body_case(
            "affiliation_with_bidi_override",
            &with("/userAffiliation", json!("\u{202E}moc.elpmaxe")),
            "invalid_record",
            "userAffiliation: must not contain zero-width or bidirectional-override characters",
        ),
        body_case(
            "affiliation_with_control",
            &with("/userAffiliation", json!("a\u{7}b")),
            "invalid_record",
            "userAffiliation: must not contain control characters",
        ),
        body_case(
            "same_coin_twice",
            &with("/coins/2", json!("KRW-BTC")),
            "invalid_record",
            "coins[2]: must not repeat coins[0] (the same coin chosen twice)",
        ),
        body_case(
            "bought_coin_not_chosen",
            &with("/userBuyCoinMoney_2/coin", json!("SOL/KRW")),
            "invalid_record",
            "userBuyCoinMoney_2.coin: must be one of the chosen coins (KRW-BTC, KRW-ETH, KRW-DOGE)",
        ),
        body_case(
            "sold_coin_not_chosen",
            &with("/userSellTime_3/coin", json!("KRW-XRP")),
            "invalid_record",
            "userSellTime_3.coin: must be one of the chosen coins (KRW-BTC, KRW-ETH, KRW-DOGE)",
        ),
        body_case(
            "duplicate_top_level_key",
            &format!("{{\"balance\":1e15,{}", &sample().to_string()[1..]),
            "invalid_record",
            "balance: must not be given more than once (duplicate key)",
        ),
        body_case(
            "duplicate_nested_key",
            &sample().to_string().replacen(
                "\"money\":500000000",
                "\"money\":500000000,\"money\":500000000",
                1,
            ),
            "invalid_record",
            "userBuyCoinMoney_2.money: must not be given more than once (duplicate key)",
        ),
        body_case(
            "negative_sell_up",
            &with_hint(0, "sell_up", json!(-1)),
            "invalid_record",
            "deeplearningData[0].sell_up: must not be negative",
        ),
        body_case(
            "sell_down_not_a_number",
            &with_hint(1, "sell_down", json!("1")),
            "invalid_record",
            "deeplearningData[1].sell_down: must be a number",
        ),
        // Unicode and key-shaped edge cases.
        body_case(
            "name_with_nul",
            &with("/userName", json!("김\u{0}수")),
            "invalid_record",
            "userName: must not contain control characters",
        ),
        body_case(
            "name_with_c1_control",
            &with("/userName", json!("c1\u{85}x")),
            "invalid_record",
            "userName: must not contain control characters",
        ),
        body_case(
            "name_with_slash",
            &with("/userName", json!("a/b")),
            "invalid_record",
            "userName: must not contain `/` or `\\`",
        ),
        body_case(
            "name_dot_dot",
            &with("/userName", json!("..")),
            "invalid_record",
            "userName: must not be `.` or `..`",
        ),
        body_case(
            "name_empty",
            &with("/userName", json!("")),
            "invalid_record",
            "userName: must not be blank",
        ),
    ]
}
