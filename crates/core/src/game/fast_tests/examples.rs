//! Fixed examples: the fixtures, and the bodies serde would skip or read differently.

use super::*;

#[test]
fn fast_path_accepts_the_sample_fixture() {
    let fast = record(SAMPLE.as_bytes(), &RecordRules::default());
    assert_eq!(
        fast.as_ref(),
        parse_game_record_detailed(SAMPLE.as_bytes(), &RecordRules::default())
            .ok()
            .as_ref()
    );
    assert!(fast.is_some());
}

#[test]
fn fast_path_defers_what_serde_would_skip_unchecked() {
    // serde skips an unknown value without checking it; the detailed path calls these
    // malformed. Deferring unknown keys keeps that answer.
    let sample = SAMPLE.trim_end().trim_end_matches('}');
    for extra in ["\"x\": \"\\ud800\"", "\"x\": 1e400"] {
        let body = format!("{sample}, {extra}}}");
        assert!(
            record(body.as_bytes(), &RecordRules::default()).is_none(),
            "{extra}"
        );
        assert!(matches!(
            parse_game_record(body.as_bytes(), &RecordRules::default()),
            Err(crate::game::RecordError::Malformed(_))
        ));
    }
}

#[test]
fn fast_path_refuses_a_struct_written_as_an_array() {
    let mut body: Value = serde_json::from_str(SAMPLE).unwrap();
    body["userSellTime_1"] = json!(["BTC/KRW", 35.2]);
    let bytes = serde_json::to_vec(&body).unwrap();
    assert!(record(&bytes, &RecordRules::default()).is_none());
    assert!(parse_game_record(&bytes, &RecordRules::default()).is_err());
}

#[test]
fn a_duplicate_key_is_refused_on_both_paths_even_when_both_values_are_valid() {
    let body = format!("{{\"leverage\": 10,{}", &SAMPLE.trim_start()[1..]);
    assert!(record(body.as_bytes(), &RecordRules::default()).is_none());
    let error = parse_game_record(body.as_bytes(), &RecordRules::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "leverage: must not be given more than once (duplicate key)"
    );
}

#[test]
fn fast_path_accepts_the_frontends_real_game_record() {
    let body = include_str!("../../../tests/fixtures/frontend-game-record.json");
    let fast = record(body.as_bytes(), &RecordRules::default());
    assert!(fast.is_some());
    assert_eq!(
        fast.as_ref(),
        parse_game_record_detailed(body.as_bytes(), &RecordRules::default())
            .ok()
            .as_ref()
    );
}
