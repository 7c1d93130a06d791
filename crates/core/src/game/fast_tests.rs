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

const SAMPLE: &str = include_str!("../../tests/fixtures/game_record_valid.json");

// ---- valid records ----

fn coin_id() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(crate::market::DEFAULT_GAME_MARKETS.to_vec())
            .prop_map(str::to_owned),
        1 => prop::sample::select(crate::market::DEFAULT_GAME_MARKETS.to_vec())
            .prop_map(|code| MarketCode::parse(code).map(|c| c.to_slash_form()).unwrap()),
        1 => (prop::sample::select(QUOTE_CURRENCIES.to_vec()), "[a-zA-Z0-9]{1,15}")
            .prop_map(|(quote, base)| format!("{base}/{}", quote.to_lowercase())),
    ]
}

fn seconds() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(90.0)),
        (0.0..=90.0).prop_map(Value::from)
    ]
}

/// A hint price as the hint writers send it, or none (older writers).
fn hint_price() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!(0))),
        (0.0..2e8).prop_map(|price| Some(Value::from(price))),
    ]
}

fn entry() -> impl Strategy<Value = Value> {
    (
        coin_id(),
        prop::array::uniform7(any::<bool>()),
        -1e3..1e3,
        1_u32..=1000,
        hint_price(),
        hint_price(),
    )
        .prop_map(|(code, flags, percentage, rank, sell_up, sell_down)| {
            let mut entry = json!({
                "code": code,
                "fastest_decline": flags[0],
                "fastest_growth": flags[1],
                "largest_drop": flags[2],
                "largest_rise": flags[3],
                "largest_spike": flags[4],
                "least_volatile": flags[5],
                "most_volatile": flags[6],
                "percentage": percentage,
                "rank": rank,
            });
            for (key, price) in [("sell_up", sell_up), ("sell_down", sell_down)] {
                if let Some(price) = price {
                    entry[key] = price;
                }
            }
            entry
        })
}

/// A player text the shared rule accepts (untrimmed, so trimming is exercised too).
fn player_text(field: PlayerField) -> impl Strategy<Value = String> {
    "[^\\p{Cc}]{1,30}".prop_filter("refused by the player rule", move |text| {
        crate::player::is_valid_player_text(field, text)
    })
}

/// The nickname as the frontend sends it: absent, emptied, or an address.
fn nickname() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        "[^\\p{Cc}]{1,64}".prop_map(Some),
    ]
}

prop_compose! {
    /// A valid body as the frontend writes it (slash spellings, whole floats and all).
    fn valid_body(max_ranked: usize)(
        names in (player_text(PlayerField::Name), player_text(PlayerField::Affiliation), nickname()),
        times in prop::array::uniform3(seconds()),
        coins in prop::collection::vec(coin_id(), 1..=3)
            .prop_filter("the same coin twice is refused", |coins| {
                let codes: std::collections::BTreeSet<MarketCode> =
                    coins.iter().filter_map(|c| MarketCode::normalize(c).ok()).collect();
                codes.len() == coins.len()
            }),
        ranking in prop::collection::vec(entry(), 0..=max_ranked),
        hints in prop::array::uniform2(any::<bool>()),
        leverage in prop::sample::select(vec![json!(1), json!(10), json!(100.0), json!(1000)]),
        buys in prop::array::uniform3((any::<prop::sample::Index>(), prop::sample::select(BUY_AMOUNTS_KRW.to_vec()))),
        sells in prop::array::uniform3((any::<prop::sample::Index>(), seconds())),
        balance in prop_oneof![Just(0.0), Just(MAX_BALANCE_KRW), 0.0..=MAX_BALANCE_KRW],
    ) -> Value {
        // Bought and sold coins are chosen ones, in any of their spellings.
        let chosen = |at: &prop::sample::Index| coins[at.index(coins.len())].clone();
        let mut body = json!({
            "userName": names.0,
            "userAffiliation": names.1,
            "remainingTime_1": times[0],
            "remainingTime_2": times[1],
            "remainingTime_3": times[2],
            "coins": coins,
            "deeplearningData": ranking,
            "aiRecommend_1": hints[0],
            "aiRecommend_2": hints[1],
            "leverage": leverage,
            "userBuyCoinMoney_1": {"coin": chosen(&buys[0].0), "money": buys[0].1},
            "userBuyCoinMoney_2": {"coin": chosen(&buys[1].0), "money": buys[1].1},
            "userBuyCoinMoney_3": {"coin": chosen(&buys[2].0), "money": buys[2].1},
            "userSellTime_1": {"coin": chosen(&sells[0].0), "time": sells[0].1},
            "userSellTime_2": {"coin": chosen(&sells[1].0), "time": sells[1].1},
            "userSellTime_3": {"coin": chosen(&sells[2].0), "time": sells[2].1},
            "balance": balance,
        });
        if let Some(nickname) = names.2 {
            body["userNickname"] = Value::from(nickname);
        }
        body
    }
}

