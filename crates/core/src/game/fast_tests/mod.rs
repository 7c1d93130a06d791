//! The fast path against the detailed one. For any input: whatever the fast path accepts,
//! the detailed path accepts as the very same record; for a body with exactly the
//! contract's keys (no unknown or duplicate key), they also agree on accepting at all; and
//! the public functions always answer exactly as the detailed path does.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::game::validate::parse_game_record_detailed;
use crate::game::validate_envelope::parse_envelope_detailed;
use crate::game::{parse_envelope, parse_game_record};
use crate::market::QUOTE_CURRENCIES;

mod examples;
mod lexical;
mod mutations;
mod properties;
mod valid;

const SAMPLE: &str = include_str!("../../../tests/fixtures/game_record_valid.json");

fn rules() -> impl Strategy<Value = RecordRules> {
    prop_oneof![
        Just(RecordRules::default()),
        Just(RecordRules::with_game_markets(
            MarketCode::default_game_markets()
        )),
        Just(RecordRules::with_game_markets(
            ["KRW-BTC", "KRW-ETH"].map(|code| MarketCode::parse(code).unwrap())
        )),
    ]
}

fn check_record(body: &[u8], rules: &RecordRules, keys_exact: bool) -> Result<(), TestCaseError> {
    let fast = record(body, rules);
    let detailed = parse_game_record_detailed(body, rules);
    if let Some(fast) = &fast {
        prop_assert_eq!(
            Ok(fast),
            detailed.as_ref(),
            "fast path accepted what the detailed path did not"
        );
    }
    if keys_exact {
        prop_assert_eq!(
            fast.is_some(),
            detailed.is_ok(),
            "paths disagree on {:?}",
            detailed
        );
    }
    prop_assert_eq!(parse_game_record(body, rules), detailed);
    Ok(())
}

fn check_envelope(bytes: &[u8], keys_exact: bool) -> Result<(), TestCaseError> {
    let fast = envelope(bytes);
    let detailed = parse_envelope_detailed(bytes);
    if let Some(fast) = &fast {
        prop_assert_eq!(
            Ok(fast),
            detailed.as_ref(),
            "fast path accepted what the detailed path did not"
        );
    }
    if keys_exact {
        prop_assert_eq!(
            fast.is_some(),
            detailed.is_ok(),
            "paths disagree on {:?}",
            detailed
        );
    }
    prop_assert_eq!(parse_envelope(bytes), detailed);
    Ok(())
}
