//! Event ids as 16-byte keys, and which of them occur more than once.
//!
//! The archive's ids are UUIDs (the envelope makes them), kept as their 128 bits. An id that is
//! not a UUID (a lake written by another tool) is keyed by a 128-bit hash of its text: two
//! distinct ids sharing a key would take a chance of about 10^-23 among 10^8 rows.

use std::hash::{DefaultHasher, Hash, Hasher};

use foldhash::HashSet;

/// One event id's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey(u128);

impl EventKey {
    pub fn of(event_id: &str) -> Self {
        match uuid::Uuid::try_parse(event_id) {
            Ok(id) => Self(id.as_u128()),
            Err(_) => Self(hash128(event_id)),
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
    fn a_uuid_is_its_own_bits_in_any_spelling() {
        let lower = EventKey::of("67e55044-10b1-426f-9247-bb680e5fe0c8");
        let upper = EventKey::of("67E55044-10B1-426F-9247-BB680E5FE0C8");
        assert_eq!(lower, upper);
        assert_eq!(lower.0, 0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8);
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
