//! Event ids as 16-byte keys, and which of them occur more than once.
//!
//! Ids are compared as text, as the Spark job and the DuckDB peer compare them. The archive's ids
//! are UUIDs in their canonical spelling (lowercase, hyphenated: the envelope writes them so),
//! kept as their 128 bits; any other text (another spelling of a UUID, or a lake written by
//! another tool) is keyed by a 128-bit hash of the text, so two spellings stay two ids. Two
//! distinct ids sharing a key would take a chance of about 10^-23 among 10^8 rows.

use std::hash::{DefaultHasher, Hash, Hasher};

use foldhash::HashSet;

/// Length of a UUID's canonical spelling, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
const CANONICAL_LEN: usize = 36;

/// One event id's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey(u128);

impl EventKey {
    pub fn of(event_id: &str) -> Self {
        let canonical = event_id.len() == CANONICAL_LEN
            && !event_id.bytes().any(|byte| byte.is_ascii_uppercase());
        match uuid::Uuid::try_parse(event_id) {
            Ok(id) if canonical => Self(id.as_u128()),
            _ => Self(hash128(event_id)),
        }
    }
}

/// Two SipHash-1-3 runs (fixed keys, so stable across runs) over the text and a distinct tag.
fn hash128(text: &str) -> u128 {
    let half = |tag: u8| {
        let mut hasher = DefaultHasher::new();
        tag.hash(&mut hasher);
        text.hash(&mut hasher);
        hasher.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

/// The keys that occur more than once in `keys`.
pub fn duplicated(mut keys: Vec<EventKey>) -> HashSet<EventKey> {
    keys.sort_unstable();
    let mut duplicated = HashSet::default();
    duplicated.extend(
        keys.windows(2)
            .filter(|pair| pair[0] == pair[1])
            .map(|pair| pair[0]),
    );
    duplicated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canonical_uuid_is_its_own_bits_and_other_spellings_stay_other_ids() {
        let lower = EventKey::of("67e55044-10b1-426f-9247-bb680e5fe0c8");
        assert_eq!(lower.0, 0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8);
        // As text these are different ids, as they are to Spark and DuckDB.
        let upper = EventKey::of("67E55044-10B1-426F-9247-BB680E5FE0C8");
        let simple = EventKey::of("67e5504410b1426f9247bb680e5fe0c8");
        assert_ne!(lower, upper);
        assert_ne!(lower, simple);
        assert_ne!(upper, simple);
    }

    #[test]
    fn other_ids_are_keyed_by_their_text() {
        assert_eq!(EventKey::of("game-1"), EventKey::of("game-1"));
        assert_ne!(EventKey::of("game-1"), EventKey::of("game-2"));
    }

    #[test]
    fn only_ids_seen_twice_or_more_are_duplicated() {
        let keys = ["a", "b", "a", "c", "c", "c"].map(EventKey::of).to_vec();
        let duplicated = duplicated(keys);
        assert_eq!(duplicated.len(), 2);
        assert!(duplicated.contains(&EventKey::of("a")));
        assert!(duplicated.contains(&EventKey::of("c")));
        assert!(!duplicated.contains(&EventKey::of("b")));
    }
}
