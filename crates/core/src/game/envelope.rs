//! The click envelope: a validated record plus what the server knows about its arrival.
//!
//! The post-clickstream Lambda wraps each accepted record in a [`ClickEnvelope`] and writes it to
//! Kinesis as JSON; the archiver reads it back with [`parse_envelope`](super::parse_envelope). The record's fields sit
//! at the top level next to `event_id`, `received_at` and `schema_version` (serde `flatten`), so
//! the stream carries the frontend's own field names and anyone reading it needs no decoder.
//!
//! The player's nickname never travels: [`ClickEnvelope::new`] drops it from the record, and the
//! envelope carries at most `user_nickname_hash`, a keyed hash the caller computed (the key is
//! post-clickstream's configuration; core has no secrets). An envelope on the stream that still
//! carries a clear `userNickname` (one written before this rule) is read with it dropped.
//!
//! The caller supplies the event id and the clock: core stays pure and tests stay deterministic.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::record::GameRecord;

/// Version of the envelope layout this build writes and reads. Bump it when a change would make
/// an older archiver misread a record; the archiver refuses versions it does not know rather than
/// guess. (Still 1 after the nickname hash and the hint prices: both are optional, so this
/// build reads every envelope written before them, and an older archiver refuses a record
/// without `userNickname`, with its reason, rather than misreading it.)
pub const SCHEMA_VERSION: u16 = 1;

/// One accepted game, as it travels through Kinesis to the archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClickEnvelope {
    /// Unique per accepted game; duplicates delivered by Kinesis share it, which is what lets the
    /// analysis count each game exactly once.
    pub event_id: Uuid,
    /// When the server accepted the record, in milliseconds since the Unix epoch (UTC). Decides
    /// the `dt=`/`hour=` partition the record is archived in.
    pub received_at: i64,
    pub schema_version: u16,
    /// HMAC-SHA256 (lower-case hex) of the player's nickname under the deployment's key; `None`
    /// when the player gave none or no key is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_nickname_hash: Option<String>,
    #[serde(flatten)]
    pub record: GameRecord,
}

impl ClickEnvelope {
    /// Wraps a validated record at the current [`SCHEMA_VERSION`], without its nickname (see
    /// [`Self::with_nickname_hash`] for what may take its place).
    pub fn new(mut record: GameRecord, event_id: Uuid, received_at_ms: i64) -> Self {
        record.user_nickname = None;
        Self {
            event_id,
            received_at: received_at_ms,
            schema_version: SCHEMA_VERSION,
            user_nickname_hash: None,
            record,
        }
    }

    /// Sets the nickname's keyed hash, computed by the caller from the record's nickname before
    /// [`Self::new`] dropped it.
    pub fn with_nickname_hash(mut self, hash: Option<String>) -> Self {
        self.user_nickname_hash = hash;
        self
    }
}
