//! 1-minute candles (OHLCV + trade count) built from the ticker stream.
//!
//! Each Upbit ticker message reports one execution (`trade_price`, `trade_volume`,
//! `trade_timestamp`), so a minute's candle is a fold over that minute's tickers. Candles are
//! built in memory and merged, and every tick carries an ordering key — its position in the
//! stream (the Kafka offset for the stream stage) — so that:
//! - open and close are the earliest and latest tick by (trade_timestamp, position), whatever the
//!   arrival order;
//! - a tick at or before the candle's last applied position is ignored, which makes replaying a
//!   stream after a restart (at-least-once delivery) idempotent.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::MarketCode;
use crate::ticker::NormalizedTicker;

/// Candle width.
pub const CANDLE_INTERVAL_MS: i64 = 60_000;

/// The start of the minute containing `epoch_ms`.
pub fn minute_start(epoch_ms: i64) -> i64 {
    epoch_ms.div_euclid(CANDLE_INTERVAL_MS) * CANDLE_INTERVAL_MS
}

/// One execution, as the candle builder needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub market: MarketCode,
    pub trade_timestamp: i64,
    pub price: Decimal,
    pub volume: Decimal,
    /// Position in the stream (strictly increasing per market): the replay guard.
    pub position: i64,
}

impl Tick {
    /// A tick from a normalised ticker; a ticker without `trade_volume` counts as volume zero.
    pub fn from_ticker(ticker: &NormalizedTicker, position: i64) -> Self {
        Tick {
            market: ticker.market.clone(),
            trade_timestamp: ticker.trade_timestamp,
            price: ticker.trade_price,
            volume: ticker.trade_volume.unwrap_or(Decimal::ZERO),
            position,
        }
    }
}

/// One market's candle for one minute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candle {
    pub market: MarketCode,
    /// Epoch ms of the minute's start.
    pub minute_start_ms: i64,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    pub volume: Decimal,
    pub trade_count: u64,
    /// Ordering keys of the open and close ticks.
    pub open_key: (i64, i64),
    pub close_key: (i64, i64),
    /// Highest stream position applied: ticks at or before it are replays.
    pub last_position: i64,
}

impl Candle {
    /// The candle holding just `tick`.
    pub fn from_tick(tick: &Tick) -> Self {
        let key = (tick.trade_timestamp, tick.position);
        Candle {
            market: tick.market.clone(),
            minute_start_ms: minute_start(tick.trade_timestamp),
            open: tick.price,
            high: tick.price,
            low: tick.price,
            close: tick.price,
            volume: tick.volume,
            trade_count: 1,
            open_key: key,
            close_key: key,
            last_position: tick.position,
        }
    }

    /// Folds `tick` in. Returns false (and changes nothing) for a replayed tick or one from
    /// another market or minute.
    pub fn apply(&mut self, tick: &Tick) -> bool {
        if tick.market != self.market
            || minute_start(tick.trade_timestamp) != self.minute_start_ms
            || tick.position <= self.last_position
        {
            return false;
        }
        let key = (tick.trade_timestamp, tick.position);
        if key < self.open_key {
            self.open = tick.price;
            self.open_key = key;
        }
        if key > self.close_key {
            self.close = tick.price;
            self.close_key = key;
        }
        self.high = self.high.max(tick.price);
        self.low = self.low.min(tick.price);
        self.volume += tick.volume;
        self.trade_count += 1;
        self.last_position = tick.position;
        true
    }
}

/// Builds candles from ticks in stream order: the independent reference the stream stage's
/// stored candles are compared with, and the stage's own in-memory fold.
pub fn build_candles<'a>(ticks: impl IntoIterator<Item = &'a Tick>) -> Vec<Candle> {
    let mut candles: std::collections::BTreeMap<(MarketCode, i64), Candle> = Default::default();
    for tick in ticks {
        let key = (tick.market.clone(), minute_start(tick.trade_timestamp));
        match candles.get_mut(&key) {
            Some(candle) => {
                candle.apply(tick);
            }
            None => {
                candles.insert(key, Candle::from_tick(tick));
            }
        }
    }
    candles.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn tick(ts: i64, price: &str, volume: &str, position: i64) -> Tick {
        Tick {
            market: MarketCode::parse("KRW-BTC").unwrap(),
            trade_timestamp: ts,
            price: Decimal::from_str(price).unwrap(),
            volume: Decimal::from_str(volume).unwrap(),
            position,
        }
    }

    #[test]
    fn minute_start_floors_including_before_the_epoch() {
        assert_eq!(minute_start(1_732_500_059_999), 1_732_500_000_000);
        assert_eq!(minute_start(1_732_500_060_000), 1_732_500_060_000);
        assert_eq!(minute_start(-1), -60_000);
    }

    #[test]
    fn folds_ohlcv_and_counts_trades() {
        let ticks = [
            tick(1_000, "100", "1", 1),
            tick(2_000, "105", "0.5", 2),
            tick(3_000, "95", "2", 3),
            tick(4_000, "101", "0.25", 4),
        ];
        let candles = build_candles(&ticks);
        assert_eq!(candles.len(), 1);
        let c = &candles[0];
        assert_eq!(
            (c.open, c.high, c.low, c.close),
            (100.into(), 105.into(), 95.into(), 101.into())
        );
        assert_eq!(c.volume, Decimal::from_str("3.75").unwrap());
        assert_eq!(c.trade_count, 4);
        assert_eq!(c.minute_start_ms, 0);
    }

    #[test]
    fn replayed_ticks_change_nothing() {
        let ticks = [tick(1_000, "100", "1", 1), tick(2_000, "105", "1", 2)];
        let mut candle = Candle::from_tick(&ticks[0]);
        assert!(candle.apply(&ticks[1]));
        let before = candle.clone();
        assert!(!candle.apply(&ticks[0]));
        assert!(!candle.apply(&ticks[1]));
        assert_eq!(candle, before);
    }

    #[test]
    fn late_tick_with_an_earlier_timestamp_becomes_the_open() {
        let mut candle = Candle::from_tick(&tick(5_000, "100", "1", 10));
        assert!(candle.apply(&tick(4_000, "90", "1", 11)));
        assert_eq!(candle.open, Decimal::from(90));
        assert_eq!(candle.close, Decimal::from(100));
    }

    #[test]
    fn ticks_split_into_minutes() {
        let ticks = [tick(59_999, "1", "1", 1), tick(60_000, "2", "1", 2)];
        let candles = build_candles(&ticks);
        assert_eq!(candles.len(), 2);
        assert_eq!(candles[1].minute_start_ms, 60_000);
        let mut first = candles[0].clone();
        assert!(!first.apply(&ticks[1]), "another minute's tick is refused");
    }
}
