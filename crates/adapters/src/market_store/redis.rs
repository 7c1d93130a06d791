//! [`RedisMarketStore`]: every market-store port on Redis, the hot store the platform plans
//! (issue "Redis hot store"): one round trip per read, newer-wins writes decided inside Redis.
//!
//! | key (prefix `p`) | type | content |
//! |---|---|---|
//! | `{p}:tickers` | hash | market → [`NormalizedTicker`] JSON |
//! | `{p}:ticker_ts` | hash | market → its `trade_timestamp` (what the newer-wins script compares) |
//! | `{p}:candles:<market>` | sorted set | score = minute start (ms), member = [`Candle`] JSON; at most one member per minute |
//! | `{p}:markets` | hash | market → [`MarketInfo`] JSON |
//! | `{p}:hints` | string | the whole [`HintSet`] JSON (replaced in one `SET`: a reader never sees half a set) |
//!
//! - **Newer wins, atomically**: a Lua script compares each ticker's `trade_timestamp` with the
//!   stored one and writes only a strictly newer one; another compares a candle's
//!   `last_position` (the replay guard). Concurrent writers cannot interleave inside a script.
//! - **Retention**: a candle write drops the market's candles older than
//!   [`DEFAULT_CANDLE_RETENTION`] before the newest minute written (DynamoDB's TTL here).
//! - **Failures**: every call is one command or one script: it happened or it did not. A lost
//!   connection fails the call as retryable while the connection manager reconnects
//!   ([`crate::redis_client`]); a write is safe to send again (the scripts are idempotent).

use std::sync::LazyLock;
use std::time::Duration;

use coinking_core::candle::Candle;
use coinking_core::catalog::MarketInfo;
use coinking_core::hints::HintSet;
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;
use redis::aio::ConnectionManager;
use redis::{Script, cmd};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    CandleReader, CandleWriter, CatalogReader, CatalogWriter, DEFAULT_CANDLE_RETENTION, HintReader,
    HintWriter, TickerReader, TickerWriter, WriteReport, candle_batch, candle_range_is_empty,
    check_hint_set, in_market_order, last_per_market, newest_per_market,
};
use crate::error::StoreError;
use crate::redis_client::{DEFAULT_PREFIX, Namespace, connect};

/// KEYS: tickers hash, timestamps hash. ARGV: (market, trade_timestamp, JSON) repeated.
/// Returns how many were written (the others were not newer than the stored ticker).
static PUT_LATEST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local written = 0
for i = 1, #ARGV, 3 do
  local stored = redis.call('HGET', KEYS[2], ARGV[i])
  if not stored or tonumber(ARGV[i + 1]) > tonumber(stored) then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    written = written + 1
  end
end
return written
",
    )
});

/// KEYS: one market's candle set. ARGV: retention cutoff (ms), then (minute, last_position,
/// JSON) repeated. Returns how many were written (the others were replays).
static PUT_CANDLES: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local written = 0
for i = 2, #ARGV, 3 do
  local minute = ARGV[i]
  local stored = redis.call('ZRANGEBYSCORE', KEYS[1], minute, minute)
  if #stored == 0 or tonumber(ARGV[i + 1]) > tonumber(cjson.decode(stored[1]).last_position) then
    redis.call('ZREMRANGEBYSCORE', KEYS[1], minute, minute)
    redis.call('ZADD', KEYS[1], minute, ARGV[i + 2])
    written = written + 1
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
return written
",
    )
});

/// See the module doc. Clones share the connection.
#[derive(Debug, Clone)]
pub struct RedisMarketStore {
    keys: Namespace,
    retention_ms: i64,
}

impl RedisMarketStore {
    /// Connects to `url` with the default key prefix (`coinking`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Ok(Self::new(connect(url).await?, DEFAULT_PREFIX))
    }

    /// A store on `connection` whose keys start with `{prefix}:`.
    pub fn new(connection: ConnectionManager, prefix: &str) -> Self {
        Self {
            keys: Namespace::new(connection, prefix),
            retention_ms: i64::try_from(DEFAULT_CANDLE_RETENTION.as_millis()).unwrap_or(i64::MAX),
        }
    }

    /// Keeps candles `retention` behind the newest one written instead of the default 7 days.
    pub fn with_candle_retention(mut self, retention: Duration) -> Self {
        self.retention_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
        self
    }

    fn key(&self, name: &str) -> String {
        self.keys.key(name)
    }

    fn candle_key(&self, market: &MarketCode) -> String {
        self.key(&format!("candles:{market}"))
    }
}

fn to_json(value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|error| StoreError::InvalidRequest(format!("not storable as JSON: {error}")))
}

/// A stored value that does not decode is a permanent error naming its key.
fn from_json<T: DeserializeOwned>(key: &str, field: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::InvalidItem {
        key: key.to_owned(),
        attribute: field.to_owned(),
        reason: error.to_string(),
    })
}

impl TickerWriter for RedisMarketStore {
    async fn put_latest(&self, tickers: &[NormalizedTicker]) -> Result<WriteReport, StoreError> {
        let (newest, stale_in_batch) = newest_per_market(tickers);
        if newest.is_empty() {
            return Ok(WriteReport::default());
        }
        let mut invocation = PUT_LATEST.prepare_invoke();
        invocation
            .key(self.key("tickers"))
            .key(self.key("ticker_ts"));
        for ticker in &newest {
            invocation
                .arg(ticker.market.as_str())
                .arg(ticker.trade_timestamp)
                .arg(to_json(ticker)?);
        }
        let written: usize = self.keys.invoke("put_latest", &invocation).await?;
        Ok(WriteReport {
            written,
            stale: stale_in_batch + newest.len() - written,
        })
    }
}

