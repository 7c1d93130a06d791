//! The walk-forward backtest: for each fold, train on everything before a cut and forecast the
//! held-out minutes after it, for the LSTM, the statistical baseline (`baseline-v1`, the hints
//! stage's own [`BaselineForecaster`]) and the naive forecast (no change). Metrics: MAE and RMSE
//! of the next-minute close (KRW and %), directional accuracy, and the P&L of playing the
//! rank-1..3 picks over a 90-second game.

use std::collections::BTreeMap;

use coinking_core::candle::Candle;
use coinking_core::hints::{BaselineForecaster, Forecaster, WINDOW_MINUTES};
use coinking_core::market::MarketCode;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use serde::{Deserialize, Serialize};

use crate::error::ForecastError;
use crate::features::{examples, percent_change};
use crate::model::HyperParams;
use crate::series::Bar;
use crate::train::{TrainedModel, train};

/// Model names in reports and cards.
pub const LSTM: &str = "lstm";
pub const BASELINE: &str = coinking_core::hints::BASELINE_MODEL;
pub const NAIVE: &str = "naive";

/// The frontend's three buys (DESIGN.md item 7): rank 1 gets 1e9 KRW, rank 2 5e8, rank 3 1e8.
pub const GAME_STAKES: [f64; 3] = [1e9, 5e8, 1e8];
/// A game's trading window, in minutes (90 seconds).
pub const GAME_MINUTES: f64 = 1.5;

/// How the series is cut into folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestConfig {
    /// Number of walk-forward folds (each trains a model).
    pub folds: usize,
    /// Share of the series held out over all folds together (0 < x < 1).
    pub test_fraction: f64,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        Self {
            folds: 2,
            test_fraction: 0.3,
        }
    }
}

/// Error metrics of one forecaster over the held-out minutes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub samples: usize,
    /// Mean absolute error of the next-minute close, KRW.
    pub mae: f64,
    /// Root mean squared error of the next-minute close, KRW.
    pub rmse: f64,
    /// Mean absolute error of the next-minute change, percentage points.
    pub mae_pct: f64,
    /// Share of minutes where the forecast's sign matched the move's, over minutes where both
    /// were non-zero; `None` when there were none (the naive forecast never has a direction).
    pub directional_accuracy: Option<f64>,
}

#[derive(Debug, Default)]
struct MetricsSum {
    samples: usize,
    abs: f64,
    sq: f64,
    abs_pct: f64,
    directed: usize,
    right: usize,
}

impl MetricsSum {
    fn add(&mut self, close: f64, next_close: f64, predicted_pct: f64) {
        let predicted_close = close * (1.0 + predicted_pct / 100.0);
        let error = predicted_close - next_close;
        self.samples += 1;
        self.abs += error.abs();
        self.sq += error * error;
        self.abs_pct += (predicted_pct - percent_change(close, next_close)).abs();
        let actual = next_close - close;
        if predicted_pct != 0.0 && actual != 0.0 {
            self.directed += 1;
            if (predicted_pct > 0.0) == (actual > 0.0) {
                self.right += 1;
            }
        }
    }

    fn finish(&self) -> Metrics {
        let n = self.samples.max(1) as f64;
        Metrics {
            samples: self.samples,
            mae: self.abs / n,
            rmse: (self.sq / n).sqrt(),
            mae_pct: self.abs_pct / n,
            directional_accuracy: (self.directed > 0)
                .then(|| self.right as f64 / self.directed as f64),
        }
    }
}

/// One fold's ranges, as minute starts (epoch ms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fold {
    pub train_from_ms: i64,
    pub train_to_ms: i64,
    pub test_from_ms: i64,
    pub test_to_ms: i64,
}

/// The three forecasts made at one minute (for the bar ending there).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MinuteForecast {
    pub minute_start_ms: i64,
    pub lstm: f64,
    pub baseline: f64,
    pub naive: f64,
}

/// One market's walk-forward result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketBacktest {
    pub market: String,
    pub folds: Vec<Fold>,
    /// Keyed by model name: `lstm`, `baseline-v1`, `naive`.
    pub metrics: BTreeMap<String, Metrics>,
    #[serde(skip)]
    pub forecasts: Vec<MinuteForecast>,
}

