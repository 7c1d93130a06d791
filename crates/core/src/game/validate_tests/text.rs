//! Text fields: lengths, trimming, blanks, control and invisible characters, S3-key safety.

use super::*;

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
