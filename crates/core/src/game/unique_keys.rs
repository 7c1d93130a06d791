//! Finding keys given twice in one JSON object, anywhere in a body.
//!
//! serde_json's `Value` silently keeps the last of two equal keys, so the walk over a `Value`
//! cannot see them, and a body like `{"balance": 1e15, …, "balance": 0}` would mean one thing to
//! this platform and another to a reader that keeps the first. So the detailed paths read the
//! body once more with this visitor, which keeps nothing but the paths of repeated keys.
//! The fast path never needs it: its typed structs already refuse a repeated field.

use std::collections::HashSet;
use std::fmt;

use serde::Deserializer;
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::error::Problem;

/// What a repeated key is told.
pub const DUPLICATE_KEY_RULE: &str = "must not be given more than once (duplicate key)";

/// One problem per repeated key, at its path (`leverage`, `userBuyCoinMoney_1.coin`,
/// `records[0].deeplearningData[2].rank`), in the order they occur. Empty if the body has
/// none or is not JSON (the caller reports syntax errors itself).
pub fn duplicate_key_problems(body: &[u8]) -> Vec<Problem> {
    let mut found = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let seed = Walk {
        path: String::new(),
        found: &mut found,
    };
    // A syntax error leaves `found` with what was seen before it: the caller has refused the
    // body as malformed already, so only a complete list is ever used.
    let _ = seed.deserialize(&mut deserializer);
    found
        .into_iter()
        .map(|path| Problem {
            path,
            rule: DUPLICATE_KEY_RULE.to_owned(),
        })
        .collect()
}

struct Walk<'f> {
    path: String,
    found: &'f mut Vec<String>,
}

impl Walk<'_> {
    fn child(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0_usize;
        loop {
            let item = Walk {
                path: format!("{}[{index}]", self.path),
                found: &mut *self.found,
            };
            if seq.next_element_seed(item)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = self.child(&key);
            if !seen.insert(key) {
                self.found.push(path.clone());
            }
            map.next_value_seed(Walk {
                path,
                found: &mut *self.found,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(body: &str) -> Vec<String> {
        duplicate_key_problems(body.as_bytes())
            .into_iter()
            .map(|problem| problem.path)
            .collect()
    }

    #[test]
    fn finds_a_key_repeated_at_any_depth_by_its_path() {
        assert_eq!(paths(r#"{"a": 1, "b": 2, "a": 3}"#), ["a"]);
        assert_eq!(
            paths(r#"{"x": [{"c": 1}, {"c": 1, "m": {"k": 0, "k": 1}, "c": 2}]}"#),
            ["x[1].m.k", "x[1].c"]
        );
    }

    #[test]
    fn a_key_spelled_with_escapes_is_the_same_key() {
        assert_eq!(paths(r#"{"ab": 1, "\u0061b": 2}"#), ["ab"]);
    }

    #[test]
    fn equal_keys_in_different_objects_are_fine() {
        assert!(paths(r#"{"a": {"k": 1}, "b": {"k": 1}, "c": [{"k": 1}, {"k": 2}]}"#).is_empty());
        assert!(paths("not json").is_empty());
    }
}
