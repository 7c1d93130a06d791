//! [`RedisLeaderboard`]: the leaderboard ports on Redis sorted sets, the textbook structure for
//! a ranking: a submission is one script, a rank page is one `ZREVRANGE` plus one pipelined read.
//!
//! | key (prefix `p`) | type | content |
//! |---|---|---|
//! | `{p}:lb:player:<affiliation>\n<name>` | hash | `name`, `affiliation`, `coin_1..3`, `balance`, `games_played`, `first_seen_ms`, `best_at_ms`, `last_seen_ms`, `last_request` |
//! | `{p}:lb:rank` | sorted set | score = best balance, member = `<affiliation>\n<name>`: the global ranking |
//! | `{p}:lb:rank:<affiliation>` | sorted set | the same, one affiliation |
//! | `{p}:lb:affiliations` | set | every affiliation with a player |
//! | `{p}:lb:built` | string | present once the rankings were rebuilt from the source of truth (`WriteThroughLeaderboard`) |
//!
//! Names and affiliations hold no control characters (`coinking_core::player`), so the newline
//! separates them unambiguously. Balances are at most 2^53 − 1 (`MAX_BALANCE_KRW`), exact as a
//! sorted-set score and as a Lua number.
//!
//! - **Best wins, atomically**: the submit script compares with the stored best, counts the
//!   game, and applies a request id once, inside Redis (the same outcomes as the DynamoDB store's
//!   conditional writes).
//! - **Ties**: Redis orders equal scores by member, descending; the rank order ties by
//!   affiliation then name ascending ([`coinking_core::leaderboard::rank_order`]), so a page
//!   reads every member tied with its last row and sorts in Rust.

use std::sync::LazyLock;

use coinking_core::leaderboard::{PlayerRecord, PlayerRow, ScoreEntry, best_first};
use coinking_core::market::MarketCode;
use redis::aio::ConnectionManager;
use redis::{Script, ScriptInvocation, cmd};

use super::{
    AffiliationReader, LeaderboardImport, PlayerReader, RankingReader, RankingScope, ScoreWriter,
    SubmitOutcome,
};
use crate::error::StoreError;
use crate::redis_client::{DEFAULT_PREFIX, Namespace, connect};

/// KEYS: player hash, global ranking, affiliation ranking, affiliations set.
/// ARGV: member, name, affiliation, coin_1, coin_2, coin_3, balance, at_ms, request_id.
/// Returns `{outcome, previous best}` with outcome `new`, `best`, `kept` or `duplicate`.
static SUBMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('SADD', KEYS[4], ARGV[3])
local stored = redis.call('HGET', KEYS[1], 'balance')
local balance = tonumber(ARGV[7])
local function rank()
  redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[7], ARGV[1])
end
if not stored then
  redis.call('HSET', KEYS[1], 'name', ARGV[2], 'affiliation', ARGV[3], 'coin_1', ARGV[4],
    'coin_2', ARGV[5], 'coin_3', ARGV[6], 'balance', ARGV[7], 'games_played', 1,
    'first_seen_ms', ARGV[8], 'best_at_ms', ARGV[8], 'last_seen_ms', ARGV[8],
    'last_request', ARGV[9])
  rank()
  return {'new', '0'}
end
local better = tonumber(stored) < balance
if better then
  redis.call('HSET', KEYS[1], 'coin_1', ARGV[4], 'coin_2', ARGV[5], 'coin_3', ARGV[6],
    'balance', ARGV[7], 'best_at_ms', ARGV[8])
  rank()
elseif redis.call('HGET', KEYS[1], 'last_request') == ARGV[9] then
  return {'duplicate', stored}
end
redis.call('HINCRBY', KEYS[1], 'games_played', 1)
redis.call('HSET', KEYS[1], 'last_seen_ms', ARGV[8], 'last_request', ARGV[9])
if better then return {'best', stored} end
return {'kept', stored}
",
    )
});

/// The hash fields a ranking row reads, in this order.
const ROW_FIELDS: [&str; 6] = [
    "name",
    "affiliation",
    "coin_1",
    "coin_2",
    "coin_3",
    "balance",
];
/// The hash fields a player record reads after [`ROW_FIELDS`], in this order.
const RECORD_COUNTER_FIELDS: [&str; 4] = [
    "games_played",
    "first_seen_ms",
    "best_at_ms",
    "last_seen_ms",
];

/// See the module doc. Clones share the connection.
#[derive(Debug, Clone)]
pub struct RedisLeaderboard {
    keys: Namespace,
}

