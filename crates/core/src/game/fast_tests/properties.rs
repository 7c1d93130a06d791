//! The property tests: the fast path against the detailed one on valid and mutated
//! records and envelopes.

use super::mutations::{apply, mutation};
use super::valid::{valid_body, valid_envelope};
use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn fast_path_accepts_every_valid_record_as_the_detailed_path_does(body in valid_body(50)) {
        let bytes = serde_json::to_vec(&body).unwrap();
        prop_assert!(record(&bytes, &RecordRules::default()).is_some());
        check_record(&bytes, &RecordRules::default(), true)?;
    }

    #[test]
    fn an_explicit_null_envelope_field_is_left_to_the_detailed_path(
        mut value in valid_envelope(),
        field in prop::sample::select(
            vec!["event_id", "received_at", "schema_version", "user_nickname_hash"],
        ),
    ) {
        value[field] = Value::Null;
        let bytes = serde_json::to_vec(&value).unwrap();
        prop_assert!(envelope(&bytes).is_none(), "{field}: null");
        prop_assert!(parse_envelope_detailed(&bytes).is_err(), "{field}: null");
        check_envelope(&bytes, true)?;
    }

    #[test]
    fn fast_path_agrees_with_the_detailed_path_on_mutated_records(
        body in valid_body(4),
        mutations in prop::collection::vec(mutation(), 1..3),
        rules in rules(),
    ) {
        let mut bytes = serde_json::to_vec(&body).unwrap();
        let mut keys_exact = true;
        for mutation in &mutations {
            // A later mutation works on what the previous one produced, if still JSON.
            let Ok(current) = serde_json::from_slice::<Value>(&bytes) else { break };
            if !current.is_object() { break }
            bytes = apply(current, mutation);
            keys_exact &= mutation.keeps_keys_exact();
        }
        check_record(&bytes, &rules, keys_exact)?;
    }

    #[test]
    fn fast_path_accepts_every_valid_envelope_as_the_detailed_path_does(
        envelope_json in valid_envelope(),
    ) {
        let bytes = serde_json::to_vec(&envelope_json).unwrap();
        prop_assert!(envelope(&bytes).is_some());
        check_envelope(&bytes, true)?;
    }

    #[test]
    fn fast_path_agrees_with_the_detailed_path_on_mutated_envelopes(
        envelope_json in valid_envelope(),
        mutation in mutation(),
    ) {
        let bytes = apply(envelope_json, &mutation);
        check_envelope(&bytes, mutation.keeps_keys_exact())?;
    }

    #[test]
    fn an_envelope_is_not_a_request_body_on_either_path(envelope_json in valid_envelope()) {
        let bytes = serde_json::to_vec(&envelope_json).unwrap();
        // The record path ignores envelope fields: the detailed path accepts, fast defers.
        prop_assert!(record(&bytes, &RecordRules::default()).is_none());
        check_record(&bytes, &RecordRules::default(), false)?;
    }
}
