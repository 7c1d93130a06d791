//! The server's check of a submitted balance: the highest balance the frontend's own rule lets a
//! game reach from the prices the platform served.
//!
//! The frontend's rule (docs/DESIGN.md, "The frontend's contracts"): three buys of 1e9, 5e8 and 1e8
//! KRW, one per coin in the player's order; each holding is worth
//! `money × (1 + L × (p_sell / p_buy − 1))`, floored at 0, with `L ∈ {1, 10, 100, 1000}`; the
//! balance is the sum of the three holdings when sold. A holding grows with `p_sell / p_buy`, and
//! for a ratio of at least 1 with `L`, so the best any game can do is, per coin, the best ratio
//! of a later (or same-minute) sell price to an earlier buy price, at `L = 1000`.
//!
//! **This is an upper bound, not a replay.** Per 1-minute candle only the low and high are known,
//! not their order, so a buy is assumed at a candle's low and a sell at the high of the same or
//! any later candle (within one minute the high may in fact have come first). Every price a
//! player can trade at is a ticker the platform served, and every served ticker was folded into
//! the stored candle of its minute by the same stream stage, so no honest game exceeds the bound.
//! The bound is never below the start balance (a player who sells at the buy price keeps it), and
//! a tolerance ([`DEFAULT_TOLERANCE`], 1 % of the bound) absorbs float rounding and a tick that
//! reached the frontend before its candle was written.
//!
//! A coin without any stored candle in the window (ingester down, table emptied) cannot be
//! bounded from data: its ratio is taken as [`FALLBACK_MAX_RATIO`] instead (a static cap: a 10 %
//! rise within the window, rare even for the small game coins), and the caller counts and logs it.

use std::fmt;

use rust_decimal::prelude::ToPrimitive;

use super::{BUY_MONEY_KRW, LEVERAGES, START_BALANCE_KRW};
use crate::candle::{CANDLE_INTERVAL_MS, Candle, minute_start};

/// How far back a submitted game may lie: the frontend sends the session's best game when the
/// player leaves the result screen.
pub const SCORE_WINDOW_MS: i64 = 30 * 60 * 1000;
/// Extra history read before the window, for the price shown at its start: a quiet coin's latest
/// ticker (what the frontend shows) may come from a candle older than the window.
pub const LOOKBACK_MS: i64 = 30 * 60 * 1000;
/// Share of the bound added before a balance is refused.
pub const DEFAULT_TOLERANCE: f64 = 0.01;
/// The static sell/buy ratio cap of a coin with no candle in the window.
pub const FALLBACK_MAX_RATIO: f64 = 1.10;

/// One minute's price range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceRange {
    pub low: f64,
    pub high: f64,
}

impl PriceRange {
    /// The candle's low and high as floats; `None` for a price that is not a positive number.
    pub fn of_candle(candle: &Candle) -> Option<Self> {
        let low = candle.low.to_f64()?;
        let high = candle.high.to_f64()?;
        (low > 0.0 && high >= low && high.is_finite()).then_some(Self { low, high })
    }
}

/// The price ranges a player could have traded at in a window that starts at `window_start_ms`,
/// from `candles` oldest first: every candle of the window, and before them the close of the
/// newest candle older than the window (the price shown until the window's first trade).
pub fn price_ranges(candles: &[Candle], window_start_ms: i64) -> Vec<PriceRange> {
    let first_in_window = candles
        .iter()
        .position(|c| c.minute_start_ms >= minute_start(window_start_ms))
        .unwrap_or(candles.len());
    let mut ranges = Vec::with_capacity(candles.len() - first_in_window + 1);
    if let Some(before) = first_in_window.checked_sub(1).and_then(|i| candles.get(i)) {
        if let Some(close) = before.close.to_f64().filter(|p| *p > 0.0 && p.is_finite()) {
            ranges.push(PriceRange {
                low: close,
                high: close,
            });
        }
    }
    ranges.extend(
        candles[first_in_window..]
            .iter()
            .filter_map(PriceRange::of_candle),
    );
    ranges
}

/// The best `sell / buy` ratio with the buy at a minute's low and the sell at the high of that
/// or a later minute; `None` without any minute. At least 1 otherwise (sell where you bought).
pub fn best_ratio(minutes: &[PriceRange]) -> Option<f64> {
    let mut lowest_so_far = f64::INFINITY;
    let mut best: Option<f64> = None;
    for minute in minutes {
        lowest_so_far = lowest_so_far.min(minute.low);
        let ratio = minute.high / lowest_so_far;
        best = Some(best.map_or(ratio, |b| b.max(ratio)));
    }
    best
}

/// The frontend's value of one holding.
pub fn holding_value(money: f64, leverage: f64, ratio: f64) -> f64 {
    (money * (1.0 + leverage * (ratio - 1.0))).max(0.0)
}

/// How the bound is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRule {
    /// Length of the window the game may lie in, ending at the submission.
    pub window_ms: i64,
    /// Candles read before the window (see [`price_ranges`]).
    pub lookback_ms: i64,
    /// Share of the bound added before refusing.
    pub tolerance: f64,
    /// Ratio assumed for a coin without candles in the window.
    pub fallback_ratio: f64,
}

