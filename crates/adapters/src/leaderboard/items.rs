//! Leaderboard items ↔ domain types, and the global index's shard of a player. Pure.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use coinking_core::leaderboard::{PlayerRecord, PlayerRow};

use crate::dynamodb::item::Reader;
use crate::error::StoreError;

pub use crate::dynamodb::item::{Item, PK, SK, describe_key, n, s};

pub const PLAYER_PK_PREFIX: &str = "PLAYER#";
pub const AFFILIATION_PK: &str = "AFFILIATION";

pub const PLAYER_NAME: &str = "player_name";
pub const AFFILIATION: &str = "affiliation";
pub const COINS: [&str; 3] = ["coin_1", "coin_2", "coin_3"];
pub const BALANCE: &str = "balance";
pub const GAMES_PLAYED: &str = "games_played";
pub const FIRST_SEEN_MS: &str = "first_seen_ms";
pub const BEST_AT_MS: &str = "best_at_ms";
pub const LAST_SEEN_MS: &str = "last_seen_ms";
pub const LAST_REQUEST: &str = "last_request";
/// Set once the player's affiliation item is known to be written.
pub const LISTED: &str = "listed";

/// The global ranking index and its partition key attribute.
pub const GSI_ALL: &str = "by_balance_all";
pub const GSI_ALL_PK: &str = "gsi_all_pk";
/// The per-affiliation ranking index and its partition key attribute.
pub const GSI_AFFILIATION: &str = "by_balance_affiliation";
pub const GSI_AFF_PK: &str = "gsi_aff_pk";

/// Partition keys of the global index. Fixed: a player's shard is stored in its item, so changing
/// this needs every item rewritten. Eight keys spread the index's writes over eight partitions
/// and cost eight small Queries per global ranking.
pub const GLOBAL_SHARDS: u32 = 8;

/// The attributes both indexes project besides the keys: exactly the rank page's row.
pub const PROJECTED: [&str; 5] = [PLAYER_NAME, AFFILIATION, COINS[0], COINS[1], COINS[2]];

pub fn player_pk(affiliation: &str) -> String {
    format!("{PLAYER_PK_PREFIX}{affiliation}")
}

pub fn player_key(affiliation: &str, name: &str) -> Item {
    HashMap::from([
        (PK.to_owned(), s(player_pk(affiliation))),
        (SK.to_owned(), s(name)),
    ])
}

pub fn affiliation_item(affiliation: &str) -> Item {
    HashMap::from([
        (PK.to_owned(), s(AFFILIATION_PK)),
        (SK.to_owned(), s(affiliation)),
        (AFFILIATION.to_owned(), s(affiliation)),
    ])
}

/// FNV-1a (64 bit) of affiliation, a NUL (which neither text may hold), and name: stable across
/// builds and platforms, unlike `std`'s hasher.
pub fn global_shard(affiliation: &str, name: &str) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = affiliation
        .bytes()
        .chain(std::iter::once(0))
        .chain(name.bytes());
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    u32::try_from(hash % u64::from(GLOBAL_SHARDS)).unwrap_or(0)
}

pub fn global_pk(shard: u32) -> String {
    format!("ALL#{shard}")
}

pub fn affiliation_gsi_pk(affiliation: &str) -> String {
    format!("AFF#{affiliation}")
}

/// A whole player item (imports).
pub fn record_to_item(record: &PlayerRecord) -> Item {
    let row = &record.row;
    let mut item = player_key(&row.affiliation, &row.name);
    item.insert(PLAYER_NAME.to_owned(), s(row.name.as_str()));
    item.insert(AFFILIATION.to_owned(), s(row.affiliation.as_str()));
    for (attribute, coin) in COINS.iter().zip(&row.coins) {
        item.insert((*attribute).to_owned(), s(coin.as_str()));
    }
    item.insert(BALANCE.to_owned(), n(row.balance));
    item.insert(GAMES_PLAYED.to_owned(), n(record.games_played));
    item.insert(FIRST_SEEN_MS.to_owned(), n(record.first_seen_ms));
    item.insert(BEST_AT_MS.to_owned(), n(record.best_at_ms));
    item.insert(LAST_SEEN_MS.to_owned(), n(record.last_seen_ms));
    item.insert(LISTED.to_owned(), AttributeValue::Bool(true));
    item.insert(
        GSI_ALL_PK.to_owned(),
        s(global_pk(global_shard(&row.affiliation, &row.name))),
    );
    item.insert(
        GSI_AFF_PK.to_owned(),
        s(affiliation_gsi_pk(&row.affiliation)),
    );
    item
}

/// The rank row of a player item or an index entry.
pub fn row_from_item(item: &Item) -> Result<PlayerRow, StoreError> {
    let read = Reader::new(item);
    Ok(PlayerRow {
        name: read.string(PLAYER_NAME)?.to_owned(),
        affiliation: read.string(AFFILIATION)?.to_owned(),
        coins: [
            read.market(COINS[0])?,
            read.market(COINS[1])?,
            read.market(COINS[2])?,
        ],
        balance: read.number(BALANCE)?,
    })
}

/// The whole record of a player item.
pub fn record_from_item(item: &Item) -> Result<PlayerRecord, StoreError> {
    let read = Reader::new(item);
    Ok(PlayerRecord {
        row: row_from_item(item)?,
        games_played: read.number(GAMES_PLAYED)?,
        first_seen_ms: read.number(FIRST_SEEN_MS)?,
        best_at_ms: read.number(BEST_AT_MS)?,
        last_seen_ms: read.number(LAST_SEEN_MS)?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use coinking_core::market::MarketCode;

    use super::*;

    #[test]
    fn shards_are_stable_and_spread_players() {
        // Fixed values: a shard is stored in the item, so the hash must never change.
        assert_eq!(
            global_shard("코인대학교", "김철수"),
            global_shard("코인대학교", "김철수")
        );
        let mut counts = [0_u32; GLOBAL_SHARDS as usize];
        for i in 0..8_000 {
            counts[global_shard("a", &format!("player{i}")) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
        // The NUL separator: ("ab", "c") and ("a", "bc") are different players.
        let pairs = (0..64).filter(|i| {
            let (a, b) = (format!("x{i}"), format!("y{i}"));
            global_shard(&format!("{a}{b}"), "") != global_shard(&a, &b)
        });
        assert!(pairs.count() > 0);
    }

    #[test]
    fn a_record_round_trips_through_its_item() {
        let record = PlayerRecord {
            row: PlayerRow {
                name: "김철수".into(),
                affiliation: "코인대학교".into(),
                coins: [
                    MarketCode::parse("KRW-BTC").unwrap(),
                    MarketCode::parse("KRW-ETH").unwrap(),
                    MarketCode::parse("KRW-DOGE").unwrap(),
                ],
                balance: 1_734_500_000,
            },
            games_played: 3,
            first_seen_ms: 1,
            best_at_ms: 2,
            last_seen_ms: 3,
        };
        let item = record_to_item(&record);
        assert_eq!(record_from_item(&item).unwrap(), record);
        assert_eq!(describe_key(&item), "PLAYER#코인대학교/김철수");
    }
}
