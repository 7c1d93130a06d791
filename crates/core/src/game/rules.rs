//! Rules that both walkers apply, written once: the detailed path (`validate`) reports the
//! `Err` text as `<field>: <rule>`, the fast path (`fast`) only asks whether it is `Ok`.
//!
//! (The older rules, such as stage seconds or ranks, still have a copy on each path; issue 15
//! moves them here too. Every rule added since lives here only.)

use std::collections::BTreeSet;

use super::error::RecordError;
use super::limits::USER_NICKNAME_CHARS;
use super::nickname::{NICKNAME_HASH_HEX_LEN, Nickname};
use crate::market::MarketCode;
use crate::player::{PlayerField, check_player_text};

/// Policy that can change between deployments, as opposed to the fixed [limits](super::limits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordRules {
    /// The markets the game offers. `None` accepts any well-formed market code.
    ///
    /// Applies to the coins the player traded (`coins`, `userBuyCoinMoney_N.coin`,
    /// `userSellTime_N.coin`), not to `deeplearningData[].code`: the model may rank markets the
    /// game does not offer, and that is no reason to lose the player's game.
    pub allowed_markets: Option<BTreeSet<MarketCode>>,
}

impl RecordRules {
    /// Rules that accept only these markets as traded coins.
    pub fn with_game_markets(markets: impl IntoIterator<Item = MarketCode>) -> Self {
        Self {
            allowed_markets: Some(markets.into_iter().collect()),
        }
    }
}

/// The checks before any parsing, shared by both paths: size, then emptiness.
pub(crate) fn check_bytes(body: &[u8], limit: usize) -> Result<(), RecordError> {
    if body.len() > limit {
        return Err(RecordError::TooLarge {
            size: body.len(),
            limit,
        });
    }
    // Only JSON's own whitespace counts: a body of form feeds is malformed, not empty.
    if body
        .iter()
        .all(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
    {
        return Err(RecordError::Empty);
    }
    Ok(())
}

/// `userName` or `userAffiliation`: the platform's one player-text rule ([`crate::player`]);
/// what is kept is the trimmed text.
pub(crate) fn player_text(field: PlayerField, raw: &str) -> Result<String, Vec<String>> {
    check_player_text(field, raw).map(str::to_owned)
}

/// `userNickname` when present: `""` means none (the frontend's emptied field); anything else
/// keeps the nickname's own sanity limits (length, no control characters).
pub(crate) fn nickname(raw: &str) -> Result<Option<Nickname>, Vec<String>> {
    if raw.is_empty() {
        return Ok(None);
    }
    let mut broken = Vec::new();
    let chars = raw.chars().count();
    if !USER_NICKNAME_CHARS.contains(&chars) {
        broken.push(format!(
            "must have {} to {} characters when given (got {chars})",
            USER_NICKNAME_CHARS.start(),
            USER_NICKNAME_CHARS.end()
        ));
    }
    if raw.chars().any(char::is_control) {
        broken.push("must not contain control characters".to_owned());
    }
    if broken.is_empty() {
        Ok(Some(Nickname::new(raw.to_owned())))
    } else {
        Err(broken)
    }
}

/// `coins[index]`: the same coin chosen twice is not a game (the frontend offers each market
/// once). Compared as market codes, so `BTC/KRW` repeats `KRW-BTC`.
pub(crate) fn distinct_coin(coins: &[Option<MarketCode>], index: usize) -> Result<(), String> {
    let Some(Some(coin)) = coins.get(index) else {
        return Ok(());
    };
    match coins[..index]
        .iter()
        .position(|earlier| earlier.as_ref() == Some(coin))
    {
        Some(first) => Err(format!(
            "must not repeat coins[{first}] (the same coin chosen twice)"
        )),
        None => Ok(()),
    }
}

/// `userBuyCoinMoney_N.coin` / `userSellTime_N.coin`: only a coin the player chose can be bought
/// or sold.
pub(crate) fn chosen_coin(coin: &MarketCode, coins: &[MarketCode]) -> Result<(), String> {
    if coins.contains(coin) {
        return Ok(());
    }
    let listed: Vec<&str> = coins.iter().map(MarketCode::as_str).collect();
    Err(format!(
        "must be one of the chosen coins ({})",
        listed.join(", ")
    ))
}

/// `deeplearningData[].sell_up` / `sell_down`: absolute KRW prices, so finite and not negative.
pub(crate) fn hint_price(price: f64) -> Result<f64, String> {
    if !price.is_finite() {
        Err("must be finite".to_owned())
    } else if price < 0.0 {
        Err("must not be negative".to_owned())
    } else {
        Ok(price)
    }
}

/// The envelope's `user_nickname_hash`: HMAC-SHA256 as lower-case hex, nothing else (a clear
/// nickname in its place must not pass for a hash).
pub(crate) fn nickname_hash(text: &str) -> Result<(), String> {
    let is_hash = text.len() == NICKNAME_HASH_HEX_LEN
        && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if is_hash {
        Ok(())
    } else {
        Err(format!(
            "must be {NICKNAME_HASH_HEX_LEN} lower-case hex digits (an HMAC-SHA256)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> MarketCode {
        MarketCode::normalize(text).unwrap()
    }

    #[test]
    fn an_empty_nickname_is_no_nickname() {
        assert_eq!(nickname(""), Ok(None));
        assert_eq!(
            nickname("player@example.com").unwrap().unwrap().as_str(),
            "player@example.com"
        );
        assert_eq!(
            nickname(&"a".repeat(65)),
            Err(vec![
                "must have 1 to 64 characters when given (got 65)".to_owned()
            ])
        );
    }

    #[test]
    fn a_coin_repeated_in_another_spelling_is_still_repeated() {
        let coins = [Some(code("KRW-BTC")), None, Some(code("BTC/KRW"))];
        assert_eq!(distinct_coin(&coins, 0), Ok(()));
        assert_eq!(distinct_coin(&coins, 1), Ok(()));
        assert_eq!(
            distinct_coin(&coins, 2),
            Err("must not repeat coins[0] (the same coin chosen twice)".to_owned())
        );
    }

    #[test]
    fn only_a_chosen_coin_is_traded() {
        let coins = [code("KRW-BTC"), code("KRW-ETH")];
        assert_eq!(chosen_coin(&code("ETH/KRW"), &coins), Ok(()));
        assert_eq!(
            chosen_coin(&code("KRW-SOL"), &coins),
            Err("must be one of the chosen coins (KRW-BTC, KRW-ETH)".to_owned())
        );
    }

    #[test]
    fn hint_prices_are_finite_and_not_negative() {
        assert_eq!(hint_price(0.0), Ok(0.0));
        assert_eq!(hint_price(142_076_759.8), Ok(142_076_759.8));
        assert!(hint_price(-0.01).is_err());
        assert!(hint_price(f64::INFINITY).is_err());
    }

    #[test]
    fn a_nickname_hash_is_64_lower_case_hex_digits() {
        assert_eq!(nickname_hash(&"0a".repeat(32)), Ok(()));
        assert!(nickname_hash(&"0A".repeat(32)).is_err());
        assert!(nickname_hash("player@example.com").is_err());
    }
}
