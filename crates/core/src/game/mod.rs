//! Game records: what the frontend reports when a game ends (`POST /set_click_stream`).
//!
//! The modules, leaves first; each uses only modules above it (no cycle):
//! - `limits` (fixed limits), `error` ([`Problem`], [`RecordError`]), `nickname` ([`Nickname`],
//!   the optional e-mail kept where it cannot be serialised or logged);
//! - `record` ([`GameRecord`]: the typed record, coin ids normalised to market codes, serialised
//!   back to the frontend's field names); `rules` (the rules both parsing paths apply, the
//!   deployment's [`RecordRules`], and the size/emptiness checks before any parsing; the
//!   name/affiliation rule itself is [`crate::player`]'s); `unique_keys` (repeated JSON keys);
//! - `envelope` ([`ClickEnvelope`]: the server's event id, arrival time and schema version, and
//!   the nickname's keyed hash in place of the nickname, for the trip through Kinesis);
//! - `fast`: bodies that are exactly the contract, straight into typed structs;
//! - `validate` / `validate_envelope`: the detailed walk that names *every* problem;
//! - `parse`: the entry points [`parse_game_record`] and [`parse_envelope`]: the checks before
//!   parsing, then `fast`, else the detailed walk, with the same answer either way.
//!
//! Nothing here does I/O or reads a clock: callers pass ids and times in.

mod envelope;
mod error;
mod fast;
pub mod limits;
mod nickname;
mod parse;
mod record;
mod rules;
mod unique_keys;
mod validate;
mod validate_envelope;

pub use envelope::{ClickEnvelope, SCHEMA_VERSION};
pub use error::{Problem, RecordError};
pub use nickname::{NICKNAME_HASH_HEX_LEN, Nickname};
pub use parse::{parse_envelope, parse_game_record};
pub use record::{CoinBuy, CoinSell, DeepLearningEntry, GameRecord, Leverage};
pub use rules::RecordRules;
pub use unique_keys::{DUPLICATE_KEY_RULE, duplicate_key_problems};
