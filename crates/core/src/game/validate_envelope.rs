//! The detailed path for a [`ClickEnvelope`] read back from the stream: the envelope's own
//! fields, then the record through `validate`'s [`Checker`], every problem named.

use serde_json::Value;
use uuid::Uuid;

use super::envelope::{ClickEnvelope, SCHEMA_VERSION};
use super::error::RecordError;
use super::limits::MAX_ENVELOPE_BYTES;
use super::rules::{self, RecordRules};
use super::validate::{Checker, parse_json};

/// The detailed path alone, which names every problem.
pub(crate) fn parse_envelope_detailed(bytes: &[u8]) -> Result<ClickEnvelope, RecordError> {
    let value = parse_json(bytes, MAX_ENVELOPE_BYTES)?;
    let any_market = RecordRules::default();
    let mut checker = Checker::new(&any_market);
    checker.unique_keys(bytes);
    let Some(object) = checker.root_object(&value) else {
        return checker.finish(None);
    };
    let event_id = checker.field(object, "", "event_id", event_id);
    let received_at = checker.field(object, "", "received_at", received_at);
    let schema_version = checker.field(object, "", "schema_version", schema_version);
    let nickname_hash = match object.get("user_nickname_hash") {
        None => Some(None),
        Some(_) => checker
            .field(object, "", "user_nickname_hash", nickname_hash)
            .map(Some),
    };
    let record = checker.record(object);
    let envelope = match (event_id, received_at, schema_version, nickname_hash, record) {
        (
            Some(event_id),
            Some(received_at),
            Some(schema_version),
            Some(user_nickname_hash),
            Some(mut record),
        ) => {
            // A clear nickname from before the hash rule is not carried on.
            record.user_nickname = None;
            Some(ClickEnvelope {
                event_id,
                received_at,
                schema_version,
                user_nickname_hash,
                record,
            })
        }
        _ => None,
    };
    checker.finish(envelope)
}

fn nickname_hash(checker: &mut Checker<'_>, value: &Value, path: &str) -> Option<String> {
    let text = checker.string(value, path)?;
    match rules::nickname_hash(text) {
        Ok(()) => Some(text.to_owned()),
        Err(rule) => {
            checker.report(path, rule);
            None
        }
    }
}

fn event_id(checker: &mut Checker<'_>, value: &Value, path: &str) -> Option<Uuid> {
    let text = checker.string(value, path)?;
    match Uuid::try_parse(text) {
        Ok(id) => Some(id),
        Err(_) => {
            checker.report(path, "must be a UUID");
            None
        }
    }
}

fn received_at(checker: &mut Checker<'_>, value: &Value, path: &str) -> Option<i64> {
    // Read as an integer, never through f64, so that every millisecond survives.
    if let Some(millis) = value.as_i64() {
        return Some(millis);
    }
    checker.whole_number(value, path)?;
    checker.report(path, "must be an integer within the signed 64-bit range");
    None
}

