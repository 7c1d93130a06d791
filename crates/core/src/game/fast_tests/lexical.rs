//! The text of JSON, not its values: the fast path reads bodies with a different JSON parser
//! (sonic-rs) than the detailed path (serde_json), so every lexical corner, numbers, escapes,
//! whitespace, trailing bytes, must get the same answer from both. The value-level mutations
//! cannot reach these: they are written back by serde_json, which only writes canonical JSON.

use proptest::strategy::ValueTree;

use super::valid::{valid_body, valid_envelope};
use super::*;

/// `sample` with its first `sentinel` replaced by `spelling`.
fn respelled(sample: &str, sentinel: &str, spelling: &str) -> Vec<u8> {
    assert!(sample.contains(sentinel), "{sentinel} not in the sample");
    sample.replacen(sentinel, spelling, 1).into_bytes()
}

/// Spellings of a number, valid and not, for a field whose sample value is `7`.
const NUMBER_SPELLINGS: [&str; 24] = [
    "7", "7.0", "7e0", "7E0", "7.0e+0", "70e-1", "0.7e1", "07", "7.", ".7", "+7", "-7", "-0", "7e",
    "7e+", "1e400", "1e-400", "0x7", "Infinity", "NaN", "7_0", "7 7", "7.0.0", "٧",
];

/// Spellings of a string, valid and not, for a field whose sample value is `"abc"`.
const STRING_SPELLINGS: [&str; 22] = [
    r#""abc""#,
    r#""\u0061bc""#,
    r#""\u0061\u0062\u0063""#,
    r#""a\/bc""#,
    r#""a\\bc""#,
    r#""a\"bc""#,
    r#""a\tbc""#,
    r#""ab\uD83D\uDE00c""#,
    r#""ab\uDE00c""#,
    r#""ab\uD83Dc""#,
    r#""ab\uD83D\u0041c""#,
    r#""a\xbc""#,
    r#""a\'bc""#,
    r#""a\U0061bc""#,
    r#""a\u00""#,
    "\"a\tbc\"",
    "\"a\nbc\"",
    "\"a\u{1}bc\"",
    "\"a\u{7f}bc\"",
    "\"a\u{a0}bc\"",
    "'abc'",
    r#""abc"#,
];

/// What may stand between two tokens, valid and not.
const SEPARATORS: [&str; 9] = [
    ", ", ",\t\r\n ", ",", " ,", ",\u{a0}", ",\u{b}", ",\u{c}", ",,", ", /* */",
];

/// Bytes before and after the body.
const FRAMES: [(&str, &str); 12] = [
    ("", ""),
    (" \n\t\r", " \n\t\r"),
    ("\u{feff}", ""),
    ("", "x"),
    ("", "}"),
    ("", ","),
    ("", "\0"),
    ("", "{}"),
    ("", " null"),
    ("[", "]"),
    ("", "\u{a0}"),
    ("", "/"),
];

fn sample_with(field: &str, value: &str) -> String {
    let mut body: Value = serde_json::from_str(SAMPLE).unwrap();
    body[field] = serde_json::from_str(value).unwrap();
    serde_json::to_string(&body).unwrap()
}

#[test]
fn numbers_are_read_alike_whatever_their_spelling() {
    // (field, its value with a 7 in it, the text of that 7 in the serialised sample)
    let cases = [
        ("remainingTime_1", json!(7), "\"remainingTime_1\":7"),
        ("balance", json!(7), "\"balance\":7"),
        (
            "userSellTime_1",
            json!({"coin": "BTC/KRW", "time": 7}),
            "\"time\":7",
        ),
    ];
    for (field, value, sentinel) in cases {
        let mut body: Value = serde_json::from_str(SAMPLE).unwrap();
        body[field] = value;
        let sample = serde_json::to_string(&body).unwrap();
        let prefix = sentinel.trim_end_matches('7');
        assert!(
            parse_game_record_detailed(sample.as_bytes(), &RecordRules::default()).is_ok(),
            "{field} = 7 is valid"
        );
        for spelling in NUMBER_SPELLINGS {
            let body = respelled(&sample, sentinel, &format!("{prefix}{spelling}"));
            check_record(&body, &RecordRules::default(), true)
                .unwrap_or_else(|error| panic!("{field} = {spelling}: {error}"));
        }
    }
}

