//! The two entry points, [`parse_game_record`] and [`parse_envelope`]: the checks before any
//! parsing, then the typed fast path (`fast`) for a body that is exactly the contract, else the
//! detailed walk (`validate`, `validate_envelope`) that names every problem. Both paths give the
//! same answer (property-tested in `fast`).

use super::envelope::ClickEnvelope;
use super::error::RecordError;
use super::fast;
use super::limits::{MAX_BODY_BYTES, MAX_ENVELOPE_BYTES};
use super::record::GameRecord;
use super::rules::{RecordRules, check_bytes};
use super::validate::parse_game_record_detailed;
use super::validate_envelope::parse_envelope_detailed;

/// Parses and validates a `POST /set_click_stream` body.
///
/// Checks run in this order, and the first failing step decides the error: size
/// ([`RecordError::TooLarge`]), emptiness ([`RecordError::Empty`]), JSON syntax
/// ([`RecordError::Malformed`]), then every rule of the contract ([`RecordError::Invalid`] with
/// all problems). Coin ids come back normalised (`BTC/KRW` → `KRW-BTC`).
///
/// A body that is exactly the contract and valid is accepted by a typed fast path; anything
/// else goes through the detailed walk that names every problem. Both give the same answer
/// (see `fast`).
pub fn parse_game_record(body: &[u8], rules: &RecordRules) -> Result<GameRecord, RecordError> {
    check_bytes(body, MAX_BODY_BYTES)?;
    if let Some(record) = fast::record(body, rules) {
        return Ok(record);
    }
    parse_game_record_detailed(body, rules)
}

/// Decodes an envelope written by [`ClickEnvelope`]'s `Serialize`, re-validating the record.
///
/// The record part goes through the same checks as [`parse_game_record`](super::parse_game_record)
/// so that a stream record written by a buggy or foreign producer is refused with its reasons
/// rather than archived. One exception: the set of game markets is not enforced, because it is
/// ingest-time policy that may have changed since the record was accepted, and a record accepted
/// then must stay archivable now. Envelope problems are listed before record problems.
///
/// Like [`parse_game_record`](super::parse_game_record), an envelope that is exactly the
/// contract and valid takes a typed fast path, and only the rest is walked in detail.
pub fn parse_envelope(bytes: &[u8]) -> Result<ClickEnvelope, RecordError> {
    check_bytes(bytes, MAX_ENVELOPE_BYTES)?;
    if let Some(envelope) = fast::envelope(bytes) {
        return Ok(envelope);
    }
    parse_envelope_detailed(bytes)
}