impl RedisLeaderboard {
    /// Connects to `url` with the default key prefix (`coinking`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Ok(Self::new(connect(url).await?, DEFAULT_PREFIX))
    }

    /// A leaderboard on `connection` whose keys start with `{prefix}:`.
    pub fn new(connection: ConnectionManager, prefix: &str) -> Self {
        Self {
            keys: Namespace::new(connection, prefix),
        }
    }

    fn player_key(&self, member: &str) -> String {
        self.keys.key(&format!("lb:player:{member}"))
    }

    fn rank_key(&self, scope: &RankingScope) -> String {
        match scope {
            RankingScope::All => self.keys.key("lb:rank"),
            RankingScope::Affiliation(affiliation) => {
                self.keys.key(&format!("lb:rank:{affiliation}"))
            }
        }
    }

    fn affiliations_key(&self) -> String {
        self.keys.key("lb:affiliations")
    }

    /// A script invocation on a player's keys (hash, both rankings, the affiliations set),
    /// with the arguments every player script starts with: member, name, affiliation, coins.
    fn player_invocation<'a>(&self, script: &'a Script, row: &PlayerRow) -> ScriptInvocation<'a> {
        let member = member(&row.affiliation, &row.name);
        let mut invocation = script.prepare_invoke();
        invocation
            .key(self.player_key(&member))
            .key(self.rank_key(&RankingScope::All))
            .key(self.rank_key(&RankingScope::Affiliation(row.affiliation.clone())))
            .key(self.affiliations_key())
            .arg(&member)
            .arg(&row.name)
            .arg(&row.affiliation);
        for coin in &row.coins {
            invocation.arg(coin.as_str());
        }
        invocation
    }

    /// The rows of `members` (missing hashes left out).
    async fn rows(&self, members: &[String]) -> Result<Vec<PlayerRow>, StoreError> {
        let mut pipeline = redis::pipe();
        for member in members {
            pipeline
                .cmd("HMGET")
                .arg(self.player_key(member))
                .arg(&ROW_FIELDS[..]);
        }
        let stored: Vec<Vec<Option<String>>> = self.keys.pipeline("HMGET", &pipeline).await?;
        let mut rows = Vec::with_capacity(stored.len());
        for (member, fields) in members.iter().zip(stored) {
            if fields.iter().all(Option::is_none) {
                continue;
            }
            rows.push(row_of(&self.player_key(member), &fields)?);
        }
        Ok(rows)
    }
}

/// The ranking member of a player.
fn member(affiliation: &str, name: &str) -> String {
    format!("{affiliation}\n{name}")
}

fn field<'a>(key: &str, name: &str, value: Option<&'a String>) -> Result<&'a str, StoreError> {
    value
        .map(String::as_str)
        .ok_or_else(|| invalid(key, name, "is missing"))
}

fn invalid(key: &str, attribute: &str, reason: &str) -> StoreError {
    StoreError::InvalidItem {
        key: key.to_owned(),
        attribute: attribute.to_owned(),
        reason: reason.to_owned(),
    }
}

fn number<T: std::str::FromStr>(
    key: &str,
    name: &str,
    value: Option<&String>,
) -> Result<T, StoreError> {
    field(key, name, value)?
        .parse()
        .map_err(|_| invalid(key, name, "is not a whole number"))
}

fn market(key: &str, name: &str, value: Option<&String>) -> Result<MarketCode, StoreError> {
    MarketCode::parse(field(key, name, value)?)
        .map_err(|error| invalid(key, name, &error.to_string()))
}

/// A row from the values of [`ROW_FIELDS`].
fn row_of(key: &str, fields: &[Option<String>]) -> Result<PlayerRow, StoreError> {
    Ok(PlayerRow {
        name: field(key, "name", fields[0].as_ref())?.to_owned(),
        affiliation: field(key, "affiliation", fields[1].as_ref())?.to_owned(),
        coins: [
            market(key, "coin_1", fields[2].as_ref())?,
            market(key, "coin_2", fields[3].as_ref())?,
            market(key, "coin_3", fields[4].as_ref())?,
        ],
        balance: number(key, "balance", fields[5].as_ref())?,
    })
}

impl ScoreWriter for RedisLeaderboard {
    async fn submit(
        &self,
        entry: &ScoreEntry,
        at_ms: i64,
        request_id: &str,
    ) -> Result<SubmitOutcome, StoreError> {
        let row = entry.row();
        let mut invocation = self.player_invocation(&SUBMIT, &row);
        invocation.arg(row.balance).arg(at_ms).arg(request_id);
        let (outcome, previous): (String, u64) = self.keys.invoke("submit", &invocation).await?;
        Ok(match outcome.as_str() {
            "new" => SubmitOutcome::NewBest { previous: None },
            "best" => SubmitOutcome::NewBest {
                previous: Some(previous),
            },
            "kept" => SubmitOutcome::Kept { best: previous },
            _ => SubmitOutcome::Duplicate,
        })
    }
}

impl RankingReader for RedisLeaderboard {
    async fn ranking(
        &self,
        scope: &RankingScope,
        limit: usize,
    ) -> Result<Vec<PlayerRow>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let key = self.rank_key(scope);
        let stop = i64::try_from(limit).map_or(-1, |limit| limit - 1);
        let page: Vec<(String, u64)> = self
            .keys
            .query(
                "ZREVRANGE",
                cmd("ZREVRANGE")
                    .arg(&key)
                    .arg(0)
                    .arg(stop)
                    .arg("WITHSCORES"),
            )
            .await?;
        let Some((_, lowest)) = page.last().cloned() else {
            return Ok(Vec::new());
        };
        let mut members: Vec<String> = page.into_iter().map(|(member, _)| member).collect();
        // Every member tied with the page's last score: the rank order may put one of them first.
        let tied: Vec<String> = self
            .keys
            .query(
                "ZRANGEBYSCORE",
                cmd("ZRANGEBYSCORE").arg(&key).arg(lowest).arg(lowest),
            )
            .await?;
        for member in tied {
            if !members.contains(&member) {
                members.push(member);
            }
        }
        Ok(best_first(self.rows(&members).await?, limit))
    }
}