impl MarketBacktest {
    /// The LSTM's MAE over the baseline's (and over naive's): below 1 means it did better.
    pub fn mae_ratio(&self, against: &str) -> Option<f64> {
        let lstm = self.metrics.get(LSTM)?;
        let other = self.metrics.get(against)?;
        (other.mae > 0.0).then(|| lstm.mae / other.mae)
    }

    /// Serve the LSTM only when it beat both the baseline and naive on held-out data.
    pub fn lstm_beats_baseline(&self) -> bool {
        matches!(self.mae_ratio(BASELINE), Some(r) if r < 1.0)
            && matches!(self.mae_ratio(NAIVE), Some(r) if r < 1.0)
    }
}

/// The baseline's forecast for the bar ending at `end`: the hints stage's own forecaster over
/// the same window of closed candles it would see live.
pub fn baseline_forecast(market: &MarketCode, bars: &[Bar], end: usize) -> f64 {
    let first = (end + 1).saturating_sub(WINDOW_MINUTES);
    let candles: Vec<Candle> = bars[first..=end]
        .iter()
        .map(|bar| bar_to_candle(market, bar))
        .collect();
    let window: Vec<&Candle> = candles.iter().collect();
    BaselineForecaster::default()
        .forecast(&window)
        .unwrap_or(0.0)
}

/// A bar as the domain's candle (for the domain's forecasters).
pub fn bar_to_candle(market: &MarketCode, bar: &Bar) -> Candle {
    let decimal = |v: f64| Decimal::from_f64(v).unwrap_or(Decimal::ZERO);
    let key = (bar.minute_start_ms, 0);
    Candle {
        market: market.clone(),
        minute_start_ms: bar.minute_start_ms,
        open: decimal(bar.open),
        high: decimal(bar.high),
        low: decimal(bar.low),
        close: decimal(bar.close),
        volume: decimal(bar.volume),
        trade_count: 0,
        open_key: key,
        close_key: key,
        last_position: 0,
    }
}

/// Walk-forward over one market's gap-filled bars.
pub fn walk_forward(
    market: &MarketCode,
    bars: &[Bar],
    hyper: &HyperParams,
    config: &BacktestConfig,
) -> Result<MarketBacktest, ForecastError> {
    if config.folds == 0 || !(config.test_fraction > 0.0 && config.test_fraction < 1.0) {
        return Err(ForecastError::Config(
            "backtest: folds must be > 0 and test_fraction in (0, 1)".into(),
        ));
    }
    let total = bars.len();
    let test_len = ((total as f64 * config.test_fraction) / config.folds as f64).floor() as usize;
    if test_len < 2 {
        return Err(ForecastError::NotEnoughData(format!(
            "{market}: {total} minutes are too few for {} folds",
            config.folds
        )));
    }
    let mut sums: BTreeMap<&str, MetricsSum> = BTreeMap::new();
    let mut folds = Vec::with_capacity(config.folds);
    let mut forecasts = Vec::new();
    for fold in 0..config.folds {
        // Bars before `cut` train; targets from `cut` on are held out.
        let cut = total - (config.folds - fold) * test_len;
        let test_end = cut + test_len;
        let train_set = examples(bars, 0..cut.saturating_sub(1), hyper.window);
        let label = format!("{market} fold {}/{}", fold + 1, config.folds);
        let model: TrainedModel = train(&train_set, hyper, &label)?;
        let test_set = examples(bars, cut - 1..test_end - 1, hyper.window);
        let lstm = model.predict(&test_set.x)?;
        for (index, end) in test_set.ends.iter().copied().enumerate() {
            let close = bars[end].close;
            let next_close = bars[end + 1].close;
            let lstm_pct = lstm.get(index).copied().unwrap_or(0.0);
            let baseline_pct = baseline_forecast(market, bars, end);
            sums.entry(LSTM)
                .or_default()
                .add(close, next_close, lstm_pct);
            sums.entry(BASELINE)
                .or_default()
                .add(close, next_close, baseline_pct);
            sums.entry(NAIVE).or_default().add(close, next_close, 0.0);
            forecasts.push(MinuteForecast {
                minute_start_ms: bars[end].minute_start_ms,
                lstm: lstm_pct,
                baseline: baseline_pct,
                naive: 0.0,
            });
        }
        folds.push(Fold {
            train_from_ms: bars[0].minute_start_ms,
            train_to_ms: bars[cut - 1].minute_start_ms,
            test_from_ms: bars[cut].minute_start_ms,
            test_to_ms: bars[test_end - 1].minute_start_ms,
        });
    }
    Ok(MarketBacktest {
        market: market.to_string(),
        folds,
        metrics: sums
            .into_iter()
            .map(|(name, sum)| (name.to_owned(), sum.finish()))
            .collect(),
        forecasts,
    })
}

