//! The market store: latest tickers, 1-minute candles and the market catalog, in the single
//! DynamoDB table of DESIGN.md (default `coinking-market`, keys `pk` S / `sk` S).
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | latest ticker | `TICKER` | market code | every [`NormalizedTicker`] field; newer `trade_timestamp` wins |
//! | 1-minute candle | `CANDLE#1m#<market>` | minute start, epoch ms, 13 digits zero-padded | OHLCV, `trade_count`, open/close keys, `last_position`, `ttl` |
//! | market | `MARKET` | market code | `korean_name`, `english_name`, `warning`, `caution` (map of 5 flags) |
//! | hint | `HINT` | market code | the `/get_deeplearning` entry's fields |
//! | hint set | `HINT` | `#SET` | `generated_at_ms`, `data_time_ms`, `model`, `warming_up`, `markets` (the set's codes, in order) |
//!
//! Ports are small, per-operation traits so a handler (and its IAM policy) takes only what it
//! needs. Three implementations: [`DynamoDbMarketStore`], `RedisMarketStore` (feature `redis`,
//! the hot store) and [`InMemoryMarketStore`] (unit tests and the embedded local run), held to
//! the same contract by one shared test suite (`tests/contract/market_store.rs`).
//!
//! [`TieredMarketStore`] composes two of them: a hot store (Redis) for every write and read, a
//! durable one (DynamoDB) for closed minutes only.
//!
//! Module map: [`items`] (item ↔ domain mapping, pure), [`dynamodb`], `redis`, [`memory`],
//! [`tiered`]; resubmission policy: [`crate::RetryPolicy`].
//!
//! The traits return `impl Future + Send` rather than using `async fn` so that callers can
//! spawn the futures; the price is that they are not object-safe: take `&impl TickerReader`.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use coinking_core::candle::Candle;
use coinking_core::catalog::MarketInfo;
use coinking_core::hints::HintSet;
use coinking_core::market::MarketCode;
use coinking_core::ticker::NormalizedTicker;

use crate::error::StoreError;

#[cfg(test)]
#[macro_use]
#[path = "../../tests/contract/market_store.rs"]
mod contract;

pub mod dynamodb;
pub mod items;
pub mod memory;
#[cfg(feature = "redis")]
pub mod redis;
pub mod tiered;

#[cfg(feature = "redis")]
pub use self::redis::RedisMarketStore;
pub use dynamodb::{DynamoDbMarketStore, DynamoDbStoreConfig, ensure_table};
pub use memory::InMemoryMarketStore;
pub use tiered::TieredMarketStore;

/// The table name when none is configured.
pub const DEFAULT_TABLE_NAME: &str = "coinking-market";
/// How long candles are kept before DynamoDB's TTL removes them.
pub const DEFAULT_CANDLE_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// What a write did: items stored, and items skipped because the store already held something
/// at least as new (an older ticker, a replayed candle). Skipping is success, not an error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub written: usize,
    pub stale: usize,
}

/// Writes latest tickers; only a strictly newer `trade_timestamp` replaces a stored ticker.
pub trait TickerWriter: Send + Sync {
    fn put_latest(
        &self,
        tickers: &[NormalizedTicker],
    ) -> impl Future<Output = Result<WriteReport, StoreError>> + Send;
}

/// Reads latest tickers.
pub trait TickerReader: Send + Sync {
    /// The stored tickers of `markets` (those that have one), sorted by market code.
    fn latest(
        &self,
        markets: &[MarketCode],
    ) -> impl Future<Output = Result<Vec<NormalizedTicker>, StoreError>> + Send;

    /// One market's stored ticker.
    fn latest_one(
        &self,
        market: &MarketCode,
    ) -> impl Future<Output = Result<Option<NormalizedTicker>, StoreError>> + Send;
}

/// Writes 1-minute candles; a candle replaces the stored one only with a higher `last_position`,
/// so replaying the stream after a restart never rolls a candle back.
pub trait CandleWriter: Send + Sync {
    fn put_candles(
        &self,
        candles: &[Candle],
    ) -> impl Future<Output = Result<WriteReport, StoreError>> + Send;
}