impl AffiliationReader for RedisLeaderboard {
    async fn affiliations(&self) -> Result<Vec<String>, StoreError> {
        let mut affiliations: Vec<String> = self
            .keys
            .query("SMEMBERS", cmd("SMEMBERS").arg(self.affiliations_key()))
            .await?;
        affiliations.sort();
        Ok(affiliations)
    }
}

impl PlayerReader for RedisLeaderboard {
    async fn player(
        &self,
        affiliation: &str,
        name: &str,
    ) -> Result<Option<PlayerRecord>, StoreError> {
        let key = self.player_key(&member(affiliation, name));
        let fields: Vec<Option<String>> = self
            .keys
            .query(
                "HMGET",
                cmd("HMGET")
                    .arg(&key)
                    .arg(&ROW_FIELDS[..])
                    .arg(&RECORD_COUNTER_FIELDS[..]),
            )
            .await?;
        if fields.iter().all(Option::is_none) {
            return Ok(None);
        }
        let (row, counters) = fields.split_at(ROW_FIELDS.len());
        Ok(Some(PlayerRecord {
            row: row_of(&key, row)?,
            games_played: number(&key, "games_played", counters[0].as_ref())?,
            first_seen_ms: number(&key, "first_seen_ms", counters[1].as_ref())?,
            best_at_ms: number(&key, "best_at_ms", counters[2].as_ref())?,
            last_seen_ms: number(&key, "last_seen_ms", counters[3].as_ref())?,
        }))
    }
}

impl LeaderboardImport for RedisLeaderboard {
    /// Each record through [`UPSERT`]: a record is written unless the stored one has counted
    /// more games (a newer state of the same player), so importing a snapshot never rolls a
    /// player back.
    async fn import(&self, records: &[PlayerRecord]) -> Result<usize, StoreError> {
        for chunk in records.chunks(IMPORT_CONCURRENCY) {
            let writes = chunk.iter().map(|record| self.upsert(record));
            for result in futures_util::future::join_all(writes).await {
                result?;
            }
        }
        Ok(records.len())
    }
}

/// Records imported concurrently (pipelined on the one connection).
const IMPORT_CONCURRENCY: usize = 64;

/// KEYS: player hash, global ranking, affiliation ranking, affiliations set. ARGV: member,
/// name, affiliation, coin_1..3, balance, games_played, first_seen_ms, best_at_ms,
/// last_seen_ms. Returns 1 when written, 0 when the stored record had counted more games.
static UPSERT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local stored = redis.call('HGET', KEYS[1], 'games_played')
if stored and tonumber(stored) > tonumber(ARGV[8]) then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[2], 'affiliation', ARGV[3], 'coin_1', ARGV[4],
  'coin_2', ARGV[5], 'coin_3', ARGV[6], 'balance', ARGV[7], 'games_played', ARGV[8],
  'first_seen_ms', ARGV[9], 'best_at_ms', ARGV[10], 'last_seen_ms', ARGV[11])
redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[3])
return 1
",
    )
});

impl RedisLeaderboard {
    /// Writes `record` unless a newer state of the player is stored; whether it was written.
    pub async fn upsert(&self, record: &PlayerRecord) -> Result<bool, StoreError> {
        let row = &record.row;
        let mut invocation = self.player_invocation(&UPSERT, row);
        invocation
            .arg(row.balance)
            .arg(record.games_played)
            .arg(record.first_seen_ms)
            .arg(record.best_at_ms)
            .arg(record.last_seen_ms);
        let written: u8 = self.keys.invoke("upsert", &invocation).await?;
        Ok(written == 1)
    }

    /// Whether the rankings were built from the source of truth since this Redis started (the
    /// marker lives in Redis: a restarted, empty Redis has none).
    pub async fn is_built(&self) -> Result<bool, StoreError> {
        self.keys
            .query("EXISTS", cmd("EXISTS").arg(self.built_key()))
            .await
    }

    /// Marks the rankings as built (see [`Self::is_built`]).
    pub async fn mark_built(&self) -> Result<(), StoreError> {
        self.keys
            .query("SET", cmd("SET").arg(self.built_key()).arg(1))
            .await
    }

    /// Forgets [`Self::mark_built`]: the next reader rebuilds.
    pub async fn mark_stale(&self) -> Result<(), StoreError> {
        let _: usize = self
            .keys
            .query("DEL", cmd("DEL").arg(self.built_key()))
            .await?;
        Ok(())
    }

    fn built_key(&self) -> String {
        self.keys.key("lb:built")
    }
}
