//! The player's nickname: in the real frontend an e-mail address given "only for prize
//! delivery", so personal data.
//!
//! It is optional (the frontend leaves the key out when the field was left empty), checked like
//! the other texts, and then kept in a type that cannot leak it by accident: it is never
//! serialised (a [`GameRecord`](super::GameRecord) written anywhere carries no nickname), and its
//! `Debug` form is redacted (a record in a log line shows none). What may travel on is a keyed
//! hash of it, computed by whoever holds the key (post-clickstream) and carried by the
//! [`ClickEnvelope`](super::ClickEnvelope) as `user_nickname_hash`.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A nickname as the player typed it, validated. Only [`Nickname::as_str`] reveals it.
#[derive(Clone, PartialEq, Eq)]
pub struct Nickname(String);

impl Nickname {
    pub(crate) fn new(text: String) -> Self {
        Self(text)
    }

    /// The clear text, for computing its keyed hash and nothing else.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Nickname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nickname(<redacted>)")
    }
}

impl<'de> Deserialize<'de> for Nickname {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// Length of a nickname hash: HMAC-SHA256 as lower-case hex.
pub const NICKNAME_HASH_HEX_LEN: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_the_nickname_in_debug_output() {
        let nickname = Nickname::new("player@example.com".to_owned());
        assert_eq!(format!("{nickname:?}"), "Nickname(<redacted>)");
        assert_eq!(nickname.as_str(), "player@example.com");
    }
}
