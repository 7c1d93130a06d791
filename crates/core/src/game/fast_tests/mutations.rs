//! Mutations of a valid body: edge values, replaced, removed, extra and repeated keys,
//! structs as arrays, escaped strings and lone surrogates.

use super::*;

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
pub(super) enum Mutation {
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
    pub(super) fn keeps_keys_exact(&self) -> bool {
        !matches!(self, Mutation::Extra(..))
    }
}

pub(super) fn mutation() -> impl Strategy<Value = Mutation> {
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
pub(super) fn apply(mut body: Value, mutation: &Mutation) -> Vec<u8> {
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
