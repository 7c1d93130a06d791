//! The forecaster behind `percentage`: a small trait, so a learned model (issue 16) plugs in
//! where the statistical baseline is used today.

use std::fmt::Debug;

use super::BASELINE_MODEL;
use super::window::minute_changes;
use crate::candle::Candle;

/// Predicts the % change of a market's close over the next minute.
pub trait Forecaster: Send + Sync + Debug {
    /// The model's name, stored with the set and sent in `x-coinking-hints-model`.
    fn model(&self) -> &str;

    /// `window`: the market's closed 1-minute candles, oldest first (at most
    /// [`super::WINDOW_MINUTES`]). `None` when the window is too short for this model.
    fn forecast(&self, window: &[&Candle]) -> Option<f64>;

    /// Every market at once, in order; a model that runs in batches overrides this.
    fn forecast_all(&self, windows: &[Vec<&Candle>]) -> Vec<Option<f64>> {
        windows.iter().map(|window| self.forecast(window)).collect()
    }
}

/// Weight of the newest minute change in [`BaselineForecaster`]'s smoothing.
pub const BASELINE_ALPHA: f64 = 0.3;

/// `baseline-v1`: the drift of the recent closes, i.e. the exponentially smoothed mean of the
/// minute-to-minute % changes of the window, `s₁ = r₁`, `sₖ = α·rₖ + (1 − α)·sₖ₋₁`, with
/// α = [`BASELINE_ALPHA`]. It needs two candles (one change). Transparent on purpose: a learned
/// model must beat it in a backtest before it is served (DESIGN.md "Forecasting in Rust").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaselineForecaster {
    pub alpha: f64,
}

impl Default for BaselineForecaster {
    fn default() -> Self {
        Self {
            alpha: BASELINE_ALPHA,
        }
    }
}

impl Forecaster for BaselineForecaster {
    fn model(&self) -> &str {
        BASELINE_MODEL
    }

    fn forecast(&self, window: &[&Candle]) -> Option<f64> {
        let changes = minute_changes(window);
        let (first, rest) = changes.split_first()?;
        let smoothed = rest
            .iter()
            .fold(*first, |s, r| self.alpha * r + (1.0 - self.alpha) * s);
        smoothed.is_finite().then_some(smoothed)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::*;
    use crate::market::MarketCode;

    fn candle(minute: i64, close: &str) -> Candle {
        let start = minute * 60_000;
        let price = Decimal::from_str(close).unwrap();
        Candle {
            market: MarketCode::parse("KRW-ETH").unwrap(),
            minute_start_ms: start,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: Decimal::ONE,
            trade_count: 1,
            open_key: (start, 1),
            close_key: (start, 1),
            last_position: 1,
        }
    }

    #[test]
    fn the_baseline_smooths_the_minute_changes_exponentially() {
        // Changes +1 %, +2 %: s = 0.3 × 2 + 0.7 × 1 = 1.3.
        let candles = [candle(0, "100"), candle(1, "101"), candle(2, "103.02")];
        let window: Vec<&Candle> = candles.iter().collect();
        let forecast = BaselineForecaster::default().forecast(&window).unwrap();
        assert!((forecast - 1.3).abs() < 1e-9, "{forecast}");
    }

    #[test]
    fn the_baseline_needs_two_candles() {
        let candles = [candle(0, "100")];
        let window: Vec<&Candle> = candles.iter().collect();
        assert_eq!(BaselineForecaster::default().forecast(&window), None);
        assert_eq!(BaselineForecaster::default().forecast(&[]), None);
    }

    #[test]
    fn a_forecaster_is_usable_as_a_trait_object() {
        let boxed: Box<dyn Forecaster> = Box::new(BaselineForecaster::default());
        assert_eq!(boxed.model(), "baseline-v1");
        assert_eq!(boxed.forecast_all(&[Vec::new()]), vec![None]);
    }
}