/// Reads 1-minute candles.
pub trait CandleReader: Send + Sync {
    /// Candles of `market` whose minute start lies in `from_ms..=to_ms`, oldest first, at most
    /// `limit` of them.
    fn candles(
        &self,
        market: &MarketCode,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Candle>, StoreError>> + Send;
}

/// Writes market catalog entries (unconditionally: the catalog is refreshed from Upbit).
pub trait CatalogWriter: Send + Sync {
    fn put_markets(
        &self,
        markets: &[MarketInfo],
    ) -> impl Future<Output = Result<WriteReport, StoreError>> + Send;
}

/// Reads the market catalog.
pub trait CatalogReader: Send + Sync {
    /// Every stored market, sorted by market code.
    fn markets(&self) -> impl Future<Output = Result<Vec<MarketInfo>, StoreError>> + Send;
}

/// Writes the AI hint set (`/get_deeplearning`), replacing the stored one: entries first, the
/// set's item last, so a reader never sees a set naming markets whose entries were never written.
pub trait HintWriter: Send + Sync {
    fn put_hints(
        &self,
        set: &HintSet,
    ) -> impl Future<Output = Result<WriteReport, StoreError>> + Send;
}

/// Reads the AI hint set.
pub trait HintReader: Send + Sync {
    /// The stored set, its entries in the set's market order; `None` before the first write.
    /// Entries of markets the set names but that are missing are left out, and a read during a
    /// write may mix two generations' entries: callers re-check the set rules
    /// (`coinking_core::hints::fit_to_markets`).
    fn hints(&self) -> impl Future<Output = Result<Option<HintSet>, StoreError>> + Send;
}

/// Every port at once, for the places that hold the whole store (the stream stage, the local run,
/// the contract tests). Handlers should name only the ports they use.
pub trait MarketStore:
    TickerWriter + TickerReader + CandleWriter + CandleReader + CatalogWriter + CatalogReader
{
}

impl<T> MarketStore for T where
    T: TickerWriter + TickerReader + CandleWriter + CandleReader + CatalogWriter + CatalogReader
{
}

/// What `TickerReader::latest` answers: by market, each market once (a request may name one
/// twice). DynamoDB's query gives this order by its sort key; the other stores sort.
fn in_market_order(mut found: Vec<NormalizedTicker>) -> Vec<NormalizedTicker> {
    found.sort_by(|a, b| a.market.cmp(&b.market));
    found.dedup_by(|a, b| a.market == b.market);
    found
}

/// The last entry per market of a catalog batch (a batch write rejects duplicate keys).
fn last_per_market(markets: &[MarketInfo]) -> Vec<&MarketInfo> {
    let mut last: BTreeMap<&MarketCode, &MarketInfo> = BTreeMap::new();
    for info in markets {
        last.insert(&info.market, info);
    }
    last.into_values().collect()
}

/// Keeps the newest ticker per market of a batch (the first of equal timestamps, as the store
/// would); the others are stale before any write. Returns the keepers and the stale count.
fn newest_per_market(tickers: &[NormalizedTicker]) -> (Vec<&NormalizedTicker>, usize) {
    let mut newest: BTreeMap<&MarketCode, &NormalizedTicker> = BTreeMap::new();
    for ticker in tickers {
        match newest.get(&ticker.market) {
            Some(kept) if !ticker.is_newer_than(kept) => {}
            _ => {
                newest.insert(&ticker.market, ticker);
            }
        }
    }
    let stale = tickers.len() - newest.len();
    (newest.into_values().collect(), stale)
}

/// What every candle writer does first, one rule for all stores: refuse the whole batch if a
/// candle's minute is out of range (nothing written), then keep the latest candle per market and
/// minute; the report starts with the others counted as stale.
fn candle_batch(candles: &[Candle]) -> Result<(Vec<&Candle>, WriteReport), StoreError> {
    for candle in candles {
        check_candle_time("candle minute_start_ms", candle.minute_start_ms)?;
    }
    let (latest, stale) = latest_per_candle(candles);
    Ok((latest, WriteReport { written: 0, stale }))
}

/// Keeps the candle with the highest `last_position` per market and minute of a batch.
fn latest_per_candle(candles: &[Candle]) -> (Vec<&Candle>, usize) {
    let mut latest: BTreeMap<(&MarketCode, i64), &Candle> = BTreeMap::new();
    for candle in candles {
        let key = (&candle.market, candle.minute_start_ms);
        match latest.get(&key) {
            Some(kept) if candle.last_position <= kept.last_position => {}
            _ => {
                latest.insert(key, candle);
            }
        }
    }
    let stale = candles.len() - latest.len();
    (latest.into_values().collect(), stale)
}

/// A hint set the store can hold: each market once (one item per market), finite numbers
/// (DynamoDB numbers have no NaN or infinity).
fn check_hint_set(set: &HintSet) -> Result<(), StoreError> {
    let mut seen = std::collections::BTreeSet::new();
    for (index, hint) in set.entries.iter().enumerate() {
        if !seen.insert(&hint.code) {
            return Err(StoreError::InvalidRequest(format!(
                "hint set entries[{index}].code: {} appears twice",
                hint.code
            )));
        }
        let numbers = [
            ("percentage", hint.percentage),
            ("sell_up", hint.sell_up),
            ("sell_down", hint.sell_down),
        ];
        for (field, value) in numbers {
            if !value.is_finite() {
                return Err(StoreError::InvalidRequest(format!(
                    "hint set entries[{index}].{field}: must be a finite number"
                )));
            }
        }
    }
    Ok(())
}

/// The one check of a candle range query, for every implementation: both ends must be valid
/// candle times ([`check_candle_time`]); `true` when nothing can match (`from > to`, or
/// `limit` 0), so the caller answers an empty list without asking its store.
fn candle_range_is_empty(from_ms: i64, to_ms: i64, limit: usize) -> Result<bool, StoreError> {
    check_candle_time("from", from_ms)?;
    check_candle_time("to", to_ms)?;
    Ok(from_ms > to_ms || limit == 0)
}

/// Candle keys are zero-padded decimal text, which sorts like the number only for
/// non-negative values of at most 13 digits.
fn check_candle_time(what: &str, epoch_ms: i64) -> Result<(), StoreError> {
    if (0..=items::MAX_CANDLE_MS).contains(&epoch_ms) {
        Ok(())
    } else {
        Err(StoreError::InvalidRequest(format!(
            "{what} {epoch_ms} is outside 0..={} epoch ms",
            items::MAX_CANDLE_MS
        )))
    }
}
