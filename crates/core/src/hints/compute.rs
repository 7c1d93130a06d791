//! [`compute_hints`]: one [`HintSet`] from every game market's candles and latest price.
//!
//! - `percentage`: the forecaster's prediction rounded to 4 decimals and kept within
//!   ±[`MAX_ABS_PERCENTAGE`]; 0 where the window is too short (the set is then `warming_up`).
//! - `rank`: 1..N by `percentage` descending, ties by market order.
//! - `sell_up` / `sell_down`: with `p` the latest ticker price (else the last close) and the
//!   band `b = clamp(max(|forecast|, volatility), 0.1 %, 10 %)`: `sell_up = p × (1 + b)` rounded
//!   up to the market's tick (Upbit's KRW price unit), `sell_down = p × (1 − b)` rounded down,
//!   each at least one tick away from `p`. Both 0 while no price is known.
//! - flags: see the module doc of [`super`].

use std::cmp::Ordering;

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

use super::forecast::Forecaster;
use super::window::{WindowStats, closed_history, closed_window};
use super::{Flag, Hint, HintSet, MAX_ABS_PERCENTAGE, WINDOW_MINUTES};
use crate::candle::{CANDLE_INTERVAL_MS, Candle};
use crate::market::MarketCode;
use crate::tick_size::krw_tick_size;

/// The narrowest sell band, in percent: a level closer than this would flicker with every tick.
pub const MIN_BAND_PERCENT: f64 = 0.1;
/// The widest sell band, in percent.
pub const MAX_BAND_PERCENT: f64 = 10.0;

/// What is known about one market.
#[derive(Debug, Clone, Copy)]
pub struct MarketInput<'a> {
    pub market: &'a MarketCode,
    /// Its 1-minute candles; only the closed ones of the window are used.
    pub candles: &'a [Candle],
    /// The latest ticker's `trade_price` and `timestamp`, if any.
    pub price: Option<(Decimal, i64)>,
}

/// The hint set for `inputs` (one entry each, in their order) as of `as_of_ms`.
pub fn compute_hints(
    inputs: &[MarketInput<'_>],
    forecaster: &dyn Forecaster,
    as_of_ms: i64,
) -> HintSet {
    // The forecaster may look further back than the flags' window; the flags and the sell
    // band always use the last WINDOW_MINUTES.
    let history_minutes = forecaster.history_minutes().max(WINDOW_MINUTES);
    let histories: Vec<Vec<&Candle>> = inputs
        .iter()
        .map(|input| closed_history(input.candles, as_of_ms, history_minutes))
        .collect();
    let windows: Vec<Vec<&Candle>> = inputs
        .iter()
        .map(|input| closed_window(input.candles, as_of_ms))
        .collect();
    let stats: Vec<WindowStats> = windows.iter().map(|w| WindowStats::of(w)).collect();
    let markets: Vec<&MarketCode> = inputs.iter().map(|input| input.market).collect();
    let forecasts = forecaster.forecast_markets(&markets, &histories);
    let warming_up = inputs.is_empty() || forecasts.iter().any(Option::is_none);

    let mut data_time_ms = None::<i64>;
    let mut entries = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        let forecast = forecasts.get(index).copied().flatten().unwrap_or(0.0);
        let percentage = tidy_percentage(forecast);
        let last_close = windows[index].last().map(|c| c.close);
        let price = input.price.map(|(price, _)| price).or(last_close);
        let newest = [
            windows[index]
                .last()
                .map(|c| c.minute_start_ms + CANDLE_INTERVAL_MS),
            input.price.map(|(_, at)| at),
        ]
        .into_iter()
        .flatten()
        .max();
        data_time_ms = data_time_ms.max(newest);
        let band = band_percent(percentage, stats[index].volatility);
        let (sell_up, sell_down) = price.map_or((0.0, 0.0), |p| sell_levels(p, band));
        let mut hint = Hint::unknown(input.market.clone());
        hint.percentage = percentage;
        hint.sell_up = sell_up;
        hint.sell_down = sell_down;
        entries.push(hint);
    }

    for flag in Flag::ALL {
        let scores: Vec<Option<f64>> = stats.iter().map(|s| score(flag, s)).collect();
        if let Some(chosen) = choose(&scores, prefers_max(flag)) {
            entries[chosen].set_flag(flag, true);
        }
    }
    assign_ranks(&mut entries);

    HintSet {
        generated_at_ms: as_of_ms,
        data_time_ms: data_time_ms.unwrap_or(as_of_ms),
        model: forecaster.model(),
        warming_up,
        entries,
    }
}

/// Gives ranks 1..N by `percentage` descending; equal percentages keep the entries' order.
pub fn assign_ranks(entries: &mut [Hint]) {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    // A stable sort keeps market order among ties.
    order.sort_by(|a, b| {
        entries[*b]
            .percentage
            .partial_cmp(&entries[*a].percentage)
            .unwrap_or(Ordering::Equal)
    });
    for (position, index) in order.into_iter().enumerate() {
        entries[index].rank = u32::try_from(position + 1).unwrap_or(u32::MAX);
    }
}

