//! The window the hints look at: a market's last [`WINDOW_MINUTES`] closed 1-minute candles,
//! and the statistics the flags are chosen by.
//!
//! Candles exist only for minutes with trades, so a quiet market's window can have gaps; the
//! minute changes are taken between consecutive candles present (a gap counts as one step).

use rust_decimal::prelude::ToPrimitive;

use super::WINDOW_MINUTES;
use crate::candle::{CANDLE_INTERVAL_MS, Candle, minute_start};

/// The closed candles of the last [`WINDOW_MINUTES`] minutes before `as_of_ms`, oldest first.
/// A candle is closed once its minute has ended; later or older candles are ignored, so the
/// caller may pass more than the window.
pub fn closed_window(candles: &[Candle], as_of_ms: i64) -> Vec<&Candle> {
    closed_history(candles, as_of_ms, WINDOW_MINUTES)
}

/// The closed candles of the last `minutes` minutes before `as_of_ms`'s minute, oldest first,
/// one per minute: what a forecaster that looks further back than the flags gets.
pub fn closed_history(candles: &[Candle], as_of_ms: i64, minutes: usize) -> Vec<&Candle> {
    let current_minute = minute_start(as_of_ms);
    let earliest = current_minute - minutes as i64 * CANDLE_INTERVAL_MS;
    let mut window: Vec<&Candle> = candles
        .iter()
        .filter(|c| c.minute_start_ms >= earliest && c.minute_start_ms < current_minute)
        .collect();
    window.sort_by_key(|c| c.minute_start_ms);
    window.dedup_by_key(|c| c.minute_start_ms);
    window
}

/// Minute-to-minute % changes of the close, oldest first. A step from a zero close has no
/// percentage and is skipped.
pub fn minute_changes(window: &[&Candle]) -> Vec<f64> {
    let closes: Vec<f64> = window
        .iter()
        .map(|c| c.close.to_f64().unwrap_or(0.0))
        .collect();
    closes
        .windows(2)
        .filter(|pair| pair[0] > 0.0)
        .map(|pair| (pair[1] / pair[0] - 1.0) * 100.0)
        .filter(|change| change.is_finite())
        .collect()
}

/// The statistics of one market's window; `None` where the window is too short.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowStats {
    /// Sample standard deviation of the minute % changes (needs 2 changes).
    pub volatility: Option<f64>,
    /// % change from the first to the last close (needs 2 candles and a non-zero first close).
    pub rise: Option<f64>,
    /// Last minute's volume ÷ the first minute's (needs 2 candles); a first minute without
    /// volume gives +∞ when the last one has some, 1 when neither has.
    pub spike: Option<f64>,
    /// Mean of the minute % changes (needs 1 change).
    pub mean_change: Option<f64>,
}

impl WindowStats {
    pub fn of(window: &[&Candle]) -> Self {
        let changes = minute_changes(window);
        let volatility = (changes.len() >= 2).then(|| sample_std(&changes));
        let mean_change = (!changes.is_empty()).then(|| mean(&changes));
        let (rise, spike) = match (window.first(), window.last()) {
            (Some(first), Some(last)) if window.len() >= 2 => {
                let first_close = first.close.to_f64().unwrap_or(0.0);
                let last_close = last.close.to_f64().unwrap_or(0.0);
                let rise = (first_close > 0.0)
                    .then(|| (last_close / first_close - 1.0) * 100.0)
                    .filter(|r| r.is_finite());
                let first_volume = first.volume.to_f64().unwrap_or(0.0);
                let last_volume = last.volume.to_f64().unwrap_or(0.0);
                let spike = if first_volume > 0.0 {
                    last_volume / first_volume
                } else if last_volume > 0.0 {
                    f64::INFINITY
                } else {
                    1.0
                };
                (rise, Some(spike))
            }
            _ => (None, None),
        };
        Self {
            volatility,
            rise,
            spike,
            mean_change,
        }
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample (n − 1) standard deviation, as pandas' `std()` the original used.
fn sample_std(values: &[f64]) -> f64 {
    let average = mean(values);
    let squares: f64 = values.iter().map(|v| (v - average).powi(2)).sum();
    (squares / (values.len() - 1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::*;
    use crate::market::MarketCode;

    const T0: i64 = 1_732_500_000_000;

    fn candle(minute: i64, close: &str, volume: &str) -> Candle {
        let start = T0 + minute * CANDLE_INTERVAL_MS;
        Candle {
            market: MarketCode::parse("KRW-BTC").unwrap(),
            minute_start_ms: start,
            open: Decimal::from_str(close).unwrap(),
            high: Decimal::from_str(close).unwrap(),
            low: Decimal::from_str(close).unwrap(),
            close: Decimal::from_str(close).unwrap(),
            volume: Decimal::from_str(volume).unwrap(),
            trade_count: 1,
            open_key: (start, 1),
            close_key: (start + 1, 1),
            last_position: 1,
        }
    }

    #[test]
    fn the_window_keeps_only_closed_candles_of_the_last_ten_minutes() {
        let candles: Vec<Candle> = (0..15).map(|m| candle(m, "100", "1")).collect();
        // At minute 12 plus 30 s, minute 12 is still open: minutes 2..=11 are the window.
        let window = closed_window(&candles, T0 + 12 * CANDLE_INTERVAL_MS + 30_000);
        let minutes: Vec<i64> = window
            .iter()
            .map(|c| (c.minute_start_ms - T0) / CANDLE_INTERVAL_MS)
            .collect();
        assert_eq!(minutes, (2..=11).collect::<Vec<_>>());
    }

    #[test]
    fn statistics_match_a_hand_computed_window() {
        // Closes 100 → 110 → 99 → 108.9: changes +10 %, −10 %, +10 %.
        let candles = [
            candle(0, "100", "2"),
            candle(1, "110", "1"),
            candle(2, "99", "1"),
            candle(3, "108.9", "5"),
        ];
        let window: Vec<&Candle> = candles.iter().collect();
        let changes = minute_changes(&window);
        for (got, want) in changes.iter().zip([10.0, -10.0, 10.0]) {
            assert!((got - want).abs() < 1e-9, "{changes:?}");
        }
        let stats = WindowStats::of(&window);
        // mean 10/3; deviations 20/3, −40/3, 20/3; sum of squares 2400/9; ÷2 → sqrt(133.33…)
        assert!((stats.mean_change.unwrap() - 10.0 / 3.0).abs() < 1e-9);
        assert!((stats.volatility.unwrap() - (2400.0_f64 / 9.0 / 2.0).sqrt()).abs() < 1e-9);
        assert!((stats.rise.unwrap() - 8.9).abs() < 1e-9);
        assert_eq!(stats.spike, Some(2.5));
    }

    #[test]
    fn a_short_window_has_only_the_statistics_it_can_support() {
        let one = [candle(0, "100", "1")];
        let window: Vec<&Candle> = one.iter().collect();
        assert_eq!(
            WindowStats::of(&window),
            WindowStats {
                volatility: None,
                rise: None,
                spike: None,
                mean_change: None
            }
        );
        let two = [candle(0, "100", "0"), candle(1, "101", "3")];
        let window: Vec<&Candle> = two.iter().collect();
        let stats = WindowStats::of(&window);
        assert_eq!(stats.volatility, None);
        assert_eq!(stats.spike, Some(f64::INFINITY));
        assert!(stats.mean_change.is_some() && stats.rise.is_some());
    }
}