#[test]
fn received_at_is_read_alike_whatever_its_spelling() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut envelope = valid_envelope().new_tree(&mut runner).unwrap().current();
    envelope["received_at"] = json!(1_732_500_000_777_i64);
    let sample = serde_json::to_string(&envelope).unwrap();
    assert!(parse_envelope_detailed(sample.as_bytes()).is_ok());
    for spelling in [
        "1732500000777",
        "1732500000777.0",
        "1.732500000777e12",
        "17325000007770e-1",
        "01732500000777",
        "-1732500000777",
        "+1732500000777",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999999",
        "1e400",
    ] {
        let body = respelled(&sample, "1732500000777", spelling);
        check_envelope(&body, true).unwrap_or_else(|error| panic!("{spelling}: {error}"));
    }
}

#[test]
fn strings_are_read_alike_whatever_their_escapes() {
    for field in ["userName", "userAffiliation", "userNickname"] {
        let sample = sample_with(field, r#""abc""#);
        let sentinel = format!("\"{field}\":\"abc\"");
        assert!(
            parse_game_record_detailed(sample.as_bytes(), &RecordRules::default()).is_ok(),
            "{field} = abc is valid"
        );
        for spelling in STRING_SPELLINGS {
            let body = respelled(&sample, &sentinel, &format!("\"{field}\":{spelling}"));
            check_record(&body, &RecordRules::default(), true)
                .unwrap_or_else(|error| panic!("{field} = {spelling:?}: {error}"));
        }
    }
}

#[test]
fn whitespace_and_the_bytes_around_a_body_are_read_alike() {
    let sample = serde_json::to_string(&serde_json::from_str::<Value>(SAMPLE).unwrap()).unwrap();
    for separator in SEPARATORS {
        let body = sample.replacen(",\"", &format!("{separator}\""), 3);
        check_record(body.as_bytes(), &RecordRules::default(), true)
            .unwrap_or_else(|error| panic!("{separator:?}: {error}"));
    }
    for (before, after) in FRAMES {
        let body = format!("{before}{sample}{after}");
        check_record(body.as_bytes(), &RecordRules::default(), true)
            .unwrap_or_else(|error| panic!("{before:?} … {after:?}: {error}"));
    }
    for literal in ["true", "True", "tru", "truee", "1", "\"true\"", "null"] {
        let body = sample.replacen(
            "\"aiRecommend_1\":true",
            &format!("\"aiRecommend_1\":{literal}"),
            1,
        );
        let body = body.replacen(
            "\"aiRecommend_1\":false",
            &format!("\"aiRecommend_1\":{literal}"),
            1,
        );
        check_record(body.as_bytes(), &RecordRules::default(), true)
            .unwrap_or_else(|error| panic!("{literal}: {error}"));
    }
}

/// Bytes that matter to a JSON reader, inserted, replaced or removed anywhere.
fn lexical_byte() -> impl Strategy<Value = u8> {
    prop::sample::select(
        b"0123456789.eE+-\"\\/u{}[],: \t\n\rtfnx\0\x7f\xc3\xa9\xff\xed\xa0\x80".to_vec(),
    )
}

#[derive(Debug, Clone)]
enum ByteEdit {
    Insert(prop::sample::Index, u8),
    Replace(prop::sample::Index, u8),
    Remove(prop::sample::Index),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        (any::<prop::sample::Index>(), lexical_byte()).prop_map(|(at, b)| ByteEdit::Insert(at, b)),
        (any::<prop::sample::Index>(), lexical_byte()).prop_map(|(at, b)| ByteEdit::Replace(at, b)),
        any::<prop::sample::Index>().prop_map(ByteEdit::Remove),
    ]
}

fn edit(mut bytes: Vec<u8>, edits: &[ByteEdit]) -> Vec<u8> {
    for edit in edits {
        match *edit {
            ByteEdit::Insert(at, byte) => bytes.insert(at.index(bytes.len() + 1), byte),
            ByteEdit::Replace(at, byte) if !bytes.is_empty() => {
                let at = at.index(bytes.len());
                bytes[at] = byte;
            }
            ByteEdit::Remove(at) if !bytes.is_empty() => {
                bytes.remove(at.index(bytes.len()));
            }
            _ => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn fast_path_agrees_with_the_detailed_path_on_byte_edited_records(
        body in valid_body(4),
        edits in prop::collection::vec(byte_edit(), 1..4),
    ) {
        let bytes = edit(serde_json::to_vec(&body).unwrap(), &edits);
        // An edit may make a new key (e.g. inside a key's quotes), so only "fast ⇒ detailed".
        check_record(&bytes, &RecordRules::default(), false)?;
    }

    #[test]
    fn fast_path_agrees_with_the_detailed_path_on_byte_edited_envelopes(
        envelope_json in valid_envelope(),
        edits in prop::collection::vec(byte_edit(), 1..4),
    ) {
        let bytes = edit(serde_json::to_vec(&envelope_json).unwrap(), &edits);
        check_envelope(&bytes, false)?;
    }
}
