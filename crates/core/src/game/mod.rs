//! Game records: what the frontend reports when a game ends (`POST /set_click_stream`).
//!
//! The flow through this module is the flow of a record through the platform:
//! - [`parse_game_record`] (in `validate`) turns an untrusted body into a [`GameRecord`] or into
//!   *every* [`Problem`] with it, under the fixed [`limits`] and the deployment's [`RecordRules`];
//! - [`GameRecord`] (in `record`) is the typed record, coin ids normalised to market codes, that
//!   serialises back to the frontend's field names;
//! - `fast` accepts bodies that are exactly the contract straight into typed structs; everything
//!   else (and every refusal) goes through `validate`'s detailed walk, with the same answer;
//! - `rules` holds the rules added since both paths existed, once, for both walkers; the
//!   name/affiliation rule itself is [`crate::player`]'s; `unique_keys` finds repeated JSON keys
//!   for the detailed paths;
//! - [`Nickname`] (in `nickname`) keeps the optional e-mail the player gave for prizes where it
//!   cannot be serialised or logged;
//! - [`ClickEnvelope`] (in `envelope`) adds the server's event id, arrival time and schema
//!   version for the trip through Kinesis (and the nickname's keyed hash in place of the
//!   nickname), and [`parse_envelope`] reads it back in the archiver.
//!
//! Nothing here does I/O or reads a clock: callers pass ids and times in.

mod envelope;
mod fast;
pub mod limits;
mod nickname;
mod record;
mod rules;
mod unique_keys;
mod validate;

pub use envelope::{ClickEnvelope, SCHEMA_VERSION, parse_envelope};
pub use nickname::{NICKNAME_HASH_HEX_LEN, Nickname};
pub use record::{CoinBuy, CoinSell, DeepLearningEntry, GameRecord, Leverage};
pub use unique_keys::{DUPLICATE_KEY_RULE, duplicate_key_problems};
pub use validate::{Problem, RecordError, RecordRules, parse_game_record};
