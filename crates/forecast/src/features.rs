//! The original's eight features of a 1-minute candle, and the training windows built from them.
//!
//! Per minute: open, high, low, close, rolling-5 std and rolling-5 mean of the minute % change,
//! the % change, and the close change. The original fed absolute KRW prices; here the five
//! price-valued features (open, high, low, close, close change) are expressed in % of the
//! window's last close, so a model trained at one price level still applies after the price
//! has moved (a random walk leaves any training range), and one scaler fits every window. The
//! [`crate::scaler::Scaler`] standardises all eight on top.
//!
//! The target is the next minute's close change in % (`percentage` of `/get_deeplearning`).

use crate::series::Bar;

/// Number of features per minute.
pub const N_FEATURES: usize = 8;

/// Feature names in column order (written to the model card).
pub const FEATURE_NAMES: [&str; N_FEATURES] = [
    "open_pct_of_last_close",
    "high_pct_of_last_close",
    "low_pct_of_last_close",
    "close_pct_of_last_close",
    "pct_change_rolling5_std",
    "pct_change_rolling5_mean",
    "pct_change",
    "close_change_pct_of_last_close",
];

/// Rolling statistics span (the original's 5 minutes).
pub const ROLLING: usize = 5;

/// The first bar index whose features are all defined: the rolling window needs `ROLLING`
/// % changes, and the first % change needs a previous bar.
pub const WARMUP: usize = ROLLING;

/// Per-bar values that do not depend on the window: % change and its rolling mean and std.
#[derive(Debug, Clone)]
pub struct BarStats {
    pct_change: Vec<f64>,
    rolling_mean: Vec<f64>,
    rolling_std: Vec<f64>,
}

impl BarStats {
    pub fn new(bars: &[Bar]) -> Self {
        let mut pct_change = vec![0.0; bars.len()];
        for index in 1..bars.len() {
            pct_change[index] = percent_change(bars[index - 1].close, bars[index].close);
        }
        let mut rolling_mean = vec![0.0; bars.len()];
        let mut rolling_std = vec![0.0; bars.len()];
        for index in WARMUP..bars.len() {
            let span = &pct_change[index + 1 - ROLLING..=index];
            let mean = span.iter().sum::<f64>() / ROLLING as f64;
            // Sample std (pandas' rolling().std() default, as the original).
            let variance =
                span.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (ROLLING - 1) as f64;
            rolling_mean[index] = mean;
            rolling_std[index] = variance.sqrt();
        }
        Self {
            pct_change,
            rolling_mean,
            rolling_std,
        }
    }
}

/// `100 × (to / from − 1)`, zero when `from` is not a usable price.
pub fn percent_change(from: f64, to: f64) -> f64 {
    if from > 0.0 && from.is_finite() && to.is_finite() {
        100.0 * (to / from - 1.0)
    } else {
        0.0
    }
}

/// Whether a window of `window` minutes ending at bar `end` has all its features.
pub fn window_is_complete(end: usize, window: usize) -> bool {
    window > 0 && end + 1 >= WARMUP + window
}

/// Appends the unscaled features of the window ending at bar `end` (row-major, `window × 8`)
/// to `out`. The caller checks [`window_is_complete`].
pub fn push_window(bars: &[Bar], stats: &BarStats, end: usize, window: usize, out: &mut Vec<f32>) {
    let last_close = bars[end].close;
    let relative = |price: f64| percent_change(last_close, price);
    for index in end + 1 - window..=end {
        let bar = &bars[index];
        let close_change = if index > 0 {
            bar.close - bars[index - 1].close
        } else {
            0.0
        };
        let row = [
            relative(bar.open),
            relative(bar.high),
            relative(bar.low),
            relative(bar.close),
            stats.rolling_std[index],
            stats.rolling_mean[index],
            stats.pct_change[index],
            if last_close > 0.0 {
                100.0 * close_change / last_close
            } else {
                0.0
            },
        ];
        out.extend(row.iter().map(|v| *v as f32));
    }
}

/// The target of the window ending at `end`: the next minute's close change in %.
pub fn next_change_pct(bars: &[Bar], end: usize) -> Option<f64> {
    let next = bars.get(end + 1)?;
    Some(percent_change(bars[end].close, next.close))
}

/// Unscaled training examples: `x` is `len × window × 8`, `y` the next-minute % change.
#[derive(Debug, Clone, Default)]
pub struct Examples {
    pub window: usize,
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    /// The bar index each window ends at.
    pub ends: Vec<usize>,
}

impl Examples {
    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
}

/// Every complete window ending in `ends` whose next minute exists.
pub fn examples(bars: &[Bar], ends: std::ops::Range<usize>, window: usize) -> Examples {
    let stats = BarStats::new(bars);
    let mut result = Examples {
        window,
        ..Examples::default()
    };
    for end in ends {
        if !window_is_complete(end, window) {
            continue;
        }
        let Some(target) = next_change_pct(bars, end) else {
            continue;
        };
        push_window(bars, &stats, end, window, &mut result.x);
        result.y.push(target as f32);
        result.ends.push(end);
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn bars(closes: &[f64]) -> Vec<Bar> {
        closes
            .iter()
            .enumerate()
            .map(|(i, &close)| Bar {
                minute_start_ms: i as i64 * 60_000,
                open: close - 1.0,
                high: close + 2.0,
                low: close - 2.0,
                close,
                volume: 1.0,
            })
            .collect()
    }

    #[test]
    fn rolling_statistics_match_a_hand_computation() {
        // % changes: 10, 0, -10 (approximately), …
        let series = bars(&[100.0, 110.0, 110.0, 99.0, 99.0, 108.9]);
        let stats = BarStats::new(&series);
        let changes = [10.0, 0.0, -10.0, 0.0, 10.0];
        let mean = changes.iter().sum::<f64>() / 5.0;
        let std = (changes.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / 4.0).sqrt();
        assert!((stats.rolling_mean[5] - mean).abs() < 1e-9);
        assert!((stats.rolling_std[5] - std).abs() < 1e-9);
    }

    #[test]
    fn prices_are_relative_to_the_windows_last_close() {
        let series = bars(&[100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0]);
        let stats = BarStats::new(&series);
        let mut out = Vec::new();
        push_window(&series, &stats, 7, 2, &mut out);
        assert_eq!(out.len(), 2 * N_FEATURES);
        // The last row's close is 0 % of itself; its high is 2 KRW above: 2/107 %.
        assert!(out[N_FEATURES + 3].abs() < 1e-6);
        assert!((out[N_FEATURES + 1] - (200.0 / 107.0) as f32).abs() < 1e-5);
    }

    #[test]
    fn examples_need_the_warmup_and_a_next_minute() {
        let series = bars(&[100.0; 20]);
        let set = examples(&series, 0..20, 10);
        // Windows end at 14..=18: 14 is the first complete one, 19 has no next minute.
        assert_eq!(set.ends, (14..19).collect::<Vec<_>>());
        assert_eq!(set.x.len(), 5 * 10 * N_FEATURES);
    }
}
