//! Tests of the detailed path (`parse_game_record` and its checker), one file per topic;
//! the sample record and the helpers they share are here.

use super::*;
use crate::game::parse_game_record;

mod coins;
mod fields;
mod many_problems;
mod numbers;
mod text;
mod whole_body;

const SAMPLE: &str = include_str!("../../../tests/fixtures/game_record_valid.json");

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