impl Default for ScoreRule {
    fn default() -> Self {
        Self {
            window_ms: SCORE_WINDOW_MS,
            lookback_ms: LOOKBACK_MS,
            tolerance: DEFAULT_TOLERANCE,
            fallback_ratio: FALLBACK_MAX_RATIO,
        }
    }
}

/// The candle range to read for a submission at `now_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandleQuery {
    pub from_ms: i64,
    pub window_start_ms: i64,
    pub to_ms: i64,
    /// Most candles the range holds (one per minute).
    pub limit: usize,
}

impl ScoreRule {
    /// Which candles to read for a submission at `now_ms`.
    pub fn candle_query(&self, now_ms: i64) -> CandleQuery {
        let window_start_ms = minute_start((now_ms - self.window_ms).max(0));
        let from_ms = minute_start((window_start_ms - self.lookback_ms).max(0));
        let minutes = (now_ms - from_ms) / CANDLE_INTERVAL_MS + 1;
        CandleQuery {
            from_ms,
            window_start_ms,
            to_ms: now_ms,
            limit: usize::try_from(minutes.max(1)).unwrap_or(usize::MAX),
        }
    }

    /// The bound from each coin's best ratio (in the player's coin order); `None` = no candles.
    pub fn bound(&self, ratios: [Option<f64>; 3]) -> ScoreBound {
        let leverage = f64::from(LEVERAGES[LEVERAGES.len() - 1]);
        let mut reachable = 0.0;
        let mut fallback = [false; 3];
        for (index, ratio) in ratios.iter().enumerate() {
            let ratio = ratio.unwrap_or_else(|| {
                fallback[index] = true;
                self.fallback_ratio
            });
            // A ratio below 1 is best held at leverage 1 (never below 0 at any leverage).
            let best = holding_value(BUY_MONEY_KRW[index], leverage, ratio).max(holding_value(
                BUY_MONEY_KRW[index],
                1.0,
                ratio,
            ));
            reachable += best;
        }
        let reachable_krw = reachable.max(START_BALANCE_KRW as f64);
        ScoreBound {
            reachable_krw,
            allowed_krw: reachable_krw * (1.0 + self.tolerance),
            tolerance: self.tolerance,
            window_minutes: self.window_ms / 60_000,
            fallback,
        }
    }
}

/// The result of [`ScoreRule::bound`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreBound {
    /// The highest balance any buy and sell times reach (never below the start balance).
    pub reachable_krw: f64,
    /// `reachable_krw` plus the tolerance: the largest balance accepted.
    pub allowed_krw: f64,
    pub tolerance: f64,
    pub window_minutes: i64,
    /// Which coins (in order) had no candles and were bounded by the static cap.
    pub fallback: [bool; 3],
}

impl ScoreBound {
    /// Accepts `balance` when it is at most [`ScoreBound::allowed_krw`].
    pub fn check(&self, balance: f64) -> Result<(), OutOfBounds> {
        if balance <= self.allowed_krw {
            Ok(())
        } else {
            Err(OutOfBounds {
                balance,
                bound: *self,
            })
        }
    }
}

/// A balance above the bound; displays as the `field: rule` message of the 422 answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutOfBounds {
    pub balance: f64,
    pub bound: ScoreBound,
}