/// P&L of playing one model's rank-1..3 picks, one game per held-out minute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GamePnl {
    pub games: usize,
    /// Mean P&L per game (KRW, leverage 1, 1.6e9 staked).
    pub mean_pnl: f64,
    pub total_pnl: f64,
    /// Share of games that ended above the stake.
    pub win_rate: f64,
}

/// The price 90 seconds after the close of bar `end`: halfway between the next two closes.
fn exit_price(bars: &[Bar], end: usize) -> Option<f64> {
    let one = bars.get(end + 1)?.close;
    let two = bars.get(end + 2)?.close;
    Some(one + (GAME_MINUTES - 1.0) * (two - one))
}

/// The P&L of one game: `picks` are (buy, exit) prices of ranks 1..3.
pub fn game_pnl(picks: &[(f64, f64)]) -> f64 {
    picks
        .iter()
        .zip(GAME_STAKES)
        .map(|((buy, exit), stake)| {
            if *buy > 0.0 {
                stake * (exit / buy - 1.0)
            } else {
                0.0
            }
        })
        .sum()
}

/// For each model, plays a game at every minute where every market has a forecast: ranks the
/// markets by forecast (descending; ties keep the given market order, so the naive forecast
/// always plays the first three) and buys ranks 1..3 at the close, selling 90 s later.
pub fn portfolio_pnl(markets: &[(&[Bar], &MarketBacktest)]) -> BTreeMap<String, GamePnl> {
    let mut result = BTreeMap::new();
    if markets.len() < GAME_STAKES.len() {
        return result;
    }
    // minute → per market (index of the bar, forecast).
    let mut by_minute: BTreeMap<i64, Vec<Option<(usize, MinuteForecast)>>> = BTreeMap::new();
    for (slot, (bars, backtest)) in markets.iter().enumerate() {
        for forecast in &backtest.forecasts {
            let Ok(end) =
                bars.binary_search_by_key(&forecast.minute_start_ms, |b| b.minute_start_ms)
            else {
                continue;
            };
            by_minute
                .entry(forecast.minute_start_ms)
                .or_insert_with(|| vec![None; markets.len()])[slot] = Some((end, *forecast));
        }
    }
    type Pick = fn(&MinuteForecast) -> f64;
    let models: [(&str, Pick); 3] = [
        (LSTM, |f| f.lstm),
        (BASELINE, |f| f.baseline),
        (NAIVE, |f| f.naive),
    ];
    for (name, pick) in models {
        let mut pnl = GamePnl::default();
        let mut wins = 0usize;
        for row in by_minute.values() {
            let mut candidates = Vec::with_capacity(row.len());
            for (slot, entry) in row.iter().enumerate() {
                let Some((end, forecast)) = entry else { break };
                let bars = markets[slot].0;
                let Some(exit) = exit_price(bars, *end) else {
                    break;
                };
                candidates.push((pick(forecast), bars[*end].close, exit));
            }
            if candidates.len() != row.len() {
                continue;
            }
            // Stable sort: ties stay in market order.
            candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
            let picks: Vec<(f64, f64)> = candidates
                .iter()
                .take(GAME_STAKES.len())
                .map(|(_, buy, exit)| (*buy, *exit))
                .collect();
            let game = game_pnl(&picks);
            pnl.games += 1;
            pnl.total_pnl += game;
            if game > 0.0 {
                wins += 1;
            }
        }
        if pnl.games > 0 {
            pnl.mean_pnl = pnl.total_pnl / pnl.games as f64;
            pnl.win_rate = wins as f64 / pnl.games as f64;
        }
        result.insert(name.to_owned(), pnl);
    }
    result
}

/// The whole backtest: per market, and the game P&L across them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BacktestReport {
    pub markets: Vec<MarketBacktest>,
    pub games: BTreeMap<String, GamePnl>,
}