impl TickerReader for RedisMarketStore {
    async fn latest(&self, markets: &[MarketCode]) -> Result<Vec<NormalizedTicker>, StoreError> {
        if markets.is_empty() {
            return Ok(Vec::new());
        }
        let key = self.key("tickers");
        let mut command = cmd("HMGET");
        command.arg(&key);
        for market in markets {
            command.arg(market.as_str());
        }
        let stored: Vec<Option<String>> = self.keys.query("HMGET", &command).await?;
        let mut found = Vec::with_capacity(stored.len());
        for (market, text) in markets.iter().zip(&stored) {
            if let Some(text) = text {
                found.push(from_json::<NormalizedTicker>(&key, market.as_str(), text)?);
            }
        }
        Ok(in_market_order(found))
    }

    async fn latest_one(
        &self,
        market: &MarketCode,
    ) -> Result<Option<NormalizedTicker>, StoreError> {
        let key = self.key("tickers");
        let stored: Option<String> = self
            .keys
            .query("HGET", cmd("HGET").arg(&key).arg(market.as_str()))
            .await?;
        stored
            .map(|text| from_json(&key, market.as_str(), &text))
            .transpose()
    }
}

impl CandleWriter for RedisMarketStore {
    async fn put_candles(&self, candles: &[Candle]) -> Result<WriteReport, StoreError> {
        let (latest, mut report) = candle_batch(candles)?;
        // One script per market (one key each), all on one pipelined connection.
        let mut by_market: std::collections::BTreeMap<&MarketCode, Vec<&Candle>> =
            std::collections::BTreeMap::new();
        for candle in latest {
            by_market.entry(&candle.market).or_default().push(candle);
        }
        for (market, candles) in by_market {
            let newest = candles.iter().map(|c| c.minute_start_ms).max().unwrap_or(0);
            let mut invocation = PUT_CANDLES.prepare_invoke();
            invocation
                .key(self.candle_key(market))
                .arg(newest.saturating_sub(self.retention_ms));
            for candle in &candles {
                invocation
                    .arg(candle.minute_start_ms)
                    .arg(candle.last_position)
                    .arg(to_json(candle)?);
            }
            let written: usize = self.keys.invoke("put_candles", &invocation).await?;
            report.written += written;
            report.stale += candles.len() - written;
        }
        Ok(report)
    }
}

impl CandleReader for RedisMarketStore {
    async fn candles(
        &self,
        market: &MarketCode,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        if candle_range_is_empty(from_ms, to_ms, limit)? {
            return Ok(Vec::new());
        }
        let key = self.candle_key(market);
        let stored: Vec<String> = self
            .keys
            .query(
                "ZRANGEBYSCORE",
                cmd("ZRANGEBYSCORE")
                    .arg(&key)
                    .arg(from_ms)
                    .arg(to_ms)
                    .arg("LIMIT")
                    .arg(0)
                    // A count past i64 is "all" (-1) to Redis.
                    .arg(i64::try_from(limit).unwrap_or(-1)),
            )
            .await?;
        stored
            .iter()
            .map(|text| from_json(&key, "member", text))
            .collect()
    }
}

impl CatalogWriter for RedisMarketStore {
    async fn put_markets(&self, markets: &[MarketInfo]) -> Result<WriteReport, StoreError> {
        let distinct = last_per_market(markets);
        if distinct.is_empty() {
            return Ok(WriteReport::default());
        }
        let mut command = cmd("HSET");
        command.arg(self.key("markets"));
        for info in &distinct {
            command.arg(info.market.as_str()).arg(to_json(info)?);
        }
        let _: usize = self.keys.query("HSET", &command).await?;
        Ok(WriteReport {
            written: distinct.len(),
            stale: 0,
        })
    }
}

impl CatalogReader for RedisMarketStore {
    async fn markets(&self) -> Result<Vec<MarketInfo>, StoreError> {
        let key = self.key("markets");
        let stored: Vec<(String, String)> =
            self.keys.query("HGETALL", cmd("HGETALL").arg(&key)).await?;
        let mut markets = stored
            .iter()
            .map(|(market, text)| from_json::<MarketInfo>(&key, market, text))
            .collect::<Result<Vec<_>, _>>()?;
        markets.sort_by(|a, b| a.market.cmp(&b.market));
        Ok(markets)
    }
}

impl HintWriter for RedisMarketStore {
    async fn put_hints(&self, set: &HintSet) -> Result<WriteReport, StoreError> {
        check_hint_set(set)?;
        let () = self
            .keys
            .query("SET", cmd("SET").arg(self.key("hints")).arg(to_json(set)?))
            .await?;
        Ok(WriteReport {
            written: set.entries.len() + 1,
            stale: 0,
        })
    }
}

impl HintReader for RedisMarketStore {
    async fn hints(&self) -> Result<Option<HintSet>, StoreError> {
        let key = self.key("hints");
        let stored: Option<String> = self.keys.query("GET", cmd("GET").arg(&key)).await?;
        stored
            .map(|text| from_json(&key, "value", &text))
            .transpose()
    }
}