impl fmt::Display for OutOfBounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "balance: {:.0} is above {:.0}, the highest balance the chosen coins' prices of the last {} minutes allow at leverage 1000 (plus {} % tolerance)",
            self.balance,
            self.bound.allowed_krw.floor(),
            self.bound.window_minutes,
            self.bound.tolerance * 100.0
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;
    use crate::market::MarketCode;

    fn range(low: f64, high: f64) -> PriceRange {
        PriceRange { low, high }
    }

    fn candle(minute_start_ms: i64, low: i64, high: i64, close: i64) -> Candle {
        Candle {
            market: MarketCode::parse("KRW-BTC").unwrap(),
            minute_start_ms,
            open: Decimal::from(close),
            high: Decimal::from(high),
            low: Decimal::from(low),
            close: Decimal::from(close),
            volume: Decimal::ONE,
            trade_count: 1,
            open_key: (minute_start_ms, 0),
            close_key: (minute_start_ms, 0),
            last_position: 0,
        }
    }

    #[test]
    fn the_best_ratio_buys_at_an_earlier_low_and_sells_at_a_later_high() {
        // The highest high (120) comes before the lowest low (80): selling it needs a buy at 100.
        let minutes = [range(100.0, 120.0), range(80.0, 90.0), range(85.0, 100.0)];
        assert_eq!(best_ratio(&minutes), Some(1.25));
        assert_eq!(best_ratio(&[]), None);
    }

    #[test]
    fn a_hand_computed_window_gives_a_known_bound() {
        // Coin 1 rises 0.1 % at best, coin 2 0.2 %, coin 3 never rises (ratio 1).
        let ratios = [Some(1.001), Some(1.002), Some(1.0)];
        let bound = ScoreRule::default().bound(ratios);
        // 1e9 × (1 + 1000 × 0.001) + 5e8 × (1 + 1000 × 0.002) + 1e8 × 1
        let expected = 2e9 + 1.5e9 + 1e8;
        assert!((bound.reachable_krw - expected).abs() < 1.0, "{bound:?}");
        assert!((bound.allowed_krw - expected * 1.01).abs() < 1.0);
        assert!(bound.check(expected * 1.01 - 1.0).is_ok());
        assert!(bound.check(expected * 1.01 + 1.0).is_err());
        assert_eq!(bound.fallback, [false; 3]);
    }

    #[test]
    fn a_player_who_never_trades_keeps_the_start_balance() {
        let bound = ScoreRule::default().bound([Some(1.0), Some(1.0), Some(1.0)]);
        assert_eq!(bound.reachable_krw, START_BALANCE_KRW as f64);
        assert!(bound.check(START_BALANCE_KRW as f64).is_ok());
    }

    #[test]
    fn a_coin_without_candles_is_bounded_by_the_static_cap() {
        let rule = ScoreRule::default();
        let bound = rule.bound([None, Some(1.0), Some(1.0)]);
        assert_eq!(bound.fallback, [true, false, false]);
        let expected = 1e9 * (1.0 + 1000.0 * (FALLBACK_MAX_RATIO - 1.0)) + 5e8 + 1e8;
        assert!((bound.reachable_krw - expected).abs() < 1.0);
    }

    #[test]
    fn the_message_names_the_balance_and_the_rule() {
        let bound = ScoreRule::default().bound([Some(1.0); 3]);
        let refused = bound.check(2e9).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "balance: 2000000000 is above 1616000000, the highest balance the chosen coins' prices of the last 30 minutes allow at leverage 1000 (plus 1 % tolerance)"
        );
    }

    #[test]
    fn the_candle_query_covers_the_window_and_the_lookback() {
        let now = 1_732_500_000_123;
        let query = ScoreRule::default().candle_query(now);
        assert_eq!(query.window_start_ms, minute_start(now - SCORE_WINDOW_MS));
        assert_eq!(query.from_ms, query.window_start_ms - LOOKBACK_MS);
        assert_eq!(query.to_ms, now);
        assert_eq!(query.limit, 61);
    }

    #[test]
    fn only_the_close_of_the_last_candle_before_the_window_counts() {
        let window_start = 10 * 60_000;
        let candles = [
            candle(8 * 60_000, 10, 500, 100),
            candle(9 * 60_000, 50, 400, 200),
            candle(10 * 60_000, 190, 210, 200),
        ];
        let ranges = price_ranges(&candles, window_start);
        assert_eq!(ranges, [range(200.0, 200.0), range(190.0, 210.0)]);
    }

    fn brute_force(minutes: &[PriceRange]) -> Option<f64> {
        let mut best: Option<f64> = None;
        for (j, buy) in minutes.iter().enumerate() {
            for sell in &minutes[j..] {
                let ratio = sell.high / buy.low;
                best = Some(best.map_or(ratio, |b: f64| b.max(ratio)));
            }
        }
        best
    }

    fn minutes() -> impl Strategy<Value = Vec<PriceRange>> {
        prop::collection::vec((1.0f64..1e6, 0.0f64..0.05), 0..40).prop_map(|v| {
            v.into_iter()
                .map(|(low, spread)| range(low, low * (1.0 + spread)))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn best_ratio_equals_the_best_of_every_buy_and_later_sell(minutes in minutes()) {
            prop_assert_eq!(best_ratio(&minutes), brute_force(&minutes));
        }

        /// Soundness: any game played at prices inside the candles, at any leverage, with the
        /// buy minute not after the sell minute, stays within the bound.
        #[test]
        fn no_game_within_the_candles_exceeds_the_bound(
            coins in prop::array::uniform3(minutes().prop_filter("a minute", |m| !m.is_empty())),
            picks in prop::array::uniform3((any::<prop::sample::Index>(), any::<prop::sample::Index>(), 0.0f64..=1.0, 0.0f64..=1.0)),
            leverage in prop::sample::select(LEVERAGES.to_vec()),
        ) {
            let mut balance = 0.0;
            let mut ratios = [None; 3];
            for (index, minutes) in coins.iter().enumerate() {
                let (a, b, at_buy, at_sell) = picks[index];
                let (i, j) = (a.index(minutes.len()), b.index(minutes.len()));
                let (buy_minute, sell_minute) = (&minutes[i.min(j)], &minutes[i.max(j)]);
                let buy = buy_minute.low + at_buy * (buy_minute.high - buy_minute.low);
                let sell = sell_minute.low + at_sell * (sell_minute.high - sell_minute.low);
                balance += holding_value(BUY_MONEY_KRW[index], f64::from(leverage), sell / buy);
                ratios[index] = best_ratio(minutes);
            }
            let bound = ScoreRule { tolerance: 0.0, ..ScoreRule::default() }.bound(ratios);
            prop_assert!(balance <= bound.reachable_krw * (1.0 + 1e-12), "{} > {:?}", balance, bound);
            prop_assert!(bound.reachable_krw >= START_BALANCE_KRW as f64);
        }
    }
}
