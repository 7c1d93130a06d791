//! The limits a game record must respect, each with the reason it has the value it has.
//!
//! Lengths of free text are counted in Unicode scalar values (`char`s), because that is what a
//! player perceives as "characters" far better than bytes: `김철수` is three characters, nine
//! bytes. Byte limits are used only for machine identifiers, which are ASCII when valid.

use std::ops::RangeInclusive;

/// Largest request body accepted, in bytes.
///
/// A complete record with 50 deep-learning entries is about 12 KiB of JSON; 64 KiB leaves room
/// for growth while bounding what one request can make the Lambda parse and hold in memory.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Largest encoded [`ClickEnvelope`](super::ClickEnvelope) accepted by
/// [`parse_envelope`](super::parse_envelope), in bytes.
///
/// Once validated, a record's size is bounded by the limits below, not by the body it came
/// from: the largest possible one (every text at its limit in 4-byte characters, 50 ranked
/// markets, the longest decimal forms of every number) encodes to about 13 KiB with its
/// envelope. So the body limit also bounds every envelope the platform writes, and anything
/// larger on the stream is not one of ours.
pub const MAX_ENVELOPE_BYTES: usize = MAX_BODY_BYTES;

// The name and affiliation rules live in `crate::player`: one rule for the game record, the
// leaderboard and get-user-analysis.

/// Allowed length of `userNickname` when given (not empty), in characters.
///
/// The field is optional (the frontend omits it or sends `""` when the player left it empty); it
/// holds an e-mail address for prize delivery, and 64 characters fit any real one's local part
/// and a domain. Only its keyed hash is ever stored.
pub const USER_NICKNAME_CHARS: RangeInclusive<usize> = 1..=64;

/// Length of one game stage in seconds.
///
/// `remainingTime_1..3` and `userSellTime_N.time` are seconds left on a 90-second timer, so
/// anything outside `0..=90` cannot come from a real game.
pub const STAGE_SECONDS: f64 = 90.0;

/// The leverages the game offers. The analysis reports one row for each, in this order, so a
/// record with any other value would have nowhere to go.
pub const LEVERAGES: [u32; 4] = [1, 10, 100, 1000];

/// The amounts (KRW) a player can put into one coin. The game offers exactly these buttons;
/// any other amount means a client that is not the game.
pub const BUY_AMOUNTS_KRW: [f64; 3] = [1e9, 5e8, 1e8];

/// Allowed number of entries in `coins`: the game has the player pick up to three coins, one per
/// stage, and a finished game has picked at least one.
pub const COINS_LEN: RangeInclusive<usize> = 1..=3;

/// Allowed number of entries in `deeplearningData`.
///
/// The model ranks the markets on offer (nine by default); 50 leaves room for a larger market set
/// while bounding the work and the stored row size. Zero is allowed: a game without the model's
/// ranking is still a game worth keeping.
pub const DEEP_LEARNING_LEN: RangeInclusive<usize> = 0..=50;

/// Allowed `deeplearningData[].rank`: a 1-based position in the model's ranking. 1,000 is far more
/// markets than Upbit lists, so a larger rank is a broken client.
pub const DEEP_LEARNING_RANK: RangeInclusive<u32> = 1..=1000;

/// Largest final `balance` accepted, in KRW.
///
/// The largest stake is 1e9 KRW, the largest leverage 1000×; a balance beyond 1e15 KRW (a
/// quadrillion) is not a game outcome but a client bug or an attempt to top the ranking. It also
/// keeps balances exactly representable as integers in an f64 (below 2^53 ≈ 9e15).
pub const MAX_BALANCE_KRW: f64 = 1e15;

/// Longest machine identifier (coin ids such as `BTC/KRW`) accepted, in bytes.
///
/// The longest valid market code is a four-letter quote, a dash and a 15-character base
/// (20 bytes); 32 leaves slack and stops a long string before it is normalised or echoed.
pub const MAX_STRING_BYTES: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::{MAX_BASE_LEN, QUOTE_CURRENCIES};

    #[test]
    fn a_full_length_user_name_fits_in_one_s3_key_segment() {
        let longest_utf8_char_bytes = 4;
        assert!(crate::player::PLAYER_TEXT_CHARS.end() * longest_utf8_char_bytes <= 1024);
    }

    #[test]
    fn the_longest_market_code_fits_the_identifier_limit() {
        let longest_quote = QUOTE_CURRENCIES.iter().map(|q| q.len()).max().unwrap_or(0);
        assert!(longest_quote + 1 + MAX_BASE_LEN <= MAX_STRING_BYTES);
    }

    #[test]
    fn the_largest_balance_is_an_exact_integer_in_an_f64() {
        let two_to_the_53 = 9_007_199_254_740_992.0_f64;
        assert!(MAX_BALANCE_KRW < two_to_the_53);
    }
}