fn schema_version(checker: &mut Checker<'_>, value: &Value, path: &str) -> Option<u16> {
    checker.number(value, path)?;
    if value.as_u64() == Some(u64::from(SCHEMA_VERSION)) {
        Some(SCHEMA_VERSION)
    } else {
        checker.report(
            path,
            format!("must be {SCHEMA_VERSION}, the only schema version this build reads"),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::{parse_envelope, parse_game_record};
    use crate::market::MarketCode;

    const SAMPLE: &str = include_str!("../../tests/fixtures/game_record_valid.json");
    const RECEIVED_AT: i64 = 1_732_500_000_123;

    fn event_id() -> Uuid {
        Uuid::parse_str("0b6f3c8e-6a1d-4f0e-9c57-3f1f2a9d8e41").unwrap()
    }

    fn envelope() -> ClickEnvelope {
        let record = parse_game_record(SAMPLE.as_bytes(), &RecordRules::default()).unwrap();
        ClickEnvelope::new(record, event_id(), RECEIVED_AT)
    }

    fn encoded() -> Value {
        serde_json::to_value(envelope()).unwrap()
    }

    fn problems(value: &Value) -> Vec<String> {
        let error = parse_envelope(&serde_json::to_vec(value).unwrap()).unwrap_err();
        error.problems().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn new_stamps_the_current_schema_version() {
        assert_eq!(envelope().schema_version, SCHEMA_VERSION);
        assert_eq!(envelope().received_at, RECEIVED_AT);
    }

    #[test]
    fn puts_the_record_fields_beside_the_envelope_fields() {
        let json = encoded();
        assert_eq!(json["event_id"], "0b6f3c8e-6a1d-4f0e-9c57-3f1f2a9d8e41");
        assert_eq!(json["received_at"], RECEIVED_AT);
        assert_eq!(json["schema_version"], 1);
        assert_eq!(json["userName"], "김철수");
        assert_eq!(json["coins"][0], "KRW-BTC");
        assert_eq!(json["leverage"], 10);
    }

    #[test]
    fn round_trips_through_json() {
        let bytes = serde_json::to_vec(&envelope()).unwrap();
        assert_eq!(parse_envelope(&bytes).unwrap(), envelope());
    }

    #[test]
    fn parse_agrees_with_the_derived_deserialize() {
        let bytes = serde_json::to_vec(&envelope()).unwrap();
        let derived: ClickEnvelope = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(parse_envelope(&bytes).unwrap(), derived);
    }

    #[test]
    fn re_validates_the_record_inside() {
        let mut json = encoded();
        json["balance"] = Value::from(-1);
        json["coins"][0] = Value::from("BTC");
        assert_eq!(
            problems(&json),
            [
                "coins[0]: is not a market code: is not of the form QUOTE-BASE (e.g. KRW-BTC) \
                 or BASE/QUOTE (e.g. BTC/KRW)",
                "balance: must not be negative",
            ]
        );
    }

    #[test]
    fn keeps_markets_that_were_game_markets_when_the_record_was_accepted() {
        let mut json = encoded();
        for pointer in [
            "/coins/0",
            "/userBuyCoinMoney_1/coin",
            "/userSellTime_1/coin",
        ] {
            *json.pointer_mut(pointer).unwrap() = Value::from("KRW-ADA");
        }
        assert!(parse_envelope(&serde_json::to_vec(&json).unwrap()).is_ok());
    }

    #[test]
    fn lists_envelope_problems_before_record_problems() {
        let mut json = encoded();
        json["event_id"] = Value::from("not-a-uuid");
        json["received_at"] = Value::from(1.5);
        json["schema_version"] = Value::from(2);
        json["leverage"] = Value::from(3);
        assert_eq!(
            problems(&json),
            [
                "event_id: must be a UUID",
                "received_at: must be an integer",
                "schema_version: must be 1, the only schema version this build reads",
                "leverage: must be one of 1, 10, 100, 1000",
            ]
        );
    }

    #[test]
    fn requires_every_envelope_field() {
        for field in ["event_id", "received_at", "schema_version"] {
            let mut json = encoded();
            json.as_object_mut().unwrap().remove(field);
            assert_eq!(problems(&json), [format!("{field}: is required")]);
        }
    }

    #[test]
    fn reads_received_at_as_an_exact_integer() {
        let mut json = encoded();
        json["received_at"] = Value::from(i64::MAX);
        let bytes = serde_json::to_vec(&json).unwrap();
        assert_eq!(parse_envelope(&bytes).unwrap().received_at, i64::MAX);
        json["received_at"] = Value::from(u64::MAX);
        assert_eq!(
            problems(&json),
            ["received_at: must be an integer within the signed 64-bit range"]
        );
    }

    #[test]
    fn refuses_a_root_that_is_not_an_object_once() {
        assert_eq!(problems(&Value::from("envelope")), ["$: must be an object"]);
    }

    #[test]
    fn refuses_bytes_that_are_not_json_or_too_large() {
        assert!(matches!(
            parse_envelope(b"{"),
            Err(RecordError::Malformed(_))
        ));
        assert_eq!(parse_envelope(b""), Err(RecordError::Empty));
        let too_large = vec![b' '; MAX_ENVELOPE_BYTES + 1];
        assert!(matches!(
            parse_envelope(&too_large),
            Err(RecordError::TooLarge {
                limit: MAX_ENVELOPE_BYTES,
                ..
            })
        ));
    }

    #[test]
    fn has_room_for_the_largest_valid_record() {
        // The limits, not the body, bound a record's size. Half the limit leaves a margin, and
        // a failure here when a limit grows says to look at MAX_ENVELOPE_BYTES again.
        // Every text at its limit in 4-byte characters, the longest market codes, the most
        // ranked markets and the longest decimal forms of f64 the limits allow.
        let longest_code = MarketCode::parse("USDT-ABCDEFGHIJKLMNO").unwrap();
        let longest_f64 = -2.2250738585072014e-308;
        let longest_seconds = 1.2345678901234567e-300;
        let mut record = envelope().record;
        record.user_name = "😀".repeat(30);
        record.user_affiliation = "😀".repeat(30);
        record.remaining_time_1 = longest_seconds;
        let longest_codes = [
            "USDT-ABCDEFGHIJKLMNO",
            "USDT-ABCDEFGHIJKLMNP",
            "USDT-ABCDEFGHIJKLMNQ",
        ]
        .map(|code| MarketCode::parse(code).unwrap());
        record.coins = longest_codes.to_vec();
        record.user_buy_coin_money_2.coin = longest_codes[1].clone();
        record.user_buy_coin_money_3.coin = longest_codes[2].clone();
        record.user_sell_time_2.coin = longest_codes[1].clone();
        record.user_sell_time_3.coin = longest_codes[2].clone();
        let mut entry = record.deeplearning_data[0].clone();
        entry.code = longest_code.clone();
        entry.percentage = longest_f64;
        entry.rank = 1000;
        entry.sell_up = Some(2.2250738585072014e-308);
        entry.sell_down = Some(2.2250738585072014e-308);
        record.deeplearning_data = vec![entry; 50];
        record.user_buy_coin_money_1.coin = longest_code.clone();
        record.user_sell_time_1.coin = longest_code;
        record.user_sell_time_1.time = longest_seconds;
        record.balance = 999_999_999_999_999.9;
        let envelope = ClickEnvelope::new(record, Uuid::max(), i64::MIN)
            .with_nickname_hash(Some("f".repeat(64)));

        let encoded = serde_json::to_vec(&envelope).unwrap();

        assert!(
            encoded.len() <= MAX_ENVELOPE_BYTES / 2,
            "{} bytes",
            encoded.len()
        );
        assert_eq!(parse_envelope(&encoded).unwrap(), envelope);
    }
}