fn valid_envelope() -> impl Strategy<Value = Value> {
    (
        valid_body(4),
        any::<u128>(),
        any::<i64>(),
        prop::option::of("[0-9a-f]{64}"),
    )
        .prop_map(|(mut body, id, received_at, nickname_hash)| {
            let object = body.as_object_mut().unwrap();
            object.insert("event_id".into(), json!(Uuid::from_u128(id).to_string()));
            object.insert("received_at".into(), json!(received_at));
            object.insert("schema_version".into(), json!(SCHEMA_VERSION));
            if let Some(hash) = nickname_hash {
                object.insert("user_nickname_hash".into(), json!(hash));
            }
            body
        })
}

// ---- mutations ----

/// Values that break a rule or a type somewhere, and edge values that do not.
fn odd_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(vec![
            json!(-0.0),
            json!(0),
            json!(1),
            json!(1.0),
            json!(2.5),
            json!(10),
            json!(10.5),
            json!(90),
            json!(90.000_000_1),
            json!(-0.1),
            json!(1e9),
            json!(5e8),
            json!(2e8),
            json!(1e15),
            json!(1.000_000_1e15),
            json!(1000),
            json!(1001),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(""),
            json!("."),
            json!(".."),
            json!("a/b"),
            json!("a\\b"),
            json!("tab\there"),
            json!("\u{85}"),
            json!("BTC"),
            json!("KRW-ADA"),
            json!("btc/krw"),
            json!("ETH/EUR"),
            json!("K".repeat(33)),
            json!("가".repeat(65)),
            json!([]),
            json!({}),
            json!(["KRW-BTC", 1e9]),
            json!({"coin": "KRW-BTC"}),
        ]),
        ".{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Numbers on and just beyond every limit, and the spellings JSON allows for them.
const EDGE_NUMBERS: &[&str] = &[
    "-0.0",
    "0",
    "0.5",
    "1",
    "1.0",
    "10",
    "10.0",
    "10.5",
    "90",
    "90.0000001",
    "91",
    "-0.1",
    "1000",
    "1000.0",
    "1000.5",
    "1001",
    "1e8",
    "1e9",
    "1.0e9",
    "5e8",
    "2e8",
    "1e15",
    "1.0000001e15",
    "-1",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "1e300",
];

/// Strings on and just beyond every text and market rule.
fn edge_strings() -> Vec<String> {
    let mut strings: Vec<String> = [
        "",
        ".",
        "..",
        "...",
        "a/b",
        "a\\\\b",
        "tab\\there",
        "\\u0085",
        "\\u007f",
        "BTC",
        "KRW-ADA",
        "btc/krw",
        "KRW-btc",
        "ETH/EUR",
        "-BTC",
        "KRW-",
        "KRW-BT C",
    ]
    .iter()
    .map(|text| format!("\"{text}\""))
    .collect();
    for (text, times) in [
        ("K", 32),
        ("K", 33),
        ("가", 64),
        ("가", 65),
        ("x", 100),
        ("x", 101),
    ] {
        strings.push(format!("\"{}\"", text.repeat(times)));
    }
    strings
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Put an edge number (as written, see `EDGE_NUMBERS`) at the n-th number of the body.
    EdgeNumber(prop::sample::Index, prop::sample::Index),
    /// Put an edge string at the n-th string of the body.
    EdgeString(prop::sample::Index, prop::sample::Index),
    /// Replace the value at the n-th path of the body (any depth) with another.
    Replace(prop::sample::Index, Value),
    /// Remove the n-th key of the body (any depth).
    Remove(prop::sample::Index),
    /// Add an unknown key to the n-th object of the body.
    Extra(prop::sample::Index, String, Value),
    /// Write a key of the n-th object (the root or any nested one) once more, before its
    /// real value.
    Duplicate(prop::sample::Index, prop::sample::Index, Value),
    /// Write an object (the root or a nested struct) as an array of its values.
    AsArray(prop::sample::Index),
    /// Spell the n-th string with `\u` escapes (still the same string).
    Escaped(prop::sample::Index),
    /// Put a lone surrogate escape into the n-th string (malformed JSON).
    LoneSurrogate(prop::sample::Index),
}