fn score(flag: Flag, stats: &WindowStats) -> Option<f64> {
    match flag {
        Flag::MostVolatile | Flag::LeastVolatile => stats.volatility,
        Flag::LargestDrop | Flag::LargestRise => stats.rise,
        Flag::LargestSpike => stats.spike,
        Flag::FastestGrowth | Flag::FastestDecline => stats.mean_change,
    }
}

fn prefers_max(flag: Flag) -> bool {
    matches!(
        flag,
        Flag::MostVolatile | Flag::LargestRise | Flag::LargestSpike | Flag::FastestGrowth
    )
}

/// The index of the best score (the first of equals); the first market when none has one.
fn choose(scores: &[Option<f64>], maximum: bool) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (index, score) in scores.iter().enumerate() {
        let Some(value) = score.filter(|v| !v.is_nan()) else {
            continue;
        };
        let better = match best {
            None => true,
            Some((_, kept)) if maximum => value > kept,
            Some((_, kept)) => value < kept,
        };
        if better {
            best = Some((index, value));
        }
    }
    match best {
        Some((index, _)) => Some(index),
        None if scores.is_empty() => None,
        None => Some(0),
    }
}

/// Rounded to 4 decimals, bounded, never NaN or −0.
fn tidy_percentage(forecast: f64) -> f64 {
    if !forecast.is_finite() {
        return 0.0;
    }
    let bounded = forecast.clamp(-MAX_ABS_PERCENTAGE, MAX_ABS_PERCENTAGE);
    (bounded * 10_000.0).round() / 10_000.0 + 0.0
}

fn band_percent(percentage: f64, volatility: Option<f64>) -> f64 {
    let width = percentage
        .abs()
        .max(volatility.filter(|v| v.is_finite()).unwrap_or(0.0));
    width.clamp(MIN_BAND_PERCENT, MAX_BAND_PERCENT)
}

