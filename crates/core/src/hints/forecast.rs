//! The forecaster behind `percentage`: a small trait, so a learned model (issue 16) plugs in
//! where the statistical baseline is used today.

use std::fmt::Debug;
use std::sync::{Arc, RwLock};

use super::window::minute_changes;
use super::{BASELINE_MODEL, WINDOW_MINUTES};
use crate::candle::Candle;
use crate::market::MarketCode;

/// Predicts the % change of a market's close over the next minute.
pub trait Forecaster: Send + Sync + Debug {
    /// The model's name, stored with the set and sent in `x-coinking-hints-model`.
    fn model(&self) -> String;

    /// How many closed minutes of history the forecaster wants (default [`WINDOW_MINUTES`], the
    /// flags' window); the hints stage reads `max(this, WINDOW_MINUTES)`.
    fn history_minutes(&self) -> usize {
        WINDOW_MINUTES
    }

    /// `window`: the market's closed 1-minute candles, oldest first (at most
    /// [`Self::history_minutes`]). `None` when the window is too short for this model.
    fn forecast(&self, window: &[&Candle]) -> Option<f64>;

    /// Every market at once, in order; a model that runs in batches overrides this.
    fn forecast_all(&self, windows: &[Vec<&Candle>]) -> Vec<Option<f64>> {
        windows.iter().map(|window| self.forecast(window)).collect()
    }

    /// Every market at once, knowing which market each history is (per-market models override
    /// this); by default [`Self::forecast_all`].
    fn forecast_markets(
        &self,
        markets: &[&MarketCode],
        histories: &[Vec<&Candle>],
    ) -> Vec<Option<f64>> {
        debug_assert_eq!(markets.len(), histories.len());
        self.forecast_all(histories)
    }
}

/// A forecaster that can be replaced while the hints stage runs (a newer model version found
/// in the lake): readers take the current one per run, a reloader swaps it.
#[derive(Debug)]
pub struct SharedForecaster {
    current: RwLock<Arc<dyn Forecaster>>,
}

impl SharedForecaster {
    pub fn new(initial: Arc<dyn Forecaster>) -> Self {
        Self {
            current: RwLock::new(initial),
        }
    }

    /// The forecaster in use now.
    pub fn current(&self) -> Arc<dyn Forecaster> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            // A panicking writer cannot leave a half-swapped Arc: the value is still whole.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Serves `next` from the next run on.
    pub fn replace(&self, next: Arc<dyn Forecaster>) {
        match self.current.write() {
            Ok(mut guard) => *guard = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }
}

impl Forecaster for SharedForecaster {
    fn model(&self) -> String {
        self.current().model()
    }

    fn history_minutes(&self) -> usize {
        self.current().history_minutes()
    }

    fn forecast(&self, window: &[&Candle]) -> Option<f64> {
        self.current().forecast(window)
    }

    fn forecast_all(&self, windows: &[Vec<&Candle>]) -> Vec<Option<f64>> {
        self.current().forecast_all(windows)
    }

    fn forecast_markets(
        &self,
        markets: &[&MarketCode],
        histories: &[Vec<&Candle>],
    ) -> Vec<Option<f64>> {
        self.current().forecast_markets(markets, histories)
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
    fn model(&self) -> String {
        BASELINE_MODEL.to_owned()
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

    /// A stand-in learned model: always +5 %, and wants 15 minutes.
    #[derive(Debug)]
    struct Fixed;

    impl Forecaster for Fixed {
        fn model(&self) -> String {
            "fixed".to_owned()
        }
        fn history_minutes(&self) -> usize {
            15
        }
        fn forecast(&self, _window: &[&Candle]) -> Option<f64> {
            Some(5.0)
        }
    }

    #[test]
    fn a_shared_forecaster_serves_the_replacement_from_the_next_call() {
        let shared = SharedForecaster::new(Arc::new(BaselineForecaster::default()));
        let candles = [candle(0, "100"), candle(1, "101")];
        let window: Vec<&Candle> = candles.iter().collect();
        assert_eq!(shared.model(), "baseline-v1");
        assert_eq!(shared.history_minutes(), WINDOW_MINUTES);
        let before = shared.forecast(&window).unwrap();
        assert!((before - 1.0).abs() < 1e-9, "{before}");
        shared.replace(Arc::new(Fixed));
        assert_eq!(shared.model(), "fixed");
        assert_eq!(shared.history_minutes(), 15);
        let market = MarketCode::parse("KRW-ETH").unwrap();
        assert_eq!(
            shared.forecast_markets(&[&market], &[window]),
            vec![Some(5.0)]
        );
    }
}