impl Mutation {
    /// Whether the two paths must agree on accepting the mutated body: anything but an
    /// unknown key (which the fast path defers and the detailed one may accept). A repeated
    /// key both refuse.
    fn keeps_keys_exact(&self) -> bool {
        !matches!(self, Mutation::Extra(..))
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(at, value)| Mutation::EdgeNumber(at, value)),
        3 => (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(at, value)| Mutation::EdgeString(at, value)),
        3 => (any::<prop::sample::Index>(), odd_value())
            .prop_map(|(at, value)| Mutation::Replace(at, value)),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Remove),
        1 => (any::<prop::sample::Index>(), "[a-zA-Z_]{1,16}", odd_value())
            .prop_map(|(at, key, value)| Mutation::Extra(at, key, value)),
        1 => (any::<prop::sample::Index>(), any::<prop::sample::Index>(), odd_value())
            .prop_map(|(at, key, value)| Mutation::Duplicate(at, key, value)),
        1 => any::<prop::sample::Index>().prop_map(Mutation::AsArray),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Escaped),
        1 => any::<prop::sample::Index>().prop_map(Mutation::LoneSurrogate),
    ]
}

/// JSON pointers of every value below the root, parents before children.
fn pointers(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                let pointer = format!("{prefix}/{key}");
                out.push(pointer.clone());
                pointers(child, &pointer, out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let pointer = format!("{prefix}/{index}");
                out.push(pointer.clone());
                pointers(child, &pointer, out);
            }
        }
        _ => {}
    }
}

fn all_pointers(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    pointers(value, "", &mut out);
    out
}

fn pointers_where(value: &Value, keep: impl Fn(&Value) -> bool) -> Vec<String> {
    let mut found: Vec<String> = all_pointers(value)
        .into_iter()
        .filter(|pointer| keep(value.pointer(pointer).unwrap()))
        .collect();
    if keep(value) {
        found.insert(0, String::new());
    }
    found
}

fn parent_and_key(pointer: &str) -> (&str, &str) {
    pointer.rsplit_once('/').unwrap()
}

/// Escapes every character of a JSON string literal as `\uXXXX` (surrogate pairs beyond
/// the BMP), so that the value stays the same but cannot be borrowed.
fn escaped_literal(text: &str) -> String {
    let mut out = String::from("\"");
    for unit in text.encode_utf16() {
        out.push_str(&format!("\\u{unit:04x}"));
    }
    out.push('"');
    out
}