/// `(sell_up, sell_down)` around `price` for a band of `band` percent (see the module doc).
fn sell_levels(price: Decimal, band: f64) -> (f64, f64) {
    if price <= Decimal::ZERO {
        return (0.0, 0.0);
    }
    let fraction = Decimal::from_f64(band / 100.0).unwrap_or(Decimal::new(1, 3));
    let tick = krw_tick_size(price);
    let up_raw = price * (Decimal::ONE + fraction);
    let up_tick = krw_tick_size(up_raw);
    let mut up = (up_raw / up_tick).ceil() * up_tick;
    if up <= price {
        up = price + tick;
    }
    let down_raw = price * (Decimal::ONE - fraction);
    let down_tick = krw_tick_size(down_raw);
    let mut down = (down_raw / down_tick).floor() * down_tick;
    if down >= price {
        down = (price - tick).max(Decimal::ZERO);
    }
    (
        up.normalize().to_f64().unwrap_or(0.0),
        down.normalize().to_f64().unwrap_or(0.0),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::str::FromStr;

    use super::*;
    use crate::hints::BaselineForecaster;

    const T0: i64 = 1_732_500_000_000;
    const MINUTE: i64 = 60_000;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn code(text: &str) -> MarketCode {
        MarketCode::parse(text).unwrap()
    }

    /// Candles at minutes 0.. with these closes and volumes.
    fn series(market: &str, closes: &[&str], volumes: &[&str]) -> Vec<Candle> {
        closes
            .iter()
            .zip(volumes)
            .enumerate()
            .map(|(minute, (close, volume))| {
                let start = T0 + minute as i64 * MINUTE;
                Candle {
                    market: code(market),
                    minute_start_ms: start,
                    open: dec(close),
                    high: dec(close),
                    low: dec(close),
                    close: dec(close),
                    volume: dec(volume),
                    trade_count: 1,
                    open_key: (start + 1, 1),
                    close_key: (start + 2, 1),
                    last_position: 1,
                }
            })
            .collect()
    }

    fn flagged(set: &HintSet, flag: Flag) -> Vec<&str> {
        set.entries
            .iter()
            .filter(|h| h.flag(flag))
            .map(|h| h.code.as_str())
            .collect()
    }

    #[test]
    fn each_flag_goes_to_the_market_a_hand_computed_window_picks() {
        // A: 100 → 101 → 104.03: +1 %, +3 % (std 1.41, mean +2, +4.03 % overall), volume 1 → 1.
        // B: 100 → 90 → 99: −10 %, +10 % (std 14.1, mean 0, −1 % overall), volume 1 → 6.
        // C: 100 → 99 → 97.02: −1 %, −2 % (std 0.71, mean −1.5, −2.98 % overall), volume 2 → 1.
        // D: 100 → 100 → 100: flat (std 0), volume 1 → 1.
        let (a, b, c, d) = (
            code("KRW-AAA"),
            code("KRW-BBB"),
            code("KRW-CCC"),
            code("KRW-DDD"),
        );
        let ca = series("KRW-AAA", &["100", "101", "104.03"], &["1", "1", "1"]);
        let cb = series("KRW-BBB", &["100", "90", "99"], &["1", "1", "6"]);
        let cc = series("KRW-CCC", &["100", "99", "97.02"], &["2", "1", "1"]);
        let cd = series("KRW-DDD", &["100", "100", "100"], &["1", "1", "1"]);
        let inputs = [
            MarketInput {
                market: &a,
                candles: &ca,
                price: None,
            },
            MarketInput {
                market: &b,
                candles: &cb,
                price: None,
            },
            MarketInput {
                market: &c,
                candles: &cc,
                price: None,
            },
            MarketInput {
                market: &d,
                candles: &cd,
                price: None,
            },
        ];
        let set = compute_hints(
            &inputs,
            &BaselineForecaster::default(),
            T0 + 3 * MINUTE + 5_000,
        );

        assert_eq!(flagged(&set, Flag::MostVolatile), ["KRW-BBB"]);
        assert_eq!(flagged(&set, Flag::LeastVolatile), ["KRW-DDD"]);
        assert_eq!(flagged(&set, Flag::LargestRise), ["KRW-AAA"]);
        assert_eq!(flagged(&set, Flag::LargestDrop), ["KRW-CCC"]);
        assert_eq!(flagged(&set, Flag::LargestSpike), ["KRW-BBB"]);
        assert_eq!(flagged(&set, Flag::FastestGrowth), ["KRW-AAA"]);
        assert_eq!(flagged(&set, Flag::FastestDecline), ["KRW-CCC"]);
        assert!(!set.warming_up);
        assert_eq!(set.model_label(), "baseline-v1");
        // Forecasts (α = 0.3): A 0.3×3 + 0.7×1 = 1.6, B 0.3×10 + 0.7×(−10) = −4,
        // C 0.3×(−2) + 0.7×(−1) = −1.3, D 0 → ranks A 1, D 2, C 3, B 4.
        let ranks: Vec<u32> = set.entries.iter().map(|h| h.rank).collect();
        assert_eq!(ranks, [1, 4, 3, 2]);
        assert_eq!(set.entries[0].percentage, 1.6);
        assert_eq!(set.entries[1].percentage, -4.0);
        assert_eq!(set.data_time_ms, T0 + 3 * MINUTE);
    }

    #[test]
    fn without_candles_every_market_still_gets_an_entry_with_a_zero_forecast() {
        let markets = [code("KRW-BTC"), code("KRW-ETH"), code("KRW-XRP")];
        let inputs: Vec<MarketInput<'_>> = markets
            .iter()
            .enumerate()
            .map(|(i, market)| MarketInput {
                market,
                candles: &[],
                price: (i != 2).then(|| (dec("82635000"), T0 + i as i64)),
            })
            .collect();
        let set = compute_hints(&inputs, &BaselineForecaster::default(), T0 + 10_000);

        assert!(set.warming_up);
        assert_eq!(set.model_label(), "warming-up");
        assert_eq!(set.data_time_ms, T0 + 1);
        let ranks: Vec<u32> = set.entries.iter().map(|h| h.rank).collect();
        assert_eq!(ranks, [1, 2, 3]);
        for flag in Flag::ALL {
            assert_eq!(flagged(&set, flag), ["KRW-BTC"], "{}", flag.name());
        }
        assert!(set.entries.iter().all(|h| h.percentage == 0.0));
        assert_eq!(set.entries[0].sell_up, 82_718_000.0);
        assert_eq!(set.entries[0].sell_down, 82_552_000.0);
        assert_eq!(
            (set.entries[2].sell_up, set.entries[2].sell_down),
            (0.0, 0.0)
        );
    }

    #[test]
    fn sell_levels_sit_on_ticks_at_least_one_tick_from_the_price() {
        // 0.1 % of 1.5 KRW is 0.0015, rounded outwards to the 0.001 tick.
        assert_eq!(sell_levels(dec("1.5"), 0.1), (1.502, 1.498));
        // A 0.1 % band around 100 KRW (tick 0.1) lands exactly on 100.1 / 99.9.
        assert_eq!(sell_levels(dec("100"), 0.1), (100.1, 99.9));
        // A 5 % band around 82,635,000 (tick 1,000).
        assert_eq!(
            sell_levels(dec("82635000"), 5.0),
            (86_767_000.0, 78_503_000.0)
        );
        // A band smaller than one tick still moves by one tick.
        assert_eq!(sell_levels(dec("2000"), 0.01), (2001.0, 1999.0));
    }

    #[test]
    fn ranks_break_ties_by_market_order() {
        let mut entries: Vec<Hint> = ["KRW-A", "KRW-B", "KRW-C"]
            .iter()
            .map(|c| Hint::unknown(code(c)))
            .collect();
        entries[2].percentage = 0.5;
        assign_ranks(&mut entries);
        let ranks: Vec<u32> = entries.iter().map(|h| h.rank).collect();
        assert_eq!(ranks, [2, 3, 1]);
    }

    #[test]
    fn percentages_are_rounded_bounded_and_finite() {
        assert_eq!(tidy_percentage(0.123_456), 0.1235);
        assert_eq!(tidy_percentage(250.0), 100.0);
        assert_eq!(tidy_percentage(f64::NAN), 0.0);
        assert!(tidy_percentage(-0.000_01).is_sign_positive());
    }
}
