//! The nickname's keyed hash: what replaces the player's e-mail before a record leaves this
//! Lambda.
//!
//! HMAC-SHA256 under a deployment secret (`COINKING_NICKNAME_HASH_KEY`), as lower-case hex. A
//! plain hash of an e-mail address is not private (anyone can hash a list of addresses and
//! compare); a keyed one can only be recomputed by whoever holds the key, for example to find a
//! prize winner's games from the address they give. The text is trimmed and lower-cased first,
//! so `Player@Example.com ` and `player@example.com` give the same hash.

use std::fmt::{self, Write};

use coinking_core::game::Nickname;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The secret key. Never printed: its `Debug` form is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct NicknameKey(Vec<u8>);

impl NicknameKey {
    /// A key from its bytes; `None` for an empty one (no key: nicknames are dropped).
    pub fn new(bytes: impl Into<Vec<u8>>) -> Option<Self> {
        let bytes = bytes.into();
        (!bytes.is_empty()).then_some(Self(bytes))
    }

    /// HMAC-SHA256 of the normalised nickname, as 64 lower-case hex digits.
    pub fn hash(&self, nickname: &Nickname) -> String {
        let normalised = nickname.as_str().trim().to_lowercase();
        // HMAC takes a key of any length (longer ones are hashed first), so this cannot fail.
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0) else {
            unreachable!("HMAC accepts keys of any length")
        };
        mac.update(normalised.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(digest.len() * 2);
        for byte in digest.iter() {
            // Writing to a String cannot fail.
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }
}

impl fmt::Debug for NicknameKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NicknameKey(<redacted>)")
    }
}

/// The hash to carry for a record's nickname: `None` without a nickname or without a key.
pub fn nickname_hash(key: Option<&NicknameKey>, nickname: Option<&Nickname>) -> Option<String> {
    Some(key?.hash(nickname?))
}

#[cfg(test)]
mod tests {
    use coinking_core::game::{GameRecord, NICKNAME_HASH_HEX_LEN, RecordRules, parse_game_record};

    use super::*;

    fn nickname(text: &str) -> Nickname {
        let body = include_str!("../../../crates/core/tests/fixtures/frontend-game-record.json")
            .replacen('{', &format!("{{\"userNickname\": {text:?},"), 1);
        let record: GameRecord = parse_game_record(body.as_bytes(), &RecordRules::default())
            .unwrap_or_else(|error| panic!("{error}"));
        record
            .user_nickname
            .unwrap_or_else(|| panic!("no nickname"))
    }

    #[test]
    fn matches_the_rfc_4231_test_vector_for_hmac_sha256() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        let key = NicknameKey::new("Jefe").unwrap_or_else(|| panic!("non-empty key"));
        assert_eq!(
            key.hash(&nickname("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_same_address_however_typed_gives_the_same_hash_and_hides_it() {
        let key = NicknameKey::new("k").unwrap_or_else(|| panic!("non-empty key"));
        let hash = key.hash(&nickname("player@example.com"));
        assert_eq!(hash, key.hash(&nickname(" Player@Example.com")));
        assert_eq!(hash.len(), NICKNAME_HASH_HEX_LEN);
        assert!(!hash.contains("player"));
        let other = NicknameKey::new("other").unwrap_or_else(|| panic!("non-empty key"));
        assert_ne!(hash, other.hash(&nickname("player@example.com")));
    }

    #[test]
    fn without_a_key_or_a_nickname_there_is_no_hash() {
        let key = NicknameKey::new("k");
        assert!(NicknameKey::new("").is_none());
        assert_eq!(nickname_hash(None, Some(&nickname("a@b.c"))), None);
        assert_eq!(nickname_hash(key.as_ref(), None), None);
        assert_eq!(format!("{key:?}"), "Some(NicknameKey(<redacted>))");
    }
}