/// The mutated body as bytes.
fn apply(mut body: Value, mutation: &Mutation) -> Vec<u8> {
    match mutation {
        Mutation::EdgeNumber(at, value) | Mutation::EdgeString(at, value) => {
            let (targets, literals) = if matches!(mutation, Mutation::EdgeNumber(..)) {
                let literals = EDGE_NUMBERS.iter().map(|n| (*n).to_owned()).collect();
                (pointers_where(&body, Value::is_number), literals)
            } else {
                (pointers_where(&body, Value::is_string), edge_strings())
            };
            if targets.is_empty() {
                return serde_json::to_vec(&body).unwrap();
            }
            let marker = "\u{e000}marker\u{e000}";
            *body.pointer_mut(&targets[at.index(targets.len())]).unwrap() = Value::from(marker);
            serde_json::to_string(&body)
                .unwrap()
                .replace(
                    &format!("\"{marker}\""),
                    &literals[value.index(literals.len())],
                )
                .into_bytes()
        }
        Mutation::Replace(at, value) => {
            let paths = all_pointers(&body);
            if !paths.is_empty() {
                *body.pointer_mut(&paths[at.index(paths.len())]).unwrap() = value.clone();
            }
            serde_json::to_vec(&body).unwrap()
        }
        Mutation::Remove(at) => {
            let keys = pointers_where(&body, |_| true)
                .into_iter()
                .filter(|pointer| {
                    !pointer.is_empty()
                        && body
                            .pointer(parent_and_key(pointer).0)
                            .is_some_and(Value::is_object)
                })
                .collect::<Vec<_>>();
            if !keys.is_empty() {
                let (parent, key) = parent_and_key(&keys[at.index(keys.len())]);
                let (parent, key) = (parent.to_owned(), key.to_owned());
                body.pointer_mut(&parent)
                    .unwrap()
                    .as_object_mut()
                    .unwrap()
                    .remove(&key);
            }
            serde_json::to_vec(&body).unwrap()
        }
        Mutation::Extra(at, key, value) => {
            let objects = pointers_where(&body, Value::is_object);
            let target = &objects[at.index(objects.len())];
            let object = body.pointer_mut(target).unwrap().as_object_mut().unwrap();
            object.entry(key.clone()).or_insert_with(|| value.clone());
            serde_json::to_vec(&body).unwrap()
        }
        Mutation::Duplicate(at, key_at, value) => {
            let objects: Vec<String> = pointers_where(&body, |v| {
                v.as_object().is_some_and(|object| !object.is_empty())
            });
            if objects.is_empty() {
                return serde_json::to_vec(&body).unwrap();
            }
            let target = &objects[at.index(objects.len())];
            let object = body.pointer(target).unwrap().clone();
            let keys: Vec<&String> = object.as_object().unwrap().keys().collect();
            let key = keys[key_at.index(keys.len())];
            let text = serde_json::to_string(&object).unwrap();
            let doubled = format!(
                "{{{}:{},{}",
                serde_json::to_string(key).unwrap(),
                value,
                &text[1..]
            );
            let marker = "\u{e000}marker\u{e000}";
            *body.pointer_mut(target).unwrap() = Value::from(marker);
            serde_json::to_string(&body)
                .unwrap()
                .replace(&format!("\"{marker}\""), &doubled)
                .into_bytes()
        }
        Mutation::AsArray(at) => {
            let objects = pointers_where(&body, Value::is_object);
            let target = &objects[at.index(objects.len())];
            let slot = body.pointer_mut(target).unwrap();
            let values: Vec<Value> = slot.as_object().unwrap().values().cloned().collect();
            *slot = Value::Array(values);
            serde_json::to_vec(&body).unwrap()
        }
        Mutation::Escaped(at) | Mutation::LoneSurrogate(at) => {
            let strings = pointers_where(&body, Value::is_string);
            if strings.is_empty() {
                return serde_json::to_vec(&body).unwrap();
            }
            let target = &strings[at.index(strings.len())];
            let marker = "\u{e000}marker\u{e000}";
            let original = body.pointer(target).unwrap().as_str().unwrap().to_owned();
            *body.pointer_mut(target).unwrap() = Value::from(marker);
            let literal = if matches!(mutation, Mutation::Escaped(_)) {
                escaped_literal(&original)
            } else {
                format!(
                    "\"{}\\ud800\"",
                    &escaped_literal(&original)[1..].trim_end_matches('"')
                )
            };
            serde_json::to_string(&body)
                .unwrap()
                .replace(&format!("\"{marker}\""), &literal)
                .into_bytes()
        }
    }
}

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
    let body = include_str!("../../tests/fixtures/frontend-game-record.json");
    let fast = record(body.as_bytes(), &RecordRules::default());
    assert!(fast.is_some());
    assert_eq!(
        fast.as_ref(),
        parse_game_record_detailed(body.as_bytes(), &RecordRules::default())
            .ok()
            .as_ref()
    );
}