impl BacktestReport {
    /// A Markdown table (stdout and docs/HINTS.md).
    pub fn to_table(&self) -> String {
        let mut out = String::from(
            "| market | model | samples | MAE (KRW) | RMSE (KRW) | MAE (pp) | direction | MAE ÷ naive |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
        );
        for market in &self.markets {
            let naive_mae = market.metrics.get(NAIVE).map(|m| m.mae).unwrap_or(0.0);
            for name in [LSTM, BASELINE, NAIVE] {
                let Some(m) = market.metrics.get(name) else {
                    continue;
                };
                let direction = m
                    .directional_accuracy
                    .map(|d| format!("{:.1} %", d * 100.0))
                    .unwrap_or_else(|| "–".into());
                let ratio = if naive_mae > 0.0 {
                    format!("{:.3}", m.mae / naive_mae)
                } else {
                    "–".into()
                };
                out.push_str(&format!(
                    "| {} | {} | {} | {:.4} | {:.4} | {:.4} | {} | {} |\n",
                    market.market, name, m.samples, m.mae, m.rmse, m.mae_pct, direction, ratio
                ));
            }
        }
        if !self.games.is_empty() {
            out.push_str(
                "\n| model | games | mean P&L per game (KRW) | win rate |\n|---|---:|---:|---:|\n",
            );
            for (name, pnl) in &self.games {
                out.push_str(&format!(
                    "| {} | {} | {:.0} | {:.1} % |\n",
                    name,
                    pnl.games,
                    pnl.mean_pnl,
                    pnl.win_rate * 100.0
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_game_pays_each_stake_times_its_return() {
        // Rank 1 +1 %, rank 2 −2 %, rank 3 unchanged: 1e7 − 1e7 + 0.
        let pnl = game_pnl(&[(100.0, 101.0), (50.0, 49.0), (10.0, 10.0)]);
        assert!(pnl.abs() < 1e-3, "{pnl}");
        let pnl = game_pnl(&[(100.0, 110.0), (1.0, 1.0), (1.0, 1.0)]);
        assert!((pnl - 1e8).abs() < 1e-3);
    }

    #[test]
    fn metrics_measure_close_errors_and_direction() {
        let mut sum = MetricsSum::default();
        sum.add(100.0, 101.0, 2.0); // predicted 102: error 1, right direction
        sum.add(100.0, 99.0, 1.0); // predicted 101: error 2, wrong direction
        sum.add(100.0, 100.0, 0.0); // exact, no direction
        let m = sum.finish();
        assert_eq!(m.samples, 3);
        assert!((m.mae - 1.0).abs() < 1e-9);
        assert!((m.rmse - (5.0f64 / 3.0).sqrt()).abs() < 1e-9);
        assert_eq!(m.directional_accuracy, Some(0.5));
    }

    fn bars(closes: &[f64]) -> Vec<Bar> {
        closes
            .iter()
            .enumerate()
            .map(|(i, c)| Bar::flat(i as i64 * 60_000, *c))
            .collect()
    }

    fn backtest_with(forecasts: &[f64]) -> MarketBacktest {
        MarketBacktest {
            market: "KRW-BTC".into(),
            folds: Vec::new(),
            metrics: BTreeMap::new(),
            forecasts: vec![MinuteForecast {
                minute_start_ms: 0,
                lstm: forecasts[0],
                baseline: forecasts[1],
                naive: 0.0,
            }],
        }
    }

    #[test]
    fn games_buy_the_three_highest_forecasts() {
        // Four markets; 90 s exit = halfway between the next two closes.
        let a = bars(&[100.0, 110.0, 110.0]); // +10 %
        let b = bars(&[100.0, 90.0, 90.0]); // −10 %
        let c = bars(&[100.0, 100.0, 100.0]);
        let d = bars(&[100.0, 100.0, 100.0]);
        // The LSTM ranks a, c, d (skips b); the baseline ranks b first.
        let ba = backtest_with(&[3.0, 1.0]);
        let bb = backtest_with(&[-3.0, 5.0]);
        let bc = backtest_with(&[1.0, 0.5]);
        let bd = backtest_with(&[0.5, 0.2]);
        let result = portfolio_pnl(&[(&a, &ba), (&b, &bb), (&c, &bc), (&d, &bd)]);
        assert!((result[LSTM].mean_pnl - 1e8).abs() < 1e-3);
        // baseline: b (1e9 × −10 %), a (5e8 × +10 %), c (0)
        assert!((result[BASELINE].mean_pnl - (-1e8 + 5e7)).abs() < 1e-3);
        // naive: market order a, b, c
        assert!((result[NAIVE].mean_pnl - (1e8 - 5e7)).abs() < 1e-3);
        assert_eq!(result[LSTM].games, 1);
    }
}
